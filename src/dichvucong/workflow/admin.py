from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

from dichvucong.workflow.calendar_data import OverrideRow, year_calendar
from dichvucong.workflow.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("day", "weekday", "is_working", "agency", "reason", "legal_basis", "verified")
    list_filter = ("is_working", "verified", ("agency", admin.EmptyFieldListFilter))
    search_fields = ("reason", "legal_basis")
    date_hierarchy = "day"
    raw_id_fields = ("agency",)
    fields = ("day", "is_working", "agency", "reason", "legal_basis", "source", "verified")
    change_list_template = "admin/workflow/calendaroverride/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("thứ"))
    def weekday(self, obj: CalendarOverride) -> str:
        return format_date(obj.day, "l")

    def changelist_view(self, request, extra_context=None):
        extra = {"current_year": timezone.localdate().year, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self):
        own = [path("nam/<int:year>/", self.admin_site.admin_view(self.year_view),
                    name="workflow_calendaroverride_year")]
        return own + super().get_urls()

    def year_view(self, request, year: int):
        """Every day of ``year`` off on a weekday or worked on a weekend, with its act: the
        law's holidays, the announced swaps and the administrators' days (city-wide)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = CalendarOverride.objects.filter(Q(agency__isnull=True), day__year=year)
        overrides = [OverrideRow(id=r.pk, day=r.day, is_working=r.is_working, reason=r.reason,
                                 legal_basis=r.legal_basis, source=r.source,
                                 verified=r.verified) for r in rows]
        agency_days = CalendarOverride.objects.filter(agency__isnull=False, day__year=year) \
            .select_related("agency").order_by("day")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "year": year, "title": _("Lịch làm việc năm %(year)s")
            % {"year": year},
            "days": year_calendar(year, overrides),
            "agency_days": agency_days,
            "years": range(timezone.localdate().year - 2, timezone.localdate().year + 3),
            "can_change": self.has_change_permission(request),
            "can_add": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/workflow/calendaroverride/year.html", context)
