"""Serve the platform: gunicorn for the web, a huey consumer for background jobs.

The embedded default runs both from this one command; a scaled-out deployment runs
``gunicorn dichvucong.wsgi`` and ``dichvucong run_huey`` as separate services instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web application with gunicorn and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start the background worker")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        env = os.environ.copy()
        # The web workers' request metrics in one folder, emptied at each start (the
        # prometheus_client multiprocess mode; /metrics adds them up).
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            metrics_dir = Path(settings.DATA_DIR) / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        children = []
        if not no_worker:
            children.append(subprocess.Popen(
                [sys.executable, "-m", "dichvucong", "run_huey", "--quiet"], env=env))
        if settings.DEMO:
            # The demo's payments go through the local VNPay sandbox gateway, offline.
            children.append(subprocess.Popen(
                [sys.executable, "-m", "dichvucong", "vnpay_sandbox",
                 "--ipn-url", f"http://{host}:{port}/thanh-toan/vnpay/ipn/"], env=env))
            # and its dossiers are synced to a local National Public Service Portal.
            children.append(subprocess.Popen(
                [sys.executable, "-m", "dichvucong", "national_simulator"], env=env))
        children.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application",
             "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
             # A dead worker's metric files cleaned (core/gunicorn_config.py).
             "--config", "python:dichvucong.core.gunicorn_config",
             "--access-logfile", "-", "--graceful-timeout", "10",
             # Personal data masked, and the request id (core.logs) on each line.
             "--logger-class", "dichvucong.core.logs.GunicornLogger",
             "--access-logformat",
             '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)s %({x-request-id}o)s'],
            env=env,
        ))
        self.stdout.write(f"Đang phục vụ tại http://{host}:{port}/ (Ctrl+C để dừng)")

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
