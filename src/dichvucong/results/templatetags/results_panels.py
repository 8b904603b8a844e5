"""The results panels other apps' pages include with one line: the back office's dossier
workspace (issue, progress, the issued results) and the citizen's dossier page (download,
print, verify)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from dichvucong.dossiers.lifecycle import State
from dichvucong.results import services
from dichvucong.results.models import SigningState
from dichvucong.results.validity import valid_until

register = template.Library()


@register.inclusion_tag("results/_backoffice_panel.html", takes_context=True)
def backoffice_results(context, dossier):
    request = context["request"]
    results = services.results_of_dossier(dossier)
    can_issue = (dossier.state == State.approved.value
                 and services.can_issue(request.user, dossier)
                 and services.issues_digitally(dossier)
                 and not any(r.signing_state in (SigningState.QUEUED, SigningState.RENDERING,
                                                 SigningState.SIGNING, SigningState.FAILED)
                             for r in results))
    today = timezone.localdate()
    definitions = []
    if can_issue:
        for index, item in enumerate(services.result_definitions(dossier)):
            until = valid_until(item["validity"], today)
            definitions.append({"index": index, **item, "until": until})
    now = timezone.now()
    retryable = {r.pk for r in results if services.can_retry(request.user, r, now)}
    return {"dossier": dossier, "results": results, "can_issue": can_issue,
            "retryable": retryable, "stuck": {r.pk for r in results if services.is_stuck(r, now)},
            "definitions": definitions, "csrf_token": context.get("csrf_token"),
            "pending": [r for r in results if r.signing_state not in (SigningState.DONE,
                                                                      SigningState.FAILED)]}


@register.inclusion_tag("results/_citizen_panel.html")
def citizen_results(dossier, results=None):
    """``results``: the dossier's results if the page has read them already
    (``results_of_dossier``; a page without them passes nothing, read as "")."""
    if results is None or isinstance(results, str):
        results = services.results_of_dossier(dossier)
    results = [r for r in results if r.is_ready]
    return {"dossier": dossier, "results": results}
