"""Accounts pages: login (password or VNeID), registration, password reset, profile with the
citizen QR code, business accounts. Thin: the rules are in services.py, forms.py and oidc.py."""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from dichvucong.accounts import conf, lockout, oidc, passkeys, reauth, services, twofactor
from dichvucong.accounts.forms import (
    AddMemberForm,
    CodeForm,
    LinkPasswordForm,
    OrganisationForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    PortalAuthenticationForm,
    ProfileForm,
    RegistrationForm,
    SecondFactorForm,
)
from dichvucong.accounts.identifiers import format_tax_code, mask_contact
from dichvucong.accounts.models import OneTimeCode, OrganisationRole, User
from dichvucong.core import ratelimit
from dichvucong.core.views import too_many_requests
from dichvucong.dossiers.models import AgentConsent
from dichvucong.notify.gateways import DeliveryError

logger = logging.getLogger(__name__)

PREFERRED_BACKEND = "dichvucong.accounts.backends.PhoneEmailUsernameBackend"
REGISTER_KEY = "accounts.register"
RESET_KEY = "accounts.reset"
CONTACT_KEY = "accounts.contact"
NEXT_KEY = "accounts.vneid_next"
LINK_KEY = "accounts.vneid_link"
LINK_MAX_AGE = 10 * 60

TOO_MANY_SENDS = ("Đã gửi quá nhiều mã trong ít phút. Vui lòng chờ 10 phút rồi thử lại.")
NOT_SENT = ("Không gửi được mã xác nhận lúc này. Vui lòng kiểm tra lại số điện thoại hoặc "
            "email, hoặc thử lại sau.")


def _login(request: HttpRequest, user: User) -> None:
    """Log in through a backend that settings list (the session remembers it)."""
    backends = settings.AUTHENTICATION_BACKENDS
    login(request, user, backend=PREFERRED_BACKEND if PREFERRED_BACKEND in backends
          else backends[0])


def _may_send(request: HttpRequest, destination: str) -> bool:
    """At most 3 codes per 10 minutes to one phone or address, 20 an hour from one client."""
    key = hashlib.sha256(destination.lower().encode()).hexdigest()[:32]
    return (ratelimit.allow("accounts-code-to", key, 3, 600)
            and ratelimit.allow("accounts-code-from", ratelimit.client_key(request), 20, 3600))


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("accounts:profile")


def _context(**extra) -> dict:
    return {"local_registration": conf.local_registration(),
            "oidc_configured": conf.oidc_configured(), **extra}


# --- login ----------------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_context()}

    def form_invalid(self, form):
        refusal = getattr(form, "refusal", None)
        if refusal is None:
            return super().form_invalid(form)
        if refusal.scope == "client":  # password spraying: no form, the error page
            response = too_many_requests(self.request, refusal.retry_after)
        else:  # this account, from here: the form says why and what to do
            response = super().form_invalid(form)
            response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response


# --- registration ---------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    if not conf.local_registration():
        return render(request, "accounts/register_closed.html", _context())
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel, destination = form.cleaned_data["contact"]
        if not _may_send(request, destination):
            form.add_error(None, TOO_MANY_SENDS)
        else:
            try:
                record = services.start_registration(channel, destination,
                                                     form.cleaned_data["full_name"],
                                                     form.cleaned_data["password1"])
            except DeliveryError:
                form.add_error(None, NOT_SENT)
            else:
                request.session[REGISTER_KEY] = record.pk
                return redirect("accounts:register_confirm")
    return render(request, "accounts/register.html", _context(form=form))


def _code_page(request: HttpRequest, *, key: str, purpose: str, template: str, on_code,
               form_class=CodeForm, form_kwargs=None, extra=None) -> HttpResponse:
    """The page where a code is typed (and re-sent): registration, reset, contact change."""
    record_id = request.session.get(key)
    record = OneTimeCode.objects.filter(pk=record_id, purpose=purpose).first() \
        if record_id else None
    form = form_class(request.POST or None, **(form_kwargs or {}))
    if request.method == "POST" and "resend" in request.POST:
        if record is not None:
            if not _may_send(request, record.destination):
                messages.error(request, TOO_MANY_SENDS)
            else:
                try:
                    new = services.resend_code(record.pk, purpose)
                except DeliveryError:
                    messages.error(request, NOT_SENT)
                else:
                    request.session[key] = new.pk
                    messages.success(request, "Đã gửi mã mới. Mã cũ không còn dùng được.")
        else:  # nothing to send to (unknown contact on the reset page): say the same
            messages.success(request, "Đã gửi mã mới. Mã cũ không còn dùng được.")
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        response = on_code(form, record_id)
        if response is not None:
            return response
    context = {"form": form, "record": record, "demo_mode": settings.DEMO,
               "destination": mask_contact(record.destination) if record else "",
               "channel": record.channel if record else "", **(extra or {})}
    return render(request, template, _context(**context))


@never_cache
@require_http_methods(["GET", "POST"])
def register_confirm(request: HttpRequest) -> HttpResponse:
    if not conf.local_registration():
        return redirect("accounts:register")
    if not request.session.get(REGISTER_KEY):
        messages.info(request, "Hãy điền thông tin đăng ký trước.")
        return redirect("accounts:register")

    def on_code(form, record_id):
        user, message = services.complete_registration(record_id, form.cleaned_data["code"])
        if user is None:
            form.add_error("code", message)
            return None
        request.session.pop(REGISTER_KEY, None)
        _login(request, user)
        messages.success(request, "Đã tạo tài khoản. Bạn có thể bổ sung hồ sơ cá nhân.")
        return redirect("accounts:profile")

    return _code_page(request, key=REGISTER_KEY, purpose=OneTimeCode.Purpose.REGISTER,
                      template="accounts/register_confirm.html", on_code=on_code)


# --- password reset -------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel, destination = form.cleaned_data["contact"]
        if not _may_send(request, destination):
            form.add_error(None, TOO_MANY_SENDS)
        else:
            try:
                record = services.start_password_reset(channel, destination)
            except DeliveryError:
                form.add_error(None, NOT_SENT)
            else:
                request.session[RESET_KEY] = record.pk if record else 0
                request.session[RESET_KEY + ".to"] = mask_contact(destination)
                return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", _context(form=form))


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    if RESET_KEY not in request.session:
        return redirect("accounts:password_reset")
    record_id = request.session.get(RESET_KEY)
    record = OneTimeCode.objects.filter(pk=record_id, purpose=OneTimeCode.Purpose.RESET) \
        .select_related("user").first() if record_id else None

    def on_code(form, record_id):
        user, message = services.complete_password_reset(
            record_id, form.cleaned_data["code"], form.cleaned_data["password1"])
        if user is None:
            form.add_error("code", message)
            return None
        request.session.pop(RESET_KEY, None)
        request.session.pop(RESET_KEY + ".to", None)
        # The owner proved who she is: wrong passwords typed by others no longer pause her.
        lockout.forget_account(lockout.account_key(f"user:{user.pk}"),
                               ratelimit.client_key(request))
        messages.success(request, "Đã đặt mật khẩu mới. Hãy đăng nhập.")
        return redirect("accounts:login")

    return _code_page(request, key=RESET_KEY, purpose=OneTimeCode.Purpose.RESET,
                      template="accounts/password_reset_confirm.html", on_code=on_code,
                      form_class=PasswordResetConfirmForm,
                      form_kwargs={"user": record.user if record else None},
                      extra={"sent_to": request.session.get(RESET_KEY + ".to", "")})


# --- profile --------------------------------------------------------------------------------

@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    default_province = str(settings.PROVINCE_CODE)
    if request.method == "POST" and "rotate_qr" in request.POST:
        services.rotate_citizen_qr(user)
        messages.success(request, "Đã đổi mã QR. Các mã QR cũ không còn dùng được.")
        return redirect("accounts:profile")
    if request.method == "POST":
        if "_refresh" in request.POST:  # the province changed, without JavaScript
            form = ProfileForm(initial=request.POST.dict(), user=user,
                               default_province=default_province)
            return _render_profile(request, form)
        form = ProfileForm(request.POST, user=user, default_province=default_province)
        if form.is_valid():
            return _save_profile(request, form)
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(user), user=user,
                           default_province=default_province)
    return _render_profile(request, form)


def _render_profile(request: HttpRequest, form: ProfileForm) -> HttpResponse:
    user = request.user
    token = services.citizen_token(user)
    context = _context(
        form=form, qr_svg=services.qr_svg(token, "Mã QR công dân"),
        qr_minutes=services.QR_MAX_AGE // 60, organisations=services.organisations_of(user),
        agent_consents=_active_consents(user),
    )
    return render(request, "accounts/profile.html", context)


def _active_consents(user: User) -> list:
    """The consents to file on the citizen's behalf that still stand (dossiers.agents)."""
    return list(AgentConsent.objects.filter(citizen=user, revoked_at__isnull=True)
                .select_related("agent", "procedure").order_by("-given_at")[:10])


def _save_profile(request: HttpRequest, form: ProfileForm) -> HttpResponse:
    user = request.user
    data = form.cleaned_data
    user.full_name = data["full_name"]
    if not user.id_number_verified:
        user.id_number = data["id_number"]
    user.date_of_birth = data["date_of_birth"]
    user.gender = data["gender"]
    user.address = form.address
    pending = None
    if data["phone"] != user.phone:
        if data["phone"]:
            pending = ("sms", data["phone"])
        else:
            user.phone, user.phone_verified = "", False
    elif data["email"].lower() != user.email.lower():
        if data["email"]:
            pending = ("email", data["email"])
        else:
            user.email, user.email_verified = "", False
    user.save()
    if pending is None:
        messages.success(request, "Đã lưu hồ sơ.")
        return redirect("accounts:profile")
    if not _may_send(request, pending[1]):
        messages.error(request, f"Đã lưu hồ sơ, nhưng chưa đổi được liên lạc: {TOO_MANY_SENDS}")
        return redirect("accounts:profile")
    try:
        record = services.start_contact_change(user, *pending)
    except DeliveryError:
        messages.error(request, f"Đã lưu hồ sơ, nhưng chưa đổi được liên lạc: {NOT_SENT}")
        return redirect("accounts:profile")
    request.session[CONTACT_KEY] = record.pk
    messages.info(request, "Đã lưu hồ sơ. Nhập mã xác nhận để hoàn tất việc đổi liên lạc.")
    return redirect("accounts:contact_confirm")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def contact_confirm(request: HttpRequest) -> HttpResponse:
    if not request.session.get(CONTACT_KEY):
        return redirect("accounts:profile")

    def on_code(form, record_id):
        message = services.complete_contact_change(request.user, record_id,
                                                   form.cleaned_data["code"])
        if message:
            form.add_error("code", message)
            return None
        request.session.pop(CONTACT_KEY, None)
        messages.success(request, "Đã xác nhận và lưu thông tin liên lạc mới.")
        return redirect("accounts:profile")

    return _code_page(request, key=CONTACT_KEY, purpose=OneTimeCode.Purpose.CONTACT,
                      template="accounts/contact_confirm.html", on_code=on_code)


# --- business accounts ----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def organisations(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation, message = services.create_organisation(
            request.user, form.cleaned_data["name"], form.cleaned_data["tax_code"])
        if organisation is not None:
            messages.success(request, "Đã tạo tài khoản doanh nghiệp.")
            return redirect("accounts:organisation", pk=organisation.pk)
        form.add_error("tax_code", message)
    mine = services.organisations_of(request.user)
    return render(request, "accounts/organisations.html",
                  _context(form=form, organisations=[
                      (o, format_tax_code(o.tax_code)) for o in mine]))


@login_required
@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(services.organisations_of(request.user), pk=pk)
    owner = services.is_owner(org, request.user)
    form = AddMemberForm(request.POST if "add" in request.POST else None)
    if request.method == "POST" and "remove" in request.POST:
        message = services.remove_member(org, request.user, int(request.POST.get("remove") or 0))
        if message:
            messages.error(request, message)
        else:
            messages.success(request, "Đã bớt thành viên.")
        return redirect("accounts:organisation", pk=org.pk)
    if request.method == "POST" and form.is_valid():
        member, message = services.add_member(org, request.user, *form.cleaned_data["contact"])
        if member is not None:
            messages.success(request, f"Đã thêm {member.user} vào doanh nghiệp.")
            return redirect("accounts:organisation", pk=org.pk)
        form.add_error("contact", message)
    members = org.members.select_related("user").order_by("-role", "added_at")
    return render(request, "accounts/organisation.html",
                  _context(org=org, tax_code=format_tax_code(org.tax_code), owner=owner,
                           members=members, form=form, owner_role=OrganisationRole.OWNER))


# --- VNeID ----------------------------------------------------------------------------------

def _oidc_error(request: HttpRequest, error: oidc.OidcError) -> HttpResponse:
    logger.warning("VNeID login refused: %s", error.reason or error.message[:60])
    return render(request, "accounts/oidc_error.html", _context(message=error.message),
                  status=error.status)


@never_cache
@require_http_methods(["GET"])
def oidc_start(request: HttpRequest) -> HttpResponse:
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    redirect_uri = conf.oidc_redirect_uri() or request.build_absolute_uri(
        reverse("accounts:oidc_callback"))
    try:
        return oidc.start(request, redirect_uri)
    except oidc.OidcError as error:
        return _oidc_error(request, error)


@never_cache
@require_http_methods(["GET"])
def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        identity = oidc.finish(request)
    except oidc.OidcError as error:
        return _oidc_error(request, error)
    match = services.match_identity(identity)
    if match.needs_password is not None:
        request.session[LINK_KEY] = {"user": match.needs_password.pk, "at": time.time(),
                                     "identity": identity.to_session()}
        return redirect("accounts:oidc_link")
    if match.user is None:
        return _oidc_error(request, oidc.OidcError(
            "Tài khoản gắn với số định danh này đã bị khóa. Liên hệ bộ phận hỗ trợ.",
            status=403, reason="account inactive"))
    return _finish_vneid_login(request, match.user, created=match.created)


def _finish_vneid_login(request: HttpRequest, user: User, created: bool) -> HttpResponse:
    next_url = request.session.pop(NEXT_KEY, None)
    request.session.pop(LINK_KEY, None)
    _login(request, user)
    logger.info("VNeID login: account %s%s", user.pk, " (new)" if created else "")
    if created:
        messages.success(request, "Đã tạo tài khoản từ tài khoản định danh điện tử VNeID.")
    return redirect(_safe_next(request, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def oidc_link(request: HttpRequest) -> HttpResponse:
    """An account holds the VNeID identity's ID number without proof: link it with its password,
    or take the number away from it and create a new account."""
    pending = request.session.get(LINK_KEY)
    if not pending or time.time() - pending.get("at", 0) > LINK_MAX_AGE:
        request.session.pop(LINK_KEY, None)
        return _oidc_error(request, oidc.OidcError(
            "Phiên liên kết tài khoản đã hết hạn. Hãy đăng nhập bằng VNeID lại.",
            reason="link expired"))
    identity = services.VerifiedIdentity.from_session(pending["identity"])
    holder = User.objects.filter(pk=pending["user"], id_number=identity.id_number,
                                 id_number_verified=False).first()
    form = LinkPasswordForm(request.POST if "link" in request.POST else None)
    if request.method == "POST" and "new" in request.POST:
        services.release_unverified_id_number(identity)
        match = services.match_identity(identity)
        if match.user is None:
            return _oidc_error(request, oidc.OidcError(
                "Không tạo được tài khoản. Hãy đăng nhập bằng VNeID lại.", reason="link failed"))
        return _finish_vneid_login(request, match.user, created=match.created)
    if request.method == "POST" and form.is_valid():
        if holder is not None and holder.is_active and \
                ratelimit.allow("accounts-link", str(holder.pk), 5, 600) and \
                holder.check_password(form.cleaned_data["password"]):
            services.link_identity(holder, identity)
            return _finish_vneid_login(request, holder, created=False)
        form.add_error("password", "Mật khẩu không đúng.")
    return render(request, "accounts/oidc_link.html",
                  _context(form=form, holder_contact=mask_contact(holder.phone or holder.email)
                           if holder and (holder.phone or holder.email) else ""))


# --- two-factor login -----------------------------------------------------------------------

OTP_ATTEMPTS = 10  # codes tried per account per 10 minutes (django-otp also slows each device)
_WAIT = _lazy("Mã vừa nhập chưa đúng. Vui lòng chờ %(seconds)s giây rồi nhập mã đang hiển thị.")


def _next_of(request: HttpRequest) -> str:
    return _safe_next(request, request.POST.get("next") or request.GET.get("next"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: a code from the app or a recovery code."""
    owed = twofactor.state(request)
    if owed == twofactor.DONE:
        return redirect(_next_of(request))
    if owed == twofactor.ENROL:
        return redirect("accounts:otp_setup")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow("otp-verify", str(request.user.pk), OTP_ATTEMPTS, 600):
            form.add_error("code", _("Đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút."))
        elif wait := twofactor.wait_seconds(request.user, form.cleaned_data["code"]):
            form.add_error("code", _WAIT % {"seconds": wait})
        elif twofactor.verify(request, form.cleaned_data["code"]):
            return redirect(_next_of(request))
        else:
            form.add_error("code", _("Mã không đúng hoặc đã hết hạn. Nhập mã đang hiển thị "
                                     "trong ứng dụng xác thực."))
    return render(request, "accounts/otp_verify.html", {
        "form": form, "next": request.GET.get("next", ""),
        "has_passkeys": bool(passkeys.of(request.user))})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Turn on the authenticator app (scan, type the first code, keep the recovery codes), or
    for an account that has it: new recovery codes, or turn it off where that is allowed."""
    owed = twofactor.state(request)
    if owed == twofactor.OWED:  # a device exists: prove it before changing anything
        return redirect(f"{reverse('accounts:otp_verify')}?next={reverse('accounts:otp_setup')}")
    user = request.user
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    action = request.POST.get("action", "")
    if request.method == "POST" and has_app and action == "new_codes":
        codes = twofactor.new_recovery_codes(user)
        return render(request, "accounts/otp_codes.html", {"codes": codes, "next": ""})
    if request.method == "POST" and has_app and action == "off":
        if twofactor.turn_off(request):
            messages.success(request, _("Đã tắt xác thực hai bước."))
        else:
            messages.error(request, _("Tài khoản cán bộ bắt buộc dùng xác thực hai bước."))
        return redirect("accounts:otp_setup")
    if has_app:
        return render(request, "accounts/otp_status.html", {
            "remaining": twofactor.remaining_recovery_codes(user),
            "required": settings.TWO_FACTOR_FOR_OFFICIALS and user.is_official})
    device = twofactor.pending_app(user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow("otp-verify", str(user.pk), OTP_ATTEMPTS, 600):
            form.add_error("code", _("Đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút."))
        elif wait := twofactor.wait_seconds(user):
            form.add_error("code", _WAIT % {"seconds": wait})
        else:
            enrolled = twofactor.confirm_app(request, device, form.cleaned_data["code"])
            if enrolled is not None:
                return render(request, "accounts/otp_codes.html",
                              {"codes": enrolled.recovery_codes, "next": _next_of(request)})
            form.add_error("code", _("Mã không đúng. Kiểm tra giờ trên điện thoại và nhập mã "
                                     "đang hiển thị."))
    return render(request, "accounts/otp_setup.html", {
        "form": form, "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device), "enforced": owed == twofactor.ENROL,
        "next": request.GET.get("next", "")})


# --- passkeys -------------------------------------------------------------------------------

PASSKEY_CODES_KEY = "accounts.passkey_codes"  # recovery codes made with a first passkey


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@login_required
@reauth.recent_verification(methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def passkeys_page(request: HttpRequest) -> HttpResponse:
    """The person's passkeys: add one (passkeys.js), see when each was last used, remove one.
    Re-authentication first: a stolen session must not add its own key or remove the owner's."""
    if request.method == "POST" and request.POST.get("action") == "remove":
        pk = request.POST.get("passkey", "")
        if pk.isdigit() and passkeys.remove(request, int(pk)):
            messages.success(request, _("Đã xóa khóa truy cập."))
        return redirect("accounts:passkeys")
    return render(request, "accounts/passkeys.html", {
        "passkeys": passkeys.of(request.user),
        "codes": request.session.pop(PASSKEY_CODES_KEY, None)})


@never_cache
@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    if not reauth.fresh(request) and reauth.possible(request.user):
        return _refused(_("Vui lòng tải lại trang và xác nhận lại danh tính."), 403)
    return JsonResponse(passkeys.registration_options(request))


@never_cache
@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    body = _json_body(request)
    try:
        _passkey, codes = passkeys.register(request, body.get("credential") or {},
                                            str(body.get("name") or ""))
    except passkeys.PasskeyError as exc:
        return _refused(str(exc))
    if codes:
        request.session[PASSKEY_CODES_KEY] = codes
    messages.success(request, _("Đã thêm khóa truy cập."))
    return JsonResponse({"redirect": reverse("accounts:passkeys")})


@never_cache
@login_required
@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    try:
        return JsonResponse(passkeys.authentication_options(request))
    except passkeys.PasskeyError as exc:
        return _refused(str(exc))


@never_cache
@login_required
@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    """The login's second step with a passkey, or re-authentication with one (the page then
    sends its form again)."""
    if not ratelimit.allow("otp-verify", str(request.user.pk), OTP_ATTEMPTS, 600):
        return _refused(_("Đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút."), 429)
    body = _json_body(request)
    try:
        passkeys.authenticate(request, body.get("credential") or {})
    except passkeys.PasskeyError as exc:
        return _refused(str(exc))
    return JsonResponse({"redirect": _safe_next(request, str(body.get("next") or ""))})
