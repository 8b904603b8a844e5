from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dichvucong.monitor import facts


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày không hợp lệ: {text!r} (cần YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = ("Tính lại các bảng số liệu tổng hợp của Trung tâm giám sát từ hồ sơ và sự kiện "
            "(toàn bộ, hoặc các ngày từ --start đến --end)")

    def add_arguments(self, parser):
        parser.add_argument("--start", help="ngày đầu (YYYY-MM-DD)")
        parser.add_argument("--end", help="ngày cuối (YYYY-MM-DD)")

    def handle(self, *args, start=None, end=None, **options):
        began = time.perf_counter()
        written = facts.rebuild(_day(start), _day(end))
        elapsed = time.perf_counter() - began
        what = f"{written} hồ sơ" if written >= 0 else "các hồ sơ trong khoảng"
        self.stdout.write(f"Đã tính lại số liệu tổng hợp cho {what} trong {elapsed:.2f} giây.")
