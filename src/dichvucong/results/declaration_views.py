"""The declaration's two PDFs (``declaration.py``).

- ``/thu-tuc/<code>/to-khai.pdf``: the blank template of a procedure with an e-form; public and
  cacheable (it changes only with the published version, which is its ETag).
- ``/ho-so/<code>/to-khai.pdf``: a filed dossier's declaration, for whoever may see the dossier
  (its applicant or consented agent, officers of its agency: ``slips.views.visible_dossier``).
- ``/ho-so/nhap/<id>/ky-so/``: the applicant signs their draft's declaration
  (``declaration_signing``), from the check page before filing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dichvucong.catalog.queries import active_procedures
from dichvucong.core import storage
from dichvucong.dossiers.models import Dossier
from dichvucong.slips.views import pdf_response, visible_dossier

from . import declaration, declaration_signing

TEMPLATE_MAX_AGE = 24 * 3600  # s: a new version shows within a day, at once with revalidation


@require_GET
def blank_template(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(active_procedures().select_related("current_version"),
                                  code=code)
    version = procedure.current_version
    published = version.published_at.timestamp() if version.published_at else 0
    etag = f'"tk-{version.pk}-{published:.0f}-{declaration.LAYOUT}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        key = f"declaration-template:{etag.strip(chr(34))}"
        content = cache.get(key)
        if content is None:
            definition = version.parsed()
            if not definition.form:
                raise Http404("Thủ tục này chưa có tờ khai điện tử.")
            content = declaration.render(declaration.blank(definition))
            cache.set(key, content, TEMPLATE_MAX_AGE)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{declaration.file_name("mau-" + procedure.code)}"')
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={TEMPLATE_MAX_AGE}"
    return response


@login_required
@require_GET
def filed(request: HttpRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request.user, code)
    # Made in the background after filing; a page opened before that makes it now.
    attachment = (dossier.attachments.filter(declaration=True).first()
                  or declaration.attach(dossier.pk))
    if attachment is None:
        raise Http404("Hồ sơ này không có tờ khai điện tử.")
    try:
        content = storage.read_verified(attachment.file.name, attachment.sha256)
    except FileNotFoundError:
        raise Http404 from None
    except storage.CorruptFile:
        return storage.corrupt_response()
    return pdf_response(content, declaration.file_name(dossier.code))


SIGNING_SESSION_KEY = "declaration_signing"


@login_required
@require_http_methods(["GET", "POST"])
def sign_declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """«Ký số tờ khai» for the applicant's own draft: «send» asks the service for the one-time
    code (the credential is kept in the session, for this draft only), «sign» signs with it and
    goes back to the check page (``declaration_signing``)."""
    draft = get_object_or_404(Dossier.objects.select_related("procedure", "procedure_version",
                                                             "agency"),
                              pk=pk, state="draft", applicant=request.user)
    back = (reverse("dossiers:submit", args=[draft.procedure.code])
            + f"?draft={draft.pk}&kiem-tra=1")
    pending = request.session.get(SIGNING_SESSION_KEY) or {}
    credential = pending.get("credential") if pending.get("draft") == draft.pk else None
    error = ""
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "send":
        try:
            credential = declaration_signing.send_code(draft, request.user)
        except declaration_signing.SigningRefused as exc:
            error = exc.message
        else:
            request.session[SIGNING_SESSION_KEY] = {"draft": draft.pk, "credential": credential}
    elif request.method == "POST" and action == "sign" and credential:
        try:
            declaration_signing.sign(draft, request.user, credential,
                                     request.POST.get("otp", ""))
        except declaration_signing.SigningRefused as exc:
            error = exc.message
        else:
            request.session.pop(SIGNING_SESSION_KEY, None)
            return redirect(back + "#ky-so")
    status = 400 if error else 200
    return render(request, "results/sign_declaration.html", {
        "draft": draft, "procedure": draft.procedure, "back": back, "error": error,
        "code_sent": bool(credential)}, status=status)
