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
