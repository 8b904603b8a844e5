"""Dossier codes: ``<receiving unit's identifier>-<yyMMdd>-<4-digit sequence>`` (Circular
01/2018/TT-VPCP; the unit identifier per QCVN 102:2016/BTTTT), the sequence restarting daily per
unit and never repeating."""

from __future__ import annotations

import re
from datetime import date

from django.db import connection, transaction

from dichvucong.dossiers.models import DossierCodeSequence

CODE = re.compile(r"^(?P<unit>\d{3}\.\d{2}\.\d{2}\.H\d{2})-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def format_code(unit: str, day: date, sequence: int) -> str:
    return f"{unit}-{day:%y%m%d}-{sequence:04d}"


def next_sequence(agency_id: int, day: date) -> int:
    """Take the next number atomically: one INSERT … ON CONFLICT … RETURNING statement, which
    PostgreSQL and SQLite (3.35+) both run as a single atomic write, so concurrent submissions on
    several servers never get the same number."""
    table = DossierCodeSequence._meta.db_table
    # No savepoint: one statement, and a failure aborts the caller's transaction anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [agency_id, day],
        )
        return int(cursor.fetchone()[0])


def next_code(agency, day: date) -> str:
    return format_code(agency.code, day, next_sequence(agency.pk, day))
