"""Issue #17 item 6: the sync rate with the National Public Service Portal, as plain formulas
(``nationalsync/rates.py``), on the IOC pages and in Decision 766's indicator 1.4.

The monitoring fixture's dossiers were all recorded in the outbox as they moved (no portal is
configured in the tests, so every record is still waiting); the tests mark them as the worker
would."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from dichvucong.monitor import metrics
from dichvucong.monitor.models import Indicator
from dichvucong.monitor.seed import SYNC_FROM
from dichvucong.nationalsync import shape
from dichvucong.nationalsync.models import SyncRecord, SyncState
from dichvucong.nationalsync.rates import SyncRate
from tests.monitor_fixture import VN, build
from tests.test_metrics import justice_march
from tests.test_monitor import MARCH, logged_in

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=VN)


def test_the_formulas():
    rate = SyncRate(dossiers_due=10, dossiers_waiting=2, dossiers_failed=1, steps_waiting=3,
                    steps_failed=1, oldest_unsynced_at=T0)
    assert rate.dossiers_synced == 7 and rate.rate == 70.0
    assert SyncRate(dossiers_due=3, dossiers_failed=1).rate == 66.67
    assert SyncRate().rate is None  # nothing received: no rate, not 0 % nor 100 %
    assert SyncRate(dossiers_due=1, dossiers_waiting=2).dossiers_synced == 0
    assert rate.oldest_age(T0 + timedelta(minutes=90)) == timedelta(minutes=90)
    assert rate.oldest_age(T0 - timedelta(seconds=5)) == timedelta(0)  # clocks apart
    assert SyncRate().oldest_age(T0) is None


def sync_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-sync="(\w+)">([^<]*)<', html))


@pytest.mark.django_db
def test_the_ioc_shows_the_sync_rate_and_the_766_index_counts_it(client):
    fx = build()
    SyncRecord.objects.update(state=SyncState.SYNCED, synced_at=timezone.now())
    d2, d3 = fx.dossiers["D2"], fx.dossiers["D3"]
    failed = SyncRecord.objects.filter(dossier=d2, service=shape.STEP_SERVICE).last()
    failed.state = SyncState.FAILED
    failed.save()
    waiting = SyncRecord.objects.filter(dossier=d3).order_by("id")
    SyncRecord.objects.filter(pk__in=[r.pk for r in waiting][-2:]).update(
        state=SyncState.PENDING, created_at=T0)  # its last event's dossier record and step
    SyncRecord.objects.filter(dossier=fx.dossiers["D10"]).update(
        state=SyncState.PENDING)  # rejected at reception, never received: not in the period's

    # City: 12 received in March (Sở Tư pháp 11, Hải Châu 1); D2 failed, D3 waiting. The steps
    # are the backlog now, whatever the period: D3's last, D10's two (submitted, rejected).
    html = logged_in(client, "ioc").get(f"/giam-sat/?{MARCH}").content.decode()
    assert sync_cells(html) == {"due": "12", "synced": "10", "waiting": "1", "failed": "1",
                                "rate": "83,33 %", "steps_waiting": "3", "steps_failed": "1"}
    assert "Bản ghi chưa đồng bộ lâu nhất" in html
    page = client.get(f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}").content.decode()
    assert sync_cells(page)["synced"] == "9" and sync_cells(page)["rate"] == "81,82 %"
    hai_chau = client.get(f"/giam-sat/co-quan/{fx.hai_chau.pk}/?{MARCH}").content.decode()
    assert sync_cells(hai_chau) == {"due": "1", "synced": "1", "waiting": "0", "failed": "0",
                                    "rate": "100,00 %", "steps_waiting": "0",
                                    "steps_failed": "0"}
    assert "Không còn bản ghi nào chờ đồng bộ." in hai_chau

    # 766 indicator 1.4: measured from SYNC_FROM; not before.
    assert {i.code: i.rule for i in metrics.indicators_in_force(date(2025, 3, 31))}[
        "1.4"] == "not_measured"
    row = {i.code: i for i in metrics.indicators_in_force(SYNC_FROM)}["1.4"]
    assert (row.numerator, row.denominator, row.points) == ("received_synced", "received", 6)
    Indicator.objects.filter(pk=row.pk).update(effective_from=date(2025, 3, 1))
    index = {i.code: i for i in metrics.national_index(justice_march(fx)).indicators}
    assert (index["1.4"].numerator, index["1.4"].denominator, index["1.4"].value,
            index["1.4"].points) == (9, 11, 81.82, 6.0)  # ≥ 80 %: full points
    SyncRecord.objects.filter(dossier=fx.dossiers["D1"]).update(state=SyncState.FAILED)
    by_agency = metrics.index_by_agency(justice_march(fx))[fx.justice.pk]
    score = {i.code: i for i in by_agency.indicators}["1.4"]
    assert (score.value, score.points) == (72.73, 5.45)  # 8 ÷ 11; 72.73 × 6 ÷ 80
