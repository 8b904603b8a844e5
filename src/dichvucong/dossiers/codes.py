"""Dossier codes: ``<receiving unit's identifier>-<yyMMdd>-<4-digit sequence>`` (Circular
01/2018/TT-VPCP; the unit identifier per QCVN 102:2016/BTTTT), the sequence restarting daily per
unit and never repeating."""

from __future__ import annotations

import re
from datetime import date

from django.db import connection, transaction

from dichvucong.dossiers.models import Dossier, DossierCodeSequence

CODE = re.compile(r"^(?P<unit>\d{3}\.\d{2}\.\d{2}\.H\d{2})-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def format_code(unit: str, day: date, sequence: int) -> str:
    return f"{code_prefix(unit, day)}{sequence:04d}"


def code_prefix(unit: str, day: date) -> str:
    return f"{unit}-{day:%y%m%d}-"


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


def number_inserted(dossier_id: int, agency, day: date) -> str:
    """Take ``agency``'s next number for ``day`` and write the code on the dossier
    ``dossier_id``, inserted in this transaction; returns the code. On PostgreSQL one statement,
    the number taken in a data-modifying ``WITH`` and padded there as ``format_code`` pads it
    (at least four digits); SQLite has no such ``WITH``: two. Either way the number is taken as
    ``next_sequence`` takes it, and its row stays locked to the commit."""
    table, dossiers = DossierCodeSequence._meta.db_table, Dossier._meta.db_table
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH taken AS (INSERT INTO {table} (agency_id, day, last) "  # noqa: S608
                f"VALUES (%s, %s, 1) ON CONFLICT (agency_id, day) "
                f"DO UPDATE SET last = {table}.last + 1 RETURNING last) "
                f"UPDATE {dossiers} SET code = %s || CASE WHEN taken.last < 10000 "
                "THEN lpad(taken.last::text, 4, '0') ELSE taken.last::text END "
                f"FROM taken WHERE {dossiers}.id = %s RETURNING {dossiers}.code",
                [agency.pk, day, code_prefix(agency.code, day), dossier_id])
            return cursor.fetchone()[0]
        code = next_code(agency, day)
        cursor.execute(f"UPDATE {dossiers} SET code = %s WHERE id = %s",  # noqa: S608
                       [code, dossier_id])
        return code
