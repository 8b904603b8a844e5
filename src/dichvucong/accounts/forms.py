"""Forms of the accounts pages. Messages are Vietnamese and say how to put things right."""

from __future__ import annotations

import math
from datetime import date

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dichvucong.accounts import conf, lockout
from dichvucong.accounts.backends import find_login_user
from dichvucong.accounts.identifiers import (
    InvalidIdentifier,
    classify_contact,
    normalise_email,
    normalise_phone,
    normalise_tax_code,
)
from dichvucong.accounts.models import Gender, User
from dichvucong.accounts.services import TAKEN, contact_taken
from dichvucong.adminunits import queries as units
from dichvucong.core import ratelimit
from dichvucong.core.idnumber import InvalidIdNumber, check_birth_year, parse_id_number

PASSWORD_HINT = _("Ít nhất 8 ký tự, không toàn chữ số, không quá dễ đoán.")


class ContactField(forms.CharField):
    """A phone number or an e-mail address; cleans to (channel, normalised address)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("label", _("Số điện thoại hoặc email"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "username", "inputmode": "email"})

    def clean(self, value):
        value = super().clean(value)
        try:
            return classify_contact(value)
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc


LOCKOUT_MESSAGES = {
    "locked": _("Đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút, hoặc "
                "lấy lại mật khẩu."),
    "too_many": _("Có quá nhiều lần đăng nhập sai từ máy của bạn. Vui lòng thử lại sau "
                  "%(minutes)s phút."),
}


class LoginLimitMixin:
    """Wrong passwords are limited per account and client, per client and per account
    (``lockout``); a slot is taken before the password is checked. For Django's
    ``AuthenticationForm`` and its subclasses (the portal's login, the admin site's)."""

    refusal: lockout.Refusal | None = None

    def clean(self):
        self.refusal = None
        identifier = (self.cleaned_data.get("username") or "").strip()
        if not identifier or self.cleaned_data.get("password") is None:
            return super().clean()
        target = find_login_user(identifier)
        name = f"user:{target.pk}" if target else f"name:{identifier.lower()}"
        attempt = lockout.LoginAttempt(
            lockout.account_key(name),
            ratelimit.client_key(self.request) if self.request is not None else "")
        self.refusal = attempt.reserve()
        if self.refusal is not None:
            code = "too_many" if self.refusal.scope == "client" else "locked"
            raise ValidationError(LOCKOUT_MESSAGES[code], code=code,
                                  params={"minutes": math.ceil(self.refusal.retry_after / 60)})
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if exc.code != "invalid_login":  # the password was right: nothing to count
                attempt.release()
            raise
        attempt.release()
        return cleaned


class PortalAuthenticationForm(LoginLimitMixin, AuthenticationForm):
    """Username, phone or e-mail with the password. With local registration off, only officials
    (staff, or a role in an agency) may use a password; citizens use VNeID."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Tên đăng nhập, số điện thoại, email hoặc mật khẩu không đúng."),
        "inactive": _("Tài khoản này đã bị khóa."),
        "citizen_vneid": _("Công dân đăng nhập bằng tài khoản định danh điện tử VNeID."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập, số điện thoại hoặc email")
        self.fields["password"].label = _("Mật khẩu")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not conf.local_registration() and not user.is_official:
            raise ValidationError(self.error_messages["citizen_vneid"], code="citizen_vneid")


class AdminLoginForm(LoginLimitMixin, AdminAuthenticationForm):
    """The admin site's login, under the same limits as the portal's."""


class PasswordPairMixin:
    password_user: User | None = None

    def clean_password2(self):
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("Hai lần nhập mật khẩu không khớp."))
        return second

    def _post_clean_password(self, user: User) -> None:
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                self.add_error("password1", exc)


class RegistrationForm(PasswordPairMixin, forms.Form):
    contact = ContactField(help_text=_("Mã xác nhận sẽ được gửi tới số điện thoại hoặc email "
                                       "này."))
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(label=_("Mật khẩu"), strip=False, help_text=PASSWORD_HINT,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_contact(self):
        channel, destination = self.cleaned_data["contact"]
        if contact_taken(channel, destination):
            raise ValidationError(TAKEN[channel])
        return channel, destination

    def clean(self):
        cleaned = super().clean()
        channel, destination = cleaned.get("contact") or ("", "")
        probe = User(full_name=cleaned.get("full_name", ""),
                     phone=destination if channel == "sms" else "",
                     email=destination if channel == "email" else "")
        self._post_clean_password(probe)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Mã xác nhận (6 chữ số)"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*"}))


class PasswordResetRequestForm(forms.Form):
    contact = ContactField(help_text=_("Số điện thoại hoặc email đã xác nhận của tài khoản."))


class PasswordResetConfirmForm(PasswordPairMixin, CodeForm):
    password1 = forms.CharField(label=_("Mật khẩu mới"), strip=False, help_text=PASSWORD_HINT,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Nhập lại mật khẩu mới"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_user = user

    def clean(self):
        cleaned = super().clean()
        self._post_clean_password(self.password_user or User())
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, date) else value


class ProfileForm(forms.Form):
    """The citizen's profile. Phone and e-mail changes are confirmed with a code before they
    are saved (the view sends it); a VNeID-verified ID number cannot be edited."""

    full_name = forms.CharField(label=_("Họ và tên"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("Số căn cước công dân (CCCD)"), required=False, max_length=20,
        help_text=_("12 chữ số, in trên thẻ căn cước."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    date_of_birth = forms.DateField(
        label=_("Ngày sinh"), required=False, widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"],
        error_messages={"invalid": _("Nhập ngày sinh dạng ngày/tháng/năm, ví dụ 25/03/1990.")})
    gender = forms.ChoiceField(label=_("Giới tính"), required=False,
                               choices=[("", _("— Chọn —")), *Gender.choices])
    province = forms.ChoiceField(label=_("Tỉnh, thành phố"), required=False)
    commune = forms.ChoiceField(
        label=_("Xã, phường, đặc khu"), required=False,
        error_messages={"invalid_choice": _("Xã, phường này không thuộc tỉnh, thành phố đã chọn; "
                                            "hãy chọn lại.")})
    street = forms.CharField(label=_("Số nhà, đường, thôn, tổ"), required=False, max_length=255,
                             widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    phone = forms.CharField(label=_("Số điện thoại di động"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=_("Email"), required=False, max_length=254,
                            widget=forms.TextInput(attrs={"type": "email",
                                                          "autocomplete": "email"}))

    def __init__(self, *args, user: User, default_province: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not self.is_bound and not self.initial.get("province"):
            self.initial["province"] = default_province
        province = (self.data.get("province") if self.is_bound else None) or \
            self.initial.get("province") or default_province
        self.fields["province"].choices = [("", _("— Chọn —")), *units.provinces()]
        self.fields["commune"].choices = [("", _("— Chọn —")), *units.communes_of(province)]
        # forms.js reloads the commune list when the province changes.
        self.fields["province"].widget.attrs["data-communes-target"] = self["commune"].auto_id
        self.province_shown = province
        if user.id_number_verified:
            self.fields["id_number"].disabled = True
            self.fields["id_number"].help_text = _("Đã xác thực qua VNeID; không sửa được.")

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {"full_name": user.full_name, "id_number": user.id_number,
                "date_of_birth": user.date_of_birth, "gender": user.gender,
                "province": user.province_code, "commune": user.commune_code,
                "street": user.street_address, "phone": user.phone, "email": user.email}

    def clean_id_number(self):
        if self.user.id_number_verified:
            return self.user.id_number
        value = self.cleaned_data["id_number"].strip()
        if not value:
            return ""
        try:
            number = parse_id_number(value).number
        except InvalidIdNumber as exc:
            raise ValidationError(str(exc)) from exc
        if User.objects.filter(id_number=number).exclude(pk=self.user.pk).exists():
            raise ValidationError(_("Số căn cước công dân này đã gắn với một tài khoản khác. "
                                    "Nếu đó là số của bạn, hãy đăng nhập bằng VNeID."))
        return number

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born and (born > date.today() or born.year < 1900):
            raise ValidationError(_("Ngày sinh không hợp lệ."))
        return born

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            phone = normalise_phone(value)
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc
        if phone != self.user.phone and contact_taken("sms", phone, exclude=self.user):
            raise ValidationError(TAKEN["sms"])
        return phone

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        if not value:
            return ""
        try:
            address = normalise_email(value)
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc
        if address.lower() != self.user.email.lower() and contact_taken("email", address,
                                                                          exclude=self.user):
            raise ValidationError(TAKEN["email"])
        return address

    def clean(self):
        cleaned = super().clean()
        number, born = cleaned.get("id_number"), cleaned.get("date_of_birth")
        if number and born and "id_number" not in self.errors:
            try:
                check_birth_year(parse_id_number(number), born.year)
            except InvalidIdNumber as exc:
                self.add_error("date_of_birth", str(exc))
        province, commune = cleaned.get("province"), cleaned.get("commune")
        if commune and not province:
            self.add_error("province", _("Chọn tỉnh, thành phố trước."))
        phone_changed = cleaned.get("phone", self.user.phone) != self.user.phone
        email_changed = (cleaned.get("email", self.user.email) or "").lower() != \
            (self.user.email or "").lower()
        if phone_changed and email_changed:
            self.add_error("email", _("Mỗi lần chỉ đổi một thông tin liên lạc: hãy đổi số điện "
                                      "thoại trước, rồi đổi email."))
        new_phone = cleaned.get("phone", self.user.phone)
        new_email = cleaned.get("email", self.user.email)
        if not self.user.id_number_verified and not new_phone and not new_email and (
                self.user.phone_verified or self.user.email_verified):
            self.add_error(None, _("Cần giữ ít nhất một số điện thoại hoặc email để đăng nhập "
                                   "và lấy lại mật khẩu."))
        return cleaned

    @property
    def address(self) -> dict:
        c = self.cleaned_data
        if not (c.get("commune") or c.get("street")):  # the preselected province alone is no
            return {}                                   # address
        return {"province": c.get("province", ""), "commune": c.get("commune", ""),
                "street": c.get("street", "")}


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Tên doanh nghiệp, hộ kinh doanh"), max_length=255)
    tax_code = forms.CharField(label=_("Mã số thuế"), max_length=20,
                               help_text=_("10 chữ số; đơn vị phụ thuộc: 13 chữ số."),
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def clean_tax_code(self):
        try:
            return normalise_tax_code(self.cleaned_data["tax_code"])
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc


class AddMemberForm(forms.Form):
    contact = ContactField(label=_("Số điện thoại hoặc email của thành viên"),
                           help_text=_("Người này cần có tài khoản trên cổng."))


class LinkPasswordForm(forms.Form):
    password = forms.CharField(label=_("Mật khẩu của tài khoản trên cổng"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Mã xác thực"), max_length=12,
        help_text=_("6 chữ số trong ứng dụng xác thực, hoặc một mã khôi phục (8 chữ số)."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 -]*"}))
