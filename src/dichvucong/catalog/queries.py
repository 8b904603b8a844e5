"""Read-side queries of the catalog that pages and the API share."""

from __future__ import annotations

from operator import attrgetter

from django.db.models import Count, Max, Q, QuerySet

from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Field, Procedure
from dichvucong.catalog.search import SearchDocument, SearchIndex
from dichvucong.core.prepared import Prepared
from dichvucong.core.text import sorted_vietnamese, vietnamese_key

LIST_COLUMNS = ("id", "code", "name", "field__name", "field__slug", "at_province", "at_commune",
                "online_mode", "agency__name", "commune_agency_kind")


def active_procedures() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True, current_version__isnull=False)


# A filing's procedure (``filing_procedure``), composed once per database connection
# (``core/prepared.py``): through the ORM at each API submission it cost 1.4 ms of CPU.
_FILING_PROCEDURE = Prepared(
    lambda: active_procedures().select_related("current_version")
    .defer("current_version__definition").filter(code="?")[:1], "?")


def filing_procedure(code: str) -> Procedure | None:
    """The active procedure ``code`` names, with its current version but not the version's
    definition (``ProcedureVersion.parsed`` keeps it parsed once per process); None if none."""
    found = _FILING_PROCEDURE.objects(code)
    return found[0] if found else None


def popular_procedures(limit: int) -> list[Procedure]:
    return list(
        active_procedures().select_related("field").order_by("-popularity", "name")[:limit]
    )


def fields_with_counts() -> list[Field]:
    """The fields that have procedures, the most used first, then in Vietnamese alphabetical
    order."""
    fields = Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
    ).filter(procedure_count__gt=0)
    return sorted(fields, key=lambda f: (-f.procedure_count, vietnamese_key(f.name)))


def agencies_with_counts() -> list[Agency]:
    """The province's agencies that have procedures, in Vietnamese alphabetical order."""
    return sorted_vietnamese(
        Agency.objects.filter(level=Agency.Level.PROVINCE, is_active=True)
        .annotate(procedure_count=Count("procedures", filter=Q(procedures__is_active=True)))
        .filter(procedure_count__gt=0), attrgetter("name"))


def commune_counts() -> dict[str, int]:
    rows = (active_procedures().filter(at_commune=True).values("commune_agency_kind")
            .annotate(n=Count("id")))
    return {row["commune_agency_kind"]: row["n"] for row in rows}


def catalog_totals() -> dict[str, int]:
    qs = active_procedures()
    return qs.aggregate(
        total=Count("id"),
        online_full=Count("id", filter=Q(online_mode=Procedure.OnlineMode.FULL)),
        online=Count("id", filter=~Q(online_mode=Procedure.OnlineMode.NONE)),
        province=Count("id", filter=Q(at_province=True)),
        commune=Count("id", filter=Q(at_commune=True)),
    )


# --- search -----------------------------------------------------------------------------------
# The index lives in each process's memory (the catalog is a few thousand rows) and is rebuilt
# when the catalog's revision (row count and latest change) moves.
_index_cache: dict[str, object] = {}


def _catalog_revision() -> tuple:
    stats = Procedure.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return (stats["n"], stats["changed"])


def search_index():
    revision = _catalog_revision()
    if _index_cache.get("revision") != revision:
        rows = active_procedures().values_list(
            "id", "code", "name", "field__name", "agency__name", "popularity",
            "current_version__definition",
        )
        documents = [
            SearchDocument(id=pk, code=code, name=name, field=field or "", agency=agency or "",
                           keywords=tuple((definition or {}).get("keywords") or ()),
                           popularity=popularity)
            for pk, code, name, field, agency, popularity, definition in rows.iterator()
        ]
        _index_cache["index"] = SearchIndex(documents)
        _index_cache["revision"] = revision
    return _index_cache["index"]


# Matches scoring under this share of the best one are left out of result pages: BM25 ranks
# every procedure sharing any word ("giấy", "cấp"), and a list of 400 weak matches hides the
# good ones behind a misleading count.
RELATIVE_SCORE_CUTOFF = 0.4


def search_ids(query: str, limit: int = 200) -> list[int]:
    hits = search_index().search(query, limit=limit)
    if not hits:
        return []
    floor = hits[0].score * RELATIVE_SCORE_CUTOFF
    return [hit.id for hit in hits if hit.score >= floor]


def search(procedures: QuerySet[Procedure], query: str, limit: int = 200) -> list[Procedure]:
    """The procedures of ``procedures`` that match ``query``, best first."""
    ranked = search_ids(query, limit=limit)
    found = {p.id: p for p in procedures.filter(id__in=ranked)}
    return [found[pk] for pk in ranked if pk in found]
