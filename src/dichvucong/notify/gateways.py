"""Delivery channels. Each gateway speaks its provider's documented protocol; the demo and the
tests point them at local servers that speak the same protocol.

- e-mail: SMTP (EMAIL_HOST …), multipart text + HTML, UTF-8, a Message-ID of our own;
- SMS: eSMS's brandname API (SendMultipleMessage_V4_post_json) with our RequestId;
- Zalo ZNS: the template-message API (access_token header, phone in 84 format, tracking_id).
In demo mode without a provider's settings, the sandbox gateway keeps messages for
/hop-thu-thu-nghiem/.

The hand-over point. A provider acts on a message only once it has all of it: SMTP after the
final "." of DATA, an HTTP API after the last byte of the request body. The senders here write
everything but that last piece, call ``on_handover()`` (the worker commits "handed over" to the
database there; it raises if the worker lost its claim, and then nothing is sent), then write
the last piece and read the reply. A worker that dies before the hand-over leaves a message the
provider never had (safe to send again); one that dies after it leaves a message the provider
has been given in full (bytes already written reach the peer even when the process is killed).
"""

from __future__ import annotations

import http.client
import json
import secrets
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage as PyEmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives

from dichvucong.notify.models import SandboxMessage
from dichvucong.notify.texts import sms_text

Handover = Callable[[], None] | None


class DeliveryError(Exception):
    """Delivery failed. ``temporary``: worth retrying later."""

    def __init__(self, message: str, temporary: bool = False, code: str = ""):
        super().__init__(message)
        self.temporary = temporary
        self.code = code


class ZaloRefused(DeliveryError):
    """Zalo answered with an error: the message goes by SMS instead."""


@dataclass(frozen=True)
class Sent:
    provider_id: str
    duplicate: bool = False  # the provider had this idempotency key already: sent before


def _nothing() -> None:
    return None


# --- e-mail ---------------------------------------------------------------------------------

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_sandboxed() -> bool:
    return settings.DEMO and not settings.EMAIL_HOST_GIVEN


def build_email(to: str, subject: str, body: str, html: str | None = None,
                message_id: str | None = None, language: str = "vi") -> EmailMessage:
    """A UTF-8 message (Django encodes the subject as RFC 2047 words and the parts as UTF-8)."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message.extra_headers["Message-ID"] = message_id or make_msgid(domain=domain)
    message.extra_headers["Content-Language"] = language
    return message


def send_email(to: str, subject: str, body: str, *, html: str | None = None,
               message_id: str | None = None, language: str = "vi",
               on_handover: Handover = None) -> Sent:
    message = build_email(to, subject, body, html, message_id, language)
    message_id = message.extra_headers["Message-ID"]
    if email_sandboxed():
        _sandbox("email", to, body, message_id, subject)
        return Sent(provider_id=message_id)
    if settings.EMAIL_BACKEND != SMTP_BACKEND:  # console, locmem (tests), file: local, no window
        try:
            message.send(fail_silently=False)
        except OSError as exc:
            raise DeliveryError(f"Không gửi được thư: {exc}", temporary=True) from exc
        return Sent(provider_id=message_id)
    _smtp_send(message, on_handover or _nothing)
    return Sent(provider_id=message_id)


def mime_message(message: EmailMessage) -> bytes:
    """The message as it goes over SMTP, built with the standard library's current e-mail API:
    headers as RFC 2047 words without an empty first line, text parts quoted-printable so the
    message is 7-bit clean for any relay."""
    mime = PyEmailMessage(policy=policy.SMTP)
    mime["Subject"] = message.subject
    mime["From"] = message.from_email
    mime["To"] = ", ".join(message.to)
    mime["Date"] = formatdate(localtime=False)
    mime.set_content(message.body, cte="quoted-printable")
    for content, mimetype in getattr(message, "alternatives", []):
        maintype, subtype = mimetype.split("/", 1)
        if maintype == "text":
            mime.add_alternative(content, subtype=subtype, cte="quoted-printable")
    for name, value in message.extra_headers.items():  # after the body: on the whole message
        mime[name] = value
    return mime.as_bytes()


def _smtp_send(message: EmailMessage, on_handover: Callable[[], None]) -> None:
    """One SMTP transaction with the hand-over just before the end-of-data "."."""
    sender = parseaddr(message.from_email)[1]
    data = mime_message(message)
    timeout = settings.EMAIL_TIMEOUT or 30
    try:
        if settings.EMAIL_USE_SSL:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.EMAIL_HOST, settings.EMAIL_PORT,
                                                  timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
    except OSError as exc:
        raise DeliveryError(f"Không kết nối được máy chủ thư: {exc}", temporary=True) from exc
    try:
        # The end-of-data mark goes in a write of its own: no Nagle wait for the peer's ACK.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo()
        if settings.EMAIL_USE_TLS:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.EMAIL_HOST_USER:
            smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        _check(*smtp.mail(sender), stage="MAIL")
        _check(*smtp.rcpt(message.to[0]), stage="RCPT")
        code, reply = smtp.docmd("DATA")
        if code != 354:
            _check(code, reply, stage="DATA")
        payload = smtplib._quote_periods(data)  # noqa: SLF001 - smtplib's own dot-stuffing
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload)
        on_handover()  # everything but the end-of-data mark is with the server
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
        _check(code, reply, stage="end of DATA")
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(f"Máy chủ thư ngắt kết nối: {exc}", temporary=True) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"Máy chủ thư từ chối đăng nhập ({exc.smtp_code})",
                            code=str(exc.smtp_code)) from exc
    except (smtplib.SMTPNotSupportedError, ssl.SSLError) as exc:
        raise DeliveryError(f"Máy chủ thư: {exc}", code="tls") from exc
    except OSError as exc:
        raise DeliveryError(f"Lỗi kết nối máy chủ thư: {exc}", temporary=True) from exc
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _check(code: int, reply: bytes, stage: str) -> None:
    """SMTP replies: 2xx/3xx go on; 4xx try again later; 5xx are final."""
    if 200 <= code < 400:
        return
    text = reply.decode("utf-8", "replace")[:200] if isinstance(reply, bytes) else str(reply)
    raise DeliveryError(f"Máy chủ thư trả {code} ở bước {stage}: {text}",
                        temporary=400 <= code < 500, code=str(code))


# --- SMS (eSMS) -----------------------------------------------------------------------------

# eSMS CodeResult values (docs/architecture.md «Integrations»). 100 accepted; 124 "duplicate
# RequestId": our RequestIds are random and one per notification, so it means an earlier attempt
# was accepted.
ESMS_ACCEPTED = "100"
ESMS_DUPLICATE = "124"
ESMS_PERMANENT = {"101": "sai khóa API", "104": "brandname chưa đăng ký",
                  "146": "nội dung không khớp mẫu đã đăng ký"}
ESMS_TEMPORARY = {"103": "hết tiền trong tài khoản", "99": "lỗi không rõ của cổng SMS"}


def send_sms(phone: str, content: str, request_id: str | None = None, *,
             on_handover: Handover = None) -> Sent:
    request_id = request_id or secrets.token_hex(16)
    content = sms_text(content)
    url = settings.ESMS_URL
    if not url:
        if settings.MODE in ("demo", "test"):
            return _sandbox_sms(phone, content, request_id)
        raise DeliveryError("Chưa cấu hình cổng SMS (ESMS_URL).", code="not_configured")
    payload = {
        "ApiKey": settings.ESMS_API_KEY, "SecretKey": settings.ESMS_SECRET_KEY,
        "Phone": phone, "Content": content, "Brandname": settings.ESMS_BRANDNAME,
        "SmsType": "2", "IsUnicode": "1" if settings.ESMS_UNICODE else "0", "Sandbox": "0",
        "RequestId": request_id,
    }
    if settings.ESMS_CALLBACK_URL:
        payload["CallbackUrl"] = settings.ESMS_CALLBACK_URL
    status, reply = post_json(url, payload, {}, on_handover, "SMS")
    if status >= 500:
        raise DeliveryError(f"Cổng SMS trả lỗi HTTP {status}", temporary=True, code=str(status))
    if status >= 400:
        raise DeliveryError(f"Cổng SMS trả lỗi HTTP {status}", code=str(status))
    code = str(reply.get("CodeResult", ""))
    if code == ESMS_ACCEPTED:
        return Sent(provider_id=str(reply.get("SMSID", "")))
    if code == ESMS_DUPLICATE:
        return Sent(provider_id=str(reply.get("SMSID", "")), duplicate=True)
    if code in ESMS_TEMPORARY:
        raise DeliveryError(f"Cổng SMS tạm từ chối ({code}): {ESMS_TEMPORARY[code]}",
                            temporary=True, code=code)
    reason = ESMS_PERMANENT.get(code) or str(reply.get("ErrorMessage", "lỗi không rõ"))[:100]
    raise DeliveryError(f"Cổng SMS từ chối ({code}): {reason}", code=code)


def _sandbox_sms(phone: str, content: str, request_id: str) -> Sent:
    message, created = _sandbox("sms", phone, content, request_id)
    return Sent(provider_id=f"sandbox-{message.pk}", duplicate=not created)


def _sandbox(channel: str, to: str, content: str, request_id: str, subject: str = ""):
    return SandboxMessage.objects.get_or_create(
        request_id=request_id[:64],
        defaults={"phone": to, "content": content, "channel": channel, "subject": subject})


# --- Zalo ZNS -------------------------------------------------------------------------------

# error ≠ 0 is a refusal (docs/architecture.md «Integrations»; the values are not verified):
# SMS takes over.
ZNS_ERRORS = {-108: "số điện thoại không hợp lệ", -112: "dữ liệu mẫu không hợp lệ",
              -118: "số điện thoại không dùng Zalo", -124: "access token không hợp lệ",
              -131: "mẫu tin chưa được duyệt", -137: "hết hạn mức gửi"}


def zalo_phone(phone: str) -> str:
    """0905123456 / +84905123456 → 84905123456, as ZNS wants."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def send_zalo(phone: str, template_id: str, template_data: dict, tracking_id: str, *,
              on_handover: Handover = None) -> Sent:
    if not template_id:
        raise ZaloRefused("Chưa có mẫu tin Zalo cho thông báo này.", code="no_template")
    url = settings.ZNS_URL
    if not url:
        if settings.MODE in ("demo", "test"):
            text = " · ".join(f"{k}: {v}" for k, v in template_data.items())
            message, created = _sandbox("zalo", phone, f"[{template_id}] {text}", tracking_id)
            return Sent(provider_id=f"sandbox-{message.pk}", duplicate=not created)
        raise ZaloRefused("Chưa cấu hình Zalo ZNS (ZNS_URL).", code="not_configured")
    payload = {"phone": zalo_phone(phone), "template_id": template_id,
               "template_data": template_data, "tracking_id": tracking_id}
    status, reply = post_json(url, payload, {"access_token": settings.ZNS_ACCESS_TOKEN},
                              on_handover, "Zalo")
    if status >= 500:
        raise DeliveryError(f"Zalo trả lỗi HTTP {status}", temporary=True, code=str(status))
    try:
        error = int(reply.get("error", -1))
    except (TypeError, ValueError):
        error = -1
    if status == 200 and error == 0:
        return Sent(provider_id=str((reply.get("data") or {}).get("msg_id", "")))
    reason = ZNS_ERRORS.get(error) or str(reply.get("message", ""))[:100]
    raise ZaloRefused(f"Zalo từ chối ({error}): {reason}", code=str(error))


# --- HTTP with a hand-over point ------------------------------------------------------------

def post_json(url: str, payload: dict, headers: dict, on_handover: Handover,
              provider: str) -> tuple[int, dict]:
    """POST ``payload`` as JSON; the last byte of the body goes after ``on_handover()``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"Địa chỉ cổng {provider} phải là http(s).", code="not_configured")
    body = json.dumps(payload, ensure_ascii=False).encode()
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=10, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/json; charset=utf-8")
        conn.putheader("Content-Length", str(len(body)))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(body[:-1])
        (on_handover or _nothing)()
        conn.send(body[-1:])
        response = conn.getresponse()
        raw = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"Không kết nối được cổng {provider}: {exc}", temporary=True,
                            code="network") from exc
    finally:
        conn.close()
    try:
        reply = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        reply = {}
    return status, reply if isinstance(reply, dict) else {}


def deliver(channel: str, to: str, subject: str, body: str) -> Sent:
    """Send one message now, outside the outbox (one-time codes, where the person waits for
    it). ``channel``: "email" or "sms". Raises DeliveryError."""
    if channel == "email":
        return send_email(to, subject, body)
    if channel == "sms":
        return send_sms(to, body)
    raise DeliveryError(f"Kênh không hỗ trợ: {channel}", code="unknown_channel")
