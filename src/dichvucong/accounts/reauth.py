"""Re-authentication before the acts that matter most (issue #21 item 1): signing a result,
revoking or replacing one, exporting personal data. The person types the code from the
authenticator app again (a recovery code works too) or uses a passkey (``passkeys.py``; the page
then sends the form again), or the password where the account has no second factor, unless
they verified within ``REAUTH_SECONDS``.

``recent_verification`` wraps such a view: the request that arrives too late gets the page
asking for the code, which posts the same fields back to the same address with the code added;
with a right code the view then runs on that request, so nothing typed is lost.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp import user_has_device

from dichvucong.accounts import twofactor
from dichvucong.accounts.models import Passkey
from dichvucong.core import ratelimit

FIELD = "reauth_secret"
AFTER_GET = "reauth_then_get"  # the page asked before a download: reload it after
ATTEMPTS = 10  # per account per 10 minutes, shared with the login's code page's budget
_NOT_CARRIED = {"csrfmiddlewaretoken", FIELD, AFTER_GET}


def fresh(request) -> bool:
    at = request.session.get(twofactor.VERIFIED_AT)
    return at is not None and time.time() - at <= settings.REAUTH_SECONDS


def uses_code(user) -> bool:
    return user_has_device(user, confirmed=True)


def possible(user) -> bool:
    """Is there anything to re-enter: a second factor or a password (an account made through
    VNeID alone has neither; its login through VNeID is all it can prove)."""
    return uses_code(user) or user.has_usable_password()


def confirm(request, secret: str) -> bool:
    user = request.user
    if uses_code(user):
        token = twofactor._digits(secret)
        ok = token.isdigit() and any(device.verify_token(token)
                                     for device in twofactor.devices_for(user, token))
    else:
        ok = user.check_password(secret)
    if ok:
        twofactor.mark_verified(request)
    return ok


def recent_verification(methods: tuple[str, ...] = ("POST",)):
    """Ask for the code (or password) again before ``methods`` of the view when the last
    verification is older than ``REAUTH_SECONDS``. Goes outside ``require_POST`` & co."""
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            asked = request.method == "POST" and FIELD in request.POST
            if not asked and (request.method not in methods or fresh(request)
                              or not possible(request.user)):
                return view(request, *args, **kwargs)
            error = ""
            if asked:
                if not ratelimit.allow("otp-verify", str(request.user.pk), ATTEMPTS, 600):
                    error = _("Đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút.")
                elif confirm(request, request.POST[FIELD]):
                    if request.POST.get(AFTER_GET):
                        return redirect(request.get_full_path())
                    return view(request, *args, **kwargs)
                elif uses_code(request.user):
                    error = _("Mã không đúng hoặc đã hết hạn. Nhập mã đang hiển thị trong "
                              "ứng dụng xác thực.")
                else:
                    error = _("Mật khẩu không đúng.")
            carried = [] if request.method == "GET" else [
                (name, value) for name, values in request.POST.lists()
                if name not in _NOT_CARRIED for value in values]
            return render(request, "accounts/reauth.html", {
                "uses_code": uses_code(request.user),
                "has_passkeys": Passkey.objects.filter(user=request.user).exists(),
                "carried": carried, "error": error,
                "after_get": request.method == "GET" or bool(request.POST.get(AFTER_GET)),
                "action": request.get_full_path(), "field": FIELD, "after_get_field": AFTER_GET,
                "minutes": max(1, settings.REAUTH_SECONDS // 60)}, status=400 if error else 200)
        return wrapped
    return decorate
