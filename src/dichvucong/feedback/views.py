"""Feedback pages: sending (an account, or a phone proved with a code), the sender's view with
the answer and their verdict, the agencies' list and answer page, and the public page with the
figures and the published answers. The rules are in ``services.py``."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dichvucong.accounts import services as accounts
from dichvucong.accounts.forms import CodeForm
from dichvucong.accounts.identifiers import mask_contact
from dichvucong.accounts.models import OneTimeCode
from dichvucong.core import ratelimit
from dichvucong.feedback import conf, services
from dichvucong.feedback.forms import AnswerForm, FeedbackForm, PhoneForm, VerdictForm
from dichvucong.feedback.models import FeedbackAttachment, State
from dichvucong.notify.gateways import DeliveryError

PHONE_KEY = "feedback.phone"  # {"phone": …, "at": epoch seconds}: proved by a code
RECORD_KEY = "feedback.code_record"
PHONE_TTL = 30 * 60  # a proved phone may send for half an hour
NOT_SENT = "Không gửi được mã xác nhận lúc này. Hãy kiểm tra số điện thoại hoặc thử lại sau."
TOO_MANY = "Đã gửi quá nhiều mã trong ít phút. Vui lòng chờ 10 phút rồi thử lại."


def _proved_phone(request: HttpRequest) -> str:
    data = request.session.get(PHONE_KEY) or {}
    if data and time.time() - data.get("at", 0) < PHONE_TTL:
        return data.get("phone", "")
    return ""


def _may_send(request: HttpRequest, phone: str) -> bool:
    key = hashlib.sha256(phone.encode()).hexdigest()[:32]
    return bool(ratelimit.allow("feedback-code-to", key, 3, 600)
                and ratelimit.allow("feedback-code-from", ratelimit.client_key(request), 10,
                                    3600))


@never_cache
@require_http_methods(["GET", "POST"])
def prove_phone(request: HttpRequest) -> HttpResponse:
    """Without an account: the phone first, proved with a code, then the feedback."""
    if request.user.is_authenticated or _proved_phone(request):
        return redirect("feedback:send")
    record_id = request.session.get(RECORD_KEY)
    phone_form = PhoneForm(request.POST if "phone" in request.POST else None)
    code_form = CodeForm(request.POST if "code" in request.POST else None)
    if phone_form.is_bound and phone_form.is_valid():
        phone = "".join(phone_form.cleaned_data["phone"].split())
        if not _may_send(request, phone):
            phone_form.add_error(None, TOO_MANY)
        else:
            try:
                record = services.send_phone_code(phone)
            except services.FeedbackError as exc:
                phone_form.add_error("phone", exc.message)
            except DeliveryError:
                phone_form.add_error(None, NOT_SENT)
            else:
                request.session[RECORD_KEY] = record.pk
                return redirect("feedback:prove_phone")
    if "resend" in request.POST and record_id:
        record = OneTimeCode.objects.filter(pk=record_id, purpose=services.PURPOSE).first()
        if record is None or not _may_send(request, record.destination):
            messages.error(request, TOO_MANY)
        else:
            try:
                request.session[RECORD_KEY] = accounts.resend_code(record.pk, services.PURPOSE).pk
            except DeliveryError:
                messages.error(request, NOT_SENT)
            else:
                messages.success(request, "Đã gửi mã mới. Mã cũ không còn dùng được.")
        return redirect("feedback:prove_phone")
    if code_form.is_bound and code_form.is_valid() and record_id:
        try:
            phone = services.confirm_phone(record_id, code_form.cleaned_data["code"])
        except services.FeedbackError as exc:
            code_form.add_error("code", exc.message)
        else:
            request.session.pop(RECORD_KEY, None)
            request.session[PHONE_KEY] = {"phone": phone, "at": time.time()}
            return redirect("feedback:send")
    record = OneTimeCode.objects.filter(pk=record_id, purpose=services.PURPOSE,
                                                 used_at__isnull=True).first()
    errors = phone_form.errors or code_form.errors
    return render(request, "feedback/prove_phone.html", {
        "phone_form": phone_form, "form": code_form, "record": record,
        "destination": mask_contact(record.destination) if record else "",
        "channel": "sms", "demo_mode": settings.DEMO,
    }, status=400 if errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    phone = _proved_phone(request)
    if user is None and not phone:
        return redirect("feedback:prove_phone")
    initial = {"name": user.full_name if user else "", "email": user.email if user else "",
               "procedure_code": request.GET.get("thu_tuc", "")[:40]}
    form = FeedbackForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = form.draft()
        sender = services.Sender(user=user, name=data["name"],
                                 phone=(user.phone if user and user.phone_verified else phone),
                                 email=data["email"] or (user.email if user else ""))
        try:
            feedback = services.submit(draft, sender, request.FILES.getlist("files"))
        except services.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("feedback:sender_view", services.sender_token(feedback))
    return render(request, "feedback/send.html", {
        "form": form, "phone": mask_contact(phone) if phone else "",
        "days": conf.answer_working_days(), "legal_basis": conf.LEGAL_BASIS,
    }, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def sender_view(request: HttpRequest, token: str) -> HttpResponse:
    """The sender's page (the private link): the feedback, its answer, the verdict."""
    feedback = services.by_sender_token(token)
    if feedback is None:
        raise Http404
    form = VerdictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rate(feedback, form.cleaned_data["satisfied"])
        except services.FeedbackError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Cảm ơn bạn đã đánh giá câu trả lời.")
        return redirect(request.path)
    return render(request, "feedback/sender_view.html", {
        "feedback": feedback, "form": form, "answered": feedback.state == State.ANSWERED})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = [(f, services.sender_token(f)) for f in services.of_user(request.user)[:100]]
    return render(request, "feedback/mine.html", {"rows": rows})


def public(request: HttpRequest) -> HttpResponse:
    """The figures of the last 12 months and the published answers: no personal data."""
    today = timezone.localdate()
    start = today.replace(year=today.year - 1)
    return render(request, "feedback/public.html", {
        "counts": services.counts(start, today), "start": start, "end": today,
        "published": services.published(), "days": conf.answer_working_days(),
        "legal_basis": conf.LEGAL_BASIS})


# --- the agencies' side ------------------------------------------------------------------------

def _refused(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/refused.html", status=403)


@login_required
def handle_list(request: HttpRequest) -> HttpResponse:
    if not services.may_handle(request.user):
        return _refused(request)
    rows = services.handled_by(request.user).order_by("state", "due_at")[:200]
    return render(request, "feedback/handle_list.html", {"rows": rows, "now": timezone.now()})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_handle(request.user):
        return _refused(request)
    feedback = services.handled_by(request.user).filter(pk=pk).first()
    if feedback is None:
        raise Http404
    public_content, _ = services.publishable(feedback)
    form = AnswerForm(request.POST or None, initial={"public_content": public_content})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.answer(feedback.pk, request.user, data["answer"],
                            public_content=data["public_content"],
                            public_answer=data["public_answer"])
        except services.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Đã trả lời và gửi câu trả lời tới người phản ánh.")
            return redirect("feedback:answer", feedback.pk)
    return render(request, "feedback/answer.html", {
        "feedback": feedback, "form": form, "attachments": feedback.attachments.all(),
        "answered": feedback.state == State.ANSWERED, "now": timezone.now(),
    }, status=400 if form.errors else 200)


@login_required
def attachment(request: HttpRequest, pk: int, token: str) -> FileResponse:
    if not services.may_handle(request.user):
        raise Http404
    item = FeedbackAttachment.objects.filter(
        token=token, feedback__in=services.handled_by(request.user).filter(pk=pk)).first()
    if item is None:
        raise Http404
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name,
                        content_type=item.content_type)
