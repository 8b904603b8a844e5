"""Claiming rows of an outbox for one worker run (the notification and the national portal
sync workers): a fresh lease token and a lease time written by a conditional UPDATE on rows that
are still claimable, so of two workers only one gets a row, on SQLite as on PostgreSQL (where the
candidates are also read with ``SELECT … FOR UPDATE SKIP LOCKED`` so that workers do not queue
on each other's rows). Every later write of the worker checks the token."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone


def claim(candidates: QuerySet, claimable: Callable[[datetime], Q], *, batch: int,
          lease_seconds: float, **changes) -> tuple[str, bool]:
    """Lease up to ``batch`` of ``candidates`` (in their order) that are ``claimable(now)``,
    writing ``changes`` with the lease. Returns the token (read the rows back by it) and whether
    anything was claimed."""
    token = secrets.token_hex(16)
    now = timezone.now()
    with transaction.atomic():
        found = candidates.filter(claimable(now))
        if connection.features.has_select_for_update_skip_locked:
            found = found.select_for_update(skip_locked=True)
        ids = list(found.values_list("pk", flat=True)[:batch])
        if ids:
            candidates.model.objects.filter(claimable(now), pk__in=ids).update(
                lease_token=token, lease_until=now + timedelta(seconds=lease_seconds),
                **changes)
    return token, bool(ids)


def renew(model, token: str, lease_seconds: float) -> int:
    """Extend the lease of the rows ``token`` still holds (a long run's later rows would
    otherwise be taken over by another worker while this one is still on its way to them)."""
    return model.objects.filter(lease_token=token).update(
        lease_until=timezone.now() + timedelta(seconds=lease_seconds))
