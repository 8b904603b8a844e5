"""What the assisted channels did, per ward and month. Plain functions over the register and the
dossiers, no HTTP; the IOC's page (``views.py``) and any read model may call them.

For a ward W and a calendar month M (local days):

* ``teams``, ``members``, ``points``: the register as it stood on M's last day (a team founded
  on or before it and not dissolved by then; a member who joined by then and had not left; a
  point opened and not closed);
* ``accounts_helped``: the people the members of W's teams and points helped create or verify an
  account in M (``AccountHelp``), plus the accounts they registered for a citizen while asking
  for a consent (``ConsentEvent`` «given» with ``new_account``: counted from the consent, never
  entered twice);
* ``team_dossiers``, ``point_dossiers``: dossiers submitted in M by a member's platform account
  (``Dossier.submitted_by``: an agent files only with the citizen's one-time-code consent,
  ``dossiers/submission.py:filing_consent``), by the member's team or point's ward (the
  member's register entry as it is now: a member who moved counts where they are);
* ``events``, ``people_served``, ``event_dossiers``: the outreach events held in W in M;
* ``share``: of the online dossiers received in M by W's own agencies, the part filed for a
  citizen by someone else (the monitor's ``agent`` channel bucket). The caller hands in those
  two numbers per ward (``online``), from the monitoring facts, so this module reads no read
  model.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.assisted.models import (
    AccountHelp,
    DigitalTeam,
    Member,
    OutreachEvent,
    ServicePoint,
)
from dichvucong.dossiers.models import ConsentEvent, Dossier


@dataclass(frozen=True)
class Month:
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, day: dt.date) -> Month:
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(first, following - dt.timedelta(days=1))

    def instants(self) -> tuple[dt.datetime, dt.datetime]:
        """The month's local start and the next month's, as aware instants."""
        zone = timezone.get_current_timezone()
        after = self.last + dt.timedelta(days=1)
        return (dt.datetime.combine(self.first, dt.time(), zone),
                dt.datetime.combine(after, dt.time(), zone))

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"


def parse_month(text: str | None, today: dt.date) -> Month:
    """``YYYY-MM`` (the month selector's value), else the month of ``today``."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return Month.of(dt.date(year, month, 1))
    except ValueError:
        return Month.of(today)


@dataclass
class WardMonth:
    ward_id: int
    ward: str
    teams: int = 0
    members: int = 0
    points: int = 0
    accounts_helped: int = 0
    team_dossiers: int = 0
    point_dossiers: int = 0
    events: int = 0
    people_served: int = 0
    event_dossiers: int = 0
    online: int = 0  # online dossiers received by the ward's agencies (handed in)
    agent: int = 0  # of which filed for the citizen by someone else

    @property
    def assisted_dossiers(self) -> int:
        return self.team_dossiers + self.point_dossiers

    @property
    def share(self) -> float | None:
        """Percent, two decimals; None without online dossiers."""
        return round(100 * self.agent / self.online, 2) if self.online else None


def _standing(prefix: str, start: str, end: str, on: dt.date) -> Q:
    """Rows that began on or before ``on`` (or have no date) and had not ended by then."""
    return ((Q(**{f"{prefix}{start}__isnull": True}) | Q(**{f"{prefix}{start}__lte": on}))
            & (Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gt": on})))


def _team_standing(on: dt.date, prefix: str = "") -> Q:
    return _standing(prefix, "founded_on", "dissolved_on", on)


def _point_standing(on: dt.date, prefix: str = "") -> Q:
    return _standing(prefix, "opened_on", "closed_on", on)


def _member_ward(rows: Iterable[Mapping], team_key: str, point_key: str, value: str,
                 into: dict[int, WardMonth], team_name: str, point_name: str | None = None
                 ) -> None:
    """Add ``value`` of each row to its ward's ``team_name`` (``point_name``) counter."""
    for row in rows:
        ward = row[team_key] or row[point_key]
        if ward in into:
            name = team_name if row[team_key] or point_name is None else point_name
            setattr(into[ward], name, getattr(into[ward], name) + (row[value] or 0))


def ward_months(month: Month, ward_ids: Iterable[int],
                online: Mapping[int, tuple[int, int]] | None = None) -> list[WardMonth]:
    """The counts of each ward of ``ward_ids`` for ``month``, in the order given. ``online``:
    per ward, (online dossiers received, of which filed by an agent). Eight queries."""
    ids = list(ward_ids)
    names = dict(AdministrativeUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = {pk: WardMonth(pk, names.get(pk, str(pk))) for pk in ids}
    on = month.last
    for ward, n in (DigitalTeam.objects.filter(_team_standing(on), ward_id__in=ids)
                    .values_list("ward_id").annotate(n=Count("pk")).order_by()):
        rows[ward].teams = n
    for ward, n in (Member.objects.filter(_standing("", "joined_on", "left_on", on),
                                          _team_standing(on, "team__"), team__ward_id__in=ids)
                    .values_list("team__ward_id").annotate(n=Count("pk")).order_by()):
        rows[ward].members = n
    for ward, n in (ServicePoint.objects.filter(_point_standing(on), ward_id__in=ids)
                    .values_list("ward_id").annotate(n=Count("pk")).order_by()):
        rows[ward].points = n

    helps = (AccountHelp.objects.filter(day__gte=month.first, day__lte=month.last)
             .values("member__team__ward_id", "member__point__ward_id")
             .annotate(n=Sum("people")).order_by())
    _member_ward(helps, "member__team__ward_id", "member__point__ward_id", "n", rows,
                 "accounts_helped")
    start, after = month.instants()
    registered = (ConsentEvent.objects.filter(action="given", data__new_account=True,
                                              created_at__gte=start, created_at__lt=after,
                                              actor__assisted_member__isnull=False)
                  .values("actor__assisted_member__team__ward_id",
                          "actor__assisted_member__point__ward_id")
                  .annotate(n=Count("pk")).order_by())
    _member_ward(registered, "actor__assisted_member__team__ward_id",
                 "actor__assisted_member__point__ward_id", "n", rows, "accounts_helped")
    filed = (Dossier.objects.filter(submitted_by__isnull=False,  # the partial index's condition
                                    submitted_by__assisted_member__isnull=False,
                                    submitted_at__gte=start, submitted_at__lt=after)
             .values("submitted_by__assisted_member__team__ward_id",
                     "submitted_by__assisted_member__point__ward_id")
             .annotate(n=Count("pk")).order_by())
    _member_ward(filed, "submitted_by__assisted_member__team__ward_id",
                 "submitted_by__assisted_member__point__ward_id", "n", rows, "team_dossiers",
                 "point_dossiers")
    for row in (OutreachEvent.objects.filter(day__gte=month.first, day__lte=month.last,
                                             ward_id__in=ids)
                .values("ward_id").annotate(n=Count("pk"),
                                            people=Coalesce(Sum("people_served"), 0),
                                            dossiers=Coalesce(Sum("dossiers_filed"), 0),
                                            accounts=Coalesce(Sum("accounts_helped"), 0))
                .order_by()):
        target = rows[row["ward_id"]]
        target.events = row["n"]
        target.people_served = row["people"]
        target.event_dossiers = row["dossiers"]
        target.accounts_helped += row["accounts"]
    for ward, (total, agent) in (online or {}).items():
        if ward in rows:
            rows[ward].online, rows[ward].agent = total, agent
    return [rows[pk] for pk in ids]


def total(rows: Iterable[WardMonth], label: str) -> WardMonth:
    """The rows added up (the city's line)."""
    out = WardMonth(0, label)
    for row in rows:
        for name in ("teams", "members", "points", "accounts_helped", "team_dossiers",
                     "point_dossiers", "events", "people_served", "event_dossiers", "online",
                     "agent"):
            setattr(out, name, getattr(out, name) + getattr(row, name))
    return out


@dataclass
class TeamLine:
    name: str
    area: str
    kind: str  # the team's or the point's kind label
    roles: Counter = field(default_factory=Counter)
    dossiers: int = 0

    @property
    def members(self) -> int:
        return sum(self.roles.values())


def register(ward_id: int, month: Month) -> tuple[list[TeamLine], list[TeamLine]]:
    """The ward's teams and its service points as they stood at the month's end, each with its
    members by role and the dossiers its members filed in the month. No member's name: the
    register's page is for counting, not a directory of people."""
    on = month.last
    teams = {t.pk: TeamLine(t.name, t.area, str(DigitalTeam._meta.verbose_name))
             for t in DigitalTeam.objects.filter(_team_standing(on), ward_id=ward_id)}
    points = {p.pk: TeamLine(p.name, p.address, p.get_kind_display())
              for p in ServicePoint.objects.filter(_point_standing(on), ward_id=ward_id)}
    standing = _standing("", "joined_on", "left_on", on)
    for team, point, role, n in (
            Member.objects.filter(standing, Q(team__in=list(teams)) | Q(point__in=list(points)))
            .values_list("team_id", "point_id", "role").annotate(n=Count("pk")).order_by()):
        line = teams[team] if team else points[point]
        line.roles[role] += n
    start, after = month.instants()
    for team, point, n in (
            Dossier.objects.filter(submitted_by__isnull=False, submitted_at__gte=start,
                                   submitted_at__lt=after)
            .filter(Q(submitted_by__assisted_member__team__in=list(teams))
                    | Q(submitted_by__assisted_member__point__in=list(points)))
            .values_list("submitted_by__assisted_member__team_id",
                         "submitted_by__assisted_member__point_id")
            .annotate(n=Count("pk")).order_by()):
        line = teams.get(team) if team else points.get(point)
        if line is not None:
            line.dossiers += n
    return list(teams.values()), list(points.values())


def events_of(ward_id: int, month: Month) -> list[OutreachEvent]:
    return list(OutreachEvent.objects.filter(ward_id=ward_id, day__gte=month.first,
                                             day__lte=month.last).order_by("day", "pk"))
