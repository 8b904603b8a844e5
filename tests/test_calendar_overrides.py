"""The working calendar's overrides (``dossiers/clock.py:calendar_for``): an agency's own day wins
over the city-wide one for that agency only, read by queries composed once per connection."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dichvucong.dossiers.clock import calendar_for
from dichvucong.workflow.models import CalendarOverride
from tests.builders import HAI_CHAU, JUSTICE, agency

pytestmark = pytest.mark.django_db


def test_an_agencys_own_day_wins_for_it_alone_and_the_query_is_composed_once(monkeypatch):
    day = date(2031, 3, 4)  # a Tuesday
    ward, department = agency(HAI_CHAU), agency(JUSTICE)
    CalendarOverride.objects.create(day=day, is_working=False, reason="Nghỉ bù toàn thành phố")
    CalendarOverride.objects.create(day=day, is_working=True, agency=ward, reason="Trực")
    moment = datetime(2031, 3, 1, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

    def read_all() -> tuple[bool, bool, bool]:
        return (calendar_for(moment).is_working_day(day),
                calendar_for(moment, ward.pk).is_working_day(day),
                calendar_for(moment, department.pk).is_working_day(day))

    assert read_all() == (False, True, False)

    def composed(*args, **kwargs):
        raise AssertionError("the overrides' query composed again")

    # Each page with a clock reads the overrides: the ORM does not build their query again.
    monkeypatch.setattr(CalendarOverride.objects, "filter", composed)
    assert read_all() == (False, True, False)
