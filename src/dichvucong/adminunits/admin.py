from django.contrib import admin

from dichvucong.adminunits.models import AdministrativeUnit


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "division_type", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
