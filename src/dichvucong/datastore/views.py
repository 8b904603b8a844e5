"""Pages of the personal data store: the citizen's store, one document (download, reprint,
share), the public page of a share link, and the reception officer's look at the counter.
Thin: the rules and the records are in services.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts import reauth
from dichvucong.accounts.services import resolve_citizen_token
from dichvucong.apiclients.models import IssuerType
from dichvucong.datastore import deposits, personal, services
from dichvucong.datastore import documents as rules
from dichvucong.datastore.models import StoredDocument
from dichvucong.datastore.services import StoreError

NEW_LINK_KEY = "datastore.new_share_link"


@never_cache
@login_required
def store(request: HttpRequest) -> HttpResponse:
    groups = services.grouped(request.user)
    consents = deposits.active_consents(request.user)
    return render(request, "datastore/store.html", {
        "groups": groups, "history": services.history(request.user),
        "count": sum(len(g.documents) for g in groups),
        "issuer_types": IssuerType.choices, "issuers": deposits.registered_issuers(),
        "standing": {c.issuer_type for c in consents if not c.one_time},
        "once": [c for c in consents if c.one_time],
    })


@login_required
@require_POST
def issuer_consent(request: HttpRequest) -> HttpResponse:
    """The citizen's consent to third-party issuers: the kinds allowed for good (``types``),
    one issuer allowed once (``once``), or one consent taken back (``revoke``)."""
    action = request.POST.get("action")
    try:
        if action == "types":
            deposits.allow_types(request.user, set(request.POST.getlist("issuer_type")))
            messages.success(request, _("Đã lưu các loại tổ chức được gửi giấy tờ vào kho."))
        elif action == "once":
            consent = deposits.allow_once(request.user, request.POST.get("issuer"))
            messages.success(request, _("«%(name)s» được gửi một giấy tờ vào kho của bạn.")
                             % {"name": consent.issuer.application.name})
        elif action == "revoke":
            deposits.revoke_consent(request.user, request.POST.get("consent"))
            messages.success(request, _("Đã thu hồi quyền gửi giấy tờ."))
    except StoreError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("datastore:store") + "#to-chuc-cap")


@login_required
@require_POST
def counter_consent(request: HttpRequest) -> HttpResponse:
    services.set_counter_consent(request.user, set(request.POST.getlist("type")))
    messages.success(request, _("Đã lưu lựa chọn giấy tờ cho xem tại quầy một cửa."))
    return redirect(reverse("datastore:store") + "#tai-quay")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        doc = services.get_own(request.user, pk)
    except StoreError:
        raise Http404 from None
    error, duration = "", rules.DEFAULT_DURATION
    if request.method == "POST":
        what = request.POST.get("action")
        try:
            if what == "share":
                duration = request.POST.get("duration", "")
                _link, token = services.share(request.user, pk, duration)
                # Shown once, after the redirect: only its hash is kept.
                request.session[NEW_LINK_KEY] = request.build_absolute_uri(
                    reverse("datastore:shared", args=[token]))
                return redirect("datastore:document", pk=doc.pk)
            if what == "revoke":
                services.revoke(request.user, request.POST.get("link"))
                messages.success(request, _("Đã thu hồi liên kết chia sẻ."))
                return redirect("datastore:document", pk=doc.pk)
            if what == "remove":
                services.remove(request.user, pk)
                messages.success(request, _("Đã gỡ giấy tờ khỏi kho. Hồ sơ đã nộp vẫn giữ "
                                            "giấy tờ này."))
                return redirect("datastore:store")
        except StoreError as exc:
            error = str(exc)
    return render(request, "datastore/document.html", {
        "doc": doc, "status": services.status_of(doc), "links": services.links_of(
            request.user, doc),
        "new_link": request.session.pop(NEW_LINK_KEY, ""), "error": error,
        "durations": [(k, label) for k, (_h, label) in rules.SHARE_DURATIONS.items()],
        "duration": duration, "usable": services.is_usable(doc),
    }, status=400 if error else 200)


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    """Download, or (``?in=1``) open in the browser to print again: a lost paper result is
    reprinted from here."""
    try:
        doc = services.get_own(request.user, pk)
    except StoreError:
        raise Http404 from None
    services.record_download(request.user, doc)
    return _file(doc, inline=request.GET.get("in") == "1")


def _file(doc: StoredDocument, inline: bool = False) -> FileResponse:
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=not inline, filename=doc.original_name,
                            content_type=doc.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The page a share link opens, without logging in: the document's description and its
    download, nothing about the holder beyond what the document itself says."""
    try:
        link = services.open_share(token)
    except StoreError as exc:
        return render(request, "datastore/shared_refused.html", {"message": str(exc)},
                      status=404)
    doc = link.document
    response = render(request, "datastore/shared.html", {
        "doc": doc, "link": link, "status": services.status_of(doc), "token": token})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def shared_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.open_share(token, download=True)
    except StoreError as exc:
        return render(request, "datastore/shared_refused.html", {"message": str(exc)},
                      status=404)
    return _file(link.document, inline=request.GET.get("in") == "1")


# --- at the counter -------------------------------------------------------------------------


def _officer(request: HttpRequest) -> None:
    if not services.counter_agencies(request.user):
        raise PermissionDenied(_("Chỉ cán bộ một cửa xem được kho dữ liệu của công dân."))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """The officer scans (or pastes) the citizen's account QR; the look opens for a few
    minutes, on what the citizen consented to show."""
    _officer(request)
    error = ""
    if request.method == "POST":
        citizen = resolve_citizen_token(str(request.POST.get("qr", ""))[:300])
        if citizen is None:
            error = _("Mã QR tài khoản không hợp lệ hoặc đã hết hạn; đề nghị công dân mở lại "
                      "mã trên điện thoại.")
        else:
            try:
                session = services.open_counter(request.user, citizen)
            except StoreError as exc:
                error = str(exc)
            else:
                return redirect("datastore:counter_session", session=session.pk)
    return render(request, "datastore/counter.html", {"error": error},
                  status=400 if error else 200)


@never_cache
@login_required
def counter_session(request: HttpRequest, session: int) -> HttpResponse:
    _officer(request)
    try:
        visit = services.counter_session(request.user, session)
    except StoreError as exc:
        return render(request, "datastore/counter.html", {"error": str(exc)}, status=410)
    return render(request, "datastore/counter_session.html", {
        "visit": visit, "documents": services.counter_documents(visit),
        "minutes": rules.COUNTER_MINUTES})


@login_required
def counter_download(request: HttpRequest, session: int, pk: int) -> HttpResponse:
    _officer(request)
    try:
        visit = services.counter_session(request.user, session)
        doc = services.counter_document(visit, pk)
    except StoreError:
        raise Http404 from None
    return _file(doc, inline=True)


# --- the citizen's rights over their personal data (personal.py) ----------------------------

@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """What the platform holds about the person and who looked at it; a deletion request."""
    error = ""
    if request.method == "POST":
        what = str(request.POST.get("what", "")).strip()
        if not what:
            error = _("Hãy cho biết dữ liệu nào bạn muốn xoá.")
        else:
            personal.ask_erasure(request.user, what)
            messages.success(request, _("Đã gửi yêu cầu xoá dữ liệu. Quản trị viên sẽ trả lời "
                                        "trên trang này."))
            return redirect(reverse("datastore:my_data") + "#yeu-cau-xoa")
    data = personal.holdings(request.user)
    return render(request, "datastore/my_data.html", {
        "data": data, "looks": personal.looks(request.user), "error": error,
        "requests": request.user.erasure_requests.all(),
        "document_count": len(data["stored_documents"]),
        "consent_count": len(data["counter_consents"]) + len(data["issuer_consents"]),
    }, status=400 if error else 200)


@never_cache
@login_required
@reauth.recent_verification(methods=("GET",))
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(personal.export_zip(request.user), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="du-lieu-ca-nhan-{timezone.localdate():%Y%m%d}.zip"')
    return response
