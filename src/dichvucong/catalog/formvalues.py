"""A filled-in form read back: each value under its label, in the form's order, as the back
office's workspace and a result's text show it (labels of choices, dates as dd/mm/yyyy, money
in đồng, addresses with their places' names). The only query is for those names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.catalog.definition import FieldType, FormField


@dataclass
class Entry:
    label: str
    value: str = ""
    items: list[list[Entry]] = field(default_factory=list)  # a repeating group's items


def _addresses(fields: list[FormField], values: dict[str, Any]) -> set[str]:
    codes: set[str] = set()
    for f in fields:
        value = values.get(f.key)
        if f.type == FieldType.ADDRESS and isinstance(value, dict):
            codes |= {str(value.get(k)) for k in ("province", "commune") if value.get(k)}
        elif f.type == FieldType.GROUP and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    codes |= _addresses(f.fields, item)
    return codes


def _place_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(AdministrativeUnit.objects.filter(code__in=codes).values_list("code", "name"))


def _show(f: FormField, value: Any, places: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if f.type == FieldType.CHECKBOX:
        return _("Có") if value is True or str(value).lower() in {"on", "true", "1"} else _(
            "Không")
    if f.type in (FieldType.SELECT, FieldType.MULTISELECT):
        labels = {o.value: o.label for o in f.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if f.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if f.type == FieldType.NUMBER:
        # Vietnamese writes a decimal comma (85,5 m²); whole numbers stay as typed (1994).
        try:
            return format(Decimal(str(value)), "f").replace(".", ",")
        except InvalidOperation:
            return str(value)
    if f.type == FieldType.MONEY:
        try:
            return f"{int(str(value)):,}".replace(",", ".") + " đ"
        except ValueError:
            return str(value)
    if f.type == FieldType.ADDRESS and isinstance(value, dict):
        parts = [str(value.get("street") or "").strip(),
                 places.get(str(value.get("commune") or ""), ""),
                 places.get(str(value.get("province") or ""), "")]
        return ", ".join(p for p in parts if p) or "—"
    return str(value)


def form_entries(fields: list[FormField], values: dict[str, Any]) -> list[Entry]:
    """The form's values as label → value, in the form's order, groups item by item."""
    places = _place_names(_addresses(fields, values))

    def entries(scope_fields: list[FormField], scope: dict[str, Any]) -> list[Entry]:
        found = []
        for f in scope_fields:
            value = scope.get(f.key)
            if f.type == FieldType.GROUP:
                items = [entries(f.fields, item) for item in (value or [])
                         if isinstance(item, dict)]
                found.append(Entry(label=f.label, value="" if items else "—", items=items))
            elif f.key in scope:
                found.append(Entry(label=f.label, value=_show(f, value, places)))
        return found

    return entries(fields, values)
