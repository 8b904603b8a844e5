"""A dossier's fee, the payment attempts against it, their audit trail, and the bank transfers
imported to reconcile VietQR payments.

Money must never be lost nor taken twice, and the database enforces it: a fee has at most one
paid payment (a partial unique index), a merchant reference names exactly one attempt, a
provider's transaction number is recorded once, and a bank transfer is imported once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dichvucong.payments import vnpay


class Provider(models.TextChoices):
    VNPAY = "vnpay", _("VNPay")
    VIETQR = "vietqr", _("Chuyển khoản VietQR")
    CASH = "cash", _("Tiền mặt tại bộ phận một cửa")


class FeeState(models.TextChoices):
    QUOTED = "quoted", _("Chưa đến hạn nộp")
    DUE = "due", _("Chờ nộp phí")
    PAID = "paid", _("Đã nộp phí")


class PaymentState(models.TextChoices):
    PENDING = "pending", _("Đang chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Không thành công")
    DUPLICATE = "duplicate", _("Nộp trùng, chờ hoàn trả")


# Not a stored state: a pending VNPay attempt past its vnp_ExpireDate (``vnpay.expired``). It
# stays pending in the database, so a late IPN for a payment begun in time still records it.
EXPIRED = "expired"
EXPIRED_LABEL = _("Hết hạn chờ thanh toán")


class DossierFee(models.Model):
    """What a dossier owes, computed by ``fees.py`` when it was submitted (or entered at the
    counter) and kept: later changes of the procedure's fees do not touch it."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE,
                                   related_name="fee", verbose_name=_("hồ sơ"))
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    quote = models.JSONField(_("chi tiết"), default=dict)
    due = models.CharField(pgettext_lazy("fee", "thời điểm nộp"), max_length=12)
    state = models.CharField(_("trạng thái"), max_length=10, choices=FeeState.choices,
                             default=FeeState.QUOTED)
    requested_at = models.DateTimeField(_("thời điểm yêu cầu nộp"), null=True, blank=True)
    paid_at = models.DateTimeField(_("thời điểm nộp xong"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phí, lệ phí của hồ sơ")
        verbose_name_plural = _("phí, lệ phí của hồ sơ")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.amount} đ ({self.state})"


class Payment(models.Model):
    """One attempt to pay a fee, through one provider, under its own merchant reference."""

    fee = models.ForeignKey(DossierFee, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("mã thanh toán"), max_length=20, unique=True)
    provider = models.CharField(_("hình thức"), max_length=10, choices=Provider.choices)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    state = models.CharField(_("trạng thái"), max_length=10, choices=PaymentState.choices,
                             default=PaymentState.PENDING)
    provider_transaction = models.CharField(_("mã giao dịch của đơn vị thanh toán"),
                                            max_length=64, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    payer = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("người thanh toán"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("cán bộ thu"))
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fee"], condition=Q(state="paid"),
                                    name="one_paid_payment_per_fee"),
            models.UniqueConstraint(fields=["provider", "provider_transaction"],
                                    condition=~Q(provider_transaction=""),
                                    name="provider_transaction_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} đ ({self.state})"

    @property
    def expires_at(self) -> datetime | None:
        """Until when the payer can pay this attempt: VNPay's vnp_ExpireDate; None for the
        others (a VietQR reference stays valid, cash is paid at once)."""
        if self.provider != Provider.VNPAY or self.created_at is None:
            return None
        return vnpay.expire_date(self.created_at)

    def is_expired(self, now: datetime | None = None) -> bool:
        """Pending, and the gateway no longer takes it: abandoned, not open."""
        return (self.state == PaymentState.PENDING and self.expires_at is not None
                and vnpay.expired(self.created_at, now or timezone.now()))

    @property
    def status(self) -> str:
        """The state as shown: ``expired`` for an abandoned VNPay attempt."""
        return EXPIRED if self.is_expired() else self.state

    @property
    def status_label(self) -> str:
        return str(EXPIRED_LABEL) if self.is_expired() else self.get_state_display()


class PaymentEvent(models.Model):
    """The audit trail: every change of a payment's state, who or what caused it, and what the
    provider said (never card data: VNPay sends none)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    source = models.CharField(max_length=20)  # start, ipn, return, cash, bank_transfer
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_state} → {self.to_state} ({self.source})"


class TransferOutcome(models.TextChoices):
    MATCHED = "matched", _("Đã đối soát, ghi nhận thanh toán")
    NO_REFERENCE = "no_reference", _("Không có mã thanh toán hợp lệ")
    WRONG_AMOUNT = "wrong_amount", _("Sai số tiền")
    ALREADY_PAID = "already_paid", _("Phí đã được nộp trước đó")
    NOT_ALLOWED = "not_allowed", _("Thuộc cơ quan khác")


class BankTransfer(models.Model):
    """An incoming transfer to the collecting account, from the bank's webhook or an
    accountant's statement; imported once per bank transaction id."""

    bank_transaction = models.CharField(_("mã giao dịch ngân hàng"), max_length=64, unique=True)
    amount = models.BigIntegerField(_("số tiền (đồng)"))
    description = models.CharField(_("nội dung chuyển khoản"), max_length=500)
    account = models.CharField(_("tài khoản nhận"), max_length=40, blank=True)
    booked_at = models.DateTimeField(_("thời điểm ghi có"), null=True, blank=True)
    outcome = models.CharField(_("kết quả đối soát"), max_length=15,
                               choices=TransferOutcome.choices)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="transfers")
    source = models.CharField(max_length=10)  # webhook, statement
    imported_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giao dịch chuyển khoản đến")
        verbose_name_plural = _("giao dịch chuyển khoản đến")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.bank_transaction} {self.amount} đ ({self.outcome})"
