"""What the form templates need to render a procedure's form: each field bound to its name,
value and errors. Plain Python; the templates in ``catalog/form/`` draw it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dichvucong.catalog.definition import Condition, FieldType, FormField
from dichvucong.catalog.formengine import is_visible

INPUT_TYPES = {
    FieldType.TEXT: ("text", ""), FieldType.NUMBER: ("text", "decimal"),
    FieldType.MONEY: ("text", "numeric"), FieldType.DATE: ("date", ""),
    FieldType.PHONE: ("tel", "tel"), FieldType.EMAIL: ("email", "email"),
    FieldType.ID_NUMBER: ("text", "numeric"),
    FieldType.TAX_CODE: ("text", ""),  # a branch's code has a dash
}
AUTOCOMPLETE = {FieldType.PHONE: "tel", FieldType.EMAIL: "email"}


@dataclass
class BoundOption:
    value: str
    label: str
    selected: bool


@dataclass
class BoundField:
    name: str
    id: str
    label: str
    type: str
    required: bool
    help: str
    value: Any
    errors: list[str]
    visible: bool
    input_type: str = ""
    inputmode: str = ""
    autocomplete: str = ""
    options: list[BoundOption] = field(default_factory=list)
    condition: dict[str, str] = field(default_factory=dict)  # for the enhancement script
    rows: list[list[BoundField]] = field(default_factory=list)  # a group's items
    row_count: int = 0
    max_items: int = 0
    part_values: dict[str, str] = field(default_factory=dict)  # an address's parts
    provinces: list[tuple[str, str]] = field(default_factory=list)
    communes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


@dataclass
class Places:
    """The administrative units an address field offers: provinces, and the communes of one."""

    provinces: list[tuple[str, str]]
    communes_of: Callable[[str], list[tuple[str, str]]]
    default_province: str


def bind(fields: list[FormField], values: dict[str, Any], errors: dict[str, list[str]],
         prefix: str = "", extra_rows: dict[str, int] | None = None,
         places: Places | None = None) -> list[BoundField]:
    """Bind ``fields`` to submitted or prefilled ``values`` (nested, as read_submission gives
    them) and ``errors`` (by flat name). ``extra_rows`` adds blank rows to groups. ``values``
    may hold answers of fields not bound (a multi-page form's other pages): a condition's test
    of those is settled here, since the page has no input for the script to read."""
    extra_rows = extra_rows or {}
    # Only top-level conditions read other top-level fields (a group's read its own).
    elsewhere = {k: v for k, v in values.items()
                 if k not in {f.key for f in fields}} if not prefix else {}
    bound = []
    for f in fields:
        name = f"{prefix}{f.key}"
        value = values.get(f.key)
        item = BoundField(
            name=name, id=f"f-{name}", label=f.label, type=f.type.value, required=f.required,
            help=f.help, value=_display(f, value), errors=errors.get(name, []),
            visible=is_visible(f.visible_when, values),
        )
        if f.type in INPUT_TYPES:
            item.input_type, item.inputmode = INPUT_TYPES[f.type]
            item.autocomplete = AUTOCOMPLETE.get(f.type, "")
        if f.type in (FieldType.SELECT, FieldType.MULTISELECT):
            chosen = value if isinstance(value, list) else [value]
            item.options = [BoundOption(o.value, o.label, o.value in [str(c) for c in chosen])
                            for o in f.options]
        if f.visible_when is not None:
            c = f.visible_when
            if c.field in elsewhere:
                pass  # settled: ``visible`` says it
            elif c.field:
                item.condition = _condition_attrs(c, prefix)
            else:  # combined: the script reads the tree as JSON
                item.condition = {"when": json.dumps(_condition_tree(c, prefix, elsewhere))}
        if f.type == FieldType.ADDRESS:
            parts = value if isinstance(value, dict) else {}
            item.part_values = {k: str(parts.get(k, "") or "") for k in
                                ("province", "commune", "street")}
            if places is not None:
                province = item.part_values["province"] or places.default_province
                item.part_values["province"] = province
                item.provinces = places.provinces
                item.communes = places.communes_of(province)
        if f.type == FieldType.GROUP:
            items = [v for v in (value or []) if isinstance(v, dict)]
            count = max(len(items), max(f.min_items, 1 if f.required else 0), 1)
            count = min(count + extra_rows.get(f.key, 0), f.max_items)
            items += [{} for _ in range(count - len(items))]
            item.rows = [bind(f.fields, row, errors, prefix=f"{name}-{i}-", places=places)
                         for i, row in enumerate(items)]
            item.row_count = count
            item.max_items = f.max_items
        bound.append(item)
    return bound


def _condition_attrs(c: Condition, prefix: str) -> dict[str, str]:
    """A one-field condition as the enhancement script's data attributes."""
    attrs = {"field": f"{prefix}{c.field}"}
    if c.filled is not None:
        attrs["filled"] = "true" if c.filled else "false"
    elif c.in_ is not None:
        attrs["in"] = "|".join(c.in_)
    else:
        attrs["equals"] = ("on" if c.equals else "") if isinstance(
            c.equals, bool) else str(c.equals)
    return attrs


def _condition_tree(c: Condition, prefix: str, elsewhere: dict[str, Any]) -> dict[str, Any]:
    if c.all_of is not None:
        return {"all": [_condition_tree(part, prefix, elsewhere) for part in c.all_of]}
    if c.any_of is not None:
        return {"any": [_condition_tree(part, prefix, elsewhere) for part in c.any_of]}
    if c.field in elsewhere:
        return {"const": is_visible(c, elsewhere)}
    attrs = _condition_attrs(c, prefix)
    return {**attrs, "in": attrs["in"].split("|")} if "in" in attrs else attrs


def _display(f: FormField, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if f.type == FieldType.CHECKBOX:
        return value is True or str(value).lower() in {"on", "true", "1"}
    if value is None:
        return ""
    return value


def flat_errors(bound: list[BoundField]) -> list[tuple[str, str, str]]:
    """(field id, label, message) for the error summary at the top of the form."""
    found = []
    for item in bound:
        found.extend((item.id, item.label, message) for message in item.errors)
        for row in item.rows:
            found.extend(flat_errors(row))
    return found
