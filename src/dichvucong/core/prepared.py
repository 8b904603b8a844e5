"""Queries every request makes (the session, the signed-in user, a citizen's dossiers), composed
by the ORM once per database connection instead of at each request.

Composing a query (filters, joins, the SQL text, the converters of its columns) is most of the
CPU of a small one: the user's row cost 0.55–0.68 ms through ``User.objects.get`` and 0.18 ms
with the same SQL composed once (PostgreSQL, docs/performance.md). ``Prepared`` keeps the ORM's
own SQL, its converters (JSON, dates and booleans as each backend returns them) and, for model
instances, the ORM's recipe for making them (``select_related``'s related rows, annotations), so
nothing is written by hand that a field's change could leave behind; only the parameters change
between calls.

The parameters given are passed to the database as they are: only integers and strings, whose
database value is themselves (no date or decimal that a backend would adapt). The query's other
parameters (a state it excludes, say) are its constants, kept as the ORM made them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


def statement_cursor(connection):
    """Django's cursor (logged, counted in tests, its errors Django's), for a fixed statement run
    at many requests: on PostgreSQL with prepared statements on (``DB_PREPARED_STATEMENTS``) it
    binds its parameters on the server and prepares the statement at its first run on the
    connection, so the server neither parses nor plans it again (about 0.1–0.3 ms of its CPU
    per statement; Django's own cursors bind on the client and cannot prepare)."""
    if connection.vendor != "postgresql" or not _prepares(connection):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # What ``connection.cursor()`` does with the cursor it makes: wrapped, logged if asked.
        preparing = _preparing_cursors()[connection.queries_logged]
        return connection._prepare_cursor(preparing(connection.connection))


def _prepares(connection) -> bool:
    return connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is not None


@cache
def _preparing_cursors() -> tuple[type, type]:
    """The cursor, and the one for a connection whose queries are logged (tests, ``DEBUG``):
    Django logs the statement psycopg last sent with its values, which a prepared statement's
    run does not keep, so that one composes it as Django's own cursors do."""
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg._queries import PostgresClientQuery

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    class LoggedPreparingCursor(PreparingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            result = super().execute(query, params, binary=binary)
            composed = PostgresClientQuery(self._tx)
            composed.convert(query, params)
            self._query = composed  # what Django's log reads (``last_executed_query``)
            return result

    return PreparingCursor, LoggedPreparingCursor


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiler: Any
    sql: str
    # Each of the SQL's parameters: (True, (the index of the caller's value, the type the ORM
    # gave the placeholder)) or (False, a constant).
    params: tuple[tuple[bool, Any], ...]
    converters: dict
    columns: int  # the columns a row keeps (an ordering's extra columns dropped)
    make: Callable[[tuple], Model] | None  # a model instance from a row (``objects``)


class Prepared:
    """``build()`` returns the query with ``placeholders`` among its parameters (each at least
    once; checked once): ``rows(*params)`` runs it with ``params`` in their places, as tuples
    (a ``values_list`` query), ``objects(*params)`` as model instances the ORM would make.

    Placeholders are values no constant of the query takes (``-1``, ``"?"``): a parameter equal
    to one is taken for it."""

    def __init__(self, build: Callable[[], QuerySet], *placeholders: int | str) -> None:
        for value in placeholders:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ImproperlyConfigured(f"a prepared query's parameter: {value!r}")
        if len(set(placeholders)) != len(placeholders):
            raise ImproperlyConfigured(f"a prepared query's placeholders repeat: {placeholders}")
        self._build, self._placeholders = build, placeholders
        # Per connection: a connection belongs to one thread, and the SQL to one backend.
        self._compiled: WeakKeyDictionary = WeakKeyDictionary()

    def rows(self, *params: int | str, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        compiled, fetched = self._run(params, using, objects=False)
        return list(map(tuple, self._converted(compiled, fetched)))

    def objects(self, *params: int | str, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        compiled, fetched = self._run(params, using, objects=True)
        return [compiled.make(row) for row in self._converted(compiled, fetched)]

    def _run(self, params: tuple, using: str, *, objects: bool) -> tuple[_Compiled, list]:
        if len(params) != len(self._placeholders):
            raise TypeError(f"the prepared query takes {len(self._placeholders)} parameters")
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(using, objects)
        if objects != (compiled.make is not None):
            raise ImproperlyConfigured("a prepared query gives rows or objects, not both")
        values = [(params[value[0]] if value[1] in (int, str) else value[1](params[value[0]]))
                  if slot else value for slot, value in compiled.params]
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, values)
            fetched = cursor.fetchall()
        if len(fetched) and len(fetched[0]) > compiled.columns:
            fetched = [row[:compiled.columns] for row in fetched]
        return compiled, fetched

    @staticmethod
    def _converted(compiled: _Compiled, fetched: list):
        if compiled.converters:
            return compiled.compiler.apply_converters(fetched, compiled.converters)
        return fetched

    def _compile(self, using: str, objects: bool) -> _Compiled:
        queryset = self._build()
        compiler = queryset.query.get_compiler(using=using)
        sql, built = compiler.as_sql()
        places = []
        for value in built:
            # An integer may come wrapped with its database type (psycopg's ``Int4`` in an
            # ``IN`` list on PostgreSQL): the caller's value is wrapped the same way.
            slot = (not isinstance(value, bool) and isinstance(value, int | str)
                    and value in self._placeholders)
            places.append((True, (self._placeholders.index(value), type(value))) if slot
                          else (False, value))
        if ({value[0] for slot, value in places if slot}
                != set(range(len(self._placeholders)))):
            raise ImproperlyConfigured(
                f"the prepared query takes {tuple(built)!r}, not all of {self._placeholders!r}")
        fields = [column[0] for column in compiler.select[:compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ImproperlyConfigured("a prepared query reads no composite field")
        return _Compiled(compiler, sql, tuple(places), compiler.get_converters(fields),
                         compiler.col_count, _maker(queryset, compiler, using) if objects
                         else None)


def _maker(queryset: QuerySet, compiler, using: str) -> Callable[[tuple], Model]:
    """What ``ModelIterable`` does with each row, its recipe made once: the model's fields, the
    related rows of ``select_related``, the annotations."""
    if queryset._known_related_objects or queryset._prefetch_related_lookups:
        raise ImproperlyConfigured("a prepared query's objects know no related objects")
    select, klass_info = compiler.select, compiler.klass_info
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    annotations = tuple(compiler.annotation_col_map.items())

    def make(row) -> Model:
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        return obj

    return make


def instance(model: type[Model], field_names: list[str], values: tuple[Any, ...],
             using: str = DEFAULT_DB_ALIAS) -> Model:
    """A model instance from a row read with ``field_names`` (attnames), as the ORM makes it."""
    return model.from_db(using, field_names, values)
