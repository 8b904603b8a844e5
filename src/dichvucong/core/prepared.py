"""Queries every request makes (the session, the signed-in user), composed by the ORM once per
database connection instead of at each request.

Composing a query (filters, joins, the SQL text) is most of the CPU of a small one: the user's
row cost 0.55–0.68 ms through ``User.objects.get`` and 0.18 ms with the same SQL composed once
(PostgreSQL, docs/performance.md). ``Prepared`` keeps the ORM's own SQL and its converters
(JSON, dates and booleans as each backend returns them), so nothing is written by hand that a
field's change could leave behind; only the parameters change between calls.

The parameters are passed to the database as they are: only integers and strings, whose
database value is themselves (no date or decimal that a backend would adapt).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet


class Prepared:
    """``build()`` returns the query with ``placeholders`` as its parameters, in the order its
    SQL takes them (checked once); ``rows(*params)`` runs it with ``params`` instead."""

    def __init__(self, build: Callable[[], QuerySet], *placeholders: int | str) -> None:
        for value in placeholders:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ImproperlyConfigured(f"a prepared query's parameter: {value!r}")
        self._build, self._placeholders = build, placeholders
        # Per connection: a connection belongs to one thread, and the SQL to one backend.
        self._compiled: WeakKeyDictionary = WeakKeyDictionary()

    def rows(self, *params: int | str, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiler = self._build().query.get_compiler(using=using)
            sql, placeholders = compiler.as_sql()
            if tuple(placeholders) != self._placeholders:
                raise ImproperlyConfigured(
                    f"the prepared query takes {placeholders!r}, not {self._placeholders!r}")
            compiled = self._compiled[connection] = (compiler, sql)
        compiler, sql = compiled
        with connection.cursor() as cursor:  # Django's cursor: logged, counted in tests
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))


def instance(model: type[Model], field_names: list[str], values: tuple[Any, ...],
             using: str = DEFAULT_DB_ALIAS) -> Model:
    """A model instance from a row read with ``field_names`` (attnames), as the ORM makes it."""
    return model.from_db(using, field_names, values)
