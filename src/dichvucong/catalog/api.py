"""Catalog endpoints of the JSON API (/api/v1/catalog/…)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.decorators import decorate_view

from dichvucong.apiclients.auth import OAuth2
from dichvucong.apiclients.scopes import CATALOG_READ
from dichvucong.catalog import queries
from dichvucong.catalog.definition import json_schema, public_json
from dichvucong.catalog.formengine import to_json_schema
from dichvucong.core.pagecache import public_page

# Open to anyone; a machine client may send its token (then it needs the scope, and its calls
# count against its rate limit and are audited). The answers are the same for every caller
# without a token: kept whole in the page cache, invalidated with the catalogue's pages.
router = Router(tags=["catalog"], auth=OAuth2(CATALOG_READ, optional=True))


class ProcedureSummary(Schema):
    code: str
    name: str
    field: str
    levels: list[str]
    online_mode: str
    agency: str | None


class FieldOut(Schema):
    slug: str
    name: str
    procedure_count: int


def _summary(procedure) -> ProcedureSummary:
    levels = [lvl for lvl, on in (("province", procedure.at_province),
                                  ("commune", procedure.at_commune)) if on]
    return ProcedureSummary(
        code=procedure.code, name=procedure.name, field=procedure.field.name, levels=levels,
        online_mode=procedure.online_mode,
        agency=procedure.agency.name if procedure.agency_id else None,
    )


@router.get("/procedures", response=list[ProcedureSummary],
            summary="Search or list procedures")
@decorate_view(public_page(params=("q", "limit", "offset"), anyone=True))
def list_procedures(request, q: str = "", limit: int = 20, offset: int = 0):
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    procedures = queries.active_procedures().select_related("field", "agency")
    if q.strip():
        return [_summary(p) for p in queries.search(procedures, q, limit=offset + limit)[offset:]]
    return [_summary(p) for p in procedures.order_by("-popularity", "name")[offset:offset + limit]]


@router.get("/procedures/{code}", summary="A procedure's current published definition")
@decorate_view(public_page(anyone=True))
def get_procedure(request, code: str) -> dict:
    procedure = get_object_or_404(queries.active_procedures().select_related("current_version"),
                                  code=code)
    # The administrators' notes (data provenance, sample values) stay out of the public API.
    return {"version": procedure.current_version.number,
            "definition": public_json(procedure.current_version.definition)}


@router.get("/fields", response=list[FieldOut], summary="Fields of procedures with counts")
@decorate_view(public_page(anyone=True))
def list_fields(request):
    return [FieldOut(slug=f.slug, name=f.name, procedure_count=f.procedure_count)
            for f in queries.fields_with_counts()]


@router.get("/schema/procedure.json", summary="JSON Schema of the procedure definition")
def procedure_schema(request) -> dict:
    return json_schema()


@router.get("/procedures/{code}/form-schema",
            summary="JSON Schema of the data a dossier for this procedure carries")
@decorate_view(public_page(anyone=True))
def form_schema(request, code: str) -> dict:
    procedure = get_object_or_404(queries.active_procedures().select_related("current_version"),
                                  code=code)
    definition = procedure.current_version.parsed()
    return to_json_schema(definition.form, title=definition.name)
