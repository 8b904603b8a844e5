"""Killing the delivery worker (a real process, SIGKILL) in the middle of a batch, at the worst
moments — after the provider has the whole message and before its reply — and at a random one,
then restarting it: every notification reaches the local SMTP, eSMS and Zalo servers exactly
once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from dichvucong.notify import gateways, outbox, worker
from dichvucong.notify.models import Notification, NotificationChannel, Status
from tests.notify_servers import EsmsServer, MailServer, ZnsServer
from tests.test_worker import _database_url

EACH = 10  # notifications per channel
LEASE = 1.5  # seconds before a dead worker's claims are taken over


def _enqueue_all() -> None:
    for i in range(EACH):
        context = {"code": f"000.00.12.H17-261124-{i:04d}", "procedure": "Đăng ký khai sinh",
                   "agency": "Ủy ban nhân dân phường Hải Châu", "due": "17:00 01/12/2026",
                   "name": "Nguyễn Văn An"}
        outbox.enqueue(event="received", context=context, dedupe_key=f"mail-{i}",
                       address={"email": f"nguoi{i}@example.vn"})
        outbox.enqueue(event="received", context=context, dedupe_key=f"sms-{i}",
                       address={"phone": f"090511{i:04d}"})
        outbox.enqueue(event="received", context=context, dedupe_key=f"zalo-{i}",
                       address={"phone": f"090522{i:04d}", "phone_channel": "zalo"})


def _start(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dichvucong", "deliver_notifications", "--interval", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


def _kill_when_held(server, later: int, env) -> None:
    """Start a worker, let it reach the ``later``-th next message of ``server``, which has the
    whole message and holds its reply; kill the worker there, then let the server answer the
    dead connection."""
    server.hold.arm(server.count() + later)
    process = _start(env)
    try:
        if not server.hold.reached.wait(60):
            process.kill()
            pytest.fail("the worker never reached the held message:\n"
                        + process.communicate(timeout=10)[0].decode())
        _kill(process)
    finally:
        server.hold.release.set()
        if process.poll() is None:
            process.kill()


@pytest.mark.django_db(transaction=True)
def test_killed_worker_delivers_everything_exactly_once(tmp_path, monkeypatch, settings):
    settings.DEFAULT_FROM_EMAIL = "Cổng DVC <dvc@dichvucong.test>"  # as the worker's
    monkeypatch.setattr(outbox, "kick", lambda: None)  # the worker process does the sending
    with MailServer(delay=0.02) as mail, EsmsServer(delay=0.02) as esms, \
            ZnsServer(delay=0.02) as zns:
        env = {**os.environ, "DICHVUCONG_MODE": "test", "DICHVUCONG_DATA_DIR": str(tmp_path),
               "DJANGO_SETTINGS_MODULE": "dichvucong.settings", "DATABASE_URL": _database_url(),
               "EMAIL_BACKEND": gateways.SMTP_BACKEND, "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(mail.port), "DEFAULT_FROM_EMAIL": "Cổng DVC <dvc@dichvucong.test>",
               "ESMS_URL": esms.url, "ESMS_API_KEY": esms.api_key,
               "ESMS_SECRET_KEY": esms.secret_key, "ESMS_BRANDNAME": esms.brandname,
               "ZNS_URL": zns.url, "ZNS_ACCESS_TOKEN": zns.token,
               "ZNS_TEMPLATES": "received=301234", "NOTIFY_LEASE_SECONDS": str(LEASE),
               "NOTIFY_BATCH": "4", "LOG_LEVEL": "WARNING"}
        # Rows other tests committed (the browser tests') are not this test's to count.
        Notification.objects.all().delete()
        _enqueue_all()
        # The worst moments: the provider has the message, the worker dies before the reply.
        _kill_when_held(mail, 3, env)
        _kill_when_held(esms, 2, env)
        _kill_when_held(zns, 2, env)
        # And anywhere at all, mid-batch.
        rng = random.Random(os.getpid())
        for _ in range(3):
            process = _start(env)
            time.sleep(rng.uniform(0.5, 1.5))
            _kill(process)
        # Restarted for good: it takes the dead workers' claims over once their leases end.
        process = _start(env)
        try:
            deadline = time.monotonic() + 90
            while Notification.objects.exclude(
                    status__in=[Status.SENT, Status.UNCONFIRMED]).exists():
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    left = list(Notification.objects.exclude(
                        status__in=[Status.SENT, Status.UNCONFIRMED]).values(
                        "channel", "status", "attempts", "last_error"))
                    pytest.fail(f"not delivered: {left}\n"
                                + process.communicate(timeout=10)[0].decode())
                time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=15)

        rows = {c: list(Notification.objects.filter(channel=c)) for c in NotificationChannel}
        assert len(rows[NotificationChannel.EMAIL]) == len(rows[NotificationChannel.SMS]) == EACH
        assert len(rows[NotificationChannel.ZALO]) == EACH
        # E-mail: each Message-ID arrived exactly once.
        received = Counter(mail.message_ids())
        assert received == Counter(worker.message_id(r) for r in rows[NotificationChannel.EMAIL])
        # SMS: each RequestId accepted exactly once; the one killed mid-reply was sent again
        # and eSMS answered "duplicate RequestId" (124), which the worker recorded as sent.
        accepted = Counter(body["RequestId"] for body in esms.delivered)
        assert accepted == Counter(r.idempotency_key for r in rows[NotificationChannel.SMS])
        assert esms.duplicates and set(esms.duplicates) <= set(accepted)
        # Zalo: each tracking_id delivered exactly once (Zalo itself de-duplicates nothing).
        delivered = Counter(body["tracking_id"] for body in zns.delivered)
        assert delivered == Counter(r.idempotency_key for r in rows[NotificationChannel.ZALO])
        # The e-mail and the Zalo message the provider had when the worker died are recorded
        # as handed over without confirmation; everything else as sent.
        unconfirmed = [r for r in rows[NotificationChannel.EMAIL] + rows[NotificationChannel.ZALO]
                       if r.status == Status.UNCONFIRMED]
        assert {r.channel for r in unconfirmed} == {NotificationChannel.EMAIL,
                                                    NotificationChannel.ZALO}
        assert all(r.status == Status.SENT for r in rows[NotificationChannel.SMS])
        assert not Notification.objects.filter(fallback_of__isnull=False).exists()
