from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dichvucong.nationalsync import outbox
from dichvucong.nationalsync.models import IntakeRecord, SyncRecord, SyncState


class StateFilter(admin.SimpleListFilter):
    """Failed records first: the list opens on what needs the operator."""

    title = _("tình trạng")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*SyncState.choices, ("all", _("Tất cả"))]

    def queryset(self, request, queryset):
        value = self.value() or SyncState.FAILED
        return queryset if value == "all" else queryset.filter(state=value)

    def choices(self, changelist):
        current = self.value() or SyncState.FAILED
        for value, label in self.lookup_choices:
            yield {"selected": current == str(value), "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: value})}


class ReadOnly(admin.ModelAdmin):
    """Rows the sync owns: shown, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SyncRecord)
class SyncRecordAdmin(ReadOnly):
    """For operators: records the national portal has not taken, with its answer, and a resend.
    Read-only otherwise: the worker owns the rows."""

    list_display = ["id", "dossier_code", "service", "state", "attempts", "last_error",
                    "created_at", "synced_at"]
    list_filter = [StateFilter, "service"]
    search_fields = ["dossier__code", "key"]
    readonly_fields = [f.name for f in SyncRecord._meta.fields]
    list_select_related = ["dossier"]
    actions = ["resend"]

    @admin.display(description=_("mã hồ sơ"), ordering="dossier__code")
    def dossier_code(self, obj: SyncRecord) -> str:
        return obj.dossier.code or ""

    @admin.action(description=_("Gửi lại các bản ghi lỗi đã chọn"), permissions=["resend"])
    def resend(self, request, queryset):
        count = outbox.resend(queryset.values_list("pk", flat=True))
        self.message_user(request, ngettext("Đã xếp %(n)d bản ghi để gửi lại.",
                                            "Đã xếp %(n)d bản ghi để gửi lại.", count)
                          % {"n": count}, messages.SUCCESS)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("nationalsync.change_syncrecord")


@admin.register(IntakeRecord)
class IntakeRecordAdmin(ReadOnly):
    """For operators: what the national portal handed over, and why a refused one was refused
    (the fields named). Read-only: the intake owns the rows."""

    list_display = ["sequence", "national_code", "dossier", "vneid_verified", "errors",
                    "created_at"]
    search_fields = ["national_code"]
    readonly_fields = [f.name for f in IntakeRecord._meta.fields]
    list_select_related = ["dossier"]
