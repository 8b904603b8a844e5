"""Payments in the admin: read only. Money changes only through ``services.py``, which keeps the
audit trail; an administrator looks, never edits."""

from django.contrib import admin

from dichvucong.core.admin import ReadOnlyAdmin as ReadOnly
from dichvucong.payments.models import BankTransfer, DossierFee, Payment, PaymentEvent


@admin.register(DossierFee)
class DossierFeeAdmin(ReadOnly):
    list_display = ["dossier", "amount", "due", "state", "requested_at", "paid_at"]
    list_filter = ["state", "due"]
    search_fields = ["dossier__code"]


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    readonly_fields = ["from_state", "to_state", "source", "actor", "data", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["reference", "provider", "amount", "state", "provider_transaction",
                    "created_at", "paid_at"]
    list_filter = ["provider", "state"]
    search_fields = ["reference", "provider_transaction", "fee__dossier__code"]
    inlines = [PaymentEventInline]


@admin.register(BankTransfer)
class BankTransferAdmin(ReadOnly):
    list_display = ["bank_transaction", "amount", "outcome", "payment", "source", "created_at"]
    list_filter = ["outcome", "source"]
    search_fields = ["bank_transaction", "description"]
