"""Delivery through real protocols: e-mail to a real SMTP server (parsed back), SMS to a local
eSMS server and Zalo ZNS to a local ZNS server with their error codes, retries with backoff,
the ZNS → SMS fallback, claims and leases."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.notify import gateways, worker
from dichvucong.notify.models import Notification, Preference, Status
from dichvucong.notify.outbox import enqueue
from tests.notify_servers import EsmsServer, MailServer, ZnsServer

pytestmark = pytest.mark.django_db
SUBJECT = "Hồ sơ 000.00.12.H17-261124-0001 đã được tiếp nhận"


@pytest.fixture
def mail(settings):
    with MailServer() as server:
        settings.EMAIL_BACKEND = gateways.SMTP_BACKEND
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.DEFAULT_FROM_EMAIL = "Cổng dịch vụ công Đà Nẵng <no-reply@dichvucong.test>"
        yield server


@pytest.fixture
def esms(settings):
    with EsmsServer() as server:
        settings.ESMS_URL = server.url
        settings.ESMS_API_KEY, settings.ESMS_SECRET_KEY = server.api_key, server.secret_key
        settings.ESMS_BRANDNAME = server.brandname
        yield server


@pytest.fixture
def zns(settings, esms):
    with ZnsServer() as server:
        settings.ZNS_URL = server.url
        settings.ZNS_ACCESS_TOKEN = server.token
        settings.ZNS_TEMPLATES = {"received": "301234", "fee_due": "301235"}
        yield server


def person(username="giao-nhan", phone="0905111222", email="an.nguyen@example.vn",
           pref: dict | None = None) -> User:
    user = User.objects.create(username=username, full_name="Nguyễn Văn An", phone=phone,
                               email=email)
    if pref:
        Preference.objects.create(user=user, **pref)
    return user


def received(user, key="k", **context):
    context = {"code": "000.00.12.H17-261124-0001", "procedure": "Đăng ký khai sinh",
               "agency": "Ủy ban nhân dân phường Hải Châu", "due": "17:00 01/12/2026",
               "name": "Nguyễn Văn An", **context}
    return enqueue(event="received", context=context, dedupe_key=key, user=user)


def make_due(**filters) -> None:
    """Skip the backoff wait: the retry is due now."""
    Notification.objects.filter(**filters).update(next_attempt_at=timezone.now())


def test_email_reaches_a_real_smtp_server_with_vietnamese_intact(mail):
    user = person(phone="")
    received(user)
    report = worker.deliver_due()
    assert report.sent == 1
    [(sender, recipients, message)] = mail.messages
    assert sender == "no-reply@dichvucong.test" and recipients == ["an.nguyen@example.vn"]
    assert message["Subject"] == SUBJECT  # RFC 2047 words decoded back
    assert "Cổng dịch vụ công Đà Nẵng" in str(message["From"])
    assert message["Content-Language"] == "vi"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ủy ban nhân dân phường Hải Châu đã tiếp nhận hồ sơ" in text
    assert "Hẹn trả kết quả: 17:00 01/12/2026." in text
    assert "/ho-so/" not in text or "http" in text
    assert "<h1" in html and "Hẹn trả kết quả" in html
    row = Notification.objects.get(channel="email")
    assert row.status == Status.SENT and row.attempts == 1
    assert message["Message-ID"] == worker.message_id(row) == row.provider_id
    assert row.idempotency_key in message["Message-ID"]


def test_email_in_english_for_a_user_who_chose_english(mail):
    user = person(phone="", pref={"language": "en"})
    received(user)
    worker.deliver_due()
    [(_s, _r, message)] = mail.messages
    assert message["Subject"] == "Dossier 000.00.12.H17-261124-0001 has been received"
    assert message["Content-Language"] == "en"
    assert "Result due: 17:00 01/12/2026." in message.get_body(("plain",)).get_content()


def test_smtp_server_down_is_retried_later_with_backoff(settings):
    settings.EMAIL_BACKEND = gateways.SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    received(person(phone=""))
    before = timezone.now()
    report = worker.deliver_due()
    assert report.retried == 1
    row = Notification.objects.get(channel="email")
    assert row.status == Status.PENDING and row.attempts == 1 and row.handed_over_at is None
    delay = (row.next_attempt_at - before).total_seconds()
    base = settings.NOTIFY_BACKOFF_SECONDS
    assert base * 0.5 - 1 <= delay <= base + 1
    assert "máy chủ thư" in row.last_error
    assert worker.deliver_due().handled == 0  # not due yet


def test_sms_through_esms_ascii_with_our_request_id(esms):
    user = person(email="")
    received(user)
    assert worker.deliver_due().sent == 1
    [request] = esms.requests
    row = Notification.objects.get(channel="sms")
    assert request["RequestId"] == row.idempotency_key
    assert request["Phone"] == "0905111222" and request["IsUnicode"] == "0"
    assert request["SmsType"] == "2" and request["Brandname"] == "DICHVUCONG"
    assert request["Content"] == ("Ho so 000.00.12.H17-261124-0001 da duoc tiep nhan. "
                                  "Hen tra ket qua: 17:00 01/12/2026.")
    assert row.status == Status.SENT and row.provider_id == "sms-1"


def test_sms_unicode_when_configured(esms, settings):
    settings.ESMS_UNICODE = True
    received(person(email=""))
    worker.deliver_due()
    [request] = esms.requests
    assert request["IsUnicode"] == "1"
    assert request["Content"].startswith("Hồ sơ 000.00.12.H17-261124-0001 đã được tiếp nhận")


def test_sms_temporary_error_is_retried_then_sent(esms):
    esms.script["0905111222"] = ["103"]  # out of credit, once
    received(person(email=""))
    assert worker.deliver_due().retried == 1
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.PENDING and row.error_code == "103"
    make_due(pk=row.pk)
    assert worker.deliver_due().sent == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2
    assert [r["RequestId"] for r in esms.requests] == [row.idempotency_key] * 2
    assert len(esms.delivered) == 1


@pytest.mark.parametrize(("code", "words"), [("146", "không khớp mẫu"), ("104", "brandname"),
                                             ("101", "sai khóa")])
def test_sms_permanent_errors_fail_at_once(esms, code, words):
    esms.script["0905111222"] = [code]
    received(person(email=""))
    assert worker.deliver_due().failed == 1
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.FAILED and row.attempts == 1 and row.error_code == code
    assert words in row.last_error


def test_wrong_keys_are_refused_by_the_gateway(esms, settings):
    settings.ESMS_SECRET_KEY = "wrong"
    received(person(email=""))
    worker.deliver_due()
    assert Notification.objects.get(channel="sms").error_code == "101"


def test_duplicate_request_id_means_sent_before(esms):
    """An attempt the provider accepted but whose reply was lost: the same RequestId again
    gets 124, which is success, and the phone got one message."""
    received(person(email=""))
    row = Notification.objects.get(channel="sms")
    gateways.send_sms(row.to, row.short_text, request_id=row.idempotency_key)  # the lost one
    assert worker.deliver_due().sent == 1
    assert [r["RequestId"] for r in esms.requests] == [row.idempotency_key] * 2
    assert len(esms.delivered) == 1
    assert Notification.objects.get(pk=row.pk).status == Status.SENT


def test_too_many_temporary_failures_end_as_failed(esms, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    esms.script["0905111222"] = ["103"] * 5
    received(person(email=""))
    for _ in range(3):
        make_due(channel="sms")
        worker.deliver_due()
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.FAILED and row.attempts == 3


def zalo_user(phone="0905333444") -> User:
    return person(username=f"zalo-{phone}", email="", phone=phone, pref={"phone": "zalo"})


def test_zalo_template_message(zns):
    received(zalo_user())
    assert worker.deliver_due().sent == 1
    [request] = zns.requests
    row = Notification.objects.get(channel="zalo")
    assert request["phone"] == "84905333444" and request["template_id"] == "301234"
    assert request["tracking_id"] == row.idempotency_key
    assert request["template_data"] == {
        "customer_name": "Nguyễn Văn An", "dossier_code": "000.00.12.H17-261124-0001",
        "status": "Đã tiếp nhận", "procedure": "Đăng ký khai sinh",
        "date": "17:00 01/12/2026"}
    assert row.status == Status.SENT and row.provider_id == "zns-1"
    assert not zns_fallbacks()


def zns_fallbacks():
    return list(Notification.objects.filter(channel="sms", fallback_of__isnull=False))


@pytest.mark.parametrize("error", [-118, -131, -108, -137])
def test_zalo_refusal_falls_back_to_sms(zns, esms, error):
    zns.script["84905333444"] = [error]  # no Zalo account, template not approved, …
    received(zalo_user())
    report = worker.deliver_due()
    assert report.fell_back == 1 and report.sent == 1  # the SMS went in the same run
    zalo = Notification.objects.get(channel="zalo")
    assert zalo.status == Status.FELL_BACK and zalo.error_code == str(error)
    [sms] = zns_fallbacks()
    assert sms.fallback_of == zalo and sms.status == Status.SENT
    assert [r["Phone"] for r in esms.delivered] == ["0905333444"]
    assert esms.delivered[0]["Content"].startswith("Ho so 000.00.12.H17-261124-0001")


def test_zalo_bad_token_falls_back_too(zns, esms, settings):
    settings.ZNS_ACCESS_TOKEN = "expired"
    received(zalo_user())
    worker.deliver_due()
    assert Notification.objects.get(channel="zalo").error_code == "-124"
    assert len(esms.delivered) == 1


def test_event_without_an_approved_zalo_template_goes_by_sms(zns, esms):
    user = zalo_user()
    enqueue(event="result_ready", context={"code": "X-1"}, dedupe_key="r", user=user)
    worker.deliver_due()
    assert not zns.requests
    assert Notification.objects.get(channel="zalo").error_code == "no_template"
    assert len(esms.delivered) == 1


def test_zalo_server_error_is_retried_then_sent(zns, esms):
    zns.script["84905333444"] = [500]
    received(zalo_user())
    assert worker.deliver_due().retried == 1
    make_due(channel="zalo")
    assert worker.deliver_due().sent == 1
    row = Notification.objects.get(channel="zalo")
    assert row.status == Status.SENT and row.attempts == 2
    assert len(zns.delivered) == 1 and not esms.delivered


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(3600, 30 * 2 ** (attempt - 1))
        delays = [worker.backoff_seconds(attempt, base=30, cap=3600, rng=rng)
                  for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # really spread out


def test_a_claim_is_exclusive_until_its_lease_ends(settings, esms):
    user = person(email="")
    for i in range(3):
        received(user, key=f"k{i}")
    token, rows = worker.claim(batch=2)
    assert len(rows) == 2
    other, more = worker.claim(batch=10)
    assert [r.pk for r in more] == [Notification.objects.filter(channel="sms").last().pk]
    assert not worker.claim()[1]  # everything is held
    # The first worker died: its lease ends and another worker takes its rows over.
    Notification.objects.filter(lease_token=token).update(
        lease_until=timezone.now() - timedelta(seconds=1))
    third, taken = worker.claim()
    assert {r.pk for r in taken} == {r.pk for r in rows}
    # The dead worker's token no longer writes anything.
    worker.deliver_one(rows[0], token)
    assert Notification.objects.get(pk=rows[0].pk).lease_token == third
    assert not esms.requests


def test_a_claim_is_one_statement_on_postgresql(esms):
    """The rows chosen, leased and returned by one ``UPDATE … RETURNING`` (there were three:
    the candidates read, the lease written, the rows read back)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads, leases and reads back: three statements")
    received(person(email=""))
    with CaptureQueriesContext(connection) as captured:
        token, rows = worker.claim()
    statements = [q["sql"] for q in captured.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 1, statements  # the test's transaction adds the savepoint
    assert rows and all(row.lease_token == token and row.status == Status.SENDING
                        for row in rows)
    assert not worker.claim()[1]


def test_a_worker_that_lost_its_lease_hands_nothing_over(esms):
    received(person(email=""))
    token, [row] = worker.claim()
    original = gateways.post_json

    def steal_then_send(*args, **kwargs):
        # Another worker takes the row over while this one is writing the request.
        Notification.objects.filter(pk=row.pk).update(lease_token="someone-else")
        return original(*args, **kwargs)

    gateways.post_json, saved = steal_then_send, gateways.post_json
    try:
        worker.deliver_one(row, token)
    finally:
        gateways.post_json = saved
    assert not esms.delivered  # the request never got its last byte
    assert Notification.objects.get(pk=row.pk).handed_over_at is None


def test_an_abandoned_hand_over_is_not_sent_twice_by_email(mail):
    """A worker died after handing a mail over: the next one records it as unconfirmed
    instead of sending a second copy."""
    received(person(phone=""))
    Notification.objects.filter(channel="email").update(
        status=Status.SENDING, lease_token="dead", handed_over_at=timezone.now(), attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1))
    assert worker.deliver_due().unconfirmed == 1
    assert not mail.messages
    row = Notification.objects.get(channel="email")
    assert row.status == Status.UNCONFIRMED and row.attempts == 1


def test_an_abandoned_hand_over_by_sms_is_resent_with_the_same_request_id(esms):
    received(person(email=""))
    row = Notification.objects.get(channel="sms")
    gateways.send_sms(row.to, row.short_text, request_id=row.idempotency_key)
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, lease_token="dead", handed_over_at=timezone.now(), attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1))
    assert worker.deliver_due().sent == 1
    assert len(esms.delivered) == 1 and len(esms.requests) == 2


def test_sandbox_keeps_messages_in_demo_without_providers(settings):
    from dichvucong.notify.models import SandboxMessage

    settings.DEMO, settings.EMAIL_HOST_GIVEN, settings.ZNS_URL, settings.ESMS_URL = (
        True, False, "", "")
    settings.ZNS_TEMPLATES = {"received": "301234"}
    received(person(), key="a")
    received(zalo_user(phone="0905777888"), key="b")
    worker.deliver_due()
    kept = {(m.channel, m.phone) for m in SandboxMessage.objects.all()}
    assert kept == {("email", "an.nguyen@example.vn"), ("sms", "0905111222"),
                    ("zalo", "0905777888")}
    assert SandboxMessage.objects.get(channel="email").subject == SUBJECT


def test_back_office_log_says_when_each_message_went_and_at_which_attempt(esms):
    """Issue #14, item 15: the log said «Đã gửi · Số lần gửi: 0». One SMS goes at the first
    attempt, one at the second; the inbox copy speaks of the inbox, not of attempts."""
    from tests.test_backoffice import client_for, make_dossier

    def when(moment):
        return timezone.localtime(moment).strftime("%H:%M ngày %d/%m/%Y")

    dossier = make_dossier("received")
    citizen = dossier.applicant
    first = Notification.objects.get(dossier=dossier, event="received", channel="sms")
    [second] = enqueue(event="late_apology", dedupe_key=f"test-apology:{dossier.pk}",
                       user=citizen, dossier=dossier, channels=["sms"],
                       context={"note": "Chờ xác minh", "new_due": "17:00 10/12/2026"})
    esms.script[citizen.phone] = ["103"]  # the first message's first attempt is refused
    worker.deliver_due()
    make_due(pk=first.pk)
    worker.deliver_due()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, second.status, second.attempts) == (
        Status.SENT, 2, Status.SENT, 1)

    html = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert f"Đã gửi lúc {when(first.sent_at)} (lần 2)" in html
    assert f"Đã gửi lúc {when(second.sent_at)} (lần 1)" in html
    inbox = Notification.objects.get(dossier=dossier, event="received", channel="inapp")
    assert f"Đã vào hộp thư trên cổng lúc {when(inbox.sent_at)}" in html
    assert "Số lần gửi: 0" not in html
    assert "Lỗi ở lần gửi trước" in html  # the refused first attempt of the first message
