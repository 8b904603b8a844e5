"""Queries composed once (``core.prepared``): what they read is what the ORM reads, with the
query's own constants kept and only the placeholders' values changing between calls."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dichvucong.accounts.models import User
from dichvucong.core.prepared import Prepared
from dichvucong.dossiers.models import Dossier
from dichvucong.results.queries import result_available_column
from tests import builders

pytestmark = pytest.mark.django_db


def _dossiers(applicant_id: int):
    return (Dossier.objects.filter(applicant_id=applicant_id).exclude(state="draft")
            .select_related("procedure", "submitted_by").only("code", "state", "procedure__name",
                                                              "submitted_by__username")
            .annotate(result_available=result_available_column()).order_by("-id"))


def test_objects_are_the_orms_with_related_rows_and_annotations(django_assert_num_queries):
    prepared = Prepared(lambda: _dossiers(-1), -1)
    citizen = User.objects.get(username="congdan")
    builders.row(state="submitted", code="000.00.48.H17-261207-0001", channel="online")
    builders.row(state="received", code="000.00.48.H17-261207-0002", channel="agent",
                 submitted_by=User.objects.get(username="motcua.haichau"))
    expected = list(_dossiers(citizen.pk))
    assert expected
    for _ in range(2):  # composed at the first call, reused at the second
        with django_assert_num_queries(1):
            got = prepared.objects(citizen.pk)
            assert [(d.pk, d.code, d.state, d.procedure.name, d.result_available,
                     d.submitted_by and d.submitted_by.username) for d in got] == [
                (d.pk, d.code, d.state, d.procedure.name, d.result_available,
                 d.submitted_by and d.submitted_by.username) for d in expected]
    assert prepared.objects(10**9) == []


def test_the_querys_constants_are_kept_and_only_placeholders_change():
    citizen = builders.row(state="submitted", code="000.00.48.H17-261207-0003").applicant
    # "draft" is the query's constant, not a parameter the caller gives.
    drafts = Prepared(lambda: Dossier.objects.filter(applicant_id=-1, state="draft")
                      .values_list("state", flat=True), -1)
    Dossier.objects.filter(applicant=citizen).update(state="draft")
    assert set(drafts.rows(citizen.pk)) == {("draft",)}
    Dossier.objects.filter(applicant=citizen).update(state="submitted")
    assert drafts.rows(citizen.pk) == []


def test_a_prepared_query_gives_rows_or_objects_not_both():
    users = Prepared(lambda: User.objects.filter(pk=0), 0)
    users.objects(1)
    with pytest.raises(ImproperlyConfigured):
        users.rows(1)


def test_a_placeholder_the_database_adapter_wraps_is_still_a_placeholder():
    """On PostgreSQL the ORM hands an integer field's values over typed (psycopg's ``Int4``):
    the placeholder was not recognised, and every back-office page failed after a merge."""
    bound = 2_000_000_001  # within the field's range, or the ORM drops the condition
    prepared = Prepared(lambda: User.objects.filter(pk=-1, qr_counter__lt=bound)
                        .values_list("username"), -1, bound)
    citizen = User.objects.get(username="congdan")
    assert prepared.rows(citizen.pk, citizen.qr_counter + 1) == [("congdan",)]
    assert prepared.rows(citizen.pk, citizen.qr_counter) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_the_statement_is_prepared_on_the_server_once(django_assert_num_queries):
    """PostgreSQL parsed and planned each of these statements at every request (Django binds
    on the client): they are prepared at their first run on a connection and reused."""
    users = Prepared(lambda: User.objects.filter(pk=-1, username="?").values_list("email"),
                     -1, "?")
    citizen = User.objects.get(username="congdan")

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [sql for (sql,) in cursor.fetchall() if '"email"' in sql]

    for _ in range(3):
        with django_assert_num_queries(1) as logged:  # still Django's cursor: counted, logged
            assert users.rows(citizen.pk, "congdan") == [(citizen.email,)]
        assert "'congdan'" in logged.captured_queries[0]["sql"]  # with its values
        assert users.rows(citizen.pk, "someone else") == []
    assert len(prepared()) == 1
