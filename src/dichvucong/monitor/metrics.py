"""The monitoring centre's figures, read from the pre-aggregated facts (``facts.py``), never from
a scan of the dossiers. Plain typed functions, no HTTP; the dashboards, the JSON API, the reports
and the open-data export all call these, so they show the same numbers.

Public API (stable):

* :class:`Scope` ``(start, end, agency_ids=None, procedure_id=None, field_id=None, ward_id=None,
  channel=None)``: a period of local days, ``end`` included, and optional dimensions.
* :func:`figures` ``(scope, now=None) -> Figures``: every headline figure of the scope.
* :func:`breakdown` ``(scope, by, now=None) -> list[Row]``: the same figures per agency, field,
  procedure, ward or channel (``by``), each row with its ``key`` and ``label``.
* :func:`total` ``(rows) -> Figures``: a breakdown's rows summed, the figures of its scope.
* :func:`trend` ``(scope, unit="week") -> list[Point]``: the figures per day, week or month.
* :func:`weekly_targets` ``(week_start, agency_ids=None) -> TargetReport``: the city's weekly
  targets (on time ≥ 99 %, online ≥ 80 %, paid online ≥ 60 %) and the units that miss them.
* :func:`national_index` ``(scope, now=None) -> IndexResult``: Decision 766/QĐ-TTg's index
  from the versioned indicator table (``models.Indicator``).
* :func:`monthly_statistics` ``(year, month, agency_ids=None) -> list[StatRow]``: per agency ×
  procedure × channel for one calendar month, for open data and reports; the same sums as the
  dashboards (both sum ``DailyFact``).
* :func:`drilldown` ``(scope, measure, now=None) -> QuerySet[Dossier]``: exactly the dossiers
  behind a number: ``measure`` is a name of ``facts.MEASURES`` or ``open`` / ``overdue``.
* :func:`sync_rate` ``(scope, received=None) -> nationalsync.rates.SyncRate``: the sync with the
  National Public Service Portal (definitions in ``nationalsync/rates.py``).

Definitions (each rate is a percentage rounded to 2 decimals, ``None`` when its denominator is
0; the conditions themselves are in ``facts.py``'s description):

* received: dossiers received in the period, by channel (online, agent, counter, post); online
  rate = (online + agent) ÷ received (an agent files online for the citizen).
* resolved, on time, late: dossiers whose processing ended in the period with a result or a
  refusal; on time against the original due time, and late when more than one supplement was
  requested during processing (Decision 766). On-time rate = on time ÷ resolved.
* open now / overdue now: dossiers being processed with their clock running, and those of them
  past their original due time, at ``now``, whatever the period (an indexed query over open
  dossiers only). Dossiers waiting for the citizen's supplement are not overdue: their clock is
  stopped.
* average processing time: working days from reception to the end of processing, over the
  resolved dossiers.
* online payment rate: dossiers received in the period with a fee that were paid online ÷
  dossiers received in the period with a fee (766 indicator 3.6).
* digitised-result rate: resolved dossiers with an electronic result ÷ resolved dossiers with a
  result (766 indicator 4.1).
* satisfaction (Decision 766 ratio 5.3, ``ratings.scoring``): (dossiers finished in the period in
  a rateable state − those rated "không hài lòng") ÷ those dossiers.
* synced with the national portal (766 indicator 1.4, quantity ``received_synced``): dossiers
  received in the period none of whose sync records is waiting or failed.
* published in full (1.3), fee procedures paid online (3.5): ``_procedure_counts``;
  digitisation and reuse (4.2 to 4.5): :func:`digital_counts`; the average processing time
  (2.2) is ``processing_days`` ÷ ``resolved``, shown and not scored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Field, Procedure
from dichvucong.core.text import vietnamese_key
from dichvucong.dossiers.models import Dossier
from dichvucong.feedback import services as feedback
from dichvucong.monitor import facts
from dichvucong.monitor.models import (
    AgencyDailyFact,
    AgencyMonthlyFact,
    AgencyYearlyFact,
    ChannelBucket,
    DailyFact,
    DossierFact,
    FieldMonthlyFact,
    Indicator,
)
from dichvucong.nationalsync import rates as sync_rates

__all__ = [
    "BY",
    "CHANNELS",
    "TARGETS",
    "Figures",
    "IndexResult",
    "IndicatorScore",
    "Point",
    "Row",
    "Scope",
    "StatRow",
    "TargetReport",
    "breakdown",
    "digital_counts",
    "drilldown",
    "figures",
    "index_by_agency",
    "indicator_points",
    "monthly_statistics",
    "national_index",
    "rate",
    "sync_rate",
    "total",
    "trend",
    "weekly_targets",
]

CHANNELS: tuple[str, ...] = tuple(c.value for c in ChannelBucket)
ONLINE_CHANNELS = (ChannelBucket.ONLINE.value, ChannelBucket.AGENT.value)
SUMS = tuple(m.name for m in facts.MEASURES)
NOW_MEASURES = ("open", "overdue")
# The city's weekly targets since 2025 (Đà Nẵng People's Committee Office, NQ57 criteria).
TARGETS: Mapping[str, float] = {"on_time_rate": 99.0, "online_rate": 80.0,
                                "paid_online_rate": 60.0}


def rate(numerator: int | None, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(100.0 * (numerator or 0) / denominator, 2)


@dataclass(frozen=True)
class Scope:
    start: dt.date
    end: dt.date
    agency_ids: tuple[int, ...] | None = None
    procedure_id: int | None = None
    field_id: int | None = None
    ward_id: int | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")
        if self.channel is not None and self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")

    def dimensions(self, prefix: str = "") -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(**{f"{prefix}agency_id__in": self.agency_ids})
        for name in ("procedure_id", "field_id", "ward_id", "channel"):
            value = getattr(self, name)
            if value is not None:
                q &= Q(**{f"{prefix}{name}": value})
        return q

    def days(self, column: str = "day") -> Q:
        return Q(**{f"{column}__gte": self.start, f"{column}__lte": self.end})


@dataclass(frozen=True)
class Figures:
    received: int = 0
    by_channel: Mapping[str, int] = field(default_factory=dict)
    fee_bearing: int = 0
    paid_online: int = 0
    resolved: int = 0
    on_time: int = 0
    late: int = 0
    processing_days: int = 0
    with_result: int = 0
    digital_result: int = 0
    stopped: int = 0
    withdrawn: int = 0
    rateable: int = 0
    rated: int = 0
    not_satisfied: int = 0
    digitised: int = 0
    reused: int = 0
    shared: int = 0
    citizen_received: int = 0
    population_data: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def online_received(self) -> int:
        return sum(self.by_channel.get(c, 0) for c in ONLINE_CHANNELS)

    @property
    def online_rate(self) -> float | None:
        return rate(self.online_received, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.resolved)

    @property
    def late_rate(self) -> float | None:
        return rate(self.late, self.resolved)

    @property
    def avg_processing_days(self) -> float | None:
        return round(self.processing_days / self.resolved, 2) if self.resolved else None

    @property
    def paid_online_rate(self) -> float | None:
        return rate(self.paid_online, self.fee_bearing)

    @property
    def digital_result_rate(self) -> float | None:
        return rate(self.digital_result, self.with_result)

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.rateable - self.not_satisfied, self.rateable)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in (*SUMS, "open", "overdue")}
        out["by_channel"] = {c: self.by_channel.get(c, 0) for c in CHANNELS}
        for name in ("online_received", "online_rate", "on_time_rate", "late_rate",
                     "avg_processing_days", "paid_online_rate", "digital_result_rate",
                     "satisfaction_rate"):
            out[name] = getattr(self, name)
        return out


def _figures(sums: Mapping[str, Any], now_counts: Mapping[str, Any] | None = None) -> Figures:
    now_counts = now_counts or {}
    return Figures(
        by_channel={c: int(sums.get(f"ch_{c}") or 0) for c in CHANNELS},
        open=int(now_counts.get("open") or 0), overdue=int(now_counts.get("overdue") or 0),
        **{name: int(sums.get(f"s_{name}") or 0) for name in SUMS},
    )


def _sum_expressions() -> dict[str, Any]:
    # Aliases differ from the column names: Django refuses an aggregate named like a column.
    exprs: dict[str, Any] = {f"s_{name}": Sum(name) for name in SUMS}
    exprs.update({f"ch_{c}": Sum("received", filter=Q(channel=c)) for c in CHANNELS})
    return exprs


def _now_counts(scope: Scope, now: dt.datetime) -> QuerySet:
    # Partial indexes on outcome = 'open' keep this to the open dossiers.
    return DossierFact.objects.filter(scope.dimensions(), outcome="open")


def _now_aggregates(now: dt.datetime) -> dict[str, Any]:
    return {"open": Count("pk"), "overdue": Count("pk", filter=Q(due_at__lt=now))}


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _parts(scope: Scope, by: str | None = None) -> list[QuerySet]:
    """The fact rows of the scope, as querysets whose sums add up to the scope's.

    The whole calendar months inside the period are read from monthly sums, the days before
    and after them from daily ones; so the cost follows the keys × (months + days at the
    edges), not the number of dossiers or the length of the period. When neither the scope nor
    the grouping needs procedures, fields or wards (the city's pages), the per-agency sums;
    when they need fields or wards but no procedure (a field's dashboard, the fields, the
    wards), the months per field and the daily facts at the edges; a procedure, or
    ``by="day"``, the daily facts alone. ``by="month"`` groups by month (its first day, as
    ``day``). The city's pages read a period's whole calendar years from the yearly sums per
    agency, the months before and after them monthly (the whole history: ten years' rows
    instead of 120 months')."""
    coarse = (scope.procedure_id is None and scope.field_id is None and scope.ward_id is None
              and by in (None, "agency", "channel", "day", "month"))
    by_field = (scope.procedure_id is None
                and by in (None, "agency", "channel", "month", "field", "ward"))
    daily = AgencyDailyFact if coarse else DailyFact
    whole_from = scope.start if scope.start.day == 1 else _next_month(scope.start)
    after = scope.end + dt.timedelta(days=1)
    whole_until = after.replace(day=1)  # exclusive
    if by == "day" or whole_from >= whole_until or not (coarse or by_field):
        return [daily.objects.filter(scope.days(), scope.dimensions())]
    monthly = AgencyMonthlyFact if coarse else FieldMonthlyFact
    # The city's whole calendar years from the yearly sums, the months around them monthly.
    years_from = (whole_from if whole_from.month == 1
                  else dt.date(whole_from.year + 1, 1, 1))
    years_until = dt.date(whole_until.year, 1, 1)  # exclusive
    parts: list[QuerySet] = []
    months = [(whole_from, whole_until)]
    if coarse and by != "month" and years_from < years_until:
        parts.append(AgencyYearlyFact.objects.filter(scope.dimensions(), year__gte=years_from,
                                                     year__lt=years_until))
        months = [(whole_from, years_from), (years_until, whole_until)]
    for low, high in months:
        if low < high:
            part = monthly.objects.filter(scope.dimensions(), month__gte=low, month__lt=high)
            parts.append(part.annotate(day=F("month")) if by == "month" else part)
    for low, high in ((scope.start, whole_from), (whole_until, after)):
        if low < high:
            parts.append(daily.objects.filter(scope.dimensions(), day__gte=low, day__lt=high))
    return parts


def _add(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if name.startswith(("s_", "ch_")):
                total[name] = total.get(name, 0) + int(value or 0)
    return total


def _grouped(scope: Scope, column: str, by: str | None = None) -> dict[Any, dict[str, int]]:
    """The scope's sums per value of ``column``, added up over :func:`_parts`."""
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for part in _parts(scope, by or column):
        for row in part.values(column).order_by(column).annotate(**_sum_expressions()):
            groups.setdefault(row[column], []).append(row)
    return {key: _add(rows) for key, rows in groups.items()}


def figures(scope: Scope, now: dt.datetime | None = None) -> Figures:
    """The period's sums (a query per part of the period, :func:`_parts`), and the open and
    overdue dossiers now."""
    now = now or timezone.now()
    sums = _add(part.aggregate(**_sum_expressions()) for part in _parts(scope))
    counts = _now_counts(scope, now).aggregate(**_now_aggregates(now))
    return _figures(sums, counts)


# --- breakdowns ---------------------------------------------------------------------------------

BY: Mapping[str, str] = {"agency": "agency_id", "field": "field_id",
                         "procedure": "procedure_id", "ward": "ward_id", "channel": "channel"}


@dataclass(frozen=True)
class Row:
    key: Any
    label: str
    figures: Figures


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if by == "agency":
        return dict(Agency.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "procedure":
        return dict(Procedure.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "field":
        return dict(Field.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "ward":
        labels = dict(AdministrativeUnit.objects.filter(pk__in=keys).values_list("pk", "name"))
        labels[0] = "Cấp thành phố"
        return labels
    return {c.value: str(c.label) for c in ChannelBucket}


def breakdown(scope: Scope, by: str, now: dt.datetime | None = None) -> list[Row]:
    """The figures per ``by`` (a key of :data:`BY`), largest number received first. Three
    queries: the sums, the open dossiers now, the labels."""
    now = now or timezone.now()
    column = BY[by]
    sums = _grouped(scope, column, by)
    counts = {r[column]: r for r in _now_counts(scope, now).values(column).order_by(column)
              .annotate(**_now_aggregates(now))}
    keys = set(sums) | set(counts)
    labels = _labels(by, keys)
    rows = [Row(key=k, label=labels.get(k, str(k)), figures=_figures(sums.get(k, {}),
                                                                      counts.get(k)))
            for k in keys]
    rows.sort(key=lambda r: (-r.figures.received, vietnamese_key(r.label)))
    return rows


def total(rows: Iterable[Row]) -> Figures:
    """The sum of a breakdown's rows: :func:`figures` of its scope, by agency as by any other
    dimension (every fact has one value of each), without reading the facts again (the whole
    history's sums read 61,000 monthly rows a time at 1.1 million dossiers)."""
    sums: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for row in rows:
        for name in (*SUMS, *NOW_MEASURES):
            sums[name] = sums.get(name, 0) + getattr(row.figures, name)
        for channel, value in row.figures.by_channel.items():
            by_channel[channel] = by_channel.get(channel, 0) + value
    return Figures(by_channel={c: by_channel.get(c, 0) for c in CHANNELS}, **sums)


# --- trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    start: dt.date
    end: dt.date
    figures: Figures


def _bucket(day: dt.date, unit: str) -> tuple[dt.date, dt.date]:
    if unit == "day":
        return day, day
    if unit == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if unit == "month":
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    raise ValueError(f"unknown unit {unit!r}")


def trend(scope: Scope, unit: str = "week") -> list[Point]:
    """The period's figures per day, week (Monday first) or month, every bucket of the period
    present (zeros included); buckets are cut to the period. One query per part of the
    period (:func:`_parts`)."""
    per_day = _grouped(scope, "day", "month" if unit == "month" else "day")
    points: list[Point] = []
    day = scope.start
    while day <= scope.end:
        start, end = _bucket(day, unit)
        start, end = max(start, scope.start), min(end, scope.end)
        total: dict[str, int] = {}
        d = start
        while d <= end:
            for name, value in per_day.get(d, {}).items():
                if name != "day":
                    total[name] = total.get(name, 0) + int(value or 0)
            d += dt.timedelta(days=1)
        points.append(Point(start, end, _figures(total)))
        day = end + dt.timedelta(days=1)
    return points


# --- weekly targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetMiss:
    agency_id: int
    agency: str
    misses: tuple[str, ...]  # names of TARGETS missed
    figures: Figures


@dataclass(frozen=True)
class TargetReport:
    start: dt.date
    end: dt.date
    city: Figures
    city_misses: tuple[str, ...]
    units: tuple[TargetMiss, ...]  # the units that miss at least one target, most misses first

    @property
    def missing_all(self) -> tuple[TargetMiss, ...]:
        return tuple(u for u in self.units if len(u.misses) == len(TARGETS))


def misses(figs: Figures) -> tuple[str, ...]:
    """The targets ``figs`` miss; a target with nothing to measure (no dossier) is not missed."""
    out = []
    for name, target in TARGETS.items():
        value = getattr(figs, name)
        if value is not None and value < target:
            out.append(name)
    return tuple(out)


def weekly_targets(week_start: dt.date, agency_ids: Sequence[int] | None = None,
                   now: dt.datetime | None = None) -> TargetReport:
    """The week from Monday ``week_start`` (any day of the week is moved to its Monday)."""
    monday = week_start - dt.timedelta(days=week_start.weekday())
    scope = Scope(monday, monday + dt.timedelta(days=6),
                  agency_ids=tuple(agency_ids) if agency_ids is not None else None)
    rows = breakdown(scope, "agency", now)
    city = total(rows)
    units = [TargetMiss(r.key, r.label, m, r.figures) for r in rows if (m := misses(r.figures))]
    units.sort(key=lambda u: (-len(u.misses), vietnamese_key(u.agency)))
    return TargetReport(scope.start, scope.end, city, misses(city), tuple(units))


# --- Decision 766 -------------------------------------------------------------------------------


def indicator_points(rule: str, points: Decimal | float | None, value: float | None,
                     target: Decimal | float | None = None,
                     fallback_factor: Decimal | float | None = None) -> float | None:
    """The points of one indicator whose ratio is ``value`` per cent; None when not scored.

    * ``proportional_to_target`` (the 766 technical specification): full points at ``target`` or
      more, otherwise ``value × points ÷ target``;
    * ``proportional``: ``value ÷ 100 × points``;
    * ``threshold`` (as the Thanh Hóa S1 system implements some indicators): full points at
      ``target`` or more, otherwise ``points × fallback_factor``;
    * ``constant``: ``points`` whatever the data (S1 awards some indicators it cannot measure);
    * ``average`` and ``not_measured``: None (an average earns no points).
    """
    if rule in (Indicator.Rule.NOT_MEASURED, Indicator.Rule.AVERAGE) or points is None:
        return None
    pts = float(points)
    if rule == Indicator.Rule.CONSTANT:
        return round(pts, 2)
    if value is None:
        return None
    if rule == Indicator.Rule.PROPORTIONAL:
        return round(min(value, 100.0) / 100.0 * pts, 2)
    if target is None:
        raise ValueError(f"rule {rule} needs a target")
    goal = float(target)
    if value >= goal:
        return round(pts, 2)
    if rule == Indicator.Rule.PROPORTIONAL_TO_TARGET:
        return round(value * pts / goal, 2)
    if rule == Indicator.Rule.THRESHOLD:
        return round(pts * float(fallback_factor or 0), 2)
    raise ValueError(f"unknown rule {rule!r}")


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    group: int
    group_name: str
    name: str
    numerator: int | None
    denominator: int | None
    value: float | None
    max_points: float | None
    points: float | None
    rule: str
    target: float | None
    formula: str
    source: str
    note: str


@dataclass(frozen=True)
class IndexResult:
    on: dt.date
    indicators: tuple[IndicatorScore, ...]

    @property
    def total(self) -> float:
        return round(sum(i.points or 0 for i in self.indicators), 2)

    @property
    def measured_max(self) -> float:
        """The points the measured (and constant) indicators can give."""
        return round(sum(i.max_points or 0 for i in self.indicators if i.points is not None), 2)

    def groups(self) -> list[dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for i in self.indicators:
            g = out.setdefault(i.group, {"group": i.group, "name": i.group_name, "points": 0.0,
                                         "max_points": 0.0, "indicators": []})
            g["points"] = round(g["points"] + (i.points or 0), 2)
            g["max_points"] = round(g["max_points"] + (i.max_points or 0), 2)
            g["indicators"].append(i)
        return [out[k] for k in sorted(out)]


def indicators_in_force(on: dt.date) -> list[Indicator]:
    """The indicator table as in force on ``on``: for each code, its latest version."""
    rows = Indicator.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on),
                                    effective_from__lte=on).order_by("code", "-effective_from")
    latest: dict[str, Indicator] = {}
    for row in rows:
        latest.setdefault(row.code, row)
    return sorted(latest.values(), key=lambda r: (r.group, r.code))


# The parts of a procedure Decree 63/2010/NĐ-CP (Art. 8(2)) requires published, as keys of its
# definition (766 indicator 1.3); ``__0``: the list has a first element. The time limit may be
# "same day"; the implementing agency may be the definition's text or the catalogue's agency.
COMPLETE_PARTS = ("name", "steps_text", "channels__0", "documents__0", "applicant_types__0")
AGENCY_PARTS = ("agency", "authority")


def _published_in_full(agency_id: int | None, processing: Any, parts: Sequence[Any]) -> bool:
    """``parts``: COMPLETE_PARTS then AGENCY_PARTS of a current definition."""
    required, agency_text = parts[:len(COMPLETE_PARTS)], parts[len(COMPLETE_PARTS):]
    timed = isinstance(processing, dict) and bool(processing.get("time_limit")
                                                  or processing.get("same_day"))
    return (timed and all(v not in (None, "", [], {}) for v in required)
            and (agency_id is not None or any(agency_text)))


def _definition_parts(active: QuerySet) -> Iterable[Sequence[Any]]:
    """Per procedure of ``active``: its agency, ``at_commune``, then the keys ``processing``,
    COMPLETE_PARTS and AGENCY_PARTS of its current definition (None where missing)."""
    keys = ("processing", *COMPLETE_PARTS, *AGENCY_PARTS)
    if connection.vendor != "postgresql":
        return active.values_list("agency_id", "at_commune",
                                  *(f"current_version__definition__{k}" for k in keys))
    # PostgreSQL decompresses a large jsonb value again for each key read from it: the eight
    # keys of 1,610 definitions took 150 ms; decompressed once in a fenced subquery, 48 ms.
    paths = ["".join(f"->{p}" if p.isdigit() else f"->'{p}'" for p in k.split("__"))
             for k in keys]
    inner, params = (active.values_list("agency_id", "at_commune", "current_version_id")
                     .query.sql_with_params())
    sql = (f"SELECT q.agency_id, q.at_commune, {', '.join(f'x.d{p}' for p in paths)} "  # noqa: S608
           f"FROM ({inner}) q LEFT JOIN LATERAL (SELECT v.definition || '{{}}'::jsonb AS d "
           "FROM catalog_procedureversion v WHERE v.id = q.current_version_id OFFSET 0) x "
           "ON TRUE")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The keys come as JSON text (Django leaves jsonb undecoded for its JSON fields).
        return [(agency_id, at_commune, *(None if v is None else json.loads(v) for v in rest))
                for agency_id, at_commune, *rest in cursor.fetchall()]


def _complete_procedures(active: QuerySet) -> tuple[dict[int, int], int, int]:
    """Per agency, its own active procedures published in full; the commune procedures shared by
    every commune agency published in full; all published in full. One query, reading only
    those keys of each current definition."""
    own: dict[int, int] = {}
    shared = total = 0
    for agency_id, at_commune, processing, *row in _definition_parts(active):
        if not _published_in_full(agency_id, processing, row):
            continue
        total += 1
        if agency_id is not None:
            own[agency_id] = own.get(agency_id, 0) + 1
        elif at_commune:
            shared += 1
    return own, shared, total


def _procedure_counts(scope: Scope, complete: bool = True) -> dict[int | None, dict[str, int]]:
    """Per agency (None: the whole scope), the active procedures it performs, those offered
    online, those of them with an online dossier received in the period, those published in
    full (1.3), and those with a fee-bearing dossier received in the period and those of them
    with one paid online (3.5). Seven queries; six without ``complete`` (1.3, left at 0)."""
    online_q = ~Q(online_mode=Procedure.OnlineMode.NONE)
    active = Procedure.objects.filter(is_active=True)
    per_agency: dict[int | None, dict[str, int]] = {}
    own = {r["agency_id"]: r for r in active.filter(agency__isnull=False).values("agency_id")
           .order_by("agency_id").annotate(procedures=Count("pk"),
                                           procedures_online=Count("pk", filter=online_q))}
    shared = active.filter(agency__isnull=True, at_commune=True).aggregate(
        procedures=Count("pk"), procedures_online=Count("pk", filter=online_q))
    complete_own, complete_shared, complete_total = (_complete_procedures(active) if complete
                                                     else ({}, 0, 0))
    communes = set(Agency.objects.filter(level=Agency.Level.COMMUNE).values_list("pk", flat=True))
    period = DailyFact.objects.filter(scope.days(), scope.dimensions())
    online_used = Q(received__gt=0, channel__in=ONLINE_CHANNELS,
                    procedure__online_mode__in=("full", "partial"))
    fee_counts = {"procedures_fee": Count("procedure_id", distinct=True,
                                          filter=Q(fee_bearing__gt=0)),
                  "procedures_paid_online": Count("procedure_id", distinct=True,
                                                  filter=Q(paid_online__gt=0))}
    used = {r["agency_id"]: r for r in period.values("agency_id").order_by("agency_id")
            .annotate(procedures_online_used=Count("procedure_id", distinct=True,
                                                   filter=online_used), **fee_counts)}
    agencies = scope.agency_ids if scope.agency_ids is not None else tuple(set(own) | communes)
    for agency in agencies:
        counts = {"procedures": 0, "procedures_online": 0}
        for source in (own.get(agency), shared if agency in communes else None):
            if source:
                counts["procedures"] += source["procedures"] or 0
                counts["procedures_online"] += source["procedures_online"] or 0
        counts["procedures_complete"] = complete_own.get(agency, 0) + (
            complete_shared if agency in communes else 0)
        for name in ("procedures_online_used", *fee_counts):
            counts[name] = (used.get(agency) or {}).get(name, 0)
        per_agency[agency] = counts
    if scope.agency_ids is None:
        # The city offers each procedure once, whichever agencies perform it.
        totals = active.aggregate(procedures=Count("pk"),
                                  procedures_online=Count("pk", filter=online_q))
        totals.update(period.aggregate(
            procedures_online_used=Count("procedure_id", distinct=True, filter=online_used),
            **fee_counts))
        totals["procedures_complete"] = complete_total
    else:
        totals = {k: sum(c[k] for c in per_agency.values())
                  for k in ("procedures", "procedures_online", "procedures_online_used",
                            "procedures_complete", *fee_counts)}
    per_agency[None] = totals
    return per_agency


# --- digitisation and reuse (766 indicators 4.2 to 4.5, the ward indicators) -------------------

DIGITAL_QUANTITIES = ("digitised", "reused", "shared", "population_data", "citizen_received")


def digital_counts(scope: Scope, by: str = "agency_id") -> dict[Any, dict[str, int]]:
    """Per value of ``by`` (a column of :data:`BY`), over the dossiers of the scope:

    * ``digitised`` (4.2): finished in the period with a result, at least one attachment (filed
      online or digitised at reception) and an electronic result;
    * ``reused`` (4.3): received in the period with an attachment taken from the citizen's data
      store (``datastore.AttachmentOrigin``) instead of a new upload;
    * ``shared`` (4.4): received in the period, reused, or with a result put into its holder's
      store (``datastore.services.collect_result``);
    * ``citizen_received``, ``population_data`` (4.5, per dossier): received in the period from a
      citizen, and of those filed from a VNeID-verified account or reusing the store.

    Sums of the facts like every other figure (``facts.MEASURES``: each dossier fact decides
    them once per change of its dossier), one query per part of the period."""
    names = {column: name for name, column in BY.items()}
    return {key: {name: sums.get(f"s_{name}", 0) for name in DIGITAL_QUANTITIES}
            for key, sums in _grouped(scope, by, names[by]).items()}


def _quantities(scope: Scope, figs: Figures, procedures: Mapping[str, int],
                now: dt.datetime, not_synced: int = 0,
                feedback_counts: feedback.Counts | None = None) -> dict[str, int]:
    # The index is "real time": when the period reaches today, dossiers still being processed
    # count too, on time while not past their due time (766 technical specification, 2.1).
    current = scope.end >= timezone.localdate(now)
    open_now, overdue_now = (figs.open, figs.overdue) if current else (0, 0)
    out = {name: getattr(figs, name) for name in SUMS}
    out.update({
        "online_received": figs.online_received,
        "satisfied": figs.rateable - figs.not_satisfied,
        "progress_on_time": figs.on_time + figs.withdrawn + figs.stopped
        + open_now - overdue_now,
        "progress_base": figs.resolved + figs.withdrawn + figs.stopped + open_now,
        "received_synced": max(figs.received - not_synced, 0),
    })
    if feedback_counts is not None:  # 5.1, 5.2: the feedback received in the period
        out.update({"feedback_received": feedback_counts.received,
                    "feedback_on_time": feedback_counts.on_time,
                    "feedback_satisfied": feedback_counts.satisfied})
    out.update(procedures)
    return out


def _needs(table: Sequence[Indicator]) -> set[str]:
    return {name for i in table for name in (i.numerator, i.denominator) if name}


def quantities(scope: Scope, now: dt.datetime | None = None,
               needed: set[str] | None = None) -> dict[str, int]:
    """The numbers indicators may name as numerator or denominator; with ``needed``, the
    costlier one (1.3) only if named there (an older table does not)."""
    now = now or timezone.now()
    not_synced = sum(sum(c) for c in _not_synced(scope).values())
    procedures = _procedure_counts(scope, needed is None or "procedures_complete" in needed)
    return _quantities(scope, figures(scope, now), procedures[None], now, not_synced,
                       _feedback_counts(scope, now))


def _score(available: Mapping[str, int], table: Sequence[Indicator], on: dt.date
           ) -> IndexResult:
    scores = []
    for ind in table:
        num = available.get(ind.numerator) if ind.numerator else None
        den = available.get(ind.denominator) if ind.denominator else None
        measured = ind.rule not in (Indicator.Rule.CONSTANT, Indicator.Rule.NOT_MEASURED)
        if ind.rule == Indicator.Rule.AVERAGE:  # 2.2: working days, not a percentage
            value = round(num / den, 2) if num is not None and den else None
        else:
            value = rate(num, den) if measured and num is not None else None
        scores.append(IndicatorScore(
            code=ind.code, group=ind.group, group_name=ind.group_name, name=ind.name,
            numerator=num if measured else None, denominator=den if measured else None,
            value=value, max_points=float(ind.points) if ind.points is not None else None,
            points=indicator_points(ind.rule, ind.points, value, ind.target,
                                    ind.fallback_factor),
            rule=ind.rule, target=float(ind.target) if ind.target is not None else None,
            formula=ind.formula, source=ind.source, note=ind.note,
        ))
    return IndexResult(on, tuple(scores))


def national_index(scope: Scope, now: dt.datetime | None = None) -> IndexResult:
    """Decision 766's index for the scope, with the indicator table in force on ``scope.end``."""
    now = now or timezone.now()
    table = indicators_in_force(scope.end)
    return _score(quantities(scope, now, _needs(table)), table, scope.end)


def index_by_agency(scope: Scope, now: dt.datetime | None = None,
                    rows: Sequence[Row] | None = None) -> dict[int, IndexResult]:
    """The index of every agency of the scope with figures, in a fixed number of queries;
    ``rows`` is ``breakdown(scope, "agency")`` if already read."""
    now = now or timezone.now()
    rows = rows if rows is not None else breakdown(scope, "agency", now)
    table = indicators_in_force(scope.end)
    needed = _needs(table)
    procedures = _procedure_counts(replace(scope, agency_ids=tuple(r.key for r in rows)),
                                   "procedures_complete" in needed)
    not_synced = _not_synced(scope)
    answered = (feedback.counts_by_agency(scope.start, scope.end, [r.key for r in rows], now)
                if _feedback_applies(scope) else {})
    return {r.key: _score(_quantities(scope, r.figures, procedures[r.key], now,
                                      sum(not_synced.get(r.key, (0, 0))),
                                      answered.get(r.key, feedback.Counts())
                                      if answered else None),
                          table, scope.end)
            for r in rows}


def _feedback_applies(scope: Scope) -> bool:
    """Feedback is counted per agency and period: a cut by procedure, field, ward or channel
    leaves 5.1 and 5.2 unmeasured rather than showing the agency's figure as the cut's."""
    return all(getattr(scope, name) is None
               for name in ("procedure_id", "field_id", "ward_id", "channel"))


def _feedback_counts(scope: Scope, now: dt.datetime) -> feedback.Counts | None:
    if not _feedback_applies(scope):
        return None
    return feedback.counts(scope.start, scope.end, scope.agency_ids, now)


# --- the national portal sync (766 indicator 1.4, the IOC) -------------------------------------


def _not_synced(scope: Scope) -> dict[int, tuple[int, int]]:
    """Per agency, the dossiers received in the scope with a sync record waiting (none failed)
    and with one failed. Reads only the records not synced (``nationalsync/rates.py``)."""
    failed = Q(dossier__sync_records__state=sync_rates.SyncState.FAILED)
    rows = (DossierFact.objects.filter(scope.days("received_on"), scope.dimensions(),
                                       dossier__sync_records__state__in=sync_rates.NOT_SYNCED)
            .values("agency_id").order_by("agency_id")
            .annotate(any=Count("dossier_id", distinct=True),
                      failed=Count("dossier_id", distinct=True, filter=failed)))
    return {r["agency_id"]: (r["any"] - r["failed"], r["failed"]) for r in rows}


def sync_rate(scope: Scope, received: int | None = None) -> sync_rates.SyncRate:
    """The scope's sync with the national portal: its received dossiers (``received``, if the
    figures were read already) by sync state, and the backlog of its agencies now."""
    if received is None:
        received = sum(int(part.aggregate(n=Sum("received"))["n"] or 0)
                       for part in _parts(scope))
    counts = _not_synced(scope).values()
    return sync_rates.SyncRate(
        dossiers_due=received, dossiers_waiting=sum(c[0] for c in counts),
        dossiers_failed=sum(c[1] for c in counts), **sync_rates.backlog(scope.agency_ids))


# --- monthly statistics (open data, reports) ----------------------------------------------------


@dataclass(frozen=True)
class StatRow:
    year: int
    month: int
    agency_id: int
    agency_code: str
    agency: str
    procedure_id: int
    procedure_code: str
    procedure: str
    channel: str
    figures: Figures


def monthly_statistics(year: int, month: int, agency_ids: Sequence[int] | None = None
                       ) -> list[StatRow]:
    """One row per agency × procedure × channel with any figure in the month; the figures are
    the sums the dashboards show for the same scope (``open``/``overdue`` are not monthly and
    stay 0). Two queries."""
    start = dt.date(year, month, 1)
    end = _bucket(start, "month")[1]
    scope = Scope(start, end, agency_ids=tuple(agency_ids) if agency_ids is not None else None)
    rows = list(DailyFact.objects.filter(scope.days(), scope.dimensions())
                .values("agency_id", "procedure_id", "channel")
                .order_by("agency_id", "procedure_id", "channel")
                .annotate(**_sum_expressions()))
    agencies = {a["pk"]: a for a in Agency.objects.filter(
        pk__in={r["agency_id"] for r in rows}).values("pk", "code", "name")}
    procedures = {p["pk"]: p for p in Procedure.objects.filter(
        pk__in={r["procedure_id"] for r in rows}).values("pk", "code", "name")}
    out = []
    for r in rows:
        figs = _figures(r)
        if not any(getattr(figs, n) for n in SUMS):
            continue
        a, p = agencies[r["agency_id"]], procedures[r["procedure_id"]]
        out.append(StatRow(year, month, a["pk"], a["code"], a["name"], p["pk"], p["code"],
                           p["name"], r["channel"], figs))
    out.sort(key=lambda s: (vietnamese_key(s.agency), s.procedure_code, s.channel))
    return out


# --- drill-down ---------------------------------------------------------------------------------

# ``online_received``: received through the online channels (online and agent).
DRILLABLE: tuple[str, ...] = (*SUMS, *NOW_MEASURES, "online_received")


def _drill(scope: Scope, measure: str, now: dt.datetime | None) -> tuple[QuerySet, str | None]:
    """The facts a number counts, and the date column a dated measure is anchored on (None
    for open and overdue, which are now)."""
    if measure not in DRILLABLE:
        raise ValueError(f"unknown measure {measure!r}")
    now = now or timezone.now()
    anchor = None
    if measure in NOW_MEASURES:
        condition = Q(outcome="open")
        if measure == "overdue":
            condition &= Q(due_at__lt=now)
    elif measure == "online_received":
        m = facts.measure("received")
        condition, anchor = m.q() & scope.days(m.anchor) & Q(channel__in=ONLINE_CHANNELS), m.anchor
    else:
        m = facts.measure(measure)
        condition, anchor = m.q() & scope.days(m.anchor), m.anchor
    return DossierFact.objects.filter(condition, scope.dimensions()), anchor


def drilldown(scope: Scope, measure: str, now: dt.datetime | None = None) -> QuerySet:
    """The dossiers a number counts: for a sum, those whose fact satisfies the measure on a day
    of the period (``processing_days`` lists the resolved dossiers it adds up); for ``open`` and
    ``overdue``, the open dossiers now. Ordered newest first."""
    facts_of, _ = _drill(scope, measure, now)
    return Dossier.objects.filter(pk__in=facts_of.values("dossier_id")).order_by("-pk")


@dataclass(frozen=True)
class DrillPage:
    dossiers: list[Dossier]
    next_key: str | None  # where the next page starts (``drilldown_page``'s ``after``)


def drilldown_page(scope: Scope, measure: str, now: dt.datetime | None = None, *,
                   after: str | None = None, size: int = 50) -> DrillPage:
    """A page of :func:`drilldown`'s dossiers by key, read from the facts alone, so that its
    cost follows the page, never the history: open and overdue newest first by dossier (the
    partial index of the open dossiers: an overdue one may be years old, and joined to the
    dossiers the planner walked the whole dossier table backwards to find it); a dated measure
    by its day, then dossier, newest first (the day's index: the period may be years back).
    ``after``: the key of the previous page's last row, as given in ``next_key``."""
    facts_of, anchor = _drill(scope, measure, now)
    day, last = _drill_key(after, dated=anchor is not None)
    if anchor is None:
        if last is not None:
            facts_of = facts_of.filter(dossier_id__lt=last)
        rows = list(facts_of.order_by("-dossier_id").values_list("dossier_id", "dossier_id")
                    [: size + 1])
    else:
        if day is not None and last is not None:
            facts_of = facts_of.filter(Q(**{f"{anchor}__lte": day}),
                                       Q(**{f"{anchor}__lt": day}) | Q(dossier_id__lt=last))
        rows = list(facts_of.order_by(f"-{anchor}", "-dossier_id")
                    .values_list("dossier_id", anchor)[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    found = Dossier.objects.select_related("procedure", "agency").in_bulk(
        [pk for pk, _ in rows])
    next_key = None
    if more and rows:
        pk, when = rows[-1]
        next_key = str(pk) if anchor is None else f"{when.isoformat()}.{pk}"
    return DrillPage([found[pk] for pk, _ in rows if pk in found], next_key)


def _drill_key(text: str | None, *, dated: bool) -> tuple[dt.date | None, int | None]:
    """A page key: ``<dossier id>`` or ``<day>.<dossier id>``; anything else is the first page."""
    day_text, _, pk_text = (text or "").rpartition(".")
    if not pk_text.isdigit() or bool(day_text) != dated:
        return None, None
    try:
        return (dt.date.fromisoformat(day_text) if dated else None), int(pk_text)
    except ValueError:
        return None, None


def with_scope(scope: Scope, **changes: Any) -> Scope:
    return replace(scope, **changes)
