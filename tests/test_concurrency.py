"""Two officers acting on the same dossier at the same moment: exactly one wins, the other is
told (StaleDossier or the lifecycle's refusal) and nothing of theirs is written.

Real concurrency needs real transactions and one database connection per thread, so these are
transactional tests; pytest-django runs them after the others and flushes the database after
each, so every test creates the small world it needs instead of relying on the demo catalogue.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import Membership, User
from dichvucong.backoffice import services
from dichvucong.core import audit
from dichvucong.core.models import AuditEntry, AuditHead
from dichvucong.dossiers import actions
from dichvucong.dossiers.actions import StaleDossier
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, TransitionError
from dichvucong.dossiers.models import Dossier, DossierChannel, DossierEvent
from tests import builders

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "TST.900001"


@pytest.fixture
def world():
    """An agency, a procedure, two reception officers, a leader and a citizen."""
    agency, procedure = builders.own_world(CODE, "Thủ tục thử đồng thời", "000.98.98.H17",
                                           "Đơn vị thử đồng thời", "thu-dong-thoi")
    people = {}
    for username, role in [("dt.motcua1", "reception_officer"),
                           ("dt.motcua2", "reception_officer"),
                           ("dt.lanhdao1", "leader"), ("dt.lanhdao2", "leader"),
                           ("dt.congdan", None)]:
        person, _ = User.objects.get_or_create(username=username,
                                               defaults={"full_name": username})
        if role:
            Membership.objects.get_or_create(user=person, agency=agency, role=role)
        people[username] = person
    return agency, procedure, people


def submitted(world, *, now=None) -> Dossier:
    agency, procedure, people = world
    dossier = Dossier.objects.create(
        procedure=procedure, procedure_version=procedure.current_version, agency=agency,
        applicant=people["dt.congdan"], applicant_name="Nguyễn Văn Thử",
        channel=DossierChannel.ONLINE)
    actions.perform(dossier.pk, Action.submit, people["dt.congdan"], LifecycleRole.applicant,
                    now=now)
    return Dossier.objects.get(pk=dossier.pk)


def at_once(*calls):
    """Run the calls in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_officers_receive_at_the_same_moment(world):
    _agency, _procedure, people = world
    dossier = submitted(world)
    revision = dossier.revision

    def receive(username):
        return lambda: actions.perform(dossier.pk, Action.receive, people[username],
                                       LifecycleRole.reception_officer, expected_revision=revision)

    results = at_once(receive("dt.motcua1"), receive("dt.motcua2"))
    wins = [r for r in results if isinstance(r, actions.ActionOutcome)]
    losses = [r for r in results if isinstance(r, StaleDossier | TransitionError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "người khác" in str(losses[0]) or "Không thể" in str(losses[0])
    dossier.refresh_from_db()
    assert dossier.state == "received" and dossier.revision == revision + 1
    assert DossierEvent.objects.filter(dossier=dossier, action="receive").count() == 1
    assert DossierEvent.objects.get(dossier=dossier, action="receive").actor == wins[0].event.actor


def test_receive_and_reject_at_the_same_moment(world):
    _agency, _procedure, people = world
    dossier = submitted(world)
    revision = dossier.revision
    results = at_once(
        lambda: actions.perform(dossier.pk, Action.receive, people["dt.motcua1"],
                                LifecycleRole.reception_officer, expected_revision=revision),
        lambda: actions.perform(dossier.pk, Action.reject, people["dt.motcua2"],
                                LifecycleRole.reception_officer, "Sai thẩm quyền",
                                expected_revision=revision),
    )
    wins = [r for r in results if isinstance(r, actions.ActionOutcome)]
    assert len(wins) == 1, results
    assert sum(isinstance(r, StaleDossier | TransitionError) for r in results) == 1
    dossier.refresh_from_db()
    assert dossier.state == wins[0].dossier.state
    assert DossierEvent.objects.filter(dossier=dossier).exclude(action="submit").count() == 1


def test_two_leaders_apologise_at_the_same_moment(world):
    _agency, _procedure, people = world
    long_ago = timezone.now() - timedelta(days=20)
    dossier = submitted(world, now=long_ago)
    actions.perform(dossier.pk, Action.receive, people["dt.motcua1"],
                    LifecycleRole.reception_officer, now=long_ago)
    dossier.refresh_from_db()
    calendar = calendar_for(timezone.now())
    day = calendar.next_working_day(calendar.next_working_day(timezone.localdate()))
    new_due = timezone.make_aware(datetime.combine(day, time(16, 0)))
    results = at_once(*[
        (lambda who=who: services.apologise(dossier.pk, people[who], f"Lý do của {who}", new_due,
                                            dossier.revision))
        for who in ("dt.lanhdao1", "dt.lanhdao2")])
    assert sum(isinstance(r, DossierEvent) for r in results) == 1, results
    assert sum(isinstance(r, StaleDossier | services.BackofficeError) for r in results) == 1
    assert DossierEvent.objects.filter(dossier=dossier, action="apology").count() == 1


def revision_on_page(client: Client, code: str) -> int:
    html = client.get(f"/mot-cua/ho-so/{code}/").content.decode()
    return int(re.search(r'name="revision" value="(\d+)"', html).group(1))


def test_two_clients_post_the_same_form(world):
    _agency, _procedure, people = world
    dossier = submitted(world)
    clients = []
    for username in ("dt.motcua1", "dt.motcua2"):
        client = Client()
        client.force_login(people[username])
        clients.append(client)
    revisions = [revision_on_page(client, dossier.code) for client in clients]
    assert revisions[0] == revisions[1] == dossier.revision

    def post(client, revision, note):
        return lambda: client.post(f"/mot-cua/ho-so/{dossier.code}/",
                                   {"action": "receive", "revision": revision, "note": note})

    results = at_once(post(clients[0], revisions[0], "Người thứ nhất"),
                      post(clients[1], revisions[1], "Người thứ hai"))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(r.status_code for r in results)
    assert statuses == [302, 409], statuses
    loser = next(r for r in results if r.status_code == 409).content.decode()
    assert StaleDossier.message in loser or "Không thể «Tiếp nhận»" in loser
    dossier.refresh_from_db()
    assert dossier.state == "received"
    events = DossierEvent.objects.filter(dossier=dossier, action="receive")
    assert events.count() == 1
    # The loser's page shows the dossier as it now is.
    assert "Đã tiếp nhận" in loser


def test_a_sealer_waits_for_the_one_sealing_so_the_chain_cannot_fork(monkeypatch):
    """The interleaving that forks the chain, forced rather than hoped for: sealer A (a worker)
    has read the head and the unsealed entries and stops there; meanwhile B appends an entry
    and seals (another worker, or the sweeper).
    Without the head's lock (PostgreSQL: its row lock; SQLite: the IMMEDIATE transaction) B
    reads the same head, seals A's entry and its own, and A then writes the head back one entry
    behind, so the next seal gives a second entry B's number (a fork, or an IntegrityError).
    With the lock B waits until A has committed; A's pause ends when B is done or after 1 s."""
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": audit.GENESIS})
    audit.seal()  # what the database's setup left
    before = AuditHead.objects.get(pk=1).seq
    a_has_read, b_done = threading.Event(), threading.Event()
    paused: list[threading.Thread] = []
    unsealed = audit._unsealed

    def pausing():
        pending = unsealed()
        if threading.current_thread() in paused and not a_has_read.is_set():
            a_has_read.set()
            b_done.wait(timeout=1)  # never set before A commits when the lock holds
        return pending

    monkeypatch.setattr(audit, "_unsealed", pausing)

    def append(name):
        with transaction.atomic():  # committed unsealed, then sealed as the worker does
            audit.record(source="test", action="test.concurrent", object_type="test",
                         object_id=name)
        assert AuditEntry.objects.filter(object_id=name, seq__isnull=True).exists()
        audit.seal()

    def sealer_a():
        paused.append(threading.current_thread())
        append("a")

    def sealer_b():
        assert a_has_read.wait(timeout=30)
        append("b")
        b_done.set()

    assert at_once(sealer_a, sealer_b) == [None, None]
    append("c")  # the next seal after the race
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()  # all sealed
    head = AuditHead.objects.get(pk=1)
    last = AuditEntry.objects.order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash) == (before + 3, last.hash)
    assert list(AuditEntry.objects.filter(seq__gt=before).order_by("seq")
                .values_list("object_id", flat=True)) == ["a", "b", "c"]
    report = audit.verify()
    assert report.ok and report.entries == before + 3, report.problems
