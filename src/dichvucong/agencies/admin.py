from django.contrib import admin

from dichvucong.agencies.models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "level", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ["parent"]
    raw_id_fields = ["administrative_unit"]
