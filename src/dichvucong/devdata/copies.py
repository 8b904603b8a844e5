"""More history fast: the finished history already in the database, copied further back in time.

``copy_history(count)`` adds ``count`` dossiers by copying the finished dossiers already there
(done, refused, withdrawn, rejected: with the code format of ``dossiers.codes``), with their
events and ratings, shifted back by whole weeks so that every copy lands before the oldest
dossier (weekdays kept: the Monday peak stays on Mondays), as many times as needed, the last
copy taking the newest dossiers so that the copies stay contiguous. Each copy is three
``INSERT … SELECT`` statements run by the database itself (no row passes through Python), so a
million dossiers take minutes instead of the generator's twenty; then the monitoring facts of
the copied days are rebuilt (``monitor.facts.rebuild``), from the copied rows like any others.

What a copy keeps and changes:

* every column of the dossier, its events and its rating, with every instant moved by the
  shift (in the events' ``data`` the apology's ``old_due_at``/``new_due_at`` are not moved:
  they are shown, never counted);
* the dossier's id: after every existing one (so ids are not in time order across copies, a
  harder case for anything that takes id order for time order); the events' and ratings' ids:
  the tables' own sequences;
* the code: the same unit and daily sequence, the day moved by the shift (unique: each copy's
  days lie before every existing dossier's);
* not copied: fees, payments and their audit trail, issued results' registers, the assisted
  channels' activity (the facts read none of them: a payment online and an electronic result
  are read from the events, which are copied). Holidays differ between years, so a copied due
  time may fall on what was a holiday of its new year: the facts take the rows as they are.

Years before 2000 are not supported (the code's two-digit year).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from dichvucong.devdata.history import _bulk_mode
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.monitor import facts
from dichvucong.ratings.models import Rating

# States no later event leaves: a copy of such a dossier years back is as finished as it was.
SOURCE_STATES = ("done", "refused", "withdrawn", "rejected")
# ``dossiers.codes.CODE``: a 13-character unit, the day as yyMMdd, the daily sequence.
CODE_SHAPE = "_____________-______-%"
MIN_YEAR = 2000  # the code's yy


@dataclass
class Copied:
    dossiers: int = 0
    events: int = 0
    ratings: int = 0
    copies: int = 0
    seconds: float = 0.0
    facts_seconds: float = 0.0


def _shifted(column: str) -> str:
    """``column`` (a datetime) moved back by the parameter's number of days."""
    if connection.vendor == "postgresql":
        return f"{column} - make_interval(days => %(days)s)"
    # SQLite keeps datetimes as UTC text; NULL stays NULL.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '-' || %(days)s || ' days')"


def _code(column: str) -> str:
    """The code in ``column`` with its day moved back by the parameter's number of days."""
    unit, day, sequence = (f"substr({column}, 1, 14)", f"substr({column}, 15, 6)",
                           f"substr({column}, 21)")
    if connection.vendor == "postgresql":
        moved = f"to_char(to_date({day}, 'YYMMDD') - %(days)s, 'YYMMDD')"
    else:
        iso = (f"'20' || substr({day}, 1, 2) || '-' || substr({day}, 3, 2) || '-' || "
               f"substr({day}, 5, 2)")
        moved = f"substr(strftime('%%Y%%m%%d', {iso}, '-' || %(days)s || ' days'), 3)"
    return f"{unit} || {moved} || {sequence}"


def _select_list(model, alias: str, overrides: dict[str, str]) -> tuple[str, str]:
    """(columns, expressions) of ``model``'s concrete columns but its id: a datetime shifted,
    ``overrides`` as given, the rest as it is."""
    columns, expressions = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column not in overrides:
            continue
        columns.append(f.column)
        if f.column in overrides:
            expressions.append(overrides[f.column])
        elif f.get_internal_type() == "DateTimeField":
            expressions.append(_shifted(f"{alias}.{f.column}"))
        else:
            expressions.append(f"{alias}.{f.column}")
    return ", ".join(columns), ", ".join(expressions)


def copy_history(count: int, *, rebuild: bool = True,
                 progress: Callable[[str], None] | None = None) -> Copied:
    """Add ``count`` dossiers copied from the finished history (see the module)."""
    started = time.perf_counter()
    done = Copied()
    states = ", ".join(f"'{s}'" for s in SOURCE_STATES)
    shape = f"d.state IN ({states}) AND d.code LIKE %(shape)s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MIN(d.created_at), MAX(d.created_at), MAX(d.id) "  # noqa: S608
                       f"FROM dossiers_dossier d WHERE {shape}", {"shape": CODE_SHAPE})
        available, low, high, top = cursor.fetchone()
    if not available:
        raise ValueError("Chưa có hồ sơ đã kết thúc để sao chép: sinh lịch sử trước.")
    everything = Dossier.objects.aggregate(low=Min("created_at"), top=Max("id"))
    if isinstance(low, str):  # SQLite's aggregate over raw SQL: the stored text
        low, high = (timezone.make_aware(datetime.fromisoformat(v), UTC) for v in (low, high))
    low_day, high_day = timezone.localdate(low), timezone.localdate(high)
    # Whole weeks, enough that the first copy's newest day is before the oldest dossier's.
    week_span = -(-((high_day - timezone.localdate(everything["low"])).days + 1) // 7) * 7
    # The code's year has two digits (``dossiers.codes``): a copy before 2000 would be coded as
    # a century later and its day no longer found from its code. Refused before anything is
    # written (the 1.1M benchmark's fifteen years, copied to 5M, would have reached 1996).
    copies_needed = -(-count // available)
    oldest_copied = low_day - timedelta(days=week_span * copies_needed)
    if oldest_copied.year < MIN_YEAR:
        raise ValueError(
            f"Sao chép {count:,} hồ sơ cần {copies_needed} bản sao về trước, bản cũ nhất đến "
            f"{oldest_copied:%d/%m/%Y}: mã hồ sơ chỉ có hai chữ số năm, không hỗ trợ trước năm "
            f"{MIN_YEAR}. Hãy sao chép ít hơn hoặc sinh lịch sử ngắn hơn trước.")
    offset = everything["top"]
    # The newest first: a partial last copy stays next to the copy before it.
    ids = []
    if count % available:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT d.id FROM dossiers_dossier d WHERE {shape} "  # noqa: S608
                           "ORDER BY d.id DESC LIMIT %(n)s",
                           {"shape": CODE_SHAPE, "n": count % available})
            ids = [row[0] for row in cursor.fetchall()]
    d_columns, d_select = _select_list(Dossier, "d", {
        "id": "d.id + %(offset)s", "code": _code("d.code")})
    e_columns, e_select = _select_list(DossierEvent, "e", {
        "dossier_id": "e.dossier_id + %(offset)s"})
    r_columns, r_select = _select_list(Rating, "r", {
        "dossier_id": "r.dossier_id + %(offset)s", "dossier_code": _code("r.dossier_code")})
    chosen = f"{shape} AND d.id <= %(top)s AND d.id >= %(first)s"
    copy = 0
    # The references are the rows copied: no per-row foreign-key checks (history._bulk_mode).
    with _bulk_mode(), transaction.atomic(), connection.cursor() as cursor:
        while done.dossiers < count:
            copy += 1
            take = min(available, count - done.dossiers)
            first = ids[take - 1] if take < available else 0
            params = {"days": week_span * copy, "offset": offset * copy,
                      "top": top, "first": first, "shape": CODE_SHAPE}
            cursor.execute(f"INSERT INTO dossiers_dossier ({d_columns}) "  # noqa: S608
                           f"SELECT {d_select} FROM dossiers_dossier d WHERE {chosen}", params)
            done.dossiers += cursor.rowcount
            cursor.execute(f"INSERT INTO dossiers_dossierevent ({e_columns}) "  # noqa: S608
                           f"SELECT {e_select} FROM dossiers_dossierevent e "
                           f"JOIN dossiers_dossier d ON d.id = e.dossier_id WHERE {chosen}",
                           params)
            done.events += cursor.rowcount
            cursor.execute(f"INSERT INTO ratings_rating ({r_columns}) "  # noqa: S608
                           f"SELECT {r_select} FROM ratings_rating r "
                           f"JOIN dossiers_dossier d ON d.id = r.dossier_id WHERE {chosen}",
                           params)
            done.ratings += cursor.rowcount
            if progress:
                progress(f"bản sao {copy}: {done.dossiers:,} hồ sơ, {done.events:,} sự kiện")
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), "
                           "(SELECT MAX(id) FROM dossiers_dossier))")
    done.copies = copy
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Dossier, DossierEvent, Rating):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    done.seconds = time.perf_counter() - started
    if rebuild and done.dossiers:
        started = time.perf_counter()
        # The copied days, and the months after them in which the copies finish.
        with _bulk_mode():  # nor for the facts: their dossiers are the rows just copied
            facts.rebuild(low_day - timedelta(days=week_span * copy),
                          min(high_day - timedelta(days=week_span - 400),
                              timezone.localdate()))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the planner must see the facts' new size
                for table in ("monitor_dossierfact", "monitor_dailyfact",
                              "monitor_agencydailyfact", "monitor_agencymonthlyfact",
                              "monitor_fieldmonthlyfact"):
                    cursor.execute(f"ANALYZE {table}")
        done.facts_seconds = time.perf_counter() - started
    return done


__all__ = ["Copied", "copy_history"]
