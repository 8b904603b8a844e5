"""Whom a result is issued to: by default the applicant; a result of the procedure's
definition may name the form's fields holding the holder's name and ID number
(``Result.holder_name_field``/``holder_id_field``: a birth certificate is the child's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dichvucong.dossiers.models import Dossier

    from .models import Result


def holder_of(dossier: Dossier, chosen: dict) -> tuple[str, str]:
    """The name and ID number of the holder of a result defined by ``chosen`` (a dict of
    ``issuing.result_definitions``). With a holder's name field but no ID field (or an empty
    one), no ID number: the applicant's is not the holder's."""
    name_field = chosen.get("holder_name_field") or ""
    if not name_field:
        return dossier.applicant_name, dossier.applicant_id_number or ""
    data = dossier.form_data or {}
    name = " ".join(str(data.get(name_field) or "").split())
    if not name:  # the field was hidden or left empty: the result still names someone
        return dossier.applicant_name, dossier.applicant_id_number or ""
    id_field = chosen.get("holder_id_field") or ""
    return name, str(data.get(id_field) or "") if id_field else ""


def holder_id_number(result: Result) -> str:
    """The ID number of a result's holder, read again from its dossier (only its hash is
    kept); the result's definition is the one of the result's title."""
    if not result.dossier_id:
        return ""
    dossier = result.dossier
    definition = dossier.procedure_version.parsed()
    chosen = next((r for r in definition.results if r.name == result.title), None)
    fields = ({"holder_name_field": chosen.holder_name_field,
               "holder_id_field": chosen.holder_id_field} if chosen else {})
    return holder_of(dossier, fields)[1]
