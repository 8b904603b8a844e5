"""What the public transparency page (``/minh-bach/``) lists: each agency's figures, found by
level, ward or name, in Vietnamese alphabetical order, a page at a time (a city has a few hundred
agencies: all of them at once made a page 25,000 pixels tall on a phone)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dichvucong.core.text import vietnamese_key, words
from dichvucong.monitor.metrics import Row

PAGE_SIZE = 20
LEVELS = ("province", "commune")
QUERY_MAX = 100


@dataclass(frozen=True)
class Place:
    """Where an agency sits: its level and, for a commune's agency, the commune's code."""

    level: str
    ward: str | None


@dataclass(frozen=True)
class Filter:
    level: str = ""
    ward: str = ""
    query: str = ""

    @classmethod
    def read(cls, params: Mapping[str, str], wards: Sequence[str]) -> Filter:
        """The filter a request asks for; a value that is not a choice counts as no filter."""
        level = params.get("cap", "")
        ward = params.get("xa", "")
        return cls(level=level if level in LEVELS else "",
                   ward=ward if ward in wards else "",
                   query=" ".join(params.get("q", "").split())[:QUERY_MAX])

    @property
    def active(self) -> bool:
        return bool(self.level or self.ward or self.query)

    def params(self) -> dict[str, str]:
        """The filter as query parameters, to keep on the page and period links."""
        return {k: v for k, v in (("cap", self.level), ("xa", self.ward), ("q", self.query))
                if v}


def select(rows: Sequence[Row], places: Mapping[int, Place], chosen: Filter) -> list[Row]:
    """The rows ``chosen`` keeps, in Vietnamese alphabetical order of the agency's name.

    Each word of the query begins a word of the name, diacritics and case aside («hai chau»
    and «P. Hải Ch» find «Ủy ban nhân dân phường Hải Châu»)."""
    wanted = words(chosen.query)
    kept = []
    for row in rows:
        place = places.get(row.key)
        if chosen.level and (place is None or place.level != chosen.level):
            continue
        if chosen.ward and (place is None or place.ward != chosen.ward):
            continue
        name = words(row.label)
        if not all(any(w.startswith(q) for w in name) for q in wanted):
            continue
        kept.append(row)
    return sorted(kept, key=lambda r: vietnamese_key(r.label))
