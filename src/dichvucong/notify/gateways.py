"""Delivery channels. Each gateway speaks its provider's documented protocol; the demo and the
tests point them at local servers that speak the same protocol.

- email: Django's mail (SMTP in production: EMAIL_HOST …).
- SMS: eSMS's brandname API (SendMultipleMessage_V4_post_json), URL and keys from settings;
  in demo mode without keys, the sandbox gateway keeps messages for /hop-thu-thu-nghiem/.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage


class DeliveryError(Exception):
    """Delivery failed. ``temporary``: worth retrying later."""

    def __init__(self, message: str, temporary: bool = False, code: str = ""):
        super().__init__(message)
        self.temporary = temporary
        self.code = code


@dataclass(frozen=True)
class Sent:
    provider_id: str


def send_email(to: str, subject: str, body: str) -> Sent:
    message = EmailMessage(subject=subject, body=body, to=[to])
    message.extra_headers["Content-Language"] = "vi"
    try:
        message.send(fail_silently=False)
    except OSError as exc:  # connection refused, timeouts: try again later
        raise DeliveryError(f"Không gửi được thư: {exc}", temporary=True) from exc
    return Sent(provider_id=message.extra_headers.get("Message-ID", ""))


# eSMS CodeResult values (INTEGRATIONS.md): 100 accepted; the rest are refusals.
ESMS_PERMANENT = {"101": "sai khóa API", "104": "brandname chưa đăng ký",
                  "146": "nội dung không khớp mẫu đã đăng ký", "124": "trùng RequestId"}
ESMS_TEMPORARY = {"103": "hết tiền trong tài khoản"}


def send_sms(phone: str, content: str, request_id: str | None = None) -> Sent:
    request_id = request_id or secrets.token_hex(16)
    url = getattr(settings, "ESMS_URL", "")
    if not url:
        if settings.MODE in ("demo", "test"):
            return _sandbox_sms(phone, content, request_id)
        raise DeliveryError("Chưa cấu hình cổng SMS (ESMS_URL).", code="not_configured")
    payload = {
        "ApiKey": settings.ESMS_API_KEY, "SecretKey": settings.ESMS_SECRET_KEY,
        "Phone": phone, "Content": content, "Brandname": settings.ESMS_BRANDNAME,
        "SmsType": "2", "IsUnicode": "0", "Sandbox": "0", "RequestId": request_id,
    }
    if not url.startswith(("https://", "http://")):
        raise DeliveryError("ESMS_URL phải là địa chỉ http(s).", code="not_configured")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured
            reply = json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"Cổng SMS trả lỗi HTTP {exc.code}", temporary=exc.code >= 500,
                            code=str(exc.code)) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Không kết nối được cổng SMS: {exc}", temporary=True) from exc
    code = str(reply.get("CodeResult", ""))
    if code == "100":
        return Sent(provider_id=str(reply.get("SMSID", "")))
    if code in ESMS_TEMPORARY:
        raise DeliveryError(f"Cổng SMS từ chối: {ESMS_TEMPORARY[code]}", temporary=True,
                            code=code)
    reason = ESMS_PERMANENT.get(code, reply.get("ErrorMessage", "lỗi không rõ"))
    raise DeliveryError(f"Cổng SMS từ chối ({code}): {reason}", code=code)


def _sandbox_sms(phone: str, content: str, request_id: str) -> Sent:
    from dichvucong.notify.models import SandboxMessage

    message, _ = SandboxMessage.objects.get_or_create(
        request_id=request_id, defaults={"phone": phone, "content": content})
    return Sent(provider_id=f"sandbox-{message.pk}")


def deliver(channel: str, to: str, subject: str, body: str) -> Sent:
    """Send one message now. ``channel``: "email" or "sms". Raises DeliveryError."""
    if channel == "email":
        return send_email(to, subject, body)
    if channel == "sms":
        return send_sms(to, body)
    raise DeliveryError(f"Kênh không hỗ trợ: {channel}", code="unknown_channel")
