"""Pages of digital results.

Public: the verification page (/xac-minh/: open from the QR link, paste the QR text, upload the
PDF) and the trust list. Citizens: download or print their results again. Officials: issue a
result for an approved dossier, follow its signing, revoke or replace it. Access is checked in
each view: a result's PDF only for its holder, the filer of its dossier, or an official of the
issuing agency; revocation and replacement only for that agency's leaders (services.can_manage).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts import reauth
from dichvucong.core import storage
from dichvucong.dossiers import access

from . import services
from .models import Result, SigningState, Verification

MAX_UPLOAD = 10 * 1024 * 1024
MAX_TEXT = 4000

OUTCOME_TITLES = {
    "valid": gettext_lazy("Giấy tờ thật và còn hiệu lực"),
    "expired": gettext_lazy("Giấy tờ thật nhưng đã hết hạn"),
    "revoked": gettext_lazy("Giấy tờ đã bị thu hồi"),
    "replaced": gettext_lazy("Giấy tờ đã được thay thế"),
    "not_genuine": gettext_lazy("Không phải giấy tờ thật"),
    "unknown_issuer": gettext_lazy("Không phải giấy tờ thật"),
    "malformed": gettext_lazy("Không đọc được mã"),
}


def _outcome_context(outcome: services.Outcome) -> dict:
    return {"outcome": outcome, "outcome_title": OUTCOME_TITLES.get(outcome.outcome, ""),
            "good": outcome.outcome == "valid",
            "replacement": outcome.replacement if outcome.replacement
            and outcome.replacement.is_ready else None}


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """One page: a result appears above the two forms when there is something to check."""
    context: dict = {"text": "", "errors": {}}
    outcome = None
    if request.method == "GET" and request.GET.get("m"):
        # The QR link: the payload is in the address (it is public: it is printed on the paper).
        text = str(request.GET["m"])[:MAX_TEXT]
        outcome = services.verify_text(text, Verification.Method.LINK)
    elif request.method == "POST" and request.POST.get("action") == "paste":
        text = str(request.POST.get("text", "")).strip()[:MAX_TEXT]
        context["text"] = text
        if not text:
            context["errors"]["text"] = _("Hãy dán nội dung mã QR hoặc đường dẫn đọc được từ mã.")
        else:
            outcome = services.verify_text(text, Verification.Method.PASTE)
    elif request.method == "POST" and request.POST.get("action") == "upload":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"]["file"] = _("Hãy chọn tệp PDF kết quả giải quyết.")
        elif upload.size > MAX_UPLOAD:
            context["errors"]["file"] = _("Tệp lớn hơn 10 MB, không phải tệp kết quả.")
        else:
            data = upload.read()
            if not data.startswith(b"%PDF-"):
                context["errors"]["file"] = _("Tệp này không phải PDF.")
            else:
                outcome = services.verify_pdf(data)
    elif request.method == "POST":
        context["errors"]["text"] = _("Không có thao tác này.")
    if outcome is not None:
        context.update(_outcome_context(outcome))
    status = 400 if context["errors"] else 200
    context["anchors"] = services.trust_list_anchors()
    return render(request, "results/verify.html", context, status=status)


@require_GET
def trust_list(request: HttpRequest) -> JsonResponse:
    """The signed trust list (a JWS, flattened JSON) that offline verifiers save and check
    against the trust-list certificate they pinned."""
    try:
        document = services.signed_trust_list()
    except services.ResultError as exc:
        return JsonResponse({"detail": exc.message}, status=503,
                            json_dumps_params={"ensure_ascii": False})
    response = JsonResponse(document, content_type="application/jose+json")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # public keys, for any verifier app
    return response


# --- downloads ---------------------------------------------------------------------------------


def visible_results(user) -> Q:
    """Results ``user`` may download: theirs, their dossiers', their agencies'."""
    return (Q(holder_account=user) | Q(dossier__in=access.own_dossiers(user).values("pk"))
            | Q(pk__in=services.agency_results(user).values("pk")))


def pdf_response(result: Result, user, *, attachment: bool = False) -> HttpResponse:
    """A result's signed PDF, its download recorded (``user`` None for a registered system);
    404 while it is not signed and stored. The page and the API's ``issued/<token>/pdf``."""
    if not result.is_ready:
        raise Http404
    try:
        content = services.pdf_bytes(result)
    except FileNotFoundError:
        raise Http404 from None
    except storage.CorruptFile:
        return storage.corrupt_response()
    services.record_download(result, user)
    response = HttpResponse(content, content_type="application/pdf")
    name = "ket-qua-" + result.number.replace("/", "-") + ".pdf"
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    result = get_object_or_404(Result.objects.filter(visible_results(request.user)), token=token)
    return pdf_response(result, request.user, attachment=bool(request.GET.get("tai")))


# --- back office -------------------------------------------------------------------------------


def _official_result(request: HttpRequest, token: str) -> Result:
    return get_object_or_404(
        services.agency_results(request.user).select_related("agency", "dossier", "replaced_by"),
        token=token)


def _date(value: str) -> date | None:
    value = (value or "").strip()
    return date.fromisoformat(value) if value else None


@login_required
@reauth.recent_verification()
@require_POST
def issue(request: HttpRequest, code: str) -> HttpResponse:
    dossier = get_object_or_404(access.agency_dossiers(request.user), code=code)
    try:
        choice = int(request.POST.get("choice", "0") or 0)
        until = _date(str(request.POST.get("valid_until", ""))[:10])
    except ValueError:
        messages.error(request, _("Ngày hết hiệu lực phải là một ngày hợp lệ."))
        return redirect("backoffice:dossier", code=dossier.code)
    try:
        result = services.request_issue(dossier, request.user, choice=choice, valid_until=until)
    except services.ResultError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:dossier", code=dossier.code)
    messages.success(request, _("Đã gửi kết quả số %(number)s đi ký số. Trang hồ sơ cho biết "
                                "tiến độ.") % {"number": result.number})
    return redirect("backoffice:dossier", code=dossier.code)


@login_required
@reauth.recent_verification()
@require_POST
def retry(request: HttpRequest, token: str) -> HttpResponse:
    result = _official_result(request, token)
    code = result.dossier.code if result.dossier_id else ""
    try:
        services.retry(result, request.user)
    except services.ResultError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã gửi kết quả số %(number)s đi ký số lại.") % {
            "number": result.number})
    if code:
        return redirect("backoffice:dossier", code=code)
    return redirect("results:manage", token=result.token)


@login_required
@require_GET
@never_cache
def progress(request: HttpRequest, token: str) -> JsonResponse:
    result = _official_result(request, token)
    return JsonResponse({"state": result.signing_state,
                         "label": result.get_signing_state_display(),
                         "done": result.signing_state in (SigningState.DONE, SigningState.FAILED)
                         or services.is_stuck(result)})


@login_required
@reauth.recent_verification()
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    result = _official_result(request, token)
    errors: dict[str, str] = {}
    posted = {}
    if request.method == "POST":
        if not services.can_manage(request.user, result):
            raise PermissionDenied(_("Chỉ lãnh đạo của cơ quan cấp được thu hồi hoặc thay thế "
                                     "kết quả."))
        action = request.POST.get("action", "")
        posted = {"action": action, "reason": str(request.POST.get("reason", ""))[:2000],
                  "correction": str(request.POST.get("correction", ""))[:4000]}
        try:
            if action == "revoke":
                services.revoke(result, request.user, posted["reason"])
                messages.success(request, _("Đã thu hồi kết quả %(number)s.") % {
                    "number": result.number})
            elif action == "replace":
                new = services.replace(result, request.user, posted["reason"],
                                       correction=posted["correction"])
                messages.success(request, _("Đã ban hành kết quả %(new)s thay thế %(old)s; "
                                            "đang ký số.") % {"new": new.number,
                                                              "old": result.number})
                return redirect("results:manage", token=new.token)
            else:
                errors["reason"] = _("Không có thao tác này.")
        except services.ResultError as exc:
            errors[f"{action}_{exc.field or 'reason'}"] = exc.message
        if not errors:
            return redirect("results:manage", token=result.token)
    return render(request, "results/manage.html", {
        "result": result, "events": list(result.events.select_related("actor")),
        "can_manage": services.can_manage(request.user, result),
        "can_retry": services.can_retry(request.user, result),
        "stuck": services.is_stuck(result),
        "status": result.current_status(), "errors": errors, "posted": posted,
        "replaces": Result.objects.filter(replaced_by=result).first(),
        "verifications": result.verifications.count(),
    }, status=200 if not errors else 400)

