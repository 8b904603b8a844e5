from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dichvucong.notify.models import SandboxMessage


def sandbox_inbox(request: HttpRequest) -> HttpResponse:
    """Demo only: the text messages the sandbox SMS gateway received."""
    if not settings.DEMO:
        raise Http404
    return render(request, "notify/sandbox_inbox.html",
                  {"messages_sent": SandboxMessage.objects.all()[:50]})
