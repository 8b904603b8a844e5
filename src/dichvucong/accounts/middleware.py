"""A session that still owes its second factor (``twofactor.py``) reaches only the pages that
settle it: the code or a passkey, the enrolment, logging out, the language. And django-otp's
middleware, with the device that verified the session read by a query composed once."""

from __future__ import annotations

from urllib.parse import quote

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_otp import middleware as otp_middleware
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dichvucong.accounts import twofactor
from dichvucong.accounts.models import Passkey
from dichvucong.core.prepared import Prepared, instance

OPEN = {"accounts:otp_verify", "accounts:otp_setup", "accounts:logout", "set_language",
        "accounts:passkey_login_options", "accounts:passkey_login", "core:live", "core:health"}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = twofactor.state(request)
        if owed == twofactor.DONE or self._open(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Cần nhập mã xác thực hai bước trước khi tiếp tục.",
                                 "code": "second_factor_required"}, status=403)
        target = "accounts:otp_verify" if owed == twofactor.OWED else "accounts:otp_setup"
        return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")

    @staticmethod
    def _open(request) -> bool:
        try:
            return resolve(request.path_info).view_name in OPEN
        except Resolver404:
            return False


def _device_read(model) -> tuple[type, list[str], Prepared]:
    fields = [field.attname for field in model._meta.concrete_fields]
    return model, fields, Prepared(lambda: model.objects.filter(id=0).values_list(*fields), 0)


# The devices a session is verified with: read at every request of a verified session (an
# official's, in production), as django-otp does, by a query composed once (issue #19).
_DEVICE_READS = {model.model_label(): _device_read(model)
                 for model in (TOTPDevice, StaticDevice, Passkey)}


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's: the device is read afresh at each request (one deleted or unconfirmed
    no longer verifies the session), only not composed anew."""

    def _device_from_persistent_id(self, persistent_id: str):
        label, _, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        read = _DEVICE_READS.get(label)
        if read is None or not device_id.isdigit():
            return super()._device_from_persistent_id(persistent_id)
        model, fields, query = read
        rows = query.rows(int(device_id))
        return instance(model, fields, rows[0]) if rows else None
