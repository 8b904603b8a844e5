"""The payment operations: the only place that writes fees, payments and their audit trail.

Each operation is one transaction that locks the fee's row first, so two confirmations of the
same fee (two IPNs at the same moment, an IPN and a bank transfer) are ordered: the first pays,
the second finds the fee paid. The partial unique index on paid payments is the last guard.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import Role, User
from dichvucong.dossiers.lifecycle import Action
from dichvucong.dossiers.models import Dossier, DossierChannel, DossierEvent
from dichvucong.payments import fees, paylinks, vietqr, vnpay
from dichvucong.payments.fees import Due
from dichvucong.payments.models import (
    BankTransfer,
    DossierFee,
    FeeState,
    Payment,
    PaymentEvent,
    PaymentState,
    Provider,
    TransferOutcome,
)

log = logging.getLogger(__name__)

FEE_REQUESTED = "fee_requested"
PAYMENT_CONFIRMED = "payment_confirmed"
# Crockford's base 32: no I, L, O, U, so a reference read aloud or retyped stays right.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "DVC"
REFERENCE_PATTERN = re.compile(rf"{REFERENCE_PREFIX}\d{{6}}[{REFERENCE_ALPHABET}]{{6}}")
CASH_ROLES = (Role.RECEPTION_OFFICER,)


class PaymentError(Exception):
    """A payment operation refused, with a message for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the fee -------------------------------------------------------------------------------------


def quote_for(dossier: Dossier, *, on: datetime | None = None) -> fees.FeeQuote:
    """The fee the rules give for ``dossier`` as it stands (its procedure version, channel,
    applicant and form), on the day it was (or is being) submitted."""
    definition = dossier.procedure_version.parsed()
    moment = on or dossier.submitted_at or dossier.received_at or timezone.now()
    return fees.quote(definition.fees, fees.Applicant(
        online=DossierChannel(dossier.channel).is_online, applicant_type=dossier.applicant_type,
        form_data=dossier.form_data or {}, submitted_on=timezone.localdate(moment),
    ))


def preview_quote(definition, *, online: bool = True, form_data: dict | None = None,
                  applicant_type: str = "citizen") -> fees.FeeQuote:
    """The fee shown before submitting: what the rules give today for these answers."""
    return fees.quote(definition.fees, fees.Applicant(
        online=online, applicant_type=applicant_type, form_data=form_data or {},
        submitted_on=timezone.localdate()))


def _event(dossier: Dossier, action: str, actor: User | None, role: str,
           data: dict[str, Any], note: str = "") -> DossierEvent:
    # The dossier's state does not change: from and to are both its current state.
    return DossierEvent.objects.create(
        dossier=dossier, action=action, from_state=dossier.state, to_state=dossier.state,
        actor=actor, actor_role=role, note=note, data=data)


# No savepoint: the filing's (or the event's) transaction is enough, and a filing pays for
# each savepoint in statements.
@transaction.atomic(savepoint=False)
def record_fee(dossier: Dossier, quote: fees.FeeQuote | None = None, *,
               new: bool = False) -> DossierFee:
    """Keep the dossier's fee as the rules give it now (``quote``: as the filing just priced
    it, ``dossiers.submission.quote_fee``); once (later calls return it). ``new``: the dossier
    was inserted in this transaction, so it has no fee yet (not looked for)."""
    # The fee kept a moment ago on this very object (the filing, then its event): not re-read.
    existing = dossier._state.fields_cache.get("fee")
    if existing is None and not new:
        existing = DossierFee.objects.filter(dossier=dossier).first()
    if existing is not None:
        return existing
    result = quote if quote is not None else quote_for(dossier)
    quote_json = result.to_json()
    if dossier.fee_amount and dossier.fee_amount != result.total:
        # An amount the dossier already carries (set on submission, or brought by a dossier
        # synced from the National Portal) stands; it is then one line of its own.
        quote_json = {**quote_json, "total": dossier.fee_amount, "lines": [{
            "name": "Phí, lệ phí", "unit_amount": dossier.fee_amount, "quantity": 1,
            "amount": dossier.fee_amount, "exempt_reason": "", "reduction": 0,
            "reduction_basis": ""}]}
    elif dossier.fee_amount != result.total:
        Dossier.objects.filter(pk=dossier.pk).update(fee_amount=result.total)
        dossier.fee_amount = result.total
    return DossierFee.objects.create(dossier=dossier, amount=quote_json["total"],
                                     quote=quote_json, due=result.due.value)


@transaction.atomic
def request_fee(dossier: Dossier, actor: User | None = None, role: str = "system"
                ) -> DossierFee | None:
    """Ask for the fee: it becomes due, and the dossier's history says so (the notification
    outbox listens to that event). Nothing when the fee is nothing or already asked for."""
    fee = DossierFee.objects.select_for_update().filter(dossier=dossier).first()
    if fee is None:
        record_fee(dossier)
        fee = DossierFee.objects.select_for_update().get(dossier=dossier)
    if fee.amount == 0 or fee.state != FeeState.QUOTED:
        return fee
    fee.state = FeeState.DUE
    fee.requested_at = timezone.now()
    fee.save(update_fields=["state", "requested_at"])
    transfer = _vietqr_payment(fee) if vietqr_configured() else None
    data = {"amount": fee.amount, "reference": transfer.reference if transfer else dossier.code,
            "due": fee.due}
    if dossier.code:  # the fee message carries a link to pay without logging in
        data["pay_link"] = paylinks.pay_path(dossier.code)
        data["pay_link_hours"] = str(paylinks.MAX_AGE // paylinks.HOUR)
    _event(dossier, FEE_REQUESTED, actor, role, data)
    return fee


# --- payments ------------------------------------------------------------------------------------


def new_reference(now: datetime | None = None) -> str:
    """DVC + yyMMdd + six random characters: unique per attempt (the column is unique, and
    VNPay asks for a reference unique per day), short enough for a transfer's description."""
    day = timezone.localtime(now or timezone.now())
    tail = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{REFERENCE_PREFIX}{day:%y%m%d}{tail}"


def _audit(payment: Payment, source: str, before: str, actor: User | None = None,
           data: dict[str, Any] | None = None) -> None:
    PaymentEvent.objects.create(payment=payment, from_state=before, to_state=payment.state,
                                source=source, actor=actor, data=data or {})


def _create_payment(fee: DossierFee, provider: str, **fields) -> Payment:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                payment = Payment.objects.create(fee=fee, reference=new_reference(),
                                                 provider=provider, amount=fee.amount, **fields)
                _audit(payment, "start", "", fields.get("payer") or fields.get("recorded_by"))
                return payment
        except IntegrityError:
            continue  # a reference drawn twice: draw again
    raise PaymentError(_("Không tạo được mã thanh toán, xin thử lại."))


def _payable_fee(dossier: Dossier) -> DossierFee:
    fee = DossierFee.objects.select_for_update().filter(dossier=dossier).first()
    if fee is None or fee.state != FeeState.DUE:
        if fee is not None and fee.state == FeeState.PAID:
            raise PaymentError(_("Phí, lệ phí của hồ sơ này đã được nộp."))
        raise PaymentError(_("Hồ sơ này chưa có khoản phí, lệ phí cần nộp."))
    return fee


@transaction.atomic
def start_payment(dossier: Dossier, provider: str, payer: User | None) -> Payment:
    """A new attempt to pay the dossier's due fee online."""
    if provider not in (Provider.VNPAY, Provider.VIETQR):
        raise PaymentError(_("Hình thức thanh toán không hợp lệ."))
    fee = _payable_fee(dossier)
    if provider == Provider.VIETQR:
        if not vietqr_configured():
            raise PaymentError(_("Tài khoản nhận chuyển khoản chưa được cấu hình."))
        return _vietqr_payment(fee, payer)
    if not vnpay_configured():
        raise PaymentError(_("Cổng thanh toán VNPay chưa được cấu hình."))
    return _create_payment(fee, Provider.VNPAY, payer=payer)


def _vietqr_payment(fee: DossierFee, payer: User | None = None) -> Payment:
    """One pending transfer reference per fee: the QR a citizen saved stays valid."""
    pending = fee.payments.filter(provider=Provider.VIETQR, state=PaymentState.PENDING).first()
    return pending or _create_payment(fee, Provider.VIETQR, payer=payer)


@dataclass
class Confirmation:
    payment: Payment
    newly_paid: bool


def _confirm(payment_id: int, source: str, *, actor: User | None = None,
             transaction_no: str = "", bank_code: str = "", response_code: str = "",
             data: dict[str, Any] | None = None) -> Confirmation:
    """Mark a pending payment paid, and its fee with it. Caller holds a transaction."""
    payment = Payment.objects.select_related("fee").get(pk=payment_id)
    fee = DossierFee.objects.select_for_update().get(pk=payment.fee_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)  # fresh, after the fee lock
    if payment.state != PaymentState.PENDING:
        return Confirmation(payment, False)
    before = payment.state
    payment.provider_transaction = transaction_no[:64]
    payment.bank_code = bank_code[:20]
    payment.response_code = response_code[:4]
    payment.paid_at = timezone.now()
    if fee.state == FeeState.PAID:
        # Money came in for a fee already paid another way: kept and flagged for a refund,
        # never counted as a second payment of the fee.
        payment.state = PaymentState.DUPLICATE
        payment.save()
        _audit(payment, source, before, actor, {**(data or {}), "refund": True})
        return Confirmation(payment, False)
    payment.state = PaymentState.PAID
    payment.save()
    fee.state = FeeState.PAID
    fee.paid_at = payment.paid_at
    fee.save(update_fields=["state", "paid_at"])
    _audit(payment, source, before, actor, data)
    dossier = Dossier.objects.get(pk=fee.dossier_id)
    _event(dossier, PAYMENT_CONFIRMED, actor,
           "reception_officer" if payment.provider == Provider.CASH else "system",
           {"amount": payment.amount, "reference": payment.reference,
            "provider": payment.provider})
    return Confirmation(payment, True)


def _fail(payment: Payment, source: str, response_code: str, data: dict[str, Any]) -> None:
    before = payment.state
    payment.state = PaymentState.FAILED
    payment.response_code = response_code[:4]
    payment.save(update_fields=["state", "response_code", "updated_at"])
    _audit(payment, source, before, None, data)


# --- VNPay ---------------------------------------------------------------------------------------


def vnpay_merchant() -> vnpay.Merchant:
    return vnpay.Merchant(tmn_code=settings.VNPAY_TMN_CODE,
                          hash_secret=settings.VNPAY_HASH_SECRET, pay_url=settings.VNPAY_URL)


def vnpay_configured() -> bool:
    return bool(settings.VNPAY_TMN_CODE and settings.VNPAY_HASH_SECRET and settings.VNPAY_URL)


def vnpay_redirect(payment: Payment, *, return_url: str, ip_address: str,
                   locale: str = "vn") -> str:
    dossier = payment.fee.dossier
    return vnpay.payment_url(
        vnpay_merchant(), reference=payment.reference, amount=payment.amount,
        order_info=f"Thanh toan phi le phi ho so {dossier.code} ma {payment.reference}",
        return_url=return_url, ip_address=ip_address, created=payment.created_at, locale=locale)


def _vnpay_data(params: dict[str, str]) -> dict[str, str]:
    keep = ("vnp_Amount", "vnp_BankCode", "vnp_BankTranNo", "vnp_CardType", "vnp_PayDate",
            "vnp_ResponseCode", "vnp_TransactionNo", "vnp_TransactionStatus")
    return {k: params[k] for k in keep if k in params}


def handle_ipn(params: dict[str, str]) -> dict[str, str]:
    """VNPay's server-to-server notification: the only VNPay message that changes a payment.
    Checks in VNPay's order — signature, order, amount, still pending — then records it. An
    attempt past its vnp_ExpireDate is still pending here: VNPay notifies a payment begun in
    time, and retries, after the deadline, and that money must not be lost."""
    try:
        if not vnpay.verify(params, settings.VNPAY_HASH_SECRET):
            return vnpay.IPN_INVALID_SIGNATURE
        result = vnpay.read_result(params)
        with transaction.atomic():
            payment = (Payment.objects.select_for_update()
                       .filter(reference=result.reference, provider=Provider.VNPAY).first())
            if payment is None:
                return vnpay.IPN_ORDER_NOT_FOUND
            if not result.amount_x100.isdigit() or int(result.amount_x100) != payment.amount * 100:
                return vnpay.IPN_INVALID_AMOUNT
            if payment.state != PaymentState.PENDING:
                return vnpay.IPN_ALREADY_CONFIRMED
            data: dict[str, Any] = dict(_vnpay_data(params))
            if payment.is_expired():
                # Paid (or refused) at the gateway before its deadline, notified after: the
                # money is recorded all the same; the trail says it came late.
                data["after_expiry"] = True
            if result.succeeded:
                outcome = _confirm(payment.pk, "ipn", transaction_no=result.transaction_no,
                                   bank_code=result.bank_code,
                                   response_code=result.response_code, data=data)
                if not outcome.newly_paid and outcome.payment.state == PaymentState.PAID:
                    return vnpay.IPN_ALREADY_CONFIRMED
            else:
                _fail(payment, "ipn", result.response_code, data)
        return vnpay.IPN_SUCCESS
    except Exception:
        log.exception("VNPay IPN could not be processed")
        return vnpay.IPN_UNKNOWN


def read_return(params: dict[str, str]) -> tuple[Payment | None, vnpay.Result | None]:
    """The browser's return from VNPay: shown to the citizen, never trusted to change
    anything (the IPN does). A bad signature gives no result."""
    if not vnpay.verify(params, settings.VNPAY_HASH_SECRET):
        return None, None
    result = vnpay.read_result(params)
    payment = (Payment.objects.select_related("fee__dossier")
               .filter(reference=result.reference, provider=Provider.VNPAY).first())
    return payment, result


# --- cash at the counter -------------------------------------------------------------------------


def may_record_cash(user: User, dossier: Dossier) -> bool:
    return user.memberships.filter(agency_id=dossier.agency_id, role__in=CASH_ROLES).exists()


@transaction.atomic
def record_cash(dossier: Dossier, officer: User, amount: int) -> Payment:
    """A reception officer of the dossier's agency took the fee in cash."""
    if not may_record_cash(officer, dossier):
        raise PaymentError(_("Chỉ cán bộ một cửa của cơ quan tiếp nhận hồ sơ mới được thu "
                             "tiền mặt."))
    fee = _payable_fee(dossier)
    if amount != fee.amount:
        raise PaymentError(_("Số tiền thu phải đúng %(amount)s đồng.") % {
            "amount": f"{fee.amount:,}".replace(",", ".")})
    payment = _create_payment(fee, Provider.CASH, recorded_by=officer)
    _confirm(payment.pk, "cash", actor=officer)
    payment.refresh_from_db()
    return payment


FEE_SET = "fee_set"

# The lifecycle action at which a fee due at each moment is asked for (signals.py applies it to
# each event; set_unknown_fee when an officer sets an amount after its moment).
REQUEST_AT = {
    Action.submit.value: {Due.submission},
    Action.enter_walk_in.value: {Due.submission, Due.reception},
    Action.receive.value: {Due.reception},
    Action.issue_result.value: {Due.return_},
}
RECORD_AT = {Action.submit.value, Action.enter_walk_in.value}


def follow_event(event: DossierEvent) -> None:
    """The fee follows the dossier's lifecycle (``pipeline/steps.py``, in the event's
    transaction: the citizen sees the fee at once): kept when the dossier is filed, asked for at
    the moment the procedure names."""
    if event.action not in REQUEST_AT:
        return
    dossier = event.dossier
    if event.action in RECORD_AT:
        fee = record_fee(dossier)
    else:
        fee = dossier.fee if hasattr(dossier, "fee") else record_fee(dossier)
    if fee.amount and Due(fee.due) in REQUEST_AT[event.action]:
        request_fee(dossier, event.actor, event.actor_role or "system")


@transaction.atomic
def set_unknown_fee(dossier: Dossier, officer: User, amount: int, basis: str) -> DossierFee:
    """A reception officer of the dossier's agency sets the amount the rules could not (a fee
    «chưa công bố»), citing the text it comes from; the fee is then asked for if its moment has
    passed. Until then nothing is due for it."""
    if not may_record_cash(officer, dossier):
        raise PaymentError(_("Chỉ cán bộ một cửa của cơ quan tiếp nhận hồ sơ mới được xác định "
                             "mức thu."))
    fee = DossierFee.objects.select_for_update().filter(dossier=dossier).first()
    lines = list((fee.quote or {}).get("lines", [])) if fee else []
    unknown = [i for i, line in enumerate(lines) if line.get("unknown")]
    if fee is None or fee.state != FeeState.QUOTED or not unknown:
        raise PaymentError(_("Hồ sơ này không có khoản phí, lệ phí chưa công bố mức thu."))
    basis = " ".join((basis or "").split())
    if amount < 0 or not basis:
        raise PaymentError(_("Ghi số tiền (đồng) và văn bản quy định mức thu."))
    # The amount covers what was unknown: the first unknown line carries it, any other is
    # settled at nothing.
    for index in unknown:
        lines[index] = {**lines[index], "unknown": False, "set_basis": basis,
                        "amount": amount if index == unknown[0] else 0}
    fee.amount += amount
    fee.quote = {**fee.quote, "lines": lines, "total": fee.amount}
    fee.save(update_fields=["amount", "quote"])
    Dossier.objects.filter(pk=dossier.pk).update(fee_amount=fee.amount)
    dossier.fee_amount = fee.amount
    _event(dossier, FEE_SET, officer, "reception_officer", {"amount": amount, "basis": basis})
    moments = [action for action, dues in REQUEST_AT.items() if Due(fee.due) in dues]
    if fee.amount and DossierEvent.objects.filter(dossier=dossier, action__in=moments).exists():
        return request_fee(dossier, officer, "reception_officer") or fee
    return fee


# --- VietQR and bank transfers -------------------------------------------------------------------


def vietqr_configured() -> bool:
    return bool(settings.VIETQR_BANK_BIN and settings.VIETQR_ACCOUNT)


def vietqr_payload(payment: Payment) -> str:
    return vietqr.build(bank_bin=settings.VIETQR_BANK_BIN, account=settings.VIETQR_ACCOUNT,
                        amount=payment.amount, purpose=payment.reference)


def find_reference(description: str) -> str | None:
    """The payment reference in a transfer's description. Banks upper-case, drop spaces and
    punctuation, or prepend their own text, so the search ignores all of that."""
    squeezed = re.sub(r"[^0-9A-Z]", "", description.upper())
    match = REFERENCE_PATTERN.search(squeezed)
    return match.group(0) if match else None


@dataclass(frozen=True)
class TransferRecord:
    bank_transaction: str
    amount: int
    description: str
    account: str = ""
    booked_at: datetime | None = None


@dataclass
class ImportResult:
    transfer: BankTransfer
    created: bool


def import_transfer(record: TransferRecord, source: str, user: User | None = None,
                    agencies=None) -> ImportResult:
    """Reconcile one incoming transfer: find the reference, check the amount, pay once.
    ``agencies`` limits which dossiers an accountant's statement may pay (None: any, for the
    bank's own webhook). Importing the same bank transaction again changes nothing."""
    try:
        return _import_transfer(record, source, user, agencies)
    except IntegrityError:
        # The same transaction imported at the same moment by another request: theirs stands.
        existing = BankTransfer.objects.filter(bank_transaction=record.bank_transaction).first()
        if existing is None:
            raise
        return ImportResult(existing, False)


def _import_transfer(record: TransferRecord, source: str, user: User | None,
                     agencies) -> ImportResult:
    with transaction.atomic():
        existing = BankTransfer.objects.filter(bank_transaction=record.bank_transaction).first()
        if existing is not None:
            return ImportResult(existing, False)
        reference = find_reference(record.description)
        payment = None
        outcome = TransferOutcome.NO_REFERENCE
        if reference:
            payment = (Payment.objects.select_related("fee__dossier")
                       .filter(reference=reference, provider=Provider.VIETQR).first())
        if payment is None:
            outcome = TransferOutcome.NO_REFERENCE
        elif agencies is not None and payment.fee.dossier.agency_id not in agencies:
            outcome, payment = TransferOutcome.NOT_ALLOWED, None
        elif record.amount != payment.amount:
            outcome = TransferOutcome.WRONG_AMOUNT
        else:
            confirmed = _confirm(payment.pk, "bank_transfer", actor=user,
                                 transaction_no=record.bank_transaction,
                                 data={"description": record.description[:200],
                                       "source": source})
            outcome = (TransferOutcome.MATCHED if confirmed.newly_paid
                       else TransferOutcome.ALREADY_PAID)
        transfer = BankTransfer.objects.create(
            bank_transaction=record.bank_transaction, amount=record.amount,
            description=record.description[:500], account=record.account[:40],
            booked_at=record.booked_at, outcome=outcome, payment=payment, source=source,
            imported_by=user)
        return ImportResult(transfer, True)
