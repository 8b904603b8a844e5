"""What accounts do, without HTTP: one-time codes, registration, password reset, contact changes,
the citizen QR token, business accounts and linking a VNeID identity to an account.

Views call these; each returns a Vietnamese message for the citizen when it refuses.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import segno
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from dichvucong.accounts import assurance
from dichvucong.accounts.assurance import IdentitySource
from dichvucong.accounts.models import (
    OneTimeCode,
    Organisation,
    OrganisationMember,
    OrganisationRole,
    User,
)

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
QR_MAX_AGE = 5 * 60  # seconds
QR_SALT = "dichvucong.accounts.citizen-qr"
CODE_SALT = "dichvucong.accounts.one-time-code"

CHANNEL_FIELDS = {"sms": ("phone", "phone_verified"), "email": ("email", "email_verified")}
TAKEN = {"sms": "Số điện thoại này đã có tài khoản. Hãy đăng nhập, hoặc lấy lại mật khẩu.",
         "email": "Địa chỉ email này đã có tài khoản. Hãy đăng nhập, hoặc lấy lại mật khẩu."}

# SMS: the brandname gateway sends without Unicode (IsUnicode 0), so SMS text has no diacritics;
# in production each text must match a template registered with the carrier.
SMS_TEXT = {
    OneTimeCode.Purpose.REGISTER: "Ma xac nhan dang ky tai khoan Cong dich vu cong: {code}. "
                                  "Hieu luc 10 phut. Khong chia se ma nay cho bat ky ai.",
    OneTimeCode.Purpose.RESET: "Ma dat lai mat khau Cong dich vu cong: {code}. "
                               "Hieu luc 10 phut. Khong chia se ma nay cho bat ky ai.",
    OneTimeCode.Purpose.CONTACT: "Ma xac nhan so dien thoai tren Cong dich vu cong: {code}. "
                                 "Hieu luc 10 phut. Khong chia se ma nay cho bat ky ai.",
    # Read out to the agent in front of the citizen: the text says what the code allows.
    OneTimeCode.Purpose.CONSENT: "Ma {code}: dong y cho {agent} nop ho so thu tuc {procedure} "
                                 "thay ban tren Cong dich vu cong. Hieu luc 10 phut. Chi dua ma "
                                 "nay neu ban dong y.",
    OneTimeCode.Purpose.FEEDBACK: "Ma xac nhan gui phan anh, kien nghi tren Cong dich vu cong: "
                                  "{code}. Hieu luc 10 phut. Khong chia se ma nay cho bat ky ai.",
}
EMAIL_SUBJECT = {
    OneTimeCode.Purpose.REGISTER: "Mã xác nhận đăng ký tài khoản",
    OneTimeCode.Purpose.RESET: "Mã đặt lại mật khẩu",
    OneTimeCode.Purpose.CONTACT: "Mã xác nhận địa chỉ email",
    OneTimeCode.Purpose.CONSENT: "Mã đồng ý cho nộp hồ sơ thay",
    OneTimeCode.Purpose.FEEDBACK: "Mã xác nhận gửi phản ánh, kiến nghị",
}
EMAIL_TEXT = ("Mã xác nhận của bạn là: {code}\n\nMã có hiệu lực trong 10 phút. Không chia sẻ mã "
              "này cho bất kỳ ai, kể cả người tự xưng là cán bộ.\n\nNếu bạn không yêu cầu mã "
              "này, hãy bỏ qua thư.\n")
CONSENT_EMAIL_TEXT = ("Mã đồng ý của bạn là: {code}\n\nĐưa mã này cho {agent_name} nếu bạn đồng ý "
                      "để người này nộp và theo dõi hồ sơ thủ tục {procedure} thay bạn. Mã có "
                      "hiệu lực trong 10 phút. Bạn có thể thu hồi sự đồng ý trên trang tài khoản."
                      "\n\nNếu bạn không nhờ ai nộp hồ sơ, hãy bỏ qua thư.\n")


# --- contacts -------------------------------------------------------------------------------

def users_with_contact(channel: str, destination: str) -> QuerySet[User]:
    if channel == "email":
        return User.objects.filter(email__iexact=destination)
    return User.objects.filter(phone=destination)


def contact_taken(channel: str, destination: str, exclude: User | None = None) -> bool:
    users = users_with_contact(channel, destination)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def new_username() -> str:
    """Citizens log in with their phone, e-mail or VNeID; the username is internal."""
    return f"cd.{secrets.token_hex(6)}"


# --- one-time codes -------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeSender:
    """How a one-time code reaches its destination now: ``send(channel, to, subject, body)``
    ("sms" or "email"), raising ``failure`` when it could not be sent."""

    send: Callable[[str, str, str, str], object]
    failure: type[Exception]


# The gateways (SMS, e-mail) live in the notify app, which sits above accounts: it hands its
# sender in when Django starts (notify/apps.py: notify.gateways.deliver, DeliveryError), so
# accounts imports nothing of notify.
_code_sender: CodeSender | None = None


def send_codes_with(sender: CodeSender | None) -> None:
    global _code_sender
    _code_sender = sender


def _code_hash(record: OneTimeCode, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{record.pk}:{record.destination}:{code}",
                       algorithm="sha256").hexdigest()


def issue_code(purpose: str, channel: str, destination: str, *, user: User | None = None,
               data: dict | None = None) -> OneTimeCode:
    """Create a code, send it, return its record. Earlier unused codes for the same purpose and
    destination stop working. Raises DeliveryError when it could not be sent."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(purpose=purpose, destination=destination,
                                   used_at__isnull=True).update(used_at=now)
        record = OneTimeCode.objects.create(
            purpose=purpose, channel=channel, destination=destination, user=user,
            data=data or {}, code_hash="-", created_at=now, expires_at=now + CODE_TTL)
        record.code_hash = _code_hash(record, code)
        record.save(update_fields=["code_hash"])
    # Words a purpose's text names besides the code (the consent's agent and procedure).
    words = (data or {}).get("text", {})
    if _code_sender is None:
        record.delete()
        raise ImproperlyConfigured("one-time codes need a sender (the notify app gives it)")
    deliver = _code_sender.send
    try:
        if channel == "sms":
            deliver("sms", destination, "", SMS_TEXT[purpose].format(code=code, **words))
        else:
            body = EMAIL_TEXT.format(code=code)
            if purpose == OneTimeCode.Purpose.CONSENT:
                body = CONSENT_EMAIL_TEXT.format(code=code, **words)
            deliver("email", destination, EMAIL_SUBJECT[purpose], body)
    except _code_sender.failure:
        record.delete()
        raise
    return record


def resend_code(record_id: int | None, purpose: str) -> OneTimeCode | None:
    """A new code to the same destination, carrying the same data; None if there is none."""
    record = OneTimeCode.objects.filter(pk=record_id, purpose=purpose).first()
    if record is None:
        return None
    return issue_code(purpose, record.channel, record.destination, user=record.user,
                      data=record.data)


@dataclass
class CodeCheck:
    record: OneTimeCode | None
    message: str = ""  # why the code was refused

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.message


def check_code(record_id: int | None, purpose: str, code: str) -> CodeCheck:
    """Check ``code`` against the record and count a wrong try. Call inside transaction.atomic;
    on success the caller acts and marks the record used (``use_code``)."""
    record = (OneTimeCode.objects.select_for_update()
              .filter(pk=record_id, purpose=purpose).first()) if record_id else None
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if record is None:
        return CodeCheck(None, "Mã xác nhận không đúng.")
    if record.used_at is not None:
        return CodeCheck(None, "Mã này đã được dùng hoặc đã được thay bằng mã mới. "
                               "Hãy yêu cầu gửi lại mã.")
    if timezone.now() >= record.expires_at:
        return CodeCheck(None, "Mã xác nhận đã hết hạn (mã chỉ có hiệu lực 10 phút). "
                               "Hãy yêu cầu gửi lại mã.")
    if record.attempts >= MAX_ATTEMPTS:
        return CodeCheck(None, "Đã nhập sai quá 5 lần, mã này không còn dùng được. "
                               "Hãy yêu cầu gửi lại mã.")
    if len(code) == 6 and constant_time_compare(_code_hash(record, code), record.code_hash):
        return CodeCheck(record)
    record.attempts = F("attempts") + 1
    record.save(update_fields=["attempts"])
    record.refresh_from_db(fields=["attempts"])
    left = MAX_ATTEMPTS - record.attempts
    if left <= 0:
        return CodeCheck(None, "Đã nhập sai quá 5 lần, mã này không còn dùng được. "
                               "Hãy yêu cầu gửi lại mã.")
    return CodeCheck(None, f"Mã xác nhận không đúng. Bạn còn {left} lần thử.")


def use_code(record: OneTimeCode, keep: tuple[str, ...] = ()) -> None:
    record.used_at = timezone.now()
    # The registration's password hash is not kept; ``keep`` names harmless keys that are.
    record.data = {key: record.data[key] for key in keep if key in record.data}
    record.save(update_fields=["used_at", "data"])


# --- registration ---------------------------------------------------------------------------

def start_registration(channel: str, destination: str, full_name: str,
                       password: str) -> OneTimeCode:
    """Nothing is created until the code is confirmed; the pending registration keeps the full
    name and the password's hash (never the password) with the code."""
    return issue_code(OneTimeCode.Purpose.REGISTER, channel, destination,
                      data={"full_name": full_name, "password": make_password(password)})


def complete_registration(record_id: int | None, code: str) -> tuple[User | None, str]:
    with transaction.atomic():
        check = check_code(record_id, OneTimeCode.Purpose.REGISTER, code)
        if not check.ok:
            return None, check.message
        record = check.record
        if contact_taken(record.channel, record.destination):
            use_code(record)
            return None, TAKEN[record.channel]
        field, verified = CHANNEL_FIELDS[record.channel]
        user = User(username=new_username(), full_name=record.data.get("full_name", ""),
                    password=record.data["password"], **{field: record.destination,
                                                         verified: True})
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same contact registered a moment ago
            use_code(record)
            return None, TAKEN[record.channel]
        use_code(record)
    logger.info("account %s registered by %s", user.pk, record.channel)
    return user, ""


# --- password reset -------------------------------------------------------------------------

def start_password_reset(channel: str, destination: str) -> OneTimeCode | None:
    """Send a code if an active account has this verified phone or e-mail; None otherwise (the
    page says the same either way)."""
    _, verified = CHANNEL_FIELDS[channel]
    user = users_with_contact(channel, destination).filter(is_active=True,
                                                           **{verified: True}).first()
    if user is None:
        return None
    return issue_code(OneTimeCode.Purpose.RESET, channel, destination, user=user)


def complete_password_reset(record_id: int | None, code: str,
                            password: str) -> tuple[User | None, str]:
    with transaction.atomic():
        check = check_code(record_id, OneTimeCode.Purpose.RESET, code)
        if not check.ok:
            return None, check.message
        user = check.record.user
        user.set_password(password)
        user.save(update_fields=["password"])
        use_code(check.record)
    logger.info("account %s reset its password", user.pk)
    return user, ""


# --- contact change (profile) ---------------------------------------------------------------

def start_contact_change(user: User, channel: str, destination: str) -> OneTimeCode:
    return issue_code(OneTimeCode.Purpose.CONTACT, channel, destination, user=user)


def complete_contact_change(user: User, record_id: int | None, code: str) -> str:
    """'' when the new phone or e-mail is confirmed and saved, else the reason."""
    with transaction.atomic():
        check = check_code(record_id, OneTimeCode.Purpose.CONTACT, code)
        if not check.ok:
            return check.message
        record = check.record
        if record.user_id != user.pk:
            return "Mã xác nhận không đúng."
        if contact_taken(record.channel, record.destination, exclude=user):
            use_code(record)
            return TAKEN[record.channel]
        field, verified = CHANNEL_FIELDS[record.channel]
        setattr(user, field, record.destination)
        setattr(user, verified, True)
        try:
            with transaction.atomic():
                user.save(update_fields=[field, verified])
        except IntegrityError:
            use_code(record)
            return TAKEN[record.channel]
        use_code(record)
    return ""


# --- citizen QR -----------------------------------------------------------------------------

def citizen_token(user: User) -> str:
    """A signed, timestamped token naming the account (its key and QR counter), nothing
    personal; valid QR_MAX_AGE seconds, and no longer once the citizen rotates the code."""
    return signing.TimestampSigner(salt=QR_SALT).sign(f"{user.pk}.{user.qr_counter}")


def resolve_citizen_token(token: str) -> User | None:
    """For officials: the active account a citizen QR token names, or None when it is tampered
    with, older than five minutes, or was rotated away."""
    try:
        value = signing.TimestampSigner(salt=QR_SALT).unsign(str(token).strip(),
                                                             max_age=QR_MAX_AGE)
        pk, counter = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return User.objects.filter(pk=pk, qr_counter=counter, is_active=True).first()


def rotate_citizen_qr(user: User) -> None:
    """Invalidate every QR token shown so far (a screenshot that went astray)."""
    User.objects.filter(pk=user.pk).update(qr_counter=F("qr_counter") + 1)
    user.refresh_from_db(fields=["qr_counter"])


def qr_svg(text: str, title: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=6, border=4, title=title,
                                                   svgclass="citizen-qr", omitsize=False)


# --- business accounts ----------------------------------------------------------------------

def organisations_of(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(members__user=user).distinct()


def create_organisation(owner: User, name: str, tax_code: str) -> tuple[Organisation | None,
                                                                         str]:
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, tax_code=tax_code)
            OrganisationMember.objects.create(organisation=organisation, user=owner,
                                              role=OrganisationRole.OWNER)
    except IntegrityError:
        return None, "Mã số thuế này đã có tài khoản doanh nghiệp trên cổng."
    return organisation, ""


def is_owner(organisation: Organisation, user: User) -> bool:
    return organisation.members.filter(user=user, role=OrganisationRole.OWNER).exists()


def add_member(organisation: Organisation, by: User, channel: str,
               destination: str) -> tuple[OrganisationMember | None, str]:
    """The owner adds an existing account, found by its verified phone or e-mail."""
    if not is_owner(organisation, by):
        return None, "Chỉ chủ tài khoản doanh nghiệp được thêm thành viên."
    _, verified = CHANNEL_FIELDS[channel]
    user = users_with_contact(channel, destination).filter(is_active=True,
                                                           **{verified: True}).first()
    if user is None:
        return None, ("Không có tài khoản nào với số điện thoại hoặc email này. Người được thêm "
                      "cần đăng ký tài khoản trước.")
    member, created = OrganisationMember.objects.get_or_create(
        organisation=organisation, user=user, defaults={"role": OrganisationRole.MEMBER})
    if not created:
        return None, "Người này đã là thành viên của doanh nghiệp."
    return member, ""


def remove_member(organisation: Organisation, by: User, member_id: int) -> str:
    if not is_owner(organisation, by):
        return "Chỉ chủ tài khoản doanh nghiệp được bớt thành viên."
    deleted, _ = organisation.members.filter(pk=member_id,
                                             role=OrganisationRole.MEMBER).delete()
    return "" if deleted else "Không bớt được thành viên này."


# --- VNeID (OpenID Connect) -----------------------------------------------------------------

@dataclass(frozen=True)
class VerifiedIdentity:
    """What the identity provider vouched for. ``id_number`` is personal data: never log it."""

    id_number: str
    full_name: str = ""
    date_of_birth: date | None = None
    gender: str = ""
    email: str = ""  # only when the provider says it verified it
    phone: str = ""  # idem
    source: str = IdentitySource.VNEID_1  # the VNeID level the provider stated (assurance)

    def to_session(self) -> dict:
        return {"id_number": self.id_number, "full_name": self.full_name,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
                "gender": self.gender, "email": self.email, "phone": self.phone,
                "source": str(self.source)}

    @classmethod
    def from_session(cls, data: dict) -> VerifiedIdentity:
        born = data.get("date_of_birth") or ""
        return cls(id_number=data["id_number"], full_name=data.get("full_name", ""),
                   date_of_birth=date.fromisoformat(born) if born else None,
                   gender=data.get("gender", ""), email=data.get("email", ""),
                   phone=data.get("phone", ""),
                   source=data.get("source") if data.get("source") in (
                       IdentitySource.VNEID_1, IdentitySource.VNEID_2)
                   else IdentitySource.VNEID_1)


@dataclass(frozen=True)
class IdentityMatch:
    user: User | None  # the account to log in, when there is one to log in directly
    created: bool = False
    # An account whose holder typed this ID number without proof: its password must be given
    # before linking (else someone could claim another person's number in a profile and later
    # receive that person's VNeID logins).
    needs_password: User | None = None


def match_identity(identity: VerifiedIdentity) -> IdentityMatch:
    """Link by the ID number: the account that holds it verified is logged in; one that holds it
    unverified must prove it is the same person; with none, a verified account is created."""
    user = User.objects.filter(id_number=identity.id_number).first()
    if user is not None and user.id_number_verified:
        if not user.is_active:
            return IdentityMatch(None)
        _raise_source(user, identity.source)
        return IdentityMatch(user)
    if user is not None:
        return IdentityMatch(None, needs_password=user)
    return IdentityMatch(create_from_identity(identity), created=True)


def link_identity(user: User, identity: VerifiedIdentity) -> User:
    """Mark ``user``'s ID number verified and fill what the profile lacks."""
    user.id_number = identity.id_number
    user.id_number_verified = True
    if not user.full_name and identity.full_name:
        user.full_name = identity.full_name
    if user.date_of_birth is None and identity.date_of_birth:
        user.date_of_birth = identity.date_of_birth
    if not user.gender and identity.gender:
        user.gender = identity.gender
    user.identity_source = assurance.stronger(user.identity_source, identity.source)
    user.save(update_fields=["id_number", "id_number_verified", "full_name", "date_of_birth",
                             "gender", "identity_source"])
    return user


def _raise_source(user: User, source: str) -> None:
    """A login that proves more than the account had (a level-2 VNeID login) is kept."""
    better = assurance.stronger(user.identity_source, source)
    if better != user.identity_source:
        user.identity_source = better
        user.save(update_fields=["identity_source"])


def release_unverified_id_number(identity: VerifiedIdentity) -> None:
    """The person VNeID vouched for says the account that typed their number is not theirs."""
    User.objects.filter(id_number=identity.id_number, id_number_verified=False).update(
        id_number="")


def create_from_identity(identity: VerifiedIdentity) -> User:
    with transaction.atomic():
        user = User(username=new_username(), full_name=identity.full_name,
                    id_number=identity.id_number, id_number_verified=True,
                    identity_source=identity.source,
                    date_of_birth=identity.date_of_birth, gender=identity.gender)
        if identity.email and not contact_taken("email", identity.email):
            user.email, user.email_verified = identity.email, True
        if identity.phone and not contact_taken("sms", identity.phone):
            user.phone, user.phone_verified = identity.phone, True
        user.set_unusable_password()
        user.save()
    logger.info("account %s created from a VNeID login", user.pk)
    return user
