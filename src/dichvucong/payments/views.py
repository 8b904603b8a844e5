"""Paying a dossier's fee: the citizen's choice of VNPay or VietQR, VNPay's return and IPN,
receipts, and the back office's cash and bank-statement reconciliation. Thin: the rules and
every write are in ``services.py``; each view checks who may see or act first."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts.models import Role
from dichvucong.core.numbers import NumberFormatError, parse_money
from dichvucong.dossiers import access
from dichvucong.dossiers.models import Dossier
from dichvucong.payments import paylinks, services, vietqr
from dichvucong.payments.models import FeeState, Payment, PaymentState, Provider
from dichvucong.payments.receipt import render_receipt

STATEMENT_ROLES = (Role.RECEPTION_OFFICER, Role.AGENCY_HEAD)
STATEMENT_MAX_BYTES = 2 * 1024 * 1024
STATEMENT_COLUMNS = ("ma_giao_dich", "ngay", "so_tien", "noi_dung", "tai_khoan")


def _own_dossier(request: HttpRequest, code: str) -> Dossier:
    return get_object_or_404(access.own_dossiers(request.user).select_related("fee"), code=code)


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "127.0.0.1"


@login_required
@require_POST
def pay(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    provider = request.POST.get("provider", "")
    try:
        payment = services.start_payment(dossier, provider, request.user)
    except services.PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:detail", code=code)
    if payment.provider == Provider.VIETQR:
        return redirect("payments:transfer", code=code)
    url = services.vnpay_redirect(
        payment, return_url=request.build_absolute_uri(reverse("payments:vnpay_return")),
        ip_address=_client_ip(request), locale="en" if get_language() == "en" else "vn")
    return redirect(url)


@login_required
@require_GET
def transfer(request: HttpRequest, code: str) -> HttpResponse:
    """The VietQR code and the account details for a bank transfer."""
    dossier = _own_dossier(request, code)
    payment = (Payment.objects.filter(fee__dossier=dossier, provider=Provider.VIETQR,
                                      state=PaymentState.PENDING).first())
    if payment is None or not services.vietqr_configured():
        raise Http404
    return render(request, "payments/transfer.html", {
        **_transfer_context(dossier, payment),
        "back_url": reverse("dossiers:detail", args=[code]),
        "qr_png_url": reverse("payments:transfer_qr", args=[payment.reference]),
    })


def _transfer_context(dossier: Dossier, payment: Payment) -> dict:
    payload = services.vietqr_payload(payment)
    return {
        "dossier": dossier, "payment": payment, "payload": payload,
        "qr_svg": vietqr.qr_svg(payload, title=_("Mã VietQR để chuyển khoản")),
        "bank_name": vietqr.BANKS.get(services.settings.VIETQR_BANK_BIN,
                                      services.settings.VIETQR_BANK_BIN),
        "account": services.settings.VIETQR_ACCOUNT,
        "account_name": services.settings.VIETQR_ACCOUNT_NAME,
    }


@login_required
@require_GET
def transfer_qr(request: HttpRequest, reference: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.filter(fee__dossier__in=access.own_dossiers(request.user),
                               provider=Provider.VIETQR), reference=reference)
    response = HttpResponse(vietqr.qr_png(services.vietqr_payload(payment)),
                            content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="vietqr-{payment.reference}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
def vnpay_ipn(request: HttpRequest) -> JsonResponse:
    """VNPay's server-to-server call (GET); answered with its RspCode/Message JSON."""
    return JsonResponse(services.handle_ipn(request.GET.dict()))


@login_required
@require_GET
@never_cache
def vnpay_return(request: HttpRequest) -> HttpResponse:
    """Where VNPay sends the browser back. It shows what VNPay said and the payment as we know
    it; only the IPN changes the payment."""
    payment, result = services.read_return(request.GET.dict())
    if payment is not None and not access.own_dossiers(request.user).filter(
            pk=payment.fee.dossier_id).exists():
        payment = None
    status = 200 if payment is not None else 400
    dossier = payment.fee.dossier if payment else None
    return render(request, "payments/vnpay_return.html", {
        "payment": payment, "result": result, "dossier": dossier,
        "back_url": reverse("dossiers:detail", args=[dossier.code]) if dossier else "",
    }, status=status)


def _visible_payment(user, reference: str) -> Payment:
    """A payment of a dossier the user filed, or of their agency's dossiers."""
    allowed = Q(fee__dossier__in=access.own_dossiers(user).values("pk")) | Q(
        fee__dossier__in=access.agency_dossiers(user).values("pk"))
    return get_object_or_404(
        Payment.objects.filter(allowed).select_related(
            "fee__dossier__agency", "fee__dossier__procedure", "recorded_by"),
        reference=reference)


@login_required
@require_GET
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _visible_payment(request.user, reference)
    if payment.state != PaymentState.PAID:
        raise Http404
    response = HttpResponse(render_receipt(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{payment.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the signed link of the fee message (paylinks.py): paying without logging in ---------------


def _link_refused(request: HttpRequest, error: Exception) -> HttpResponse:
    """An expired or altered link: said plainly, with the way in by logging in."""
    expired = isinstance(error, paylinks.LinkExpired)
    target = (reverse("dossiers:detail", args=[error.code]) if expired
              else reverse("dossiers:mine"))
    response = render(request, "payments/link_refused.html", {
        "expired": expired, "hours": paylinks.MAX_AGE // paylinks.HOUR,
        "login_url": f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}",
    }, status=410 if expired else 404)
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    # The token in the address is a key to the page: never indexed (and never cached: the
    # views are never_cache).
    response["X-Robots-Tag"] = "noindex"
    return response


def _linked_dossier(token: str, *, grace: bool = False) -> Dossier:
    """The dossier a valid link names; ``paylinks.LinkExpired``/``LinkInvalid`` otherwise."""
    link = paylinks.read(token, grace=grace)
    dossier = (Dossier.objects.select_related("procedure", "agency", "fee")
               .filter(code=link.code).first())
    if dossier is None:
        raise paylinks.LinkInvalid
    return dossier


@require_http_methods(["GET", "POST"])
@never_cache
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The payment page a fee message's link opens, for whoever holds the link: the dossier's
    code, procedure, agency and amount, and the gateways; nothing about the applicant."""
    try:
        dossier = _linked_dossier(token)
    except (paylinks.LinkExpired, paylinks.LinkInvalid) as error:
        return _link_refused(request, error)
    fee = getattr(dossier, "fee", None)
    if request.method == "POST":
        payer = request.user if request.user.is_authenticated else None
        try:
            payment = services.start_payment(dossier, request.POST.get("provider", ""), payer)
        except services.PaymentError as exc:
            messages.error(request, exc.message)
            return redirect("payments:link", token=token)
        if payment.provider == Provider.VIETQR:
            return redirect("payments:link_transfer", token=token)
        return redirect(services.vnpay_redirect(
            payment, ip_address=_client_ip(request),
            return_url=request.build_absolute_uri(reverse("payments:link_return", args=[token])),
            locale="en" if get_language() == "en" else "vn"))
    return _private(render(request, "payments/link.html", {
        "dossier": dossier, "fee": fee, "token": token,
        "paid": fee is not None and fee.state == FeeState.PAID,
        "payable": fee is not None and fee.state == FeeState.DUE and fee.amount > 0,
        "vnpay": services.vnpay_configured(), "vietqr": services.vietqr_configured(),
    }))


@require_GET
@never_cache
def link_transfer(request: HttpRequest, token: str) -> HttpResponse:
    """The VietQR page of a link's dossier."""
    try:
        dossier = _linked_dossier(token, grace=True)
    except (paylinks.LinkExpired, paylinks.LinkInvalid) as error:
        return _link_refused(request, error)
    payment = (Payment.objects.filter(fee__dossier=dossier, provider=Provider.VIETQR,
                                      state=PaymentState.PENDING).first())
    if payment is None or not services.vietqr_configured():
        return redirect("payments:link", token=token)
    return _private(render(request, "payments/transfer.html", {
        **_transfer_context(dossier, payment),
        "back_url": reverse("payments:link", args=[token]), "qr_png_url": "",
    }))


@require_GET
@never_cache
def link_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where VNPay sends back a payer who came by a link: as ``vnpay_return``, for the link's
    dossier only."""
    try:
        dossier = _linked_dossier(token, grace=True)
    except (paylinks.LinkExpired, paylinks.LinkInvalid) as error:
        return _link_refused(request, error)
    payment, result = services.read_return(request.GET.dict())
    if payment is not None and payment.fee.dossier_id != dossier.pk:
        payment = None
    return _private(render(request, "payments/vnpay_return.html", {
        "payment": payment, "result": result, "dossier": dossier,
        "back_url": reverse("payments:link", args=[token]), "by_link": True,
    }, status=200 if payment is not None else 400))


# --- back office ---------------------------------------------------------------------------------


@login_required
@require_POST
def record_cash(request: HttpRequest, code: str) -> HttpResponse:
    dossier = get_object_or_404(access.agency_dossiers(request.user), code=code)
    try:  # as every money box reads it (core/numbers.py): 1.500.000, 1,500,000 đ
        amount = parse_money(request.POST.get("amount", ""))
    except NumberFormatError:
        amount = -1
    try:
        payment = services.record_cash(dossier, request.user, amount)
    except services.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã ghi nhận thu tiền mặt %(amount)s đồng, biên lai "
                                    "%(reference)s.") % {
            "amount": f"{payment.amount:,}".replace(",", "."), "reference": payment.reference})
    return redirect("backoffice:dossier", code=code)


@login_required
@require_POST
def set_fee(request: HttpRequest, code: str) -> HttpResponse:
    """The back office sets a fee the rules could not price («chưa công bố»)."""
    dossier = get_object_or_404(access.agency_dossiers(request.user), code=code)
    try:
        amount = parse_money(request.POST.get("amount", ""))
        services.set_unknown_fee(dossier, request.user, amount, request.POST.get("basis", ""))
    except NumberFormatError as exc:
        messages.error(request, str(exc))
    except services.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xác định mức thu %(amount)s đồng.") % {
            "amount": f"{amount:,}".replace(",", ".")})
    return redirect("backoffice:dossier", code=code)


def _statement_rows(content: bytes) -> tuple[list[services.TransferRecord], list[str]]:
    """The transfers of a CSV statement (UTF-8, header ``ma_giao_dich,ngay,so_tien,noi_dung,
    tai_khoan``); credits only. Errors name the line."""
    records, errors = [], []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("Tệp sao kê phải là CSV mã hóa UTF-8.")]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not set(STATEMENT_COLUMNS[:4]) <= set(reader.fieldnames):
        return [], [_("Dòng tiêu đề phải có các cột: %(columns)s.") % {
            "columns": ", ".join(STATEMENT_COLUMNS)}]
    for number, row in enumerate(reader, start=2):
        bank_id = (row.get("ma_giao_dich") or "").strip()
        raw_amount = (row.get("so_tien") or "").strip().replace(".", "").replace(",", "")
        if not bank_id or not raw_amount.lstrip("-").isdigit():
            errors.append(_("Dòng %(line)d: cần mã giao dịch và số tiền là số nguyên đồng.")
                          % {"line": number})
            continue
        amount = int(raw_amount)
        if amount <= 0:
            continue  # a debit: not a payment to us
        booked = None
        when = (row.get("ngay") or "").strip()
        for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S",
                        "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                booked = timezone.make_aware(datetime.strptime(when, pattern))
                break
            except ValueError:
                continue
        records.append(services.TransferRecord(
            bank_transaction=bank_id[:64], amount=amount,
            description=(row.get("noi_dung") or "")[:500],
            account=(row.get("tai_khoan") or "")[:40], booked_at=booked))
    return records, errors


@login_required
@require_http_methods(["GET", "POST"])
def reconcile(request: HttpRequest) -> HttpResponse:
    """An accountant uploads the collecting account's statement: every credit whose
    description carries a payment reference of their agency's dossiers pays it, once."""
    agencies = set(request.user.memberships.filter(role__in=STATEMENT_ROLES)
                   .values_list("agency_id", flat=True))
    if not agencies:
        raise Http404
    results, errors, status = [], [], 200
    if request.method == "POST":
        upload = request.FILES.get("statement")
        if upload is None:
            errors.append(_("Cần chọn tệp sao kê (CSV)."))
        elif upload.size > STATEMENT_MAX_BYTES:
            errors.append(_("Tệp sao kê tối đa 2 MB."))
        else:
            records, errors = _statement_rows(upload.read())
            results = [services.import_transfer(r, "statement", request.user, agencies)
                       for r in records]
        status = 400 if errors and not results else 200
    return render(request, "payments/reconcile.html", {
        "results": results, "errors": errors, "columns": ",".join(STATEMENT_COLUMNS),
    }, status=status)
