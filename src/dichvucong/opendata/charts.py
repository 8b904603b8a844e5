"""Bar charts of the open tables, computed once per refresh and drawn as a small inline SVG
(no script, a few kilobytes: light on a phone)."""

from __future__ import annotations

from dataclasses import dataclass

from dichvucong.core.text import vietnamese_key
from dichvucong.opendata.specs import ChartSpec

WIDTH = 360  # viewBox units: about one CSS pixel each on a 390-pixel phone
ROW = 44
LABEL_CHARS = 52


def bars(spec: ChartSpec, rows: list[dict]) -> list[tuple[str, float]]:
    """``(label, value)`` pairs: ``spec.value`` summed per ``spec.label`` (rows counted when
    there is no value field), on the latest ``spec.latest`` only when that is set."""
    if spec.latest:
        latest = max((r.get(spec.latest) for r in rows if r.get(spec.latest) is not None),
                     default=None)
        rows = [r for r in rows if r.get(spec.latest) == latest]
    totals: dict[str, float] = {}
    for row in rows:
        label = row.get(spec.label)
        if label in (None, ""):
            continue
        if spec.value is None:
            amount = 1.0
        else:
            amount = row.get(spec.value)
            if amount is None:
                continue
        totals[str(label)] = totals.get(str(label), 0) + float(amount)
    if spec.order == "label":
        return sorted(totals.items())[-spec.limit:]
    return sorted(totals.items(),
                  key=lambda item: (-item[1], vietnamese_key(item[0])))[:spec.limit]


@dataclass
class Bar:
    label: str
    value: str
    y: int
    width: int

    # Coordinates as integers: a localised decimal comma would break the SVG.
    @property
    def label_y(self) -> int:
        return self.y + 14

    @property
    def bar_y(self) -> int:
        return self.y + 19

    @property
    def value_x(self) -> int:
        return self.width + 6

    @property
    def value_y(self) -> int:
        return self.y + 32


def number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def layout(pairs: list[list]) -> dict:
    """What the template draws: bars with their label above and value at their end."""
    top = max((float(v) for _, v in pairs), default=0) or 1
    items = []
    for index, (label, value) in enumerate(pairs):
        text = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"
        items.append(Bar(label=text, value=number(float(value)), y=index * ROW,
                         width=max(1, round((WIDTH - 70) * float(value) / top))))
    return {"bars": items, "height": max(ROW, len(items) * ROW), "width": WIDTH}
