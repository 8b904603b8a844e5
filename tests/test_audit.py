"""The tamper-evident audit trail (issue #21 item 2, core/audit.py): the sources feed one
chain; the verification finds a deleted, an edited, an inserted entry and a truncated tail."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dichvucong.accounts.models import Membership, Role
from dichvucong.core import audit
from dichvucong.core.models import AuditEntry, AuditHead
from dichvucong.core.tasks import seal_audit_trail
from dichvucong.datastore.models import Access, AccessRecord
from dichvucong.dossiers.models import DossierEvent
from tests.builders import agency, filed, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(settings, tmp_path):
    """Five sealed entries, anchored, in a chain of their own (the test's transaction)."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    settings.AUDIT_ANCHOR_KEY_FILE = tmp_path / "anchor_key.pem"
    AuditEntry.objects.all().delete()
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": 0, "hash": audit.GENESIS})
    for n in range(1, 6):
        audit.record(source="test", action="look.profile", object_type="profile",
                     object_id=n, actor_id=n, subject_id=100 + n, reason=f"Lý do số {n}",
                     data={"n": n})
    assert audit.anchor()["seq"] == 5
    return {e.seq: e for e in AuditEntry.objects.order_by("seq")}


def problems() -> str:
    report = audit.verify()
    assert not report.ok
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit")
    return " | ".join(report.problems)


def test_an_intact_chain_verifies_and_the_sources_feed_it(chain, capsys):
    assert [e.prev_hash for e in chain.values()][1:] == [e.hash for e in chain.values()][:-1]
    call_command("verify_audit")
    assert "audit trail intact: 5 entries, 1 anchors" in capsys.readouterr().out
    dossier = filed()  # a dossier event and the store's history reach the chain
    AccessRecord.objects.create(owner=dossier.applicant, actor=user("motcua.haichau"),
                                action=Access.COUNTER_VIEW)
    membership = Membership.objects.create(user=dossier.applicant, agency=agency(),
                                           role=Role.SPECIALIST)
    membership.delete()
    audit.seal()
    fed = AuditEntry.objects.filter(seq__gt=5, subject_id=dossier.applicant_id)
    assert {"dossier.submit", "datastore.counter_view", "role.grant", "role.revoke"} <= set(
        fed.values_list("action", flat=True))
    assert audit.verify().ok


def test_a_deleted_entry_is_found(chain):
    chain[3].delete()
    assert "entries 3–3 are missing" in problems()


def test_an_edited_entry_is_found(chain):
    AuditEntry.objects.filter(seq=2).update(reason="Lý do khác")
    assert "entry 2 was altered" in problems()


def test_an_inserted_entry_is_found(chain):
    for seq in (5, 4):  # make room after entry 3, then a well-formed entry there
        AuditEntry.objects.filter(seq=seq).update(seq=seq + 1)
    forged = AuditEntry(seq=4, prev_hash=chain[3].hash, at=chain[3].at, source="test",
                        action="look.profile", object_type="profile", object_id="99")
    forged.hash = audit.entry_hash(forged)
    forged.save()
    assert "entry 5 does not link to the one before it" in problems()


def test_a_truncated_tail_is_found_by_the_anchor(chain):
    AuditEntry.objects.filter(seq__gte=4).delete()
    AuditHead.objects.filter(pk=1).update(seq=3, hash=chain[3].hash)  # the head covered up too
    assert "the chain ends at 3 but was anchored at 5" in problems()


def test_a_source_row_edited_or_deleted_after_its_entry_is_found(chain):
    """The entry keeps a digest of the row it records: the row cannot be changed or removed
    behind the chain's back."""
    dossier = filed()
    event = DossierEvent.objects.get(dossier=dossier, action="submit")
    look = AccessRecord.objects.create(owner=dossier.applicant, actor=user("motcua.haichau"),
                                       action=Access.COUNTER_VIEW, data={"lý do": "quầy"})
    event.data = {"exchange": "lawful later change"}  # not among the digested fields
    event.save(update_fields=["data"])
    audit.seal()
    assert audit.verify().ok, audit.verify().problems
    DossierEvent.objects.filter(pk=event.pk).update(note="Ghi chú đã bị sửa")
    look_pk = look.pk
    look.delete()
    found = problems()
    assert f"its source row dossiers.dossierevent {event.pk} was edited" in found
    assert f"its source row datastore.accessrecord {look_pk} was deleted" in found


def test_an_account_erased_by_an_administrator_is_not_reported_as_tampering(chain, client):
    """A citizen's erasure request handled by deleting the account: its store history goes with
    it (a cascade), which the verifier reported as deleted source rows. Done in the admin, the
    removal is recorded in the chain as an erasure, by whom, and the verifier counts it."""
    from dichvucong.accounts.models import User

    person = User.objects.create_user("xoa.toi", password="Mật-khẩu-dài-1")
    AccessRecord.objects.create(owner=person, actor=user("motcua.haichau"),
                                action=Access.COUNTER_VIEW, data={"lý do": "quầy"})
    AccessRecord.objects.create(owner=person, actor=person, action=Access.COUNTER_VIEW)
    administrator = User.objects.create_superuser("quantri.xoa", password="Mật-khẩu-dài-2")
    client.force_login(administrator)
    confirm = client.get(f"/quan-tri/accounts/user/{person.pk}/delete/")
    assert confirm.status_code == 200
    response = client.post(f"/quan-tri/accounts/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=person.pk).exists()
    audit.seal()
    report = audit.verify()
    assert report.ok, report.problems
    assert report.erased == 2
    erasures = AuditEntry.objects.filter(source="erasure")
    assert {e.actor_id for e in erasures} == {administrator.pk}
    assert {e.object_type for e in erasures} == {"datastore.accessrecord"}
    # The same removal outside an erasure is still found.
    look = AccessRecord.objects.create(owner=administrator, actor=administrator,
                                       action=Access.COUNTER_VIEW)
    audit.seal()
    look_pk = look.pk
    look.delete()
    assert f"its source row datastore.accessrecord {look_pk} was deleted" in problems()


def test_a_request_leaves_the_seal_to_the_worker_and_the_sweeper(
        chain, client, capsys, django_capture_on_commit_callbacks):
    """No request takes the chain head's lock (on PostgreSQL it made writers wait in turn): its
    entry commits unsealed, ``verify-audit`` counts it as awaiting its seal (not tampering), and
    the sweeper seals it; the pipeline's worker seals the entries of what it derives."""
    dossier = filed()  # sealed by the worker's drain (builders.derive) with its events
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    client.force_login(user("motcua.haichau"))
    with django_capture_on_commit_callbacks(execute=True):  # as if the request committed
        assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 200
    look = AuditEntry.objects.get(action="look.dossier", object_id=dossier.code)
    assert look.seq is None and not look.hash
    capsys.readouterr()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit trail intact" in out and "1 entries awaiting their seal" in out, out
    assert seal_audit_trail.call_local() == 1  # the sweeper, every minute
    look.refresh_from_db()
    head = AuditHead.objects.get(pk=1)
    assert (look.seq, look.hash) == (head.seq, head.hash) and look.prev_hash
    assert audit.verify().ok and audit.verify().unsealed == 0
