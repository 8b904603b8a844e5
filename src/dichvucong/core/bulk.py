"""Thousands of rows written in one statement on PostgreSQL, each column as one text parameter.

Django's PostgreSQL backend binds parameters on the client (psycopg's ``ClientCursor``), quoting
every value in Python: a batch of thousands of rows through ``bulk_create`` or through one array
parameter per column spent most of its time there (the alert scan's first run at a million
dossiers: 0.9 s to store 17,000 step splits, of which the quoting was nearly all). Here each
column becomes one PostgreSQL array literal built with ``str.join``, one string for the driver
to quote, and the database casts it back (``unnest``).

:func:`array_literal` ``(values)``: the text of a PostgreSQL ``text[]`` of ``values``;
:func:`unnest_select` ``(types)``: ``SELECT`` of one row per array element, cast to ``types``;
:func:`insert_ignoring_conflicts` ``(objs)``: ``bulk_create(objs, ignore_conflicts=True)`` so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

__all__ = ["array_literal", "insert_ignoring_conflicts", "unnest_select"]


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = value.isoformat()  # with its offset: PostgreSQL reads it as the same instant
    else:
        text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_literal(values: Iterable[Any]) -> str:
    """``{"a","b",NULL}``: every element quoted (so commas, braces, quotes and the word NULL
    stay text), ``None`` as NULL."""
    return "{" + ",".join(_element(v) for v in values) + "}"


def unnest_select(types: Sequence[str]) -> str:
    """``SELECT c0::type0, … FROM unnest(%s::text[], …) AS u(c0, …)``: one parameter per
    column, each an :func:`array_literal`. ``types`` are SQL type names of this code's own
    (never from outside)."""
    names = [f"c{i}" for i in range(len(types))]
    casts = ", ".join(f"{n}::{t}" for n, t in zip(names, types, strict=True))
    arrays = ", ".join(["%s::text[]"] * len(types))
    return f"SELECT {casts} FROM unnest({arrays}) AS u({', '.join(names)})"  # noqa: S608


def insert_ignoring_conflicts(objs: Sequence[Any]) -> None:
    """``objs`` (unsaved instances of one model, ids from its sequence) inserted, a row
    conflicting with a unique constraint skipped, as ``bulk_create(ignore_conflicts=True)``
    does, which it is on other databases. PostgreSQL: in one statement, without preparing each
    value through the driver; values as :meth:`Field.pre_save` gives them (``auto_now_add``
    set), JSON as its text."""
    if not objs:
        return
    from django.db import connection
    from django.db.models import JSONField

    meta = type(objs[0])._meta
    if connection.vendor != "postgresql":
        meta.model.objects.bulk_create(objs, ignore_conflicts=True)
        return
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns: list[list[Any]] = [[] for _ in fields]
    for obj in objs:
        for column, f in zip(columns, fields, strict=True):
            value = f.pre_save(obj, True)
            if isinstance(f, JSONField) and value is not None:
                value = json.dumps(value, cls=f.encoder, ensure_ascii=False)
            column.append(value)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    select = unnest_select([f.db_type(connection) for f in fields])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) "  # noqa: S608
                       f"{select} ON CONFLICT DO NOTHING",
                       [array_literal(column) for column in columns])
