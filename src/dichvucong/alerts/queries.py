"""Who sees which alerts, and the alert list: one indexed condition, pages by key.

- An IOC operator watches the whole city.
- An official (reception officer, specialist, leader, procedure controller, agency head) sees
  the alerts of the agencies where they hold that role; a procedure controller or agency head
  also those of the agencies under theirs (the city's controllers watch every agency, as they
  receive every agency's alerts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Value

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.alerts.models import Alert
from dichvucong.alerts.rules import Kind
from dichvucong.core.prepared import Prepared
from dichvucong.core.text import vietnamese_key
from dichvucong.dossiers.access import OFFICIAL_ROLES

PAGE_SIZE = 25
OFFICIAL = frozenset(str(role) for role in OFFICIAL_ROLES)
WATCHING = frozenset({Role.PROCEDURE_CONTROLLER.value, Role.AGENCY_HEAD.value})
CITY = Role.IOC_OPERATOR.value


@dataclass(frozen=True)
class Scope:
    city: bool = False
    agencies: frozenset[int] = frozenset()
    watched: frozenset[int] = frozenset()  # parents whose child agencies are seen too

    @property
    def allowed(self) -> bool:
        return self.city or bool(self.agencies)

    def condition(self) -> Q:
        if self.city:
            return Q()
        condition = Q(agency_id__in=sorted(self.agencies))
        if self.watched:
            condition |= Q(agency__parent_id__in=sorted(self.watched))
        return condition


def scope_of(user: User, held: list[tuple[int, str]] | None = None) -> Scope:
    """The user's scope, from their (agency, role) memberships (read here unless given)."""
    if held is None:  # read once per request (``User.held_roles``)
        held = [(agency, role) for agency, role, *_ in user.held_roles()]
    if any(role == CITY for _a, role in held):
        return Scope(city=True)
    return Scope(agencies=frozenset(a for a, role in held if role in OFFICIAL),
                 watched=frozenset(a for a, role in held if role in WATCHING))


def visible(scope: Scope) -> QuerySet[Alert]:
    if not scope.allowed:
        return Alert.objects.none()
    return Alert.objects.filter(scope.condition())


def agencies(scope: Scope) -> list[tuple[int, str]]:
    """``(id, name)`` of the agencies in ``scope``, by level, then in Vietnamese alphabetical
    order (the alert list's filter)."""
    if scope.city:
        rows = Agency.objects.filter(is_active=True)
    else:
        condition = Q(pk__in=sorted(scope.agencies))
        if scope.watched:
            condition |= Q(parent_id__in=sorted(scope.watched))
        rows = Agency.objects.filter(condition)
    return [(pk, name) for pk, name, _ in sorted(
        rows.values_list("pk", "name", "level"), key=lambda r: (r[2], vietnamese_key(r[1])))]


STATUSES = ("open", "unacknowledged", "acknowledged", "cleared")


@dataclass(frozen=True)
class Filters:
    agency: int | None = None
    kind: str = ""
    status: str = "open"

    @classmethod
    def parse(cls, agency: str | int | None, kind: str | None, status: str | None) -> Filters:
        try:
            agency_id = int(agency) if agency not in (None, "") else None
        except (TypeError, ValueError):
            agency_id = None
        return cls(agency=agency_id, kind=kind if kind in Kind.__members__ else "",
                   status=status if status in STATUSES else "open")

    def apply(self, qs: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.agency is not None:
            qs = qs.filter(agency_id=self.agency)
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.status == "cleared":
            return qs.filter(cleared_at__isnull=False)
        qs = qs.filter(cleared_at__isnull=True)
        if self.status == "unacknowledged":
            qs = qs.filter(acknowledged_at__isnull=True)
        elif self.status == "acknowledged":
            qs = qs.filter(acknowledged_at__isnull=False)
        return qs


@dataclass
class Page:
    alerts: list[Alert] = field(default_factory=list)
    next_cursor: str = ""


def _encode(alert: Alert) -> str:
    micro = (alert.raised_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micro}.{alert.pk}"


def _decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        micro, pk = cursor.split(".")
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micro)), int(pk)
    except (ValueError, OverflowError):
        return None


def page(scope: Scope, filters: Filters, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """Newest first, by key: (raised_at, id) descending, from ``cursor`` on."""
    qs = filters.apply(visible(scope))
    position = _decode(cursor) if cursor else None
    if position is not None:
        moment, pk = position
        qs = qs.filter(Q(raised_at__lt=moment) | Q(raised_at=moment, pk__lt=pk))
    rows = list(qs.select_related("dossier", "dossier__procedure", "agency", "acknowledged_by",
                                  "dossier__assignee")
                .order_by("-raised_at", "-pk")[: size + 1])
    result = Page(alerts=rows[:size])
    if len(rows) > size:
        result.next_cursor = _encode(rows[size - 1])
    return result


def _unacknowledged(scope: Scope) -> QuerySet[Alert]:
    return visible(scope).filter(cleared_at__isnull=True, acknowledged_at__isnull=True)


# The back office's home shows the count at every page: its query composed once per connection
# for each shape of scope (the city, or how many agencies and watched parents: an official's
# roles give a few), the agencies its parameters (``core/prepared.py``). Composing it through
# the ORM was about 1 ms of each queue page (issue #19).
_OPEN_COUNTS: dict[tuple[bool, int, int], Prepared] = {}


def _open_count_query(city: bool, agencies: int, watched: int) -> Prepared:
    shape = (city, agencies, watched)
    found = _OPEN_COUNTS.get(shape)
    if found is None:
        # Stand-ins no agency id takes: the agencies', then the watched parents'.
        own = tuple(range(-agencies, 0))
        parents = tuple(range(-agencies - watched, -agencies))
        standing = Scope(city=city, agencies=frozenset(own), watched=frozenset(parents))
        # A constant annotation grouped on is no GROUP BY at all: one row, the count.
        found = Prepared(lambda: _unacknowledged(standing).annotate(one=Value(1)).values("one")
                         .annotate(n=Count("pk")).values_list("n"), *own, *parents)
        if len(_OPEN_COUNTS) >= 256:  # shapes no role set gives: never kept without bound
            _OPEN_COUNTS.clear()
        _OPEN_COUNTS[shape] = found
    return found


def open_count(scope: Scope) -> int:
    """Open alerts nobody has acknowledged yet: the open ones are few (a partial index)."""
    if not scope.allowed:
        return 0
    agencies, watched = sorted(scope.agencies), sorted(scope.watched)
    query = _open_count_query(scope.city, len(agencies), len(watched))
    return query.rows(*agencies, *watched)[0][0]
