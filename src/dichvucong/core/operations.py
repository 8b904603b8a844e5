"""What operators watch (issue #20): the apps' job tables and counters as metric samples, read
from the database when asked (so every web process answers the same, whichever ran the work),
and the beats of periodic work. The core imports no app above it: each app registers its
source of samples when Django starts (``register``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

OLDEST_JOB = "dichvucong_job_oldest_pending_seconds"


@dataclass(frozen=True)
class Sample:
    """One Prometheus sample: a gauge or a counter (``kind``), with its help text."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    kind: str = "gauge"


Source = Callable[[datetime], Iterable[Sample]]
_sources: list[Source] = []


def register(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def samples(now: datetime | None = None) -> list[Sample]:
    now = now or timezone.now()
    from .models import Beat  # not at import: the apps register sources while loading

    found = [sample for source in _sources for sample in source(now)]
    for beat in Beat.objects.all():
        found.append(Sample("dichvucong_beat_age_seconds", "Seconds since the periodic work "
                            "last ran", (now - beat.at).total_seconds(), {"name": beat.name}))
        if beat.seconds is not None:
            found.append(Sample("dichvucong_beat_duration_seconds", "How long its last run "
                                "took", beat.seconds, {"name": beat.name}))
    return found


def record_beat(name: str, seconds: float | None = None, *, now: datetime | None = None) -> None:
    from .models import Beat

    Beat.objects.update_or_create(name=name, defaults={"at": now or timezone.now(),
                                                       "seconds": seconds})


def beat_age(name: str, now: datetime) -> float | None:
    from .models import Beat

    beat = Beat.objects.filter(name=name).first()
    return (now - beat.at).total_seconds() if beat else None


def job_samples(kind: str, counts: dict[str, int], oldest: datetime | None,
                now: datetime) -> list[Sample]:
    """The samples of one job table: rows by state, and the age of the oldest pending one."""
    found = [Sample("dichvucong_jobs", "Background jobs by kind and state", count,
                    {"kind": kind, "state": state}) for state, count in sorted(counts.items())]
    found.append(Sample(OLDEST_JOB, "Age of the oldest job waiting or in progress",
                        (now - oldest).total_seconds() if oldest else 0.0, {"kind": kind}))
    return found


def table_samples(kind: str, rows: QuerySet, state_field: str, pending: Iterable[str],
                  now: datetime, since: str = "created_at") -> list[Sample]:
    """``job_samples`` of an outbox table: its rows by ``state_field``, the oldest pending by
    ``since``."""
    counts = dict(rows.values_list(state_field).annotate(n=Count("pk"))
                  .values_list(state_field, "n"))
    oldest = rows.filter(**{f"{state_field}__in": list(pending)}).aggregate(
        oldest=Min(since))["oldest"]
    return job_samples(kind, counts, oldest, now)
