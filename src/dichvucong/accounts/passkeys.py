"""Passkeys (WebAuthn, issue #21 item 1) with Yubico's fido2 server: a second factor beside
the authenticator app, for officials and for any citizen who wants one, where the browser
supports them. A passkey is a django-otp device (``models.Passkey``), so the login's second
step, the session's verification and re-authentication (``reauth.py``) take it like a code.

Each ceremony is two JSON requests: the options (a fresh challenge, kept in the session for
that one answer) and the browser's answer, checked here: origin, challenge, RP ID, signature,
and a signature counter that must grow (an authenticator that counts and goes back is a clone
or a replay). Credentials are bound to the RP ID: ``WEBAUTHN_RP_ID``, or the request's host;
never an IP address (browsers refuse one).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from fido2 import cbor
from fido2.cose import CoseKey
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dichvucong.accounts import twofactor
from dichvucong.accounts.models import Passkey, User

SESSION_KEY = "dichvucong_webauthn"  # the ceremony under way: its kind and fido2's state
NAME_MAX = 64


class PasskeyError(Exception):
    """A ceremony refused; the message is for the person."""


def rp_id(request) -> str:
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0].strip("[]")


def _server(request) -> Fido2Server:
    origin = f"{request.scheme}://{request.get_host()}"
    # The answer must come from the very site that asked (the page calls these endpoints).
    return Fido2Server(PublicKeyCredentialRpEntity(name=settings.OTP_TOTP_ISSUER,
                                                   id=rp_id(request)),
                       verify_origin=lambda answered: answered == origin)


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY,
                                          id=websafe_decode(passkey.credential_id))
            for passkey in Passkey.objects.filter(user=user)]


def _take_state(request, kind: str) -> dict:
    """The challenge answers once: taken out of the session whatever the outcome."""
    ceremony = request.session.pop(SESSION_KEY, None)
    if not ceremony or ceremony.get("kind") != kind:
        raise PasskeyError(_("Phiên xác thực bằng khóa truy cập đã hết. Vui lòng thử lại."))
    return ceremony["state"]


def registration_options(request) -> dict:
    user = request.user
    options, state = _server(request).register_begin(
        PublicKeyCredentialUserEntity(id=str(user.pk).encode(), name=user.get_username(),
                                      display_name=user.full_name or user.get_username()),
        credentials=_descriptors(user),
        resident_key_requirement=ResidentKeyRequirement.DISCOURAGED,
        user_verification=UserVerificationRequirement.PREFERRED)
    request.session[SESSION_KEY] = {"kind": "register", "state": dict(state)}
    return dict(options)


def register(request, answer: dict, name: str) -> tuple[Passkey, list[str]]:
    """Keep the new passkey; returns it and, for an account that had no recovery codes yet,
    fresh ones (shown once) so that losing the device does not lock the person out."""
    state = _take_state(request, "register")
    try:
        auth_data = _server(request).register_complete(state, answer)
    except (ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(_("Không đăng ký được khóa truy cập. Vui lòng thử lại.")) from exc
    credential = auth_data.credential_data
    credential_id = websafe_encode(credential.credential_id)
    user = request.user
    with transaction.atomic():
        if Passkey.objects.filter(credential_id=credential_id).exists():
            raise PasskeyError(_("Khóa truy cập này đã được đăng ký."))
        passkey = Passkey.objects.create(
            user=user, name=(name.strip() or _("Khóa truy cập"))[:NAME_MAX], confirmed=True,
            credential_id=credential_id, public_key=cbor.encode(dict(credential.public_key)),
            sign_count=auth_data.counter)
        codes = ([] if StaticDevice.objects.filter(user=user, confirmed=True).exists()
                 else twofactor.new_recovery_codes(user))
    # Registered from a session that owed nothing: it stays so, now with a device.
    request.session[twofactor.STATE_KEY] = twofactor.DONE
    return passkey, codes


def authentication_options(request) -> dict:
    descriptors = _descriptors(request.user)
    if not descriptors:
        raise PasskeyError(_("Tài khoản chưa có khóa truy cập nào."))
    options, state = _server(request).authenticate_begin(
        descriptors, user_verification=UserVerificationRequirement.PREFERRED)
    request.session[SESSION_KEY] = {"kind": "authenticate", "state": dict(state)}
    return dict(options)


def _credential(passkey: Passkey) -> AttestedCredentialData:
    return AttestedCredentialData.create(Aaguid.NONE, websafe_decode(passkey.credential_id),
                                         CoseKey.parse(cbor.decode(bytes(passkey.public_key))))


def authenticate(request, answer: dict) -> Passkey:
    """Check the answer against the logged-in person's own passkeys (another's credential is
    unknown here); on success the session is verified as by a code."""
    state = _take_state(request, "authenticate")
    passkeys = {passkey.credential_id: passkey
                for passkey in Passkey.objects.filter(user=request.user, confirmed=True)}
    refused = PasskeyError(_("Khóa truy cập không xác thực được. Vui lòng thử lại hoặc nhập "
                             "mã từ ứng dụng xác thực."))
    try:
        matched = _server(request).authenticate_complete(
            state, [_credential(passkey) for passkey in passkeys.values()], answer)
        counter = AuthenticationResponse.from_dict(answer).response.authenticator_data.counter
    except (ValueError, KeyError, TypeError) as exc:
        raise refused from exc
    passkey = passkeys[websafe_encode(matched.credential_id)]
    # A counting authenticator must count up: the same or a lower number is a replayed answer
    # or a cloned key. The compare-and-set also refuses two uses of one count at once.
    if (counter or passkey.sign_count) and counter <= passkey.sign_count:
        raise refused
    if not Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
            sign_count=counter, last_used_at=timezone.now()):
        raise refused
    passkey.sign_count = counter
    otp_login(request, passkey)
    request.session[twofactor.STATE_KEY] = twofactor.DONE
    twofactor.mark_verified(request)
    return passkey


def remove(request, pk: int) -> bool:
    deleted, _per_model = Passkey.objects.filter(user=request.user, pk=pk).delete()
    if deleted:  # re-authenticated just before: only an enrolment can now be owed
        due = twofactor.owed(request.user)
        request.session[twofactor.STATE_KEY] = (twofactor.ENROL if due == twofactor.ENROL
                                                else twofactor.DONE)
    return bool(deleted)


def of(user: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user))
