"""core/bulk.py: rows as one text array per column, read back by PostgreSQL exactly as given."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from dichvucong.core import bulk

pytestmark = pytest.mark.django_db

AWKWARD = ['a "quoted", {braced} word', "back\\slash\\", "NULL", "", " spaced ", "Đà Nẵng ✓",
           "line\nbreak", None]

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


def test_an_array_literal_quotes_every_element_and_writes_none_as_null():
    assert bulk.array_literal(["a,b", None, 'say "x"', "\\"]) == (
        '{"a,b",NULL,"say \\"x\\"","\\\\"}')
    at = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)
    assert bulk.array_literal([at, True, 7]) == '{"2026-12-07T08:30:00+00:00","true","7"}'


@postgresql_only
def test_postgresql_reads_each_element_back_as_it_was():
    at = dt.datetime(2026, 12, 7, 8, 30, 15, 123456, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(bulk.unnest_select(("text",)), [bulk.array_literal(AWKWARD)])
        assert [row[0] for row in cursor.fetchall()] == AWKWARD
        cursor.execute(bulk.unnest_select(("bigint", "timestamptz", "boolean")),
                       [bulk.array_literal(c) for c in ([1, 2], [at, None], [True, False])])
        assert cursor.fetchall() == [(1, at, True), (2, None, False)]


@postgresql_only
def test_an_insert_writes_what_bulk_create_writes_and_skips_conflicts():
    from dichvucong.notify.models import Notification

    def row(key: str, subject: str) -> Notification:
        return Notification(dedupe_key=key, channel="inapp", event="fee_due", subject=subject,
                            body="Nội dung\n«trích»", template_data={"code": 'A"1', "n": "Đ"},
                            idempotency_key=f"{key}-{subject}",
                            next_attempt_at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC))

    Notification.objects.bulk_create([row("by-django", "x")])
    bulk.insert_ignoring_conflicts([row("by-bulk", "x"), row("by-django", "conflict")])
    django_row, bulk_row = (Notification.objects.get(dedupe_key=k) for k in ("by-django",
                                                                            "by-bulk"))
    assert django_row.subject == "x"  # the conflicting row was skipped
    skip = {"id", "dedupe_key", "idempotency_key"}
    assert ({k: v for k, v in model_to_dict(bulk_row).items() if k not in skip}
            == {k: v for k, v in model_to_dict(django_row).items() if k not in skip})
    assert abs(bulk_row.created_at - django_row.created_at) < dt.timedelta(minutes=1)
