"""The monitoring centre's figures as open-data rows.

The figures are computed by ``dichvucong.monitor.metrics`` only: ``monthly_statistics`` for the
rows per agency × procedure × channel, ``breakdown(…, by="agency")`` for each agency's month with
its on-time and online rates. This module picks the months, asks the monitor for each and lays
its numbers out as table rows (codes, names, the period as ``YYYY-MM``). It never counts
dossiers itself, so the open data and the monitoring centre cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Max, Min

from dichvucong.agencies.models import Agency
from dichvucong.core.text import vietnamese_key
from dichvucong.monitor import metrics
from dichvucong.monitor.models import ChannelBucket, DailyFact
from dichvucong.opendata.specs import FieldSpec

RECEIVED_FIELD = "received"
ON_TIME_RATE_FIELD = "on_time_rate"
CHANNEL_LABELS = {
    ChannelBucket.ONLINE.value: "Trực tuyến",
    ChannelBucket.AGENT.value: "Trực tuyến qua đại lý dịch vụ công",
    ChannelBucket.COUNTER.value: "Trực tiếp",
    ChannelBucket.POST.value: "Bưu chính công ích",
}

MONTHLY_FIELDS: list[FieldSpec] = [
    FieldSpec("period", "text", "Tháng"),
    FieldSpec("agency_code", "text", "Mã cơ quan"),
    FieldSpec("agency_name", "text", "Cơ quan"),
    FieldSpec("procedure_code", "text", "Mã thủ tục"),
    FieldSpec("procedure_name", "text", "Thủ tục"),
    FieldSpec("channel", "text", "Mã kênh nộp"),
    FieldSpec("channel_name", "text", "Kênh nộp"),
    FieldSpec(RECEIVED_FIELD, "int", "Hồ sơ tiếp nhận"),
    FieldSpec("resolved", "int", "Hồ sơ đã giải quyết"),
    FieldSpec("on_time", "int", "Giải quyết đúng hạn"),
    FieldSpec("late", "int", "Giải quyết trễ hạn"),
    FieldSpec("withdrawn", "int", "Rút hồ sơ"),
    FieldSpec("stopped", "int", "Dừng giải quyết"),
    FieldSpec("avg_processing_days", "numeric", "Thời gian giải quyết trung bình (ngày làm việc)"),
]

RATE_FIELDS: list[FieldSpec] = [
    FieldSpec("period", "text", "Tháng"),
    FieldSpec("agency_code", "text", "Mã cơ quan"),
    FieldSpec("agency_name", "text", "Cơ quan"),
    FieldSpec(RECEIVED_FIELD, "int", "Hồ sơ tiếp nhận"),
    FieldSpec("online_received", "int", "Hồ sơ tiếp nhận trực tuyến"),
    FieldSpec("online_rate", "numeric", "Tỷ lệ trực tuyến (%)"),
    FieldSpec("resolved", "int", "Hồ sơ đã giải quyết"),
    FieldSpec("on_time", "int", "Giải quyết đúng hạn"),
    FieldSpec(ON_TIME_RATE_FIELD, "numeric", "Tỷ lệ đúng hạn (%)"),
]


def months() -> Iterator[tuple[int, int]]:
    """Every month from the monitoring centre's first fact to its last."""
    bounds = DailyFact.objects.aggregate(first=Min("day"), last=Max("day"))
    if bounds["first"] is None:
        return
    year, month = bounds["first"].year, bounds["first"].month
    while (year, month) <= (bounds["last"].year, bounds["last"].month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def monthly_rows() -> list[dict]:
    rows = []
    for year, month in months():
        for stat in metrics.monthly_statistics(year, month):
            figures = stat.figures
            rows.append({
                "period": period(year, month),
                "agency_code": stat.agency_code,
                "agency_name": stat.agency,
                "procedure_code": stat.procedure_code,
                "procedure_name": stat.procedure,
                "channel": stat.channel,
                "channel_name": CHANNEL_LABELS.get(stat.channel, stat.channel),
                "received": figures.received,
                "resolved": figures.resolved,
                "on_time": figures.on_time,
                "late": figures.late,
                "withdrawn": figures.withdrawn,
                "stopped": figures.stopped,
                "avg_processing_days": figures.avg_processing_days,
            })
    return rows


def rate_rows() -> list[dict]:
    rows = []
    codes = dict(Agency.objects.values_list("pk", "code"))
    for year, month in months():
        start = dt.date(year, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        for row in metrics.breakdown(metrics.Scope(start, end), "agency"):
            figures = row.figures
            if not (figures.received or figures.resolved):
                continue  # only open dossiers now: nothing happened in this month
            rows.append({
                "period": period(year, month),
                "agency_code": codes.get(row.key, ""),
                "agency_name": row.label,
                "received": figures.received,
                "online_received": figures.online_received,
                "online_rate": figures.online_rate,
                "resolved": figures.resolved,
                "on_time": figures.on_time,
                "on_time_rate": figures.on_time_rate,
            })
    rows.sort(key=lambda r: (r["period"], vietnamese_key(r["agency_name"])))
    return rows
