from django.contrib import admin

from dichvucong.workflow.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("day", "is_working", "agency", "reason")
    list_filter = ("is_working",)
    raw_id_fields = ("agency",)
