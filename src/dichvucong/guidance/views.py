"""Guidance pages: the list (searchable, by topic) and one guide. Editing is in the admin
(``admin.py``), each save a revision."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from dichvucong.guidance import services
from dichvucong.guidance.models import Kind, Topic


def guide_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    topic = request.GET.get("chu_de", "")
    if query:
        guides = services.search(query)
    else:
        guides = list(services.visible().filter(topic=topic) if topic in Topic.values
                      else services.visible())
    return render(request, "guidance/list.html", {
        "guides": guides, "query": query, "topic": topic, "topics": Topic.choices,
        "kinds": dict(Kind.choices)})


def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = get_object_or_404(services.visible(), slug=slug)
    return render(request, "guidance/detail.html", {"guide": guide})
