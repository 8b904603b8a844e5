"""The fault suite in full (issue #20): the reference deployment (deploy/local/deploy.sh: nginx
with TLS, 3 web processes, 2 workers, PostgreSQL, Redis, the S3 server) under a citizen's mixed
load (API submissions with a unique PDF each, pages, API reads; bench/faultkit.py), with
officers issuing results (signed by the workers) and every filing notifying the citizen by
e-mail and SMS through local SMTP and eSMS servers that count what they receive. In turn,
each followed by a phase of load:

1. kill -9 a web process's worker (its gunicorn starts another);
2. kill -9 a worker while it signs results, and start it again;
3. kill -9 a worker while it delivers notifications, and start it again;
4. restart PostgreSQL;
5. stop Redis for FAULTS_OUTAGE seconds;
6. stop the S3 server for FAULTS_OUTAGE seconds (its port closed: bench/faultkit.Gate; moto
   keeps its objects only in memory, so the process itself is not killed);
7. fill the media disk: a fourth web process on the local storage, its media folder a small
   tmpfs (mounting it needs root: run as root, or this fault is skipped and said so), filled;
   a filing through the HTML form must answer the message with the form kept and leave no
   partial file, then, space freed, go through with its file intact (fill_disk).

Then the load stops, the workers' sweepers are given FAULTS_SETTLE seconds to finish, and the
checks print: nothing lost, duplicated or half-made (faultkit.check_submissions), every result
signed with an intact file, every pipeline entry done, every notification delivered exactly
once (counted at the SMTP and SMS servers), 5xx only as 503 and with a JSON body on the API.
Exits 1 on any problem.

    ./run faults        (about 4 minutes with the defaults, after the deployment's first start)
    FAULTS_PHASE=20 FAULTS_OUTAGE=30 FAULTS_CLIENTS=6 FAULTS_RESULTS=6 FAULTS_SETTLE=300 \\
        FAULTS_PORT=18400 FAULTS_KEEP=1 FAULTS_REUSE=1 FAULTS_SUBMISSIONS=0.1 ./run faults

It runs a deployment of its own (var/faults, ports from FAULTS_PORT on), set up afresh and
stopped at the end unless FAULTS_KEEP=1. FAULTS_ONLY=postgres,disk runs only those faults
(web, signing, delivering, postgres, redis, s3, disk).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

import faultkit  # noqa: E402

PHASE = float(os.environ.get("FAULTS_PHASE", "15"))  # seconds of load after each fault
OUTAGE = float(os.environ.get("FAULTS_OUTAGE", "30"))  # Redis and S3 stopped this long
CLIENTS = int(os.environ.get("FAULTS_CLIENTS", "4"))
# The share of submissions in the load: each costs the workers a declaration to render, facts,
# notifications (the mixed load of bench/bench_mix.py has 5 %).
SUBMISSIONS = float(os.environ.get("FAULTS_SUBMISSIONS", "0.1"))
RESULTS = int(os.environ.get("FAULTS_RESULTS", "6"))  # results issued before each worker kill
SETTLE = float(os.environ.get("FAULTS_SETTLE", "240"))
BASE = int(os.environ.get("FAULTS_PORT", "18400"))
KEEP = os.environ.get("FAULTS_KEEP", "") == "1"
# Start from the deployment a previous run left (its first start takes minutes): what that run
# left undone is dropped first (queue, pipeline entries, notifications not sent).
REUSE = os.environ.get("FAULTS_REUSE", "") == "1"
DIR = Path(os.environ.get("FAULTS_DIR", ROOT / "var" / "faults"))
PY = os.environ.get("PYTHON", sys.executable)
PORTS = {"DEPLOY_HTTPS_PORT": BASE, "DEPLOY_HTTP_PORT": BASE + 1, "DEPLOY_WEB_PORT": BASE + 2,
         "DEPLOY_PG_PORT": BASE + 5, "DEPLOY_REDIS_PORT": BASE + 6, "DEPLOY_S3_PORT": BASE + 7}
GATE_PORT = BASE + 8
# Only these faults (their names below, comma-separated), e.g. FAULTS_ONLY=postgres.
# Slow clients through the proxy once the faults are over: each trickles a 256 KB form post,
# 64 bytes every 0.5 s, while a normal client times FAULTS_SLOW_REQUESTS page loads.
SLOW = int(os.environ.get("FAULTS_SLOW", "50"))
SLOW_REQUESTS = int(os.environ.get("FAULTS_SLOW_REQUESTS", "60"))
ONLY = {name for name in os.environ.get("FAULTS_ONLY", "").split(",") if name}
CITIZEN = "congdan"
EMAIL = "congdan.faults@dichvucong.test"


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def deploy(command: str) -> None:
    env = {**os.environ, **{k: str(v) for k, v in PORTS.items()},
           "DICHVUCONG_DEPLOY_DIR": str(DIR), "PYTHON": PY}
    subprocess.run([str(ROOT / "deploy" / "local" / "deploy.sh"), command], env=env, check=True)


def read_env() -> dict[str, str]:
    found = {}
    for line in (DIR / "env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            found[key] = value.strip("'")  # as the shell reads it
    return found


def pid_of(name: str) -> int:
    return int((DIR / "run" / f"{name}.pid").read_text())


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def start_worker(name: str, env: dict[str, str]) -> None:
    """As deploy.sh starts it."""
    log = open(DIR / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the process's
    process = subprocess.Popen([PY, "-m", "dichvucong", "run_huey", "--quiet"], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (DIR / "run" / f"{name}.pid").write_text(str(process.pid))


def wait_for(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


# --- the faults -------------------------------------------------------------------------------


def kill_web() -> str:
    master = pid_of("web0")
    worker = max(children(master))
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: children(master) - {worker}, 60)
    return f"kill -9 of web process 0's worker (pid {worker}); gunicorn started another"


def issue_results(count: int) -> list[int]:
    """Dossiers of the run moved to «approved» by Hải Châu's officials and their results
    issued: the workers sign them."""
    from django.db import transaction

    from dichvucong.accounts.models import User
    from dichvucong.agencies.models import Agency
    from dichvucong.dossiers import actions
    from dichvucong.dossiers.models import Dossier
    from dichvucong.results import services
    from tests.builders import PATHS

    agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    services.ensure_demo_keys(Agency.objects.filter(pk=agency.pk))
    issued = []
    for dossier in Dossier.objects.filter(state="submitted", agency=agency,
                                          applicant__username=CITIZEN).order_by("-pk")[:count]:
        for action, who, role, note in PATHS["approved"]:
            actions.perform(dossier.pk, action, User.objects.get(username=f"{who}.haichau"),
                            role, note)
        Dossier.objects.filter(pk=dossier.pk).update(
            assignee=User.objects.get(username="chuyenvien.haichau"))
        with transaction.atomic():
            result = services.request_issue(Dossier.objects.get(pk=dossier.pk),
                                            User.objects.get(username="chuyenvien.haichau"))
        issued.append(result.pk)
    return issued


def kill_worker_while(what: str, busy, env: dict[str, str]) -> str:
    """kill -9 the worker of the two that is busy (``busy()``: true while a job is under way)
    as soon as one is, then start it again."""
    if not wait_for(busy, 120, 0.02):
        return f"no worker was seen {what} within 120 s: not killed"
    victim = "worker0"
    os.kill(pid_of(victim), signal.SIGKILL)
    time.sleep(0.5)
    start_worker(victim, env)
    return f"kill -9 of {victim} while {what}; started again"


def signing_busy() -> bool:
    from dichvucong.results.models import Result, SigningState

    return Result.objects.filter(signing_state__in=[SigningState.RENDERING,
                                                    SigningState.SIGNING]).exists()


def delivering_busy() -> bool:
    from dichvucong.notify.models import Notification, Status

    return Notification.objects.filter(status=Status.SENDING).exists()


def restart_postgres() -> str:

    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    command = [str(bin_dir / "pg_ctl"), "-D", str(DIR / "pg" / "data"), "-m", "fast", "-w",
               "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    BACK["postgres"] = time.monotonic()  # pg_ctl -w: it takes connections again
    from django.db import connections

    connections.close_all()  # this process's own: the server closed them
    return f"PostgreSQL restarted (fast) in {BACK['postgres'] - started:.1f} s"


BACK: dict[str, float] = {}  # when a part was back (time.monotonic())


def unavailable_after(tally: faultkit.Tally, back: float) -> str:
    """The 503s answered once the part was back, within the phase after it: there should be
    none beyond the requests already under way."""
    late = sorted(t - back for t in tally.unavailable_at if 0 < t - back < PHASE)
    if not late:
        return "0 × 503 after PostgreSQL was back"
    return f"{len(late)} × 503 after PostgreSQL was back, the last {late[-1]:.2f} s after"


def stop_redis(seconds: float) -> str:
    port = str(PORTS["DEPLOY_REDIS_PORT"])
    subprocess.run(["redis-cli", "-p", port, "shutdown"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    subprocess.run(["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "60 1",
                    "--appendonly", "yes", "--dir", str(DIR / "redis"), "--pidfile",
                    str(DIR / "run" / "redis.pid"), "--logfile", str(DIR / "logs" / "redis.log"),
                    "--daemonize", "yes"], check=True, stdout=subprocess.DEVNULL)
    return f"Redis stopped for {seconds:.0f} s, started again"


def stop_s3(gate: faultkit.Gate, seconds: float) -> str:
    gate.close()
    time.sleep(seconds)
    gate.open()
    return f"the S3 server stopped (its port closed) for {seconds:.0f} s, back"


DISK: dict = {"figures": {}, "problems": []}  # what the media disk phase found
DISK_SIZE = "2m"
# Another citizen: the run's checks read every file of CITIZEN's dossiers from the
# deployment's storage, and this one's is on the small disk, gone with it.
DISK_CITIZEN = "doanhnghiep"


def fill_disk() -> str:
    """A fourth web process on the embedded default's local storage, its media folder a
    ``DISK_SIZE`` tmpfs (mounting one needs root: otherwise not run, and said so). The disk
    filled all but a few kilobytes, the citizen files through the HTML form with a 200 KB
    file: the form answers with the message and what was typed, and no partial file remains.
    Once space is freed the same filing goes through and its file reads back intact."""
    if os.geteuid() != 0:
        return "not run: filling the media disk (mounting a small tmpfs needs root)"
    from dichvucong.agencies.models import Agency
    from dichvucong.devdata.accounts import DEMO_PASSWORD
    from dichvucong.dossiers.models import Attachment, Dossier
    from dichvucong.dossiers.submission import STORAGE_FAILED
    from tests.birth_helpers import birth_form

    data = DIR / "disk-data"
    media = data / "media"
    media.mkdir(parents=True, exist_ok=True)
    if not (data / "static").is_symlink():  # the deployment's collected static files
        shutil.rmtree(data / "static", ignore_errors=True)
        (data / "static").symlink_to(DIR / "data" / "static")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(media)],
                   check=True)
    port = BASE + 9
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DICHVUCONG_S3_") and key != "BEHIND_TLS_PROXY"}
    env.update({"DICHVUCONG_DATA_DIR": str(data), "PYTHONPATH": os.pathsep.join(sys.path)})
    log = open(DIR / "logs" / "web-disk.log", "ab")  # noqa: SIM115 - the process's
    web = subprocess.Popen([PY, "-m", "gunicorn", "dichvucong.wsgi:application", "--bind",
                            f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
                           env=env, stdout=log, stderr=subprocess.STDOUT)
    figures, problems = DISK["figures"], DISK["problems"]
    try:
        site = faultkit.Site(f"http://127.0.0.1:{port}")

        def up() -> bool:
            try:
                return site.request("GET", "/healthz/live", timeout=2)[0] == 200
            except OSError:
                return False

        if not wait_for(up, 60):
            problems.append("the web process on the small disk did not start")
            return "media disk: the web process did not start"
        headers = site.login(DISK_CITIZEN, DEMO_PASSWORD)
        url = f"/thu-tuc/{faultkit.PROCEDURE}/nop-ho-so/"
        fields = {"agency": str(Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk),
                  "delivery": "online", "action": "submit", **birth_form()}
        content = faultkit.unique_pdf(200_000)
        files = [("doc-0", "to-khai.pdf", faultkit.unique_pdf(2_000)),
                 ("doc-1", "giay-chung-sinh.pdf", content)]

        def post(form: dict[str, str], uploads) -> tuple[int, dict, str]:
            body, kind = faultkit.multipart(form, uploads)
            status, answer, page = site.request("POST", url, body,
                                                {**headers, "Content-Type": kind})
            return status, answer, page.decode()

        filler = media / "filler"
        free = os.statvfs(media)
        with open(filler, "wb") as out:
            out.write(b"\0" * max(0, free.f_bavail * free.f_frsize - 20_000))
        before = {p for p in media.rglob("*") if p.is_file()}
        status, _headers, page = post(fields, files)
        told = STORAGE_FAILED.split(" (")[0] in page
        kept = status == 200 and "Trần Minh Khang" in page
        # A file the storage kept must be a whole one with its row (the form keeps the
        # documents that fitted); any other is partial.
        named = set(Attachment.objects.values_list("file", flat=True))
        left = {p for p in media.rglob("*") if p.is_file()
                and str(p.relative_to(media)) not in named} - before
        figures["disk full: answered"] = status
        figures["disk full: the message shown"] = told
        figures["disk full: the form kept"] = kept
        figures["disk full: files left on the disk that no row names"] = len(left)
        problems += ["disk full: no message"] * (not told) + ["disk full: form lost"] * (not kept)
        problems += [f"disk full: a partial file {p.name}" for p in left]
        filler.unlink()
        status, _headers, page = post(fields, files)
        draft = re.search(r'name="draft" value="(\d+)"', page)
        if status != 200 or draft is None:
            problems.append(f"space freed: the form answered {status} without its check page")
            return "media disk filled; after freeing it the filing failed"
        status, answer, _page = post({"draft": draft.group(1), "action": "confirm"}, [])
        dossier = Dossier.objects.filter(pk=draft.group(1), state="submitted").first()
        intact = bool(dossier) and hashlib.sha256(content).hexdigest() in set(
            dossier.attachments.values_list("sha256", flat=True))
        if intact:
            stored = [p for p in media.rglob("*") if p.is_file()
                      and hashlib.sha256(p.read_bytes()).hexdigest()
                      == hashlib.sha256(content).hexdigest()]
            intact = len(stored) == 1
        figures["space freed: filed (302)"] = status == 302 and dossier is not None
        figures["space freed: its file on the disk, SHA-256 intact"] = intact
        problems += ["space freed: not filed"] * (status != 302 or dossier is None)
        problems += ["space freed: the file is not intact on the disk"] * (not intact)
        return (f"the media disk ({DISK_SIZE} tmpfs, a fourth web process on local storage) "
                "filled, a filing tried, space freed, filed again")
    finally:
        web.send_signal(signal.SIGQUIT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            web.wait(30)
        subprocess.run(["umount", str(media)], check=False)


def slow_uploaders() -> list[str]:
    """``SLOW`` clients trickling uploads through nginx beside a normal client's page loads
    (deploy/local/check.py's measure, which ``deploy.sh check`` runs with 20): its p95 must
    stay within 2× of the same loads alone. Prints the figures; returns the problems."""
    spec = importlib.util.spec_from_file_location("deploy_check",
                                                  ROOT / "deploy" / "local" / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    site = check.Site(f"https://127.0.0.1:{PORTS['DEPLOY_HTTPS_PORT']}",
                      str(DIR / "tls" / "cert.pem"))
    figures = check.slow_clients(site, "Slow clients through the proxy (/dang-nhap/)",
                                 argparse.Namespace(slow=SLOW, trickle=64, interval=0.5,
                                                    requests=SLOW_REQUESTS, timeout=5.0))
    if check.unaffected(figures):
        return []
    return [f"{SLOW} slow clients slowed the others: p95 {figures['p95_loaded'] * 1000:.0f} ms "
            f"beside them, {figures['p95_alone'] * 1000:.0f} ms alone, "
            f"{figures['failures']} failed"]


# --- afterwards -------------------------------------------------------------------------------


def settle(results: list[int], since) -> float:
    """Wait until nothing is pending (the sweepers run every minute); how long it took."""
    from dichvucong.notify.models import Notification, Status
    from dichvucong.pipeline.models import PipelineEntry
    from dichvucong.results.models import Result, SigningState

    def done() -> bool:
        return (not Result.objects.filter(pk__in=results).exclude(
                    signing_state=SigningState.DONE).exists()
                and not Notification.objects.filter(created_at__gte=since, status__in=[
                    Status.PENDING, Status.SENDING]).exists()
                and not PipelineEntry.objects.exists())

    started = time.monotonic()
    wait_for(done, SETTLE, 2)
    return time.monotonic() - started


def check_jobs(results: list[int], since, mail, esms) -> faultkit.Checked:
    from dichvucong.core import storage
    from dichvucong.notify import worker
    from dichvucong.notify.models import Notification, NotificationChannel, Status
    from dichvucong.pipeline.models import PipelineEntry
    from dichvucong.results import services
    from dichvucong.results.models import Result, SigningState

    problems = []
    signed = 0
    for result in Result.objects.filter(pk__in=results):
        if result.signing_state != SigningState.DONE:
            problems.append(f"stuck: result {result.pk} {result.signing_state} "
                            f"({result.signing_error})")
            continue
        ok, _signer = services.validate_signature(storage.read_verified(result.pdf.name,
                                                                         result.pdf_sha256))
        signed += ok
        if not ok:
            problems.append(f"result {result.pk}: its signature does not validate")
    entries = PipelineEntry.objects.count()
    if entries:
        problems.append(f"stuck: {entries} pipeline entr(ies) not done")
    rows = Notification.objects.filter(created_at__gte=since)
    by_status = Counter(rows.values_list("status", flat=True))
    for row in rows.exclude(status__in=[Status.SENT, Status.UNCONFIRMED]):
        if row.channel in (NotificationChannel.EMAIL, NotificationChannel.SMS):
            problems.append(f"not delivered: {row.channel} {row.status} ({row.last_error})")
    emails = list(rows.filter(channel=NotificationChannel.EMAIL))
    received = Counter(mail.message_ids())
    every = {worker.message_id(r) for r in Notification.objects.filter(
        channel=NotificationChannel.EMAIL)}
    expected = Counter(worker.message_id(r) for r in emails
                       if r.status in (Status.SENT, Status.UNCONFIRMED))
    twice = sum(1 for key, n in received.items() if n > 1)
    missing = sum(1 for key in expected if key not in received)
    problems += [f"e-mails received twice: {twice}"] * bool(twice)
    problems += [f"e-mails marked sent, never received: {missing}"] * bool(missing)
    sms = list(rows.filter(channel=NotificationChannel.SMS))
    accepted = Counter(body["RequestId"] for body in esms.delivered)
    sms_twice = sum(1 for n in accepted.values() if n > 1)
    sms_missing = sum(1 for r in sms if r.status == Status.SENT
                      and r.idempotency_key not in accepted)
    problems += [f"SMS accepted twice: {sms_twice}"] * bool(sms_twice)
    problems += [f"SMS marked sent, never accepted: {sms_missing}"] * bool(sms_missing)
    return faultkit.Checked({
        "results issued": len(results), "results signed, signature valid": signed,
        "pipeline entries left": entries,
        "notifications (e-mail, SMS, in-app) by status": dict(by_status),
        "e-mails at the SMTP server": sum(received.values()),
        "e-mails expected there once each": len(expected),
        "of those received, for rows of no run (should be 0)": sum(
            1 for key in received if key not in every),
        "of those received, for a previous run's rows": sum(
            1 for key in received if key in every and key not in expected),
        "SMS accepted by the eSMS server": sum(accepted.values()),
        "SMS rows": len(sms),
        "eSMS duplicates answered 124 (a resend after a kill, not delivered twice)":
            len(esms.duplicates),
    }, problems)


def main() -> int:
    from tests.notify_servers import EsmsServer, MailServer

    if DIR.exists():
        with contextlib.suppress(subprocess.CalledProcessError):
            deploy("stop")
        if not REUSE:
            shutil.rmtree(DIR)
        else:
            shutil.rmtree(DIR / "redis", ignore_errors=True)
    (DIR / "run").mkdir(parents=True, exist_ok=True)
    # Each message takes the servers 0.2 s: a worker is caught delivering.
    with MailServer(delay=0.2) as mail, EsmsServer(delay=0.2) as esms:
        gate = faultkit.Gate(PORTS["DEPLOY_S3_PORT"], GATE_PORT)
        # What deploy.sh's environment file gets on top (deploy.sh: env.extra): the local SMTP
        # and SMS servers, the S3 server behind the gate, short leases so that the sweepers
        # take killed jobs over within the run.
        (DIR / "env.extra").write_text("\n".join([
            "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST=127.0.0.1", f"EMAIL_PORT={mail.port}",
            "DEFAULT_FROM_EMAIL='Cổng DVC <dvc@dichvucong.test>'",
            f"ESMS_URL={esms.url}", f"ESMS_API_KEY={esms.api_key}",
            f"ESMS_SECRET_KEY={esms.secret_key}", f"ESMS_BRANDNAME={esms.brandname}",
            f"DICHVUCONG_S3_ENDPOINT_URL=http://127.0.0.1:{GATE_PORT}",
            "DICHVUCONG_RESULTS_SIGNING_LEASE_SECONDS=30",
            "DICHVUCONG_RESULTS_SIGNING_GRACE_SECONDS=20",
            "NOTIFY_LEASE_SECONDS=30", "NOTIFY_BACKOFF_SECONDS=5",
            # A worker whose drain the PostgreSQL restart cut holds its entries until then.
            "PIPELINE_LEASE_SECONDS=30", ""]))
        say("starting the reference deployment in " + str(DIR))
        deploy("start")
        try:
            return run(gate, mail, esms)
        finally:
            gate.close()
            if not KEEP:
                deploy("stop")


def run(gate: faultkit.Gate, mail, esms) -> int:
    env = read_env()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dichvucong.settings"
    import django

    django.setup()
    from django.utils import timezone

    from dichvucong.accounts.models import User
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure
    from dichvucong.devdata.accounts import DEMO_PASSWORD
    from dichvucong.notify.models import Notification, Status
    from dichvucong.pipeline.models import PipelineEntry
    from tests.birth_helpers import birth_form_json

    worker_env = {**os.environ}
    User.objects.filter(username=CITIZEN).update(email=EMAIL)
    if REUSE:
        PipelineEntry.objects.all().delete()
        Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).delete()
    site = faultkit.Site(f"https://127.0.0.1:{PORTS['DEPLOY_HTTPS_PORT']}",
                         str(DIR / "tls" / "cert.pem"))
    documents = Procedure.objects.get(code=faultkit.PROCEDURE).current_version.parsed().documents
    since = timezone.now()
    load = faultkit.Load(
        site, site.login(CITIZEN, DEMO_PASSWORD),
        agency=Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk,
        document=next(i for i, d in enumerate(documents) if d.mandatory),
        declaration=birth_form_json(), clients=CLIENTS, submissions=SUBMISSIONS, size=100_000,
        pause=0.05).start()
    started = time.monotonic()
    faults = []
    results: list[int] = []

    def under_load() -> None:
        time.sleep(PHASE)

    say(f"load: {CLIENTS} clients")
    under_load()
    for name, phase, act in [
        ("web", "web worker killed", kill_web),
        ("signing", "worker killed while signing", lambda: (
            results.extend(issue_results(RESULTS)),
            kill_worker_while("signing", signing_busy, worker_env))[1]),
        ("delivering", "worker killed while delivering", lambda: kill_worker_while(
            "delivering notifications", delivering_busy, worker_env)),
        ("postgres", "PostgreSQL restart", restart_postgres),
        ("redis", "Redis stopped", lambda: stop_redis(OUTAGE)),
        ("s3", "S3 stopped", lambda: stop_s3(gate, OUTAGE)),
        ("disk", "media disk full", fill_disk),
    ]:
        if ONLY and name not in ONLY:
            continue
        load.tally.phase = phase
        faults.append(act())
        say(faults[-1])
        under_load()
    tally = load.stop()
    loaded = time.monotonic() - started
    # Results issued after the faults too: signed once everything is back.
    results.extend(issue_results(2))
    say(f"load stopped after {loaded:.0f} s; waiting for the sweepers (≤ {SETTLE:.0f} s)")
    settled = settle(results, since)
    checked = faultkit.check_submissions(tally.sent, since, CITIZEN)
    jobs = check_jobs(results, since, mail, esms)
    print(f"\nFault suite on the reference deployment — {CLIENTS} clients, {PHASE:.0f} s of load "
          f"after each fault, outages of {OUTAGE:.0f} s; {loaded:.0f} s under load, settled "
          f"in {settled:.0f} s")
    print("Faults:\n" + "\n".join(f"  {line}" for line in faults))
    if DISK["figures"]:
        print("Media disk full:\n" + "\n".join(
            f"  {name}: {value}" for name, value in DISK["figures"].items()))
    print("Requests:\n" + "\n".join(faultkit.tally_lines(tally)))
    if "postgres" in BACK:
        print("  " + unavailable_after(tally, BACK["postgres"]))
    print("Submissions and files:\n" + "\n".join(checked.lines()))
    print("Jobs:\n" + "\n".join(jobs.lines()))
    problems = checked.problems + jobs.problems + tally.wrong_5xx + DISK["problems"]
    if SLOW:
        slowed = slow_uploaders()
        print("\n".join(f"  PROBLEM: {problem}" for problem in slowed))
        problems += slowed
    print(f"\n{'OK' if not problems else f'{len(problems)} PROBLEM(S)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
