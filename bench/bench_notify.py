"""Notification outbox and worker: how many notifications per second ``enqueue`` writes (three
channels per call, in one transaction each), and how many the delivery worker sends per second
to local SMTP, eSMS and Zalo ZNS servers, with one worker process and with two claiming from the
same outbox. Uses PostgreSQL when DATABASE_URL points at it (``./run bench``), else SQLite.

    ./run bench bench/bench_notify.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import harness

sys.path.insert(0, str(harness.ROOT))  # tests.notify_servers: the local provider servers
COUNT = int(os.environ.get("BENCH_NOTIFICATIONS", "300"))  # per channel


def main() -> None:
    from tests.notify_servers import EsmsServer, MailServer, ZnsServer

    with MailServer() as mail, EsmsServer() as esms, ZnsServer() as zns:
        provider_env = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mail.port),
            "ESMS_URL": esms.url, "ESMS_API_KEY": esms.api_key,
            "ESMS_SECRET_KEY": esms.secret_key, "ESMS_BRANDNAME": esms.brandname,
            "ZNS_URL": zns.url, "ZNS_ACCESS_TOKEN": zns.token, "ZNS_TEMPLATES": "received=1",
            "LOG_LEVEL": "WARNING"}
        os.environ.update(provider_env)
        harness.setup_django()  # after the providers' settings are in the environment
        from django.core.management import call_command
        from django.db import connection, transaction

        from dichvucong.notify import outbox
        from dichvucong.notify.models import Notification, Status

        call_command("migrate", verbosity=0)
        outbox.kick = lambda: None  # the worker processes below deliver
        print(f"database: {connection.vendor}")
        for workers in (1, 2):
            Notification.objects.all().delete()
            started = time.perf_counter()
            for i in range(COUNT):
                with transaction.atomic():
                    context = {"code": f"000.00.12.H17-261124-{i:04d}", "due": "17:00 01/12/2026"}
                    outbox.enqueue(event="received", context=context,
                                   dedupe_key=f"b{workers}-{i}",
                                   address={"email": f"b{i}@example.vn",
                                            "phone": f"0905{i:06d}"})
                    outbox.enqueue(event="received", context=context,
                                   dedupe_key=f"z{workers}-{i}",
                                   address={"phone": f"0906{i:06d}", "phone_channel": "zalo"})
            elapsed = time.perf_counter() - started
            total = Notification.objects.count()
            if workers == 1:
                print(f"enqueue: {total / elapsed:,.0f} notifications/s written "
                      f"({total} rows, {elapsed:.2f} s)")
            env = {**os.environ}
            started = time.perf_counter()
            processes = [subprocess.Popen(
                [sys.executable, "-m", "dichvucong", "deliver_notifications", "--interval",
                 "0.1"], env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
            try:
                while Notification.objects.exclude(status=Status.SENT).exists():
                    if time.perf_counter() - started > 600:
                        raise SystemExit("delivery did not finish in 10 minutes")
                    time.sleep(0.1)
                elapsed = time.perf_counter() - started
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=30)
            print(f"deliver, {workers} worker process(es): {total / elapsed:,.0f} "
                  f"notifications/s ({total} in {elapsed:.2f} s, including start-up)")
        ids = mail.message_ids()
        print(f"duplicates at the servers: e-mail {len(ids) - len(set(ids))}, "
              f"SMS {len(esms.delivered) - len({b['RequestId'] for b in esms.delivered})}, "
              f"Zalo {len(zns.delivered) - len({b['tracking_id'] for b in zns.delivered})}")


if __name__ == "__main__":
    main()
