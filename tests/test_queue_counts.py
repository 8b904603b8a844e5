"""The back office's queue counts kept by the database (dossiers/queuecounts.py): equal to the
dossiers counted by (agency, state, step role) after any writes, by any path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dichvucong.dossiers import actions, queuecounts
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier, QueueCount
from tests.builders import HAI_CHAU, JUSTICE, agency, filed, moved, row, user

pytestmark = pytest.mark.django_db

STATES = ("draft", "submitted", "received", "examining", "awaiting_review", "transferred",
          "returned")
ROLES = ("", "leader", "specialist")


def right() -> bool:
    return queuecounts.differences() == {} and queuecounts.kept() == queuecounts.grouped()


def test_filing_moving_transferring_and_deleting_keep_the_counts():
    here, there = agency(HAI_CHAU), agency(JUSTICE)
    draft = row(agency=here, applicant_name="Nháp")  # a draft is not counted
    assert queuecounts.counted([here.pk], STATES) == {}
    first, second = filed(), filed()
    moved(second, "examining")
    actions.perform(second.pk, Action.transfer, user("chuyenvien.haichau"),
                    LifecycleRole.specialist, "Chuyển liên thông")
    assert queuecounts.counted([here.pk, there.pk], STATES) == {
        (here.pk, "submitted", ""): 1, (here.pk, "transferred", ""): 1}
    Dossier.objects.filter(pk=first.pk).update(agency=there)  # moved to another desk
    draft.delete()
    assert queuecounts.counted([here.pk, there.pk], ["submitted"]) == {
        (there.pk, "submitted", ""): 1}
    assert right()
    queuecounts.fold()
    assert right() and QueueCount.objects.count() == 2


def test_the_queue_page_counts_what_waits():
    client = Client()
    client.force_login(user("motcua.haichau"))
    for _ in range(3):
        filed()
    assert "Chờ tiếp nhận" in (page := client.get("/mot-cua/").content.decode())
    assert ">3<" in page.replace(" ", "")
    with connection.cursor() as cursor:  # any path: raw SQL too
        cursor.execute("UPDATE dossiers_dossier SET state = 'received' WHERE id = %s",
                       [Dossier.objects.filter(state="submitted").values_list("pk").first()[0]])
    assert ">2<" in client.get("/mot-cua/?hang-doi=tiep-nhan").content.decode().replace(" ", "")


def test_the_command_finds_wrong_counts_and_rebuilds_them():
    filed()
    call_command("queue_counts", stdout=StringIO())
    QueueCount.objects.create(agency_id=agency().pk, state="submitted", step_role="", n=5)
    with pytest.raises(CommandError):
        call_command("queue_counts", stdout=StringIO())
    out = StringIO()
    call_command("queue_counts", "--rebuild", stdout=out)
    assert "equal" in out.getvalue() and right()


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_flush_that_empties_the_counts_first_leaves_none_behind():
    filed()
    QueueCount.objects.all().delete()
    Dossier.objects.all().delete()
    assert not QueueCount.objects.exists()


KEYS = st.tuples(st.integers(0, 1), st.sampled_from(STATES), st.sampled_from(ROLES))
STEPS = st.lists(st.one_of(
    st.tuples(st.just("create"), KEYS),
    st.tuples(st.just("bulk_create"), st.lists(KEYS, max_size=4)),
    st.tuples(st.just("save"), st.integers(0, 50), KEYS),
    st.tuples(st.just("update"), st.sampled_from(STATES), KEYS),
    st.tuples(st.just("raw"), st.integers(0, 50), st.sampled_from(STATES)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("delete_state"), st.sampled_from(STATES)),
    st.tuples(st.just("fold")),
), max_size=12)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_any_writes_leave_the_counts_equal_to_the_dossiers(steps):
    agencies = [agency(HAI_CHAU), agency(JUSTICE)]
    template = row(applicant_name="Mẫu")

    def fields(key):
        where, state, role = key
        return {"agency": agencies[where], "state": state, "step_role": role}

    def nth(index):
        ids = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
        return ids[index % len(ids)]

    for step in steps:
        match step:
            case ("create", key):
                row(**fields(key))
            case ("bulk_create", keys):
                Dossier.objects.bulk_create(
                    Dossier(procedure_id=template.procedure_id,
                            procedure_version_id=template.procedure_version_id,
                            applicant_id=template.applicant_id, **fields(key)) for key in keys)
            case ("save", index, key):
                dossier = Dossier.objects.get(pk=nth(index))
                for name, value in fields(key).items():
                    setattr(dossier, name, value)
                dossier.save()
            case ("update", state, key):
                Dossier.objects.filter(state=state).update(**fields(key))
            case ("raw", index, state):
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE dossiers_dossier SET state = %s WHERE id = %s",
                                   [state, nth(index)])
            case ("delete", index):
                Dossier.objects.filter(pk=nth(index)).delete()
            case ("delete_state", state):
                Dossier.objects.filter(state=state).exclude(pk=template.pk).delete()
            case ("fold",):
                queuecounts.fold()
        assert right()


def test_the_counts_query_is_composed_once_per_shape(monkeypatch):
    here, there = agency(HAI_CHAU), agency(JUSTICE)
    filed()
    expected = queuecounts.counted([there.pk, here.pk], STATES)
    assert expected[(here.pk, "submitted", "")] >= 1
    assert queuecounts.counted([here.pk], ["submitted"]) == {
        key: n for key, n in expected.items() if key[0] == here.pk and key[1] == "submitted"}

    def composed(*args, **kwargs):
        raise AssertionError("the counts' query composed again")

    # Every back-office page reads the counts: the ORM does not build their query again, and
    # the agencies passed at each call are those counted.
    monkeypatch.setattr(QueueCount.objects, "filter", composed)
    assert queuecounts.counted([here.pk, there.pk], STATES) == expected
    assert queuecounts.counted([there.pk, 10**9], STATES) == {
        key: n for key, n in expected.items() if key[0] == there.pk}
