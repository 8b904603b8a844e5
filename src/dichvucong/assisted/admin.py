"""The register, edited by the city's administrators in the Django admin."""

from django.contrib import admin

from dichvucong.assisted.models import (
    AccountHelp,
    DigitalTeam,
    Member,
    OutreachEvent,
    ServicePoint,
)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 1
    fields = ("full_name", "role", "position", "user", "joined_on", "left_on")
    raw_id_fields = ("user",)


@admin.register(DigitalTeam)
class DigitalTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "ward", "area", "founded_on", "dissolved_on")
    list_filter = ("ward",)
    search_fields = ("name", "area")
    inlines = [MemberInline]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "ward", "operator", "address")
    list_filter = ("kind", "ward")
    search_fields = ("name", "address")
    inlines = [MemberInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("full_name", "role", "team", "point", "user", "joined_on", "left_on")
    list_filter = ("role",)
    search_fields = ("full_name", "team__name", "point__name")
    raw_id_fields = ("user", "team", "point")


@admin.register(AccountHelp)
class AccountHelpAdmin(admin.ModelAdmin):
    list_display = ("day", "member", "kind", "people")
    list_filter = ("kind",)
    date_hierarchy = "day"
    raw_id_fields = ("member",)


@admin.register(OutreachEvent)
class OutreachEventAdmin(admin.ModelAdmin):
    list_display = ("title", "day", "ward", "place", "people_served", "dossiers_filed")
    list_filter = ("ward",)
    date_hierarchy = "day"
    filter_horizontal = ("teams",)
