"""Guidance without HTTP: saving a guide (each save a revision), finding guides with the
catalogue's search (diacritic-free, typo-tolerant: ``catalog/search.py:SearchIndex``), and the
guides for the places where citizens get stuck."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.catalog.search import SearchDocument, SearchIndex
from dichvucong.core.text import slugify_vi
from dichvucong.guidance.models import Guide, GuideRevision, Topic


def save(guide: Guide, editor: User | None) -> Guide:
    """Write the guide and keep what it now says as its next revision."""
    with transaction.atomic():
        if not guide.slug:
            guide.slug = slugify_vi(guide.title, 100) or "huong-dan"
            if Guide.objects.filter(slug=guide.slug).exclude(pk=guide.pk).exists():
                guide.slug = f"{guide.slug[:100]}-{Guide.objects.count() + 1}"
        guide.save()
        Guide.objects.filter(pk=guide.pk).update(revision=F("revision") + 1)
        guide.refresh_from_db(fields=["revision"])
        GuideRevision.objects.create(guide=guide, number=guide.revision, title=guide.title,
                                     body=guide.body, edited_by=editor,
                                     edited_at=timezone.now())
    return guide


def visible() -> QuerySet[Guide]:
    return Guide.objects.filter(published=True).select_related("procedure")


def search(query: str, *, kind: str | None = None, limit: int = 20) -> list[Guide]:
    """Guides for ``query`` typed as citizens type (with or without diacritics)."""
    guides = visible()
    if kind:
        guides = guides.filter(kind=kind)
    rows = {g.pk: g for g in guides}
    if not query.strip() or not rows:
        return []
    topics = dict(Topic.choices)
    index = SearchIndex(SearchDocument(
        id=g.pk, code=g.procedure.code if g.procedure else "", name=g.title,
        field=str(topics.get(g.topic, "")),
        agency=g.procedure.name if g.procedure else "",
        keywords=tuple(line for line in g.body.splitlines() if line.strip())[:20])
        for g in rows.values())
    return [rows[hit.id] for hit in index.search(query, limit=limit)]


def for_place(topic: str, procedure_id: int | None = None, limit: int = 3) -> list[Guide]:
    """The guides to link where a citizen gets stuck: the procedure's own first, then the
    topic's."""
    own = Q(procedure_id=procedure_id) if procedure_id else Q(pk__in=[])
    return list(visible().filter(Q(topic=topic) & (Q(procedure__isnull=True) | own))
                .order_by(F("procedure_id").desc(nulls_last=True), "title")[:limit])
