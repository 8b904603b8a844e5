"""The shapes builders return: a dataset, its tables, their fields and chart."""

from __future__ import annotations

from dataclasses import dataclass, field

from dichvucong.agencies.models import Agency


@dataclass(frozen=True)
class FieldSpec:
    id: str  # DataStore field id: CSV header and JSON key
    type: str  # DataStore type: text, int or numeric
    label: str  # Vietnamese column name

    def as_dict(self) -> dict:
        return {"id": self.id, "type": self.type, "label": self.label}


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of one table: ``value`` summed (or rows counted when None) per ``label``,
    over the rows whose ``latest`` field has its greatest value (the latest month), if set."""

    title: str
    label: str
    value: str | None = None
    latest: str | None = None
    limit: int = 12
    order: str = "value"  # "value": largest first; "label": in label order

    def as_dict(self) -> dict:
        return {"title": self.title, "label": self.label, "value": self.value,
                "latest": self.latest, "limit": self.limit, "order": self.order}


@dataclass
class TableSpec:
    key: str
    title: str
    description: str
    fields: list[FieldSpec]
    rows: list[dict]
    chart: ChartSpec | None = None


@dataclass
class DatasetSpec:
    name: str
    title: str
    notes: str
    organization: Agency
    tags: list[str]
    groups: list[str]
    frequency: str  # key of vocabulary.FREQUENCIES
    tables: list[TableSpec]
    extras: dict[str, str] = field(default_factory=dict)
