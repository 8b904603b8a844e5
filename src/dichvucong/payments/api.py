"""Payment endpoints of the JSON API (/api/v1/payments…).

A citizen reads the fee and payments of their own dossiers and starts a payment (the portal's
session and CSRF token, as the pages); officials read their agency's. The bank's transfer
webhook authenticates by signature instead: ``X-Signature`` is the lowercase hex HMAC-SHA256 of
the raw request body under ``BANK_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from dichvucong.core.apidoc import Problem
from dichvucong.dossiers import access
from dichvucong.dossiers.models import Dossier
from dichvucong.payments import services
from dichvucong.payments.models import DossierFee, Payment, Provider

router = Router(tags=["payments"])


class FeeLineOut(Schema):
    name: str
    unit_amount: int
    quantity: int
    amount: int
    exempt_reason: str = ""
    reduction: int = 0
    reduction_basis: str = ""
    pages: int = Field(0, description="per_page fees: the pages of one copy (unit_amount is "
                                      "then one copy's amount, quantity the copies)")
    unknown: bool = Field(False, description="the amount is not published yet (amount 0, not "
                                             "asked for): «chưa công bố»")
    set_by: str = Field("", description="with unknown: the authority that sets the amount")


class PaymentOut(Schema):
    reference: str
    provider: str
    amount: int
    state: str = Field(description="pending, paid, failed, duplicate (paid twice, to refund), "
                       "or expired (pending past expires_at: no longer payable)")
    provider_transaction: str
    created_at: datetime
    expires_at: datetime | None = Field(None, description="VNPay: the gateway's deadline")
    paid_at: datetime | None
    receipt_url: str | None = Field(None, description="PDF receipt, once paid")


class FeeOut(Schema):
    dossier_code: str
    amount: int = Field(description="VND, whole đồng")
    state: str = Field(description="quoted (not yet due), due, paid")
    due: str = Field(description="when it is due: submission, reception or return")
    lines: list[FeeLineOut]
    payments: list[PaymentOut]


class StartIn(Schema):
    provider: str = Field(description="vnpay or vietqr")


class StartOut(PaymentOut):
    redirect_url: str | None = Field(None, description="VNPay: send the browser here")
    vietqr: str | None = Field(None, description="VietQR: the EMVCo payload to show as a QR")
    qr_png_url: str | None = None



class TransferIn(Schema):
    id: str = Field(description="the bank's transaction id; a repeated id is ignored")
    amount: int = Field(description="credited amount, VND")
    description: str = Field(description="the transfer's description (nội dung)")
    account: str = ""
    booked_at: datetime | None = None


class TransfersIn(Schema):
    transactions: list[TransferIn]


class TransferResultOut(Schema):
    id: str
    outcome: str = Field(description="matched, no_reference, wrong_amount, already_paid")
    reference: str | None
    new: bool


def _payment_out(payment: Payment) -> dict:
    return {
        "reference": payment.reference, "provider": payment.provider, "amount": payment.amount,
        "state": payment.status, "provider_transaction": payment.provider_transaction,
        "created_at": payment.created_at, "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
        "receipt_url": reverse("payments:receipt", args=[payment.reference])
        if payment.state == "paid" else None,
    }


def _visible(user) -> Q:
    return Q(pk__in=access.own_dossiers(user).values("pk")) | Q(
        pk__in=access.agency_dossiers(user).values("pk"))


@router.get("/dossiers/{code}", response={200: FeeOut, 404: Problem}, auth=django_auth,
            summary="The fee of a dossier and its payments")
def dossier_fee(request: HttpRequest, code: str):
    dossier = get_object_or_404(Dossier.objects.filter(_visible(request.user)), code=code)
    fee = DossierFee.objects.filter(dossier=dossier).first()
    if fee is None:
        return Status(404, {"detail": "Hồ sơ này không có khoản phí, lệ phí."})
    return {"dossier_code": dossier.code, "amount": fee.amount, "state": fee.state,
            "due": fee.due, "lines": (fee.quote or {}).get("lines", []),
            "payments": [_payment_out(p) for p in fee.payments.all()]}


@router.post("/dossiers/{code}", response={201: StartOut, 409: Problem}, auth=django_auth,
             summary="Start paying a dossier's due fee (VNPay or VietQR)")
def start(request: HttpRequest, code: str, body: StartIn):
    dossier = get_object_or_404(access.own_dossiers(request.user), code=code)
    try:
        payment = services.start_payment(dossier, body.provider, request.user)
    except services.PaymentError as exc:
        return Status(409, {"detail": exc.message})
    out = _payment_out(payment)
    if payment.provider == Provider.VNPAY:
        out["redirect_url"] = services.vnpay_redirect(
            payment, return_url=request.build_absolute_uri(reverse("payments:vnpay_return")),
            ip_address=request.META.get("REMOTE_ADDR", ""))
    else:
        out["vietqr"] = services.vietqr_payload(payment)
        out["qr_png_url"] = reverse("payments:transfer_qr", args=[payment.reference])
    return Status(201, out)


@router.post("/bank-transfers", response={200: list[TransferResultOut], 401: Problem},
             auth=None, summary="The bank's webhook: incoming transfers to reconcile",
             description="Signed with `X-Signature: hex(HMAC-SHA256(BANK_WEBHOOK_SECRET, "
                         "body))`. Each credit whose description carries a payment reference "
                         "(DVCyyMMddXXXXXX) and the exact amount pays that payment once.")
def bank_transfers(request: HttpRequest, body: TransfersIn):
    secret = settings.BANK_WEBHOOK_SECRET
    given = request.headers.get("X-Signature", "").lower()
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest() if secret else ""
    if not secret or not hmac.compare_digest(given, expected):
        raise HttpError(401, "Chữ ký không hợp lệ.")
    results = []
    for item in body.transactions:
        if item.amount <= 0:
            continue
        imported = services.import_transfer(services.TransferRecord(
            bank_transaction=item.id[:64], amount=item.amount, description=item.description,
            account=item.account, booked_at=item.booked_at), "webhook")
        transfer = imported.transfer
        results.append({"id": transfer.bank_transaction, "outcome": transfer.outcome,
                        "reference": transfer.payment.reference if transfer.payment else None,
                        "new": imported.created})
    return results


@router.get("/{reference}", response=PaymentOut, auth=django_auth, summary="One payment")
def payment_detail(request: HttpRequest, reference: str):
    payment = get_object_or_404(
        Payment.objects.filter(fee__dossier__in=Dossier.objects.filter(_visible(request.user))),
        reference=reference)
    return _payment_out(payment)
