"""/quan-tri/pipeline/pipelineentry/: for operators, what the worker still owes and which steps
keep failing (a failing step is retried with backoff up to an hour apart, for ever: someone must
look at the error in the log and fix its cause), with «Thử lại ngay» once it is fixed."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dichvucong.core.admin import ReadOnlyAdmin
from dichvucong.pipeline.models import PipelineEntry


class FailingFilter(admin.SimpleListFilter):
    title = _("tình trạng")
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", _("Có bước bị lỗi")), ("no", _("Đang chờ, chưa lỗi"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(failures={})
        if self.value() == "no":
            return queryset.filter(failures={})
        return queryset


@admin.register(PipelineEntry)
class PipelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "dossier_id", "pending", "failing_steps", "created_at",
                    "next_attempt_at", "lease_until"]
    list_filter = [FailingFilter, "kind"]
    search_fields = ["=dossier_id"]
    ordering = ["id"]
    actions = ["retry_now"]
    show_full_result_count = False  # a count of a long outbox is a full scan

    @admin.display(description=_("Bước lỗi (số lần, lỗi)"))
    def failing_steps(self, entry: PipelineEntry) -> str:
        return "; ".join(f"{name}: {f.get('attempts', 0)} × {f.get('error', '')}"
                         for name, f in sorted(entry.failures.items()))

    @admin.action(description=_("Thử lại ngay các mục đã chọn"),
                  permissions=["view"])
    def retry_now(self, request, queryset: QuerySet[PipelineEntry]) -> None:
        # Only the time of the next attempt moves: the worker takes the entries on its next
        # round, each step still at most once (``pending`` is untouched).
        moved = queryset.update(next_attempt_at=timezone.now())
        messages.success(request, ngettext("Sẽ thử lại %(n)s mục ở lượt sau của tiến trình nền.",
                                           "Sẽ thử lại %(n)s mục ở lượt sau của tiến trình nền.",
                                           moved) % {"n": moved})
