from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin

from dichvucong.accounts.assurance import IdentitySource


class Role(models.TextChoices):
    """The users (docs/architecture.md «Roles»). A citizen needs no membership; every other role
    is held in an agency (or city-wide, for the IOC operator and inspector, in the city's People's
    Committee)."""

    SERVICE_AGENT = "service_agent", _("Đại lý dịch vụ công")
    DIGITAL_TEAM = "digital_team", _("Tổ công nghệ số cộng đồng")
    RECEPTION_OFFICER = "reception_officer", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên")
    LEADER = "leader", _("Lãnh đạo")
    PROCEDURE_CONTROLLER = "procedure_controller", _("Cán bộ kiểm soát TTHC")
    AGENCY_HEAD = "agency_head", _("Thủ trưởng cơ quan")
    SERVICE_DESIGNER = "service_designer", _("Quản trị thủ tục")
    IOC_OPERATOR = "ioc_operator", _("Cán bộ Trung tâm giám sát (IOC)")
    INSPECTOR = "inspector", _("Cán bộ kiểm tra")
    # The *1022 public-service hotline (held in the city's People's Committee).
    HOTLINE_OPERATOR = "hotline_operator", _("Tổng đài viên *1022")


class Gender(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


HELD_ROLES = "_held_roles"  # ``User.held_roles``' cache on the instance


class User(AbstractUser):
    """A person. Citizens log in with a phone number or e-mail address (verified with a one-time
    code) or through VNeID; ``username`` is generated for them and never shown."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True,
                             help_text=_("Số di động dạng 0xxxxxxxxx."))
    phone_verified = models.BooleanField(_("đã xác nhận số điện thoại"), default=False)
    email_verified = models.BooleanField(_("đã xác nhận email"), default=False)
    id_number = models.CharField(_("số định danh cá nhân (CCCD)"), max_length=12, blank=True)
    id_number_verified = models.BooleanField(
        _("số định danh đã xác thực"), default=False,
        help_text=_("Nhận từ tài khoản định danh điện tử (VNeID), không phải do người dùng khai."))
    # How the identity was established (accounts.assurance): a procedure may require a level.
    identity_source = models.CharField(
        _("cách xác lập danh tính"), max_length=10, choices=IdentitySource.choices,
        default=IdentitySource.PASSWORD)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=10, choices=Gender.choices, blank=True)
    # {"province": "48", "commune": "20194", "street": "…"}: the form engine's address value.
    address = models.JSONField(_("địa chỉ"), default=dict, blank=True)
    # Raised to invalidate every citizen QR token issued before (services.rotate_citizen_qr).
    qr_counter = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""),
                                    name="unique_user_id_number"),
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""),
                                    name="unique_user_phone"),
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""),
                                    name="unique_user_email_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def province_code(self) -> str:
        return str((self.address or {}).get("province", "") or "")

    @property
    def commune_code(self) -> str:
        return str((self.address or {}).get("commune", "") or "")

    @property
    def street_address(self) -> str:
        return str((self.address or {}).get("street", "") or "")

    @property
    def is_official(self) -> bool:
        """Staff, or holds a role in an agency: may use a local password when citizens may not."""
        return self.is_staff or bool(self.held_roles())

    def agency_ids(self, *roles: str) -> list[int]:
        """The agencies where this user holds any of ``roles`` (any role if none given)."""
        return [agency for agency, role, _kind, _level in self.held_roles()
                if not roles or role in roles]

    def held_roles(self) -> list[tuple[int, str, str, str]]:
        """(agency id, role, the agency's kind, its level) of every role held, read once per
        user object. The request's user is loaded once per request, so the navigation and the
        access checks of the back office, the monitoring centre and the alerts share one
        query. A role granted or taken through this object's ``Membership`` forgets it."""
        if HELD_ROLES not in self.__dict__:
            self.__dict__[HELD_ROLES] = list(self.memberships.values_list(
                "agency_id", "role", "agency__kind", "agency__level"))
        return self.__dict__[HELD_ROLES]


class Membership(models.Model):
    """A role a user holds in an agency. Access checks filter by these in the query itself."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)
    # The official position printed above the signature on the results this person signs
    # (results.signature): "Chủ tịch", "Phó Chủ tịch", "Giám đốc", "Phó Giám đốc" …
    position = models.CharField(
        _("chức vụ"), max_length=100, blank=True,
        help_text=_("Chức vụ lãnh đạo chính thức ghi ở khối chữ ký, ví dụ «Chủ tịch», "
                    "«Phó Chủ tịch», «Giám đốc», «Phó Giám đốc»."))

    class Meta:
        verbose_name = _("vai trò tại cơ quan")
        verbose_name_plural = _("vai trò tại cơ quan")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_membership")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._forget_held()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        self._forget_held()
        return deleted

    def _forget_held(self) -> None:
        user = self._state.fields_cache.get("user")
        if user is not None:
            user.__dict__.pop(HELD_ROLES, None)


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS or e-mail to prove a phone number or address is the citizen's:
    to register, to reset a password, to change a contact. Only a keyed hash of the code is
    kept; it expires after 10 minutes and allows 5 wrong tries."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("đăng ký tài khoản")
        RESET = "reset", _("đặt lại mật khẩu")
        CONTACT = "contact", _("đổi thông tin liên lạc")
        CONSENT = "consent", _("đồng ý cho nộp hồ sơ thay")
        FEEDBACK = "feedback", _("gửi phản ánh, kiến nghị")

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=10)  # "sms" or "email", as notify.gateways.deliver
    destination = models.CharField(max_length=254)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    # Registration: the full name and the password's hash, until the account is created.
    data = models.JSONField(default=dict, blank=True)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã xác nhận")
        verbose_name_plural = _("mã xác nhận")
        indexes = [models.Index(fields=["purpose", "destination"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} — {self.channel}"


class Organisation(models.Model):
    """A business or household business (doanh nghiệp, hộ kinh doanh) whose members act for it."""

    name = models.CharField(_("tên doanh nghiệp"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=13, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("doanh nghiệp")
        verbose_name_plural = _("doanh nghiệp")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationRole(models.TextChoices):
    OWNER = "owner", _("Chủ tài khoản doanh nghiệp")
    MEMBER = "member", _("Thành viên")


class OrganisationMember(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE,
                             related_name="organisation_memberships")
    role = models.CharField(_("vai trò"), max_length=10, choices=OrganisationRole.choices,
                            default=OrganisationRole.MEMBER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thành viên doanh nghiệp")
        verbose_name_plural = _("thành viên doanh nghiệp")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"],
                                               name="unique_organisation_member")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"


class Passkey(TimestampMixin, Device):
    """A passkey (WebAuthn credential, ``accounts/passkeys.py``): a second factor beside the
    authenticator app, as a django-otp device so that the login's second step, the session's
    verification and re-authentication count it like the app. Only the public key is kept."""

    credential_id = models.CharField(max_length=1400, unique=True,
                                     help_text="base64url, as the browser names it")
    public_key = models.BinaryField(help_text="COSE key (CBOR)")
    sign_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("khóa truy cập")
        verbose_name_plural = _("khóa truy cập")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
