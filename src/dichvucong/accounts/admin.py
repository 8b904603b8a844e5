from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dichvucong.accounts.forms import AdminLoginForm
from dichvucong.accounts.models import Membership, Organisation, OrganisationMember, User
from dichvucong.core import audit

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

    # Deleting an account is the lawful erasure of its person's data (a handled «yêu cầu xoá
    # dữ liệu cá nhân»): the access history and log entries that go with it are recorded in the
    # audit chain as erased by this administrator, so the verifier does not report them.
    def delete_model(self, request, obj):
        with audit.erasure(request.user.pk, f"xoá tài khoản {obj.pk}"):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with audit.erasure(request.user.pk, "xoá tài khoản"):
            super().delete_queryset(request, queryset)


class OrganisationMemberInline(admin.TabularInline):
    model = OrganisationMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "created_at")
    search_fields = ("name", "tax_code")
    inlines = [OrganisationMemberInline]
