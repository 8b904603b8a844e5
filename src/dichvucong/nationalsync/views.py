"""The file behind a sync record's link (``links.py``), for the national portal: no login, the
signed link is the permission. An unknown, altered or expired link is a plain 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from dichvucong.backoffice.views import attachment_file
from dichvucong.dossiers.models import Attachment
from dichvucong.nationalsync import links
from dichvucong.results.models import Result
from dichvucong.results.views import pdf_response


@require_GET
def file(request: HttpRequest, value: str) -> HttpResponse:
    found = links.read_link(value)
    if found is None:
        raise Http404
    kind, token = found
    if kind == links.RESULT:
        # The signed PDF, its download recorded as a registered system's (no person).
        return pdf_response(get_object_or_404(Result, token=token), None, attachment=True)
    return attachment_file(get_object_or_404(Attachment, token=token))
