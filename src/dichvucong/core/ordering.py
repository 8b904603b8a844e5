"""Querysets in Vietnamese alphabetical order, for the places that need a queryset (a form's
``ModelChoiceField``), not a list.

The order is ``core.text.vietnamese_key``'s, computed in Python: the same on SQLite and
PostgreSQL, which no database collation gives. Meant for the short lists people choose from
(agencies, fields, administrative units: hundreds of rows at most).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Case, IntegerField, Model, QuerySet, Value, When

from dichvucong.core.text import vietnamese_key

M = TypeVar("M", bound=Model)


def in_vietnamese_order(queryset: QuerySet[M], field: str = "name") -> QuerySet[M]:
    """``queryset`` ordered by ``field`` in Vietnamese alphabetical order."""
    rows = sorted(queryset.values_list("pk", field), key=lambda row: vietnamese_key(row[1]))
    if not rows:
        return queryset
    position = Case(*(When(pk=pk, then=Value(i)) for i, (pk, _) in enumerate(rows)),
                    default=Value(len(rows)), output_field=IntegerField())
    return queryset.order_by(position, "pk")
