"""Rendering a procedure's form in pages and reading it back: shared by the citizen's form, the
service designer's preview and (later) the submission flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from dichvucong.adminunits import queries as units
from dichvucong.catalog.definition import FieldType, FormField, FormPage
from dichvucong.catalog.formengine import FormResult, read_submission, validate
from dichvucong.catalog.formrender import BoundField, Places, bind, flat_errors


@dataclass
class FormSubmission:
    raw: dict[str, Any]
    result: FormResult | None  # None when the post only asked for more rows or a refresh
    extra_rows: dict[str, int]


def places() -> Places:
    return Places(provinces=units.provinces(), communes_of=units.communes_of,
                  default_province=str(settings.PROVINCE_CODE))


def _address_provinces(fields: list[FormField], raw: dict[str, Any]) -> set[str]:
    found = set()
    for f in fields:
        value = raw.get(f.key)
        if f.type == FieldType.ADDRESS and isinstance(value, dict) and value.get("province"):
            found.add(str(value["province"]))
        elif f.type == FieldType.GROUP and isinstance(value, list):
            for item in value:
                found |= _address_provinces(f.fields, item if isinstance(item, dict) else {})
    return found


def read_form(request: HttpRequest, fields: list[FormField]) -> FormSubmission:
    """Read a posted form. "Add a row" and "refresh the commune list" posts are not submissions:
    they re-render the form with what was typed, and validate nothing."""
    raw = read_submission(fields, request.POST, getlist=request.POST.getlist)
    add_row = request.POST.get("_add_row", "")
    if add_row:
        key = add_row.rsplit("-", 1)[-1] if "-" in add_row else add_row
        return FormSubmission(raw=raw, result=None, extra_rows={key: 1})
    if request.POST.get("_refresh"):
        return FormSubmission(raw=raw, result=None, extra_rows={})
    return FormSubmission(raw=raw, result=check_values(fields, raw), extra_rows={})


def check_values(fields: list[FormField], raw: dict[str, Any]) -> FormResult:
    """Validate values as read from a form (``read_submission``), e.g. a draft's kept ones,
    with the communes of the provinces its addresses name."""
    known: dict[str, set[str]] = {}
    for province in _address_provinces(fields, raw):
        known |= units.known_communes(province)
    return validate(fields, raw, timezone.localdate(), known_communes=known)


def page_of_errors(pages: list[FormPage], errors: dict[str, list[str]]) -> int | None:
    """The first page of a multi-page form with an error (errors by flat name: ``key`` or
    ``group-0-key``), or None."""
    keys = {name.split("-", 1)[0] for name in errors}
    return next((i for i, page in enumerate(pages) if page.keys & keys), None)


def form_context(fields: list[FormField], values: dict[str, Any] | None = None,
                 errors: dict[str, list[str]] | None = None,
                 extra_rows: dict[str, int] | None = None) -> dict[str, Any]:
    bound: list[BoundField] = bind(fields, values or {}, errors or {}, extra_rows=extra_rows,
                                   places=places())
    return {"form_fields": bound, "form_errors": flat_errors(bound)}
