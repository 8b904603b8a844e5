"""How many dossiers wait at each (agency, state, step role), kept by the database.

The back office's queue counts (``backoffice/queues.py:counts``) read these instead of grouping
the dossiers, so their cost no longer grows with the dossiers waiting at a desk. Triggers on the
dossiers' table (migration 0014) insert a change (+n, −n) of a key into ``QueueCount`` in the
transaction of every insert, delete or change of a dossier's state, agency or step role, by
whatever path: the ORM, the bulk generators, raw SQL. A key's count is the sum of its rows, so it
is exact at every commit, and no filing waits on another's lock of a counter row. ``fold`` (run
by the worker after each drain) sums each key's rows into one; ``rebuild`` counts afresh and
``differences`` checks the counts against the dossiers (``manage.py queue_counts``).
Drafts are not counted: no queue shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Sum

from dichvucong.core.prepared import Prepared
from dichvucong.dossiers.lifecycle import State
from dichvucong.dossiers.models import Dossier, QueueCount

Key = tuple[int, str, str]  # (agency id, state, step role)


# The back-office queue reads the counts at every page: its query composed once per connection
# for each shape (how many agencies, which states: an official's roles give a few), the agencies
# its parameters (``core/prepared.py``).
_COUNTED: dict[tuple[int, tuple[str, ...]], Prepared] = {}


def _counted_query(agencies: int, states: tuple[str, ...]) -> Prepared:
    shape = (agencies, states)
    found = _COUNTED.get(shape)
    if found is None:
        placeholders = tuple(range(-agencies, 0))  # stand-ins in the SQL's order
        found = Prepared(lambda: QueueCount.objects.filter(
            agency_id__in=placeholders, state__in=states).values_list(
            "agency_id", "state", "step_role").annotate(total=Sum("n")).order_by(),
            *placeholders, *states)
        if len(_COUNTED) >= 256:  # shapes no role set gives: never kept without bound
            _COUNTED.clear()
        _COUNTED[shape] = found
    return found


def counted(agency_ids: Iterable[int], states: Iterable[str]) -> dict[Key, int]:
    """The number of dossiers of each key at ``agency_ids`` in ``states``: one query over the
    counts' index, whatever the number of dossiers."""
    agencies, wanted = sorted(set(agency_ids)), tuple(sorted(set(states)))
    if not agencies or not wanted:
        return {}
    rows = _counted_query(len(agencies), wanted).rows(*agencies, *wanted)
    return {(agency, state, role): total for agency, state, role, total in rows if total}


def grouped() -> dict[Key, int]:
    """The same numbers counted from the dossiers (what the counts must equal)."""
    rows = (Dossier.objects.exclude(state=State.draft.value)
            .values_list("agency_id", "state", "step_role").annotate(total=Count("id"))
            .order_by())
    return {(agency, state, role): total for agency, state, role, total in rows}


def kept() -> dict[Key, int]:
    rows = (QueueCount.objects.values_list("agency_id", "state", "step_role")
            .annotate(total=Sum("n")).order_by())
    return {(agency, state, role): total for agency, state, role, total in rows if total}


DIFFERENCES = """
SELECT agency_id, state, step_role, SUM(kept), SUM(counted) FROM (
  SELECT agency_id, state, step_role, n AS kept, 0 AS counted FROM dossiers_queuecount
  UNION ALL
  SELECT agency_id, state, step_role, 0, 1 FROM dossiers_dossier WHERE state <> 'draft'
) AS both_ GROUP BY agency_id, state, step_role HAVING SUM(kept) <> SUM(counted)
"""


def differences() -> dict[Key, tuple[int, int]]:
    """Keys whose kept count is not the dossiers' count: key → (kept, counted); empty when the
    counts are right. One statement, so one snapshot: a change committed meanwhile does not
    show as a difference."""
    with connection.cursor() as cursor:
        cursor.execute(DIFFERENCES)
        return {(agency, state, role): (int(have), int(want))
                for agency, state, role, have, want in cursor.fetchall()}


def rebuild() -> int:
    """Count afresh from the dossiers (after a restore or a repair); returns the keys written.
    The dossiers' table is locked against writes until the commit, so no change is lost."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE dossiers_dossier IN SHARE MODE")
        QueueCount.objects.all().delete()
        found = grouped()
        QueueCount.objects.bulk_create(
            QueueCount(agency_id=agency, state=state, step_role=role, n=n)
            for (agency, state, role), n in found.items())
    return len(found)


FOLD_POSTGRESQL = """
WITH many AS (SELECT agency_id, state, step_role FROM dossiers_queuecount
              GROUP BY agency_id, state, step_role HAVING COUNT(*) > 1),
     gone AS (DELETE FROM dossiers_queuecount c USING many
              WHERE c.agency_id = many.agency_id AND c.state = many.state
                AND c.step_role = many.step_role
              RETURNING c.agency_id, c.state, c.step_role, c.n)
INSERT INTO dossiers_queuecount (agency_id, state, step_role, n)
SELECT agency_id, state, step_role, SUM(n) FROM gone
GROUP BY agency_id, state, step_role HAVING SUM(n) <> 0
"""


def fold() -> None:
    """Each key's rows summed into one (none if zero). On PostgreSQL one statement: it deletes
    the rows its snapshot sees and inserts their sum, so a change committed meanwhile stays as
    its own row and nothing is counted twice or lost; no lock is waited for but the rows'."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FOLD_POSTGRESQL)
        return
    with transaction.atomic():  # SQLite: one writer at a time
        rows = list(QueueCount.objects.values_list("agency_id", "state", "step_role")
                    .annotate(total=Sum("n"), rows=Count("id")).filter(rows__gt=1).order_by())
        for agency, state, role, total, _rows in rows:
            QueueCount.objects.filter(agency_id=agency, state=state, step_role=role).delete()
            if total:
                QueueCount.objects.create(agency_id=agency, state=state, step_role=role,
                                          n=total)
