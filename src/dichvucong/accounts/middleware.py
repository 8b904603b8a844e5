"""A session that still owes its second factor (``twofactor.py``) reaches only the pages that
settle it: the code or a passkey, the enrolment, logging out, the language."""

from __future__ import annotations

from urllib.parse import quote

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from dichvucong.accounts import twofactor

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
