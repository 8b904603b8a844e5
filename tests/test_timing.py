"""Remaining working time as officers read it, and when the apology (Mẫu 04) is required:
the plain rules of dichvucong.backoffice.timing (issue #14 item 3)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from dichvucong.backoffice.timing import ApologyNeed, apology_need, due_status, remaining
from dichvucong.workflow.deadlines import WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.vietnam(range(2025, 2028))


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


@pytest.mark.parametrize(("minutes", "text"), [
    (450, "7 giờ 30 phút"),  # exactly one working day left: due today 17:00, seen at 07:30
    (360, "6 giờ"),
    (59, "59 phút"),
    (0, "0 phút"),
    (451, "1 ngày 1 phút"),
    (450 * 2 + 60, "2 ngày 1 giờ"),
])
def test_remaining_time_is_in_hours_when_at_most_a_working_day(minutes, text):
    assert remaining(minutes, 450) == text


def test_a_dossier_due_today_at_five_shows_working_hours_not_one_day():
    due = vn(2026, 3, 10, 17, 0)
    assert due_status(CAL, vn(2026, 3, 10, 7, 30), due).text == "Còn 7 giờ 30 phút"
    assert due_status(CAL, vn(2026, 3, 10, 9, 0), due).text == "Còn 6 giờ"
    assert due_status(CAL, vn(2026, 3, 9, 16, 0), due).text == "Còn 1 ngày 1 giờ"
    assert due_status(CAL, vn(2026, 3, 10, 17, 30), due).text == "Trễ hạn 0 phút"
    assert due_status(CAL, vn(2026, 3, 11, 9, 0), due).text == "Trễ hạn 1 giờ 30 phút"


DUE = vn(2026, 3, 10, 17, 0)


def need(now, due=DUE, **kwargs):
    options = {"processing": True, "sent": False, "behind_schedule": False} | kwargs
    return apology_need(CAL, now, due, **options)


def test_a_same_day_dossier_on_schedule_needs_no_apology():
    # Received and due the same day: less than a working day left from the start, on schedule.
    assert need(vn(2026, 3, 10, 7, 30)) == ApologyNeed.available
    assert need(vn(2026, 3, 10, 16, 59)) == ApologyNeed.available
    assert not ApologyNeed.available.banner


def test_behind_schedule_with_at_most_a_working_day_left_is_at_risk():
    assert need(vn(2026, 3, 10, 14, 0), behind_schedule=True) == ApologyNeed.at_risk
    assert need(vn(2026, 3, 9, 17, 0), behind_schedule=True) == ApologyNeed.at_risk  # 450 min
    assert need(vn(2026, 3, 9, 16, 59), behind_schedule=True) == ApologyNeed.available  # 451
    # More than a working day left: time to catch up, no banner yet.
    assert need(vn(2026, 3, 9, 9, 0), behind_schedule=True) == ApologyNeed.available
    assert ApologyNeed.at_risk.banner


def test_overdue_requires_the_apology_until_it_is_sent():
    assert need(vn(2026, 3, 11, 8, 0)) == ApologyNeed.required
    assert ApologyNeed.required.banner
    assert need(vn(2026, 3, 11, 8, 0), sent=True) == ApologyNeed.none
    assert need(vn(2026, 3, 11, 8, 0), processing=False) == ApologyNeed.none
    assert need(vn(2026, 3, 11, 8, 0), due=None) == ApologyNeed.none
    # While the clock is paused for a supplement, what counts is the time left at the pause.
    assert need(vn(2026, 3, 20, 8, 0), paused_at=vn(2026, 3, 10, 9, 0)) == ApologyNeed.available


def test_durations_are_written_once_per_language(monkeypatch):
    """The queue's rows looked their clocks' words up in the catalogue at every page (issue
    #19): each text is kept per language, and the language still decides it."""
    from dichvucong.backoffice import timing

    def written() -> list[str]:
        out = []
        for language in ("vi", "en"):
            with translation.override(language):
                out += [timing.duration(-(450 * 2 + 95), 450), timing.remaining(95, 450),
                        timing.reception_clock(CAL, vn(2026, 12, 7, 9), vn(2026, 12, 4, 15)).text]
        return out

    first = written()
    assert first[:3] == ["2 ngày 1 giờ 35 phút", "1 giờ 35 phút", "Đã chờ 3 giờ 30 phút làm việc"]
    assert first[3:] == ["2 days 1 hour 35 minutes", "1 hour 35 minutes",
                         "Waiting for 3 hours 30 minutes of working time"]
    monkeypatch.setattr(timing, "ngettext", lambda *a: pytest.fail("looked up again"))
    monkeypatch.setattr(timing, "_", lambda *a: pytest.fail("looked up again"))
    assert written() == first
