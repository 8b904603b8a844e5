from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dichvucong.accounts.forms import AdminLoginForm
from dichvucong.accounts.models import Membership, Organisation, OrganisationMember, User

admin.site.login_form = AdminLoginForm  # the same wrong-password limits as the portal's login


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Dịch vụ công", {"fields": (
        "full_name", "phone", "phone_verified", "email_verified", "id_number",
        "id_number_verified", "date_of_birth", "gender", "address")}))
    list_display = ("username", "full_name", "email", "phone", "is_staff")
    search_fields = ("username", "full_name", "email", "phone")
    inlines = [MembershipInline]


class OrganisationMemberInline(admin.TabularInline):
    model = OrganisationMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "created_at")
    search_fields = ("name", "tax_code")
    inlines = [OrganisationMemberInline]
