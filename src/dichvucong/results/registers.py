"""Civil status registers (sổ hộ tịch): a civil status result is entered in its register, and
the paper says where — «Số: <entry> Quyển số: <book>» (Luật Hộ tịch 2014, Điều 4 khoản 3 and
Điều 14; the registers' books under Thông tư 04/2020/TT-BTP).

Each agency keeps one book per register and year, numbered ``01/<year>``; its entries are
numbered from 1, never repeating. Which register a result goes in is the procedure's
(``catalog/definition.py``: ``Result.register``, ``ProcedureDefinition.register_of``). Not
verified against the circular's annex: how a book's number is written (here the book and its
year, ``01/2025``) and when a full book is closed mid-year (one electronic book a year here: it
never fills).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from .models import RegisterSequence

FIRST_BOOK = 1


@dataclass(frozen=True)
class Entry:
    register: str
    book: str  # 01/2025
    number: int

    @property
    def line(self) -> str:
        """Số: 15 Quyển số: 01/2025, as the paper prints it."""
        return f"Số: {self.number}    Quyển số: {self.book}"


def bump(table: str, keys: dict[str, object]) -> int:
    """The next number of the sequence row of ``table`` named by ``keys``: one atomic INSERT …
    ON CONFLICT … RETURNING (PostgreSQL and SQLite 3.35+), so numbers never repeat, also with
    several servers at once. The table's unique constraint is on exactly ``keys``."""
    columns = ", ".join(keys)
    marks = ", ".join(["%s"] * len(keys))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, last) VALUES ({marks}, 1) "  # noqa: S608
            f"ON CONFLICT ({columns}) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            list(keys.values()),
        )
        return int(cursor.fetchone()[0])


def book(year: int) -> str:
    return f"{FIRST_BOOK:02d}/{year}"


def enter(agency_id: int, year: int, register: str) -> Entry:
    """The next entry of ``register`` in the agency's book of ``year``."""
    number = bump(RegisterSequence._meta.db_table,
                  {"agency_id": agency_id, "year": year, "register": register})
    return Entry(register, book(year), number)


def entry_fields(agency_id: int, year: int, register: str) -> dict[str, object]:
    """A new result's register fields (none when the result is entered in no register)."""
    if not register:
        return {}
    entry = enter(agency_id, year, register)
    return {"register": entry.register, "register_book": entry.book,
            "register_entry": entry.number}


def entry_of(result) -> Entry | None:
    """A result's entry (``results.Result``), if it has one."""
    if not result.register_entry:
        return None
    return Entry(result.register, result.register_book, result.register_entry)
