"""The processing clock of dossiers: the deadline engine fed with the agency's calendar and the
procedure version's time limit for the dossier's channel."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from functools import lru_cache

from django.db.models import Q

from dichvucong.catalog.definition import Channel, ProcedureDefinition, TimeUnit
from dichvucong.core.prepared import Prepared
from dichvucong.workflow.deadlines import TimeLimitSpec, WorkingCalendar
from dichvucong.workflow.models import CalendarOverride

UNITS = {TimeUnit.WORKING_DAYS: "working_days", TimeUnit.DAYS: "days",
         TimeUnit.HOURS: "hours", TimeUnit.MONTHS: "months",
         TimeUnit.UNSTATED: "working_days"}  # a bare number on the portal means working days


@lru_cache(maxsize=8)
def _calendar(first_year: int, last_year: int, overrides: tuple) -> WorkingCalendar:
    extra_holidays = tuple(d for d, working in overrides if not working)
    extra_working = tuple(d for d, working in overrides if working)
    return WorkingCalendar.vietnam(range(first_year, last_year + 1),
                                   extra_holidays=extra_holidays,
                                   extra_working_days=extra_working)


# Every page with a clock reads the overrides (the back-office queue, a dossier, a filing):
# composed once per connection (``core/prepared.py``), not by the ORM at each request.
_OVERRIDE = ("day", "is_working", "agency_id")
_CITY_WIDE = Prepared(lambda: CalendarOverride.objects.filter(agency__isnull=True)
                      .values_list(*_OVERRIDE).order_by())
_WITH_AGENCY = Prepared(lambda: CalendarOverride.objects.filter(
    Q(agency__isnull=True) | Q(agency_id=-1)).values_list(*_OVERRIDE).order_by(), -1)


def calendar_for(moment: datetime, agency_id: int | None = None) -> WorkingCalendar:
    """The working calendar around ``moment`` with the administrators' overrides: the
    city-wide ones, and those of ``agency_id``, which win for the same day."""
    rows = _CITY_WIDE.rows() if agency_id is None else _WITH_AGENCY.rows(agency_id)
    days: dict = {}
    for day, working, own in rows:
        if own is not None or day not in days:
            days[day] = working
    overrides = tuple(sorted(days.items()))
    return _calendar(moment.year - 1, moment.year + 2, overrides)


def time_limit(definition: ProcedureDefinition, channel: str) -> TimeLimitSpec | None:
    """The limit for a dossier filed through ``channel``: the online limit (the online reduction)
    for online dossiers when the procedure states one."""
    processing = definition.processing
    cutoff = time.fromisoformat(processing.cutoff) if processing.cutoff else None
    if processing.same_day:
        return TimeLimitSpec(Decimal(0), "working_days", same_day=True, cutoff=cutoff)
    limit = processing.time_limit
    # A dossier an agent files for a citizen, or one filed on the national portal, is an online
    # dossier (national channel 2).
    online = channel in (Channel.ONLINE, "agent", "national")
    if online and processing.online_time_limit is not None:
        limit = processing.online_time_limit
    if limit is None or limit.value is None:
        return None
    return TimeLimitSpec(limit.value, UNITS[limit.unit], cutoff=cutoff)
