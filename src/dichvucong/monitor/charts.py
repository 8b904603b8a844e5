"""Labels and light charts for the dashboards: server-rendered SVG and CSS bars, no script, a
few hundred bytes each, readable on a phone; every chart has its numbers in a table too."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dichvucong.monitor.metrics import Point


def CHANNEL_LABELS() -> dict[str, str]:  # noqa: N802 - a translated constant
    return {"online": _("Trực tuyến"), "agent": _("Đại lý"), "counter": _("Trực tiếp"),
            "post": _("Bưu chính")}


def TARGET_LABELS() -> dict[str, str]:  # noqa: N802
    return {"on_time_rate": _("Đúng hạn ≥ 99 %"), "online_rate": _("Trực tuyến ≥ 80 %"),
            "paid_online_rate": _("Thanh toán trực tuyến ≥ 60 %")}


def MEASURE_LABELS() -> dict[str, str]:  # noqa: N802
    return {
        "received": _("Hồ sơ tiếp nhận"), "online_received": _("Hồ sơ nộp trực tuyến"),
        "fee_bearing": _("Hồ sơ có thu phí"), "paid_online": _("Hồ sơ thanh toán trực tuyến"),
        "resolved": _("Hồ sơ đã giải quyết"), "on_time": _("Hồ sơ giải quyết đúng hạn"),
        "late": _("Hồ sơ giải quyết trễ hạn"), "processing_days": _("Hồ sơ đã giải quyết"),
        "with_result": _("Hồ sơ có kết quả"), "digital_result": _("Hồ sơ có kết quả điện tử"),
        "stopped": _("Hồ sơ dừng giải quyết"), "withdrawn": _("Hồ sơ rút sau tiếp nhận"),
        "rateable": _("Hồ sơ kết thúc (được đánh giá)"), "rated": _("Hồ sơ đã được đánh giá"),
        "not_satisfied": _("Hồ sơ bị đánh giá không hài lòng"),
        "open": _("Hồ sơ đang giải quyết"), "overdue": _("Hồ sơ quá hạn"),
    }


def bar(value: float | None) -> int:
    """The width (per cent) of a CSS bar."""
    return 0 if value is None else max(0, min(100, round(value)))


def svg_number(value: float) -> str:
    """A coordinate for an SVG attribute, to one decimal, with a full stop whatever the language:
    a float handed to the template would be localised (``11,4`` in Vietnamese), which SVG cannot
    read, so the chart would draw nothing."""
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def trend_chart(points: list[Point]) -> dict[str, Any]:
    """Bars of dossiers received per period and, over them, the on-time rate as a line."""
    width, height, pad = 600, 160, 4
    n = max(len(points), 1)
    slot = (width - 2 * pad) / n
    peak = max((p.figures.received for p in points), default=0) or 1
    bars, line = [], []
    for i, p in enumerate(points):
        h = (height - 20) * p.figures.received / peak
        x = pad + i * slot + slot * 0.15
        bars.append({"x": svg_number(x), "y": svg_number(height - h),
                     "w": svg_number(slot * 0.7), "h": svg_number(h),
                     "title": f"{p.start:%d/%m}–{p.end:%d/%m}: {p.figures.received}"})
        if p.figures.on_time_rate is not None:
            y = height - (height - 20) * p.figures.on_time_rate / 100
            line.append(f"{svg_number(x + slot * 0.35)},{svg_number(y)}")
    # Strings, not numbers, from here to the template: see svg_number.
    return {"width": svg_number(width), "height": svg_number(height), "bars": bars,
            "line": " ".join(line),
            "rows": [{"start": p.start, "end": p.end, "received": p.figures.received,
                      "resolved": p.figures.resolved, "on_time_rate": p.figures.on_time_rate}
                     for p in points]}
