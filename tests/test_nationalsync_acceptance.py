"""Issue #17, acceptance of the National Public Service Portal sync, against the simulator
running as a process of its own (``nationalsync/simulator.py``, every request checked against
the services' JSON Schema):

(a) many dossiers driven through whole lifecycles (filed with a file, received, processed, the
    result issued and returned; some refused at reception, some asked for a supplement, some
    withdrawn) arrive exactly as the database has them: every record of every dossier, in
    order, once, and each dossier's last record is the dossier as it stands;
(b) faults (``test_faults_…``): the portal killed mid-batch and restarted, answering HTTP 500
    for a period, and the worker process SIGKILLed while the portal holds its request; in the
    end every record arrived exactly once (a resend recognised by its key), and every retry
    was scheduled as the backoff says.

The lifecycles are written through the services (``actions``), not the pages, to keep (a)
cheap; its figures are printed (``-s``). ``NATIONALSYNC_ACCEPTANCE_DOSSIERS`` sets the count
(1000 for the acceptance run, 100 in the suite).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from dichvucong.accounts.models import Membership, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.models import Procedure
from dichvucong.catalog.services import import_definitions
from dichvucong.dossiers import actions, submission
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, national_status
from dichvucong.dossiers.models import Dossier
from dichvucong.nationalsync import outbox, records, shape, worker
from dichvucong.nationalsync.models import SyncRecord, SyncState
from dichvucong.pipeline import worker as pipeline
from tests import builders
from tests.test_backoffice import PDF
from tests.test_worker import _database_url

# The suite runs 100 (about 45 s on a loaded machine); the acceptance figure is for 1000:
# NATIONALSYNC_ACCEPTANCE_DOSSIERS=1000 (11.5 min on SQLite with the machine shared, mostly
# writing the lifecycles: see the issue's report).
DOSSIERS = int(os.environ.get("NATIONALSYNC_ACCEPTANCE_DOSSIERS", "100"))
# How long the portal answers 500 in the fault test: seconds in the suite, 60 for the drill the
# issue describes (``NATIONALSYNC_ACCEPTANCE_OUTAGE_SECONDS=60``); the same code either way.
OUTAGE_SECONDS = float(os.environ.get("NATIONALSYNC_ACCEPTANCE_OUTAGE_SECONDS", "2.5"))
R = LifecycleRole
FULL = [(Action.receive, "motcua", R.reception_officer, ""),
        (Action.assign, "lanhdao", R.leader, ""),
        (Action.examine, "chuyenvien", R.specialist, "Đủ điều kiện"),
        (Action.approve, "lanhdao", R.leader, ""),
        (Action.issue_result, "chuyenvien", R.specialist, ""),
        (Action.return_result, "motcua", R.reception_officer, ""),
        (Action.close, "motcua", R.reception_officer, "")]
# Every tenth dossier takes another path: refused at reception, a supplement asked and given
# before reception, withdrawn while examined.
OTHER_PATHS = {
    3: [(Action.reject, "motcua", R.reception_officer, "Không thuộc thẩm quyền")],
    5: [(Action.request_supplement, "motcua", R.reception_officer, "- Giấy chứng sinh"),
        (Action.provide_supplement, "congdan", R.applicant, "")] + FULL,
    7: FULL[:2] + [(Action.withdraw, "congdan", R.applicant, "Không còn nhu cầu")],
}


class Simulator:
    """The simulator process; ``restart`` keeps its port and, through ``--journal``, what it
    had accepted (a real portal does not forget what it took when it restarts)."""

    def __init__(self, journal: str, port: int = 0) -> None:
        self.journal, self.port = journal, port
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dichvucong.nationalsync.simulator", "--port",
             str(self.port), "--journal", self.journal],
            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def control(self, action: str, **body) -> None:
        requests.post(f"{self.url}_simulator/{action}", json=body, timeout=5).raise_for_status()

    def received(self) -> dict:
        return requests.get(f"{self.url}_simulator/received", timeout=30).json()


@pytest.fixture
def simulator(tmp_path, settings):
    portal = Simulator(str(tmp_path / "portal.jsonl"))
    settings.NATIONAL_SYNC_URL = portal.url
    settings.NATIONAL_SYNC_TIMEOUT = 5
    try:
        yield portal
    finally:
        portal.stop()


def demo_world():
    """Phường Hải Châu's demo officials and citizen, and the birth registration."""
    people = {who: User.objects.get(username=f"{who}.haichau" if who != "congdan" else who)
              for who in ("motcua", "lanhdao", "chuyenvien", "congdan")}
    return builders.procedure(), builders.agency(), people


def drive(count: int, world) -> list[int]:
    """``count`` dossiers filed by the citizen with a file, each taken along its path."""
    procedure, agency, people = world
    ids = []
    for i in range(count):
        draft = submission.start_draft(procedure, people["congdan"], agency)
        submission.attach(draft, "Tờ khai", SimpleUploadedFile(f"to-khai-{i}.pdf", PDF),
                          people["congdan"])
        actions.perform(draft.pk, Action.submit, people["congdan"], R.applicant)
        for action, who, role, note in OTHER_PATHS.get(i % 10, FULL):
            actions.perform(draft.pk, action, people[who], role, note)
        ids.append(draft.pk)
    return ids


def assert_arrived_as_recorded(received: dict, dossier_ids: list[int]) -> None:
    """Each dossier's accepted records are its sync records, in order, byte for byte; the steps
    are its events; its last dossier record is the dossier as it stands."""
    assert received["refused"] == []
    keys = [r["key"] for r in received["accepted"]]
    assert len(keys) == len(set(keys))
    by_code: dict[str, list[dict]] = {}
    for entry in received["accepted"]:
        by_code.setdefault(entry["record"]["MaHoSo"], []).append(entry)
    for dossier in Dossier.objects.filter(pk__in=dossier_ids).select_related(
            "procedure__field", "agency"):
        rows = list(SyncRecord.objects.filter(dossier=dossier).order_by("id"))
        sent = by_code.pop(dossier.code)
        assert [(e["key"], e["service"], e["isUpdating"], e["record"]) for e in sent] == [
            (r.key, r.service, r.is_updating, r.payload) for r in rows]
        assert sent[0]["service"] == shape.DOSSIER_SERVICE and not sent[0]["isUpdating"]
        assert all(r.state == SyncState.SYNCED for r in rows)
        events = list(dossier.events.order_by("id"))
        steps = [e["record"] for e in sent if e["service"] == shape.STEP_SERVICE]
        assert [(s["TrangThai"], s["ThoiDiemXuLy"]) for s in steps] == [
            (str(national_status(e.to_state)), shape.national_date(e.created_at))
            for e in events]
        last = [e for e in sent if e["service"] == shape.DOSSIER_SERVICE][-1]["record"]
        at = rows[-2].event.created_at if rows[-2].event else rows[-2].created_at
        assert last == records.dossier_record(dossier, at)
        assert last["TrangThaiHoSo"] == str(dossier.national_status)
        assert len(last["TaiLieuNop"]) == dossier.attachments.count()
    assert by_code == {}  # nothing arrived for a dossier the database does not have


@pytest.mark.slow
@pytest.mark.django_db
def test_many_lifecycles_arrive_exactly_as_recorded(simulator, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)  # the worker below delivers
    started = time.perf_counter()
    ids = drive(DOSSIERS, demo_world())
    # The pipeline's sync step alone: the others (notifications, facts) read nothing it sends.
    pipeline.drain(only={"sync"})
    driven = time.perf_counter() - started
    total = SyncRecord.objects.count()
    started = time.perf_counter()
    report = worker.deliver_due(max_rounds=100_000)
    delivered = time.perf_counter() - started
    assert report.synced == total and report.failed == report.retried == 0
    started = time.perf_counter()
    assert_arrived_as_recorded(simulator.received(), ids)
    checked = time.perf_counter() - started
    assert worker.deliver_due().handled == 0  # nothing is sent twice
    print(f"\n{DOSSIERS} dossiers, {total} records: lifecycles {driven:.1f} s, "
          f"delivery {delivered:.1f} s ({total / delivered:,.0f} records/s), "
          f"check {checked:.1f} s")


def fault_world():
    """What the faults test needs, made here: a transactional test starts from an empty
    database (an earlier one's flush took the demo data)."""
    agency, _ = Agency.objects.get_or_create(
        code="000.98.97.H17", defaults={"name": "Đơn vị thử đồng bộ", "slug": "thu-dong-bo",
                                        "kind": "commune_committee", "level": "commune"})
    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.900173", "name": "Thủ tục thử đồng bộ khi có sự cố", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Tờ khai", "mandatory": True}]})])
    people = {}
    for who, role in (("motcua", "reception_officer"), ("lanhdao", "leader"),
                      ("chuyenvien", "specialist"), ("congdan", None)):
        person, _ = User.objects.get_or_create(username=f"dongbo.{who}",
                                               defaults={"full_name": f"Người thử {who}"})
        if role:
            Membership.objects.get_or_create(user=person, agency=agency, role=role)
        people[who] = person
    return Procedure.objects.get(code="TST.900173"), agency, people


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dichvucong", "deliver_national_sync", "--interval", "0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_faults_every_record_arrives_once_and_retries_keep_the_schedule(
        simulator, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)  # the worker process does the sending
    # Small numbers, the same rules: doubling from half a second, capped at two.
    timing = {"NATIONAL_SYNC_BACKOFF_SECONDS": "0.5", "NATIONAL_SYNC_BACKOFF_MAX_SECONDS": "2",
              "NATIONAL_SYNC_LEASE_SECONDS": "3", "NATIONAL_SYNC_TIMEOUT": "2",
              "NATIONAL_SYNC_MAX_ATTEMPTS": "50"}
    for name, value in timing.items():
        setattr(settings, name, float(value))
    SyncRecord.objects.all().delete()  # rows other tests committed are not this test's
    ids = drive(20, fault_world())
    pipeline.drain(only={"sync"})
    total = SyncRecord.objects.count()
    env = {**os.environ, **timing, "DICHVUCONG_MODE": "test", "LOG_LEVEL": "WARNING",
           "DICHVUCONG_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
           "DATABASE_URL": _database_url(), "NATIONAL_SYNC_URL": simulator.url}
    retries: set[tuple] = set()

    def sample_retries() -> set[tuple]:
        """Every record waiting for a retry, as the worker scheduled it."""
        for row in SyncRecord.objects.filter(state=SyncState.PENDING, attempts__gt=0):
            retries.add((row.pk, row.attempts, row.last_attempt_at, row.next_attempt_at))
        return retries

    # The portal is slow, and killed in the middle of the batch.
    simulator.control("faults", mode="slow", count=10_000, delay=0.02)
    process = start_worker(env)
    try:
        wait_for(lambda: len(simulator.received()["accepted"]) >= 40, "the first records")
        simulator.kill()
        wait_for(lambda: any(r[1] >= 2 for r in sample_retries()),
                 "second retries while the portal is down")
        # It comes back remembering what it took, answers 500 for a period (seconds here, a
        # minute in a drill: the same code), then keeps a record and holds the answer.
        simulator.start()
        simulator.control("faults", mode="http500", seconds=OUTAGE_SECONDS)
        simulator.control("faults", mode="silent", count=1, delay=10)

        def holding() -> bool:
            sample_retries()
            return simulator.received()["holding"] == 1

        wait_for(holding, "a held request", timeout=60 + OUTAGE_SECONDS)
        # The worker is killed there: the portal has the record, the worker never knew.
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
        held = {r.key: r for r in SyncRecord.objects.filter(
            key__in=simulator.received()["held_keys"])}
        assert held and {r.state for r in held.values()} == {SyncState.SENDING}
        process = start_worker(env)  # takes the batch over once its lease ends
        wait_for(lambda: not SyncRecord.objects.exclude(state=SyncState.SYNCED).exists(),
                 "every record synced", timeout=120 + OUTAGE_SECONDS)
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0].decode()
    assert SyncRecord.objects.count() == total, output

    received = simulator.received()
    assert_arrived_as_recorded(received, ids)
    # The held request's records were sent again under their keys and recognised; whatever
    # else the portal took twice (a request it was killed in) was recognised the same way.
    duplicates = {key for d in received["duplicates"] for key in d["keys"]}
    assert set(held) <= duplicates <= {e["key"] for e in received["accepted"]}
    for row in SyncRecord.objects.filter(key__in=held):
        assert row.attempts == held[row.key].attempts + 1
    # Every retry was due when the schedule says: after failed attempt n, between half and
    # all of min(cap, base × 2^(n−1)) after that attempt's answer; none waited longer.
    assert any(r[1] >= 2 for r in retries), retries
    for pk, attempts, answered, due in retries:
        waited = (due - answered).total_seconds()
        ceiling = worker.retry_ceiling(attempts)
        assert ceiling / 2 - 1e-3 <= waited <= ceiling + 1e-3, (pk, attempts, waited)
