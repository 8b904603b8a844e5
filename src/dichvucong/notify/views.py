from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dichvucong.notify import inbox as inbox_service
from dichvucong.notify.forms import PreferenceForm
from dichvucong.notify.models import SandboxMessage
from dichvucong.notify.preferences import preference_of

SANDBOX_SHOWN_FOR = timedelta(hours=1)  # one-time codes live 10 minutes; notices are seen at once


@never_cache
def sandbox_inbox(request: HttpRequest) -> HttpResponse:
    """Demo only (routed only in demo mode, and refused here outside it): the messages the
    sandbox gateways received, so a tester can read one-time codes without a real phone. It
    shows everyone's messages, so only the last hour's, never indexed nor cached."""
    if not settings.DEMO:
        raise Http404
    since = timezone.now() - SANDBOX_SHOWN_FOR
    response = render(request, "notify/sandbox_inbox.html", {
        "messages_sent": SandboxMessage.objects.filter(created_at__gte=since)[:50],
        "shown_minutes": int(SANDBOX_SHOWN_FOR.total_seconds() // 60)})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        before = int(request.GET.get("truoc", "") or 0) or None
    except ValueError:
        before = None
    rows, older = inbox_service.messages_for(request.user.pk, before)
    return render(request, "notify/inbox.html", {
        "rows": rows, "older": rows[-1].pk if older and rows else None, "before": before})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    changed = inbox_service.mark_read(request.user.pk, pk)
    if pk is None and changed:
        messages.success(request, _("Đã đánh dấu tất cả thông báo là đã đọc."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = "notify:inbox"
    return redirect(target)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    preference = preference_of(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Đã lưu cách nhận thông báo."))
        return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"form": form, "preference": preference})
