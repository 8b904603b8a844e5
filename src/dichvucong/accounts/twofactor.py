"""Two-factor login (issue #21 item 1): a time-based code from an authenticator app (TOTP,
RFC 6238, django-otp's device) after the password, with single-use recovery codes. Every
official must have it when ``TWO_FACTOR_FOR_OFFICIALS`` is on (production's default); anyone,
citizens included, may turn it on, and then always needs it.

Whether a session still owes its second factor is decided once per session and kept in it
(``STATE_KEY``), so a page costs no query for it; the flag is reset whenever the devices change.
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dichvucong.accounts.models import Passkey, User

STATE_KEY = "dichvucong_second_factor"  # in the session: one of the three below
VERIFIED_AT = "dichvucong_verified_at"  # in the session: Unix time of the last verification
DONE, OWED, ENROL = "done", "owed", "enrol"  # verified or not needed; owed; must enrol first
RECOVERY_CODES = 10
RECOVERY_DIGITS = 8
APP_DEVICE_NAME = "Ứng dụng xác thực"
RECOVERY_DEVICE_NAME = "Mã khôi phục"


def required(user: User) -> bool:
    """Must this account pass a second factor: it has one, or it is an official's and the
    platform requires it of officials."""
    if user_has_device(user, confirmed=True):
        return True
    return bool(settings.TWO_FACTOR_FOR_OFFICIALS) and user.is_official


def owed(user: User) -> str:
    """What a new session of this account owes: nothing, its second factor, or an enrolment."""
    if not required(user):
        return DONE
    return OWED if user_has_device(user, confirmed=True) else ENROL


def state(request) -> str:
    """What the session owes (cached in it; ``forget`` resets it). A session that owes
    nothing says so without the user being read: a public answer (the catalogue's JSON) to a
    signed-in citizen then reads no user at all; a view that needs the user reads them, with
    Django's checks (issue #19)."""
    cached = request.session.get(STATE_KEY)
    if cached == DONE:
        return DONE
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return DONE
    if cached is None:  # a session from before the login kept it
        cached = request.session[STATE_KEY] = owed(user)
    return cached


def remember_at_login(sender, request, user, **kwargs) -> None:
    """Decide at login, where the session is written anyway: later pages read it for free."""
    if request is not None and hasattr(request, "session"):
        request.session[STATE_KEY] = due = owed(user)
        if due == DONE:  # a login owing no second factor is itself a verification
            mark_verified(request)


def mark_verified(request) -> None:
    """The person just proved who they are (``reauth.py`` reads when)."""
    request.session[VERIFIED_AT] = int(time.time())


def forget(request) -> None:
    request.session.pop(STATE_KEY, None)


def pending_app(user: User) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device, kept across page loads so
    the QR code the person scanned stays the right one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    # The otpauth:// address carries the issuer, so the app shows which account it is for.
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, title="Mã QR để thêm vào ứng dụng xác thực", svgclass="otp-qr",
        omitsize=False)


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


def confirm_app(request, device: TOTPDevice, code: str) -> Enrolled | None:
    """The first code from the app proves it was set up: the device is confirmed, the session
    verified, and fresh recovery codes made (returned once; only their use is stored)."""
    if device.confirmed or device.user_id != request.user.pk:
        return None
    if not device.verify_token(code.replace(" ", "")):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(request.user)
    otp_login(request, device)
    request.session[STATE_KEY] = DONE
    mark_verified(request)
    return Enrolled(device, codes)


def new_recovery_codes(user: User) -> list[str]:
    """Ten single-use codes replacing any earlier ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [f"{secrets.randbelow(10**RECOVERY_DIGITS):0{RECOVERY_DIGITS}d}"
             for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def _digits(code: str) -> str:
    return code.replace(" ", "").replace("-", "")


def devices_for(user: User, code: str):
    """The devices a code is for, by its length: the app's 6 digits, a recovery code's 8 (each
    kind throttled on its own, so a wrong app code does not hold back a recovery code)."""
    token = _digits(code)
    if len(token) == RECOVERY_DIGITS:
        return StaticDevice.objects.filter(user=user, confirmed=True)
    if len(token) == 6:
        return TOTPDevice.objects.filter(user=user, confirmed=True)
    return TOTPDevice.objects.none()


def verify(request, code: str) -> bool:
    """A code from the app, or a recovery code (used up): the session is then verified."""
    token = _digits(code)
    if not token.isdigit():
        return False
    for device in devices_for(request.user, token):
        if device.verify_token(token):
            otp_login(request, device)
            request.session[STATE_KEY] = DONE
            mark_verified(request)
            return True
    return False


def wait_seconds(user: User, code: str = "") -> int:
    """Seconds before such a code may be tried again: django-otp doubles the wait after each
    wrong code (1, 2, 4 … s), which makes guessing hopeless without slowing a typo much.
    Without a code (enrolment): the app being set up."""
    waits = [0]
    devices = devices_for(user, code) if code else TOTPDevice.objects.filter(user=user)
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(math.ceil((data["locked_until"] - timezone.now()).total_seconds()))
    return max(waits)


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def turn_off(request) -> bool:
    """Remove every device (passkeys too); refused (False) when the platform requires it of
    this account."""
    user = request.user
    if settings.TWO_FACTOR_FOR_OFFICIALS and user.is_official:
        return False
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    forget(request)
    return True
