"""Writing the catalog: importing definitions as published procedure versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dichvucong.agencies.services import AgencyMatcher, commune_agency_kind
from dichvucong.catalog.definition import Level, ProcedureDefinition
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion
from dichvucong.core.text import NAME_MAX, slugify_vi


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def import_definitions(
    definitions: Iterable[ProcedureDefinition],
    popularity: Mapping[str, int] | None = None,
) -> ImportReport:
    """Publish each definition: a new procedure, or a new version of an existing one when its
    content changed. All or nothing: any error rolls the whole import back."""
    popularity = popularity or {}
    matcher = AgencyMatcher()
    fields = {f.name: f for f in Field.objects.all()}
    existing = {p.code: p for p in Procedure.objects.select_related("current_version")}
    report = ImportReport()
    now = timezone.now()
    for definition in definitions:
        field = fields.get(definition.field)
        if field is None:
            slug = slugify_vi(definition.field) or "linh-vuc"
            field = fields[definition.field] = Field.objects.create(
                name=definition.field, slug=_unique_slug(slug)
            )
        at_province = Level.PROVINCE in definition.levels
        at_commune = Level.COMMUNE in definition.levels
        columns = {
            "name": definition.name[:NAME_MAX],
            "field": field,
            "at_province": at_province,
            "at_commune": at_commune,
            "agency": matcher.match(definition.agency, definition.ministry)
            if at_province else None,
            # Commune procedures are looked after by the department of their ministry.
            "owner": matcher.match(definition.agency, definition.ministry),
            "commune_agency_kind": commune_agency_kind(definition.agency) if at_commune else "",
            "online_mode": definition.online_mode.value,
            "popularity": popularity.get(definition.code, 0),
        }
        content = definition.to_json()
        procedure = existing.get(definition.code)
        if procedure is None:
            procedure = Procedure.objects.create(code=definition.code, **columns)
            number = 1
            report.created += 1
        else:
            for key, value in columns.items():
                setattr(procedure, key, value)
            current = procedure.current_version
            if current is not None and current.definition == content:
                procedure.save()
                report.unchanged += 1
                continue
            # After any draft or approved version the designer has (numbers never repeat).
            number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            ProcedureVersion.objects.filter(
                procedure=procedure, status=ProcedureVersion.Status.PUBLISHED
            ).update(status=ProcedureVersion.Status.SUPERSEDED)
            report.updated += 1
        version = ProcedureVersion.objects.create(
            procedure=procedure, number=number, status=ProcedureVersion.Status.PUBLISHED,
            definition=content, published_at=now,
        )
        procedure.current_version = version
        procedure.save()
    return report


def _unique_slug(slug: str) -> str:
    candidate, n = slug, 2
    while Field.objects.filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def current_definitions(procedures: Iterable[Procedure] | None = None,
                        ) -> list[ProcedureDefinition]:
    """The published definitions of ``procedures`` (every active procedure when None), in code
    order: what the public pages show, and what the quality check reads."""
    queryset = Procedure.objects.all() if procedures is None else procedures
    versions = (ProcedureVersion.objects
                .filter(procedure__in=queryset, procedure__is_active=True,
                        status=ProcedureVersion.Status.PUBLISHED)
                .order_by("procedure__code"))
    return [version.parsed() for version in versions]
