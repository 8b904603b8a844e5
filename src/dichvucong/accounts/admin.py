from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dichvucong.accounts.models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Dịch vụ công", {"fields": ("full_name", "phone")}))
    list_display = ("username", "full_name", "email", "is_staff")
    search_fields = ("username", "full_name", "email")
    inlines = [MembershipInline]
