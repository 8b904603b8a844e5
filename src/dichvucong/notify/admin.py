from django.contrib import admin

from dichvucong.notify.models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """For operators: what went out, how, and why not. Read-only: the worker owns the rows."""

    list_display = ["id", "event", "channel", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "event"]
    search_fields = ["dedupe_key", "dossier__code"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "phone", "language", "updated_at"]
    raw_id_fields = ["user"]
