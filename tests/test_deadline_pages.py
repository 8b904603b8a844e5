"""Deadlines through the pages (issue #14): no false apology banner and remaining working hours
on the back office (item 3); the cut-off hour for any limit, set in the designer and applied to
a dossier's due time (item 20); the announced day swaps in the calendar (item 18)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dichvucong.dossiers.models import Dossier
from tests.test_backoffice import client_for, make_dossier

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BANNERS = ("Bắt buộc: xin lỗi", "Nguy cơ trễ hạn")
OFFICIALS = ("motcua.haichau", "lanhdao.haichau", "chuyenvien.haichau")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def page_at(monkeypatch, moment: datetime, username: str, url: str) -> str:
    """``url`` as ``username`` sees it at ``moment`` (the views read django.utils.timezone)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)
    try:
        response = client_for(username).get(url)
    finally:
        monkeypatch.undo()
    assert response.status_code == 200
    return response.content.decode()


def test_same_day_dossier_on_schedule_has_no_banner_and_shows_working_hours(monkeypatch):
    # Birth registration (1.001193) is a same-day procedure with a 15:00 cut-off: received
    # Monday 09/03/2026 16:00, it counts from Tuesday and is due Tuesday 10/03 17:00.
    dossier = make_dossier("examining", now=vn(2026, 3, 9, 16, 0))
    assert dossier.due_at == vn(2026, 3, 10, 17, 0)
    url = f"/mot-cua/ho-so/{dossier.code}/"
    for username in OFFICIALS:
        html = page_at(monkeypatch, vn(2026, 3, 10, 7, 30), username, url)
        assert not any(banner in html for banner in BANNERS), username
        assert "Còn 7 giờ 30 phút" in html and "Còn 1 ngày" not in html
    html = page_at(monkeypatch, vn(2026, 3, 10, 9, 0), "chuyenvien.haichau", url)
    assert "Còn 6 giờ" in html and not any(banner in html for banner in BANNERS)
    # The form stays reachable, folded away, for an official who knows it will be late.
    assert "<details" in html and 'name="action" value="apology"' in html
    queue = page_at(monkeypatch, vn(2026, 3, 10, 7, 30), "chuyenvien.haichau", "/mot-cua/")
    assert dossier.code in queue and "Còn 1 ngày" not in queue


def test_behind_schedule_then_overdue_brings_the_banner(monkeypatch):
    dossier = make_dossier("examining", now=vn(2026, 3, 9, 16, 0))
    url = f"/mot-cua/ho-so/{dossier.code}/"
    # 14:00 and the specialist's step (60% of the time, due 11:36) is not done: at risk.
    html = page_at(monkeypatch, vn(2026, 3, 10, 14, 0), "chuyenvien.haichau", url)
    assert "Nguy cơ trễ hạn" in html and "Bắt buộc: xin lỗi" not in html
    assert "Còn 3 giờ" in html
    # Wednesday morning, not resolved: overdue, the apology is required.
    html = page_at(monkeypatch, vn(2026, 3, 11, 8, 0), "lanhdao.haichau", url)
    assert "Bắt buộc: xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" in html
    assert "Trễ hạn 30 phút" in html
    assert Dossier.objects.get(pk=dossier.pk).state == "examining"


# --- item 18: the announced day swaps ----------------------------------------------------------


def test_dossiers_around_new_year_2026_follow_the_announced_swap():
    # Birth registration is due the day it counts from; after the 15:00 cut-off it counts from
    # the next working day. Wednesday 31/12/2025 16:00: Thu 01/01 (New Year), Fri 02/01
    # (swapped, 12729/VPCP-KGVX), Sat 03/01 and Sun 04/01 off -> Monday 05/01/2026 17:00.
    before_new_year = make_dossier("received", now=vn(2025, 12, 31, 16, 0))
    assert before_new_year.due_at == vn(2026, 1, 5, 17, 0)
    # Friday 09/01/2026 16:00: Saturday 10/01 is worked in exchange -> due then, not Monday.
    friday = make_dossier("received", now=vn(2026, 1, 9, 16, 0))
    assert friday.due_at == vn(2026, 1, 10, 17, 0)


def test_administrators_see_the_years_calendar_with_each_days_act_and_edit_it():
    from dichvucong.dossiers.clock import calendar_for
    from dichvucong.workflow.models import CalendarOverride

    admin = client_for("admin")
    url = "/quan-tri/workflow/calendaroverride/nam/2026/"
    html = admin.get(url).content.decode()
    assert "Lịch làm việc năm 2026" in html
    assert "02/01/2026" in html and "10/01/2026" in html
    assert html.count("12729/VPCP-KGVX") == 2  # the day off and the worked Saturday
    assert "Bộ luật Lao động 2019, Điều 112" in html  # the law's holidays, e.g. Tết
    assert "Ngày Văn hóa Việt Nam — chưa áp dụng" in html and "80-NQ/TW" in html
    assert "<strong>Chưa</strong>" in html  # 31/08/2026: the act's text was not found
    swap = CalendarOverride.objects.get(day="2026-01-02", agency=None)
    assert f"/quan-tri/workflow/calendaroverride/{swap.pk}/change/" in html
    # The list shows the citation too, and the days can be edited and added.
    listing = admin.get("/quan-tri/workflow/calendaroverride/?day__year=2026").content.decode()
    # The list links to this year's calendar (2026's only while it is 2026).
    this_year = f"/quan-tri/workflow/calendaroverride/nam/{timezone.localdate().year}/"
    assert "12729/VPCP-KGVX" in listing and this_year in listing
    response = admin.post("/quan-tri/workflow/calendaroverride/add/", {
        "day": "2026-11-24", "is_working": "", "agency": "",
        "reason": "Ngày Văn hóa Việt Nam", "legal_basis": "Văn bản thử nghiệm 1/2026",
        "source": "", "verified": "on"})
    assert response.status_code == 302
    assert not calendar_for(vn(2026, 11, 1)).is_working_day(datetime(2026, 11, 24).date())
    html = admin.get(url).content.decode()
    assert "Văn bản thử nghiệm 1/2026" in html and "chưa áp dụng" not in html
    # Officials and citizens do not maintain the calendar.
    assert client_for("motcua.haichau").get(url).status_code == 302


# --- item 20: a cut-off hour for any limit -----------------------------------------------------


def test_a_designer_sets_a_cutoff_on_a_multi_day_procedure(client):
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers.clock import calendar_for, time_limit
    from dichvucong.workflow.deadlines import compute_due
    from tests.test_designer import DESIGNER, PROCESSING, build_complete, post_section, publish

    designer = client_for(DESIGNER)
    code = build_complete(designer)
    editor = designer.get(f"/thiet-ke/{code}/nhap/").content.decode()
    assert "được tính thời hạn từ ngày làm việc tiếp theo" in editor  # the field's help
    response = post_section(designer, code, "processing", PROCESSING | {"cutoff": "15:00"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Đã công bố" in publish(designer, code).content.decode()
    page = client.get(f"/thu-tuc/{code}/").content.decode()
    assert "Hồ sơ tiếp nhận sau 15:00 được tính thời hạn từ ngày làm việc tiếp theo." in page
    definition = Procedure.objects.get(code=code).current_version.parsed()
    assert definition.processing.cutoff == "15:00" and not definition.processing.same_day
    # 5 working days in person, 3 online; received Tuesday 10/03/2026 at 15:30, after the
    # cut-off: counted from Wednesday 07:30.
    in_person = time_limit(definition, "in_person")
    calendar = calendar_for(vn(2026, 3, 10))
    assert compute_due(calendar, vn(2026, 3, 10, 15, 30), in_person) == vn(2026, 3, 18, 7, 30)
    assert compute_due(calendar, vn(2026, 3, 10, 14, 30), in_person) == vn(2026, 3, 17, 14, 30)
    online = time_limit(definition, "online")
    assert compute_due(calendar, vn(2026, 3, 10, 15, 30), online) == vn(2026, 3, 16, 7, 30)


# --- item 19: a supplement answered when no time was left ----------------------------------------


def test_a_supplement_answered_with_no_time_left_is_not_overdue(monkeypatch):
    from dichvucong.dossiers import actions
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole
    from tests.test_backoffice import pdf, user

    dossier = make_dossier("examining", now=vn(2026, 3, 9, 16, 0))
    assert dossier.due_at == vn(2026, 3, 10, 17, 0)
    # The specialist asks for a supplement at the due time itself: nothing left.
    actions.perform(dossier.pk, Action.request_supplement, user("chuyenvien.haichau"),
                    LifecycleRole.specialist, "- Giấy chứng sinh", now=vn(2026, 3, 10, 17, 0))
    # The citizen brings it to the counter next morning at 07:30; the desk records it.
    dossier.refresh_from_db()
    monkeypatch.setattr(timezone, "now", lambda: vn(2026, 3, 11, 7, 30))
    reception = client_for("motcua.haichau")
    response = reception.post(f"/mot-cua/ho-so/{dossier.code}/", {
        "action": "provide_supplement", "revision": dossier.revision,
        "note": "Công dân nộp bản chính tại quầy", "supplement": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier.refresh_from_db()
    assert dossier.paused_at is None
    # Due at the answer (the working time left, none), not 17:00 the day before.
    assert dossier.due_at == vn(2026, 3, 11, 7, 30)
    assert dossier.original_due_at == vn(2026, 3, 11, 7, 30)
    html = reception.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    # Not overdue (with nothing left and its step late it is at risk: the apology is advised).
    assert "Còn 0 phút" in html and "Trễ hạn 0 phút" not in html
    assert "Bắt buộc: xin lỗi" not in html and "Nguy cơ trễ hạn" in html
