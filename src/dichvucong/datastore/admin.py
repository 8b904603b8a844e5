"""Citizens' requests to delete personal data, answered by an administrator (the change is in
the admin log, so in the audit trail too)."""

from django.contrib import admin
from django.utils import timezone

from dichvucong.datastore.models import ErasureRequest, ErasureState


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "owner", "state", "handled_by", "handled_at")
    list_filter = ("state",)
    readonly_fields = ("owner", "what", "created_at", "handled_by", "handled_at")
    fields = ("owner", "created_at", "what", "state", "answer", "handled_by", "handled_at")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if obj.state != ErasureState.OPEN and obj.handled_at is None:
            obj.handled_by, obj.handled_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
