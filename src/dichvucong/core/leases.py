"""Claiming rows of an outbox for one worker run (the pipeline's entries, the notification, the
national portal sync and the webhook workers): a fresh lease token and a lease time written on
rows that are still claimable, so of two workers only one gets a row. Every later write of the
worker checks the token.

On PostgreSQL a claim is one statement: the claimable rows chosen and locked (``FOR UPDATE SKIP
LOCKED``, so that workers do not queue on each other's rows) in a ``MATERIALIZED`` CTE, leased
and returned by an ``UPDATE … RETURNING``. Elsewhere (SQLite) the candidates are read, leased by
a conditional UPDATE, and read back by the token: three statements."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet, prefetch_related_objects
from django.utils import timezone


def claim(candidates: QuerySet, claimable: Callable[[datetime], Q], *, batch: int,
          lease_seconds: float, related: Sequence[str] = (),
          **changes) -> tuple[str, list[Model]]:
    """Lease up to ``batch`` of ``candidates`` (chosen in their order) that are
    ``claimable(now)``, writing ``changes`` with the lease. Returns the token and the rows
    claimed, in the order of their ids, with their ``related`` rows (foreign keys) loaded."""
    token = secrets.token_hex(16)
    now = timezone.now()
    until = now + timedelta(seconds=lease_seconds)
    model = candidates.model
    if connection.vendor == "postgresql":
        rows = _claim_returning(candidates.filter(claimable(now)), batch, token, until, changes)
        if related:
            prefetch_related_objects(rows, *related)
    else:
        with transaction.atomic():
            found = candidates.filter(claimable(now))
            if connection.features.has_select_for_update_skip_locked:
                found = found.select_for_update(skip_locked=True)
            ids = list(found.values_list("pk", flat=True)[:batch])
            if ids:
                model.objects.filter(claimable(now), pk__in=ids).update(
                    lease_token=token, lease_until=until, **changes)
        rows = (list(model.objects.filter(lease_token=token).select_related(*related))
                if ids else [])
    rows.sort(key=lambda row: row.pk)
    return token, rows


def _claim_returning(due: QuerySet, batch: int, token: str, until: datetime,
                     changes: dict) -> list[Model]:
    model = due.model
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sets, values = [], []
    for name, value in {"lease_token": token, "lease_until": until, **changes}.items():
        field = model._meta.get_field(name)
        sets.append(f"{connection.ops.quote_name(field.column)} = %s")
        values.append(field.get_db_prep_save(value, connection))
    with transaction.atomic():  # FOR UPDATE is composed only in a transaction
        sql, params = (due.select_for_update(skip_locked=True).values("pk")[:batch]
                       .query.sql_with_params())
        # The rows chosen once (MATERIALIZED): as ``pk IN (subquery)`` the planner may run the
        # subquery again per row, each run taking another row past its LIMIT (a worker then
        # claimed its batch and more, and another found nothing).
        return list(model.objects.raw(
            f"WITH due AS MATERIALIZED ({sql}) "  # noqa: S608
            f"UPDATE {table} SET {', '.join(sets)} "
            f'FROM due WHERE {table}.{pk} = due."pk" RETURNING {table}.*',
            (*params, *values)))


def renew(model, token: str, lease_seconds: float) -> int:
    """Extend the lease of the rows ``token`` still holds (a long run's later rows would
    otherwise be taken over by another worker while this one is still on its way to them)."""
    return model.objects.filter(lease_token=token).update(
        lease_until=timezone.now() + timedelta(seconds=lease_seconds))
