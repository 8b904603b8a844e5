"""What the citizen is told (``dossiers.citizen_view``), for the templates of citizens' pages."""

from __future__ import annotations

from django import template

from dichvucong.dossiers import citizen_view
from dichvucong.results.queries import dossiers_with_result_available

register = template.Library()


@register.filter
def citizen_progress(events) -> list[citizen_view.Entry]:
    """The citizen's timeline with labels only, no note: for the public lookup, where no login
    proved who asks."""
    return citizen_view.timeline(events, notes=False)


@register.simple_tag
def citizen_status(dossier) -> str:
    """The dossier's status as the citizen reads it, «Đã có kết quả — tải về» included."""
    return citizen_view.status(dossier.state, result_available=bool(
        dossiers_with_result_available([dossier.pk])))
