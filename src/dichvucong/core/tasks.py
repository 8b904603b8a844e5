"""Platform-wide periodic jobs."""

from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.core import audit, operations, ratelimit, storage


@db_periodic_task(crontab(minute="7"), name="core.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Hourly: delete expired login sessions, so the session table does not grow without end
    (Django's ``clearsessions``, run by the worker instead of an operator's cron)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@db_periodic_task(crontab(minute="17"), name="core.purge_rate_limit_counters")
def purge_rate_limit_counters() -> int:
    """Hourly: delete the rate-limit counters whose window has ended (embedded default)."""
    return ratelimit.purge_expired()


@db_periodic_task(crontab(minute="*"), name="core.seal_audit_trail")
def seal_audit_trail() -> int:
    """Every minute: the sweeper of the audit chain. The pipeline's worker seals after each of
    its runs; this seals the entries of changes that kick no pipeline run (a look, a role,
    an administrator's change) and what a worker killed before its seal left."""
    return audit.seal()


@db_periodic_task(crontab(minute="*/10"), name="core.anchor_audit_trail")
def anchor_audit_trail() -> int:
    """Every ten minutes: seal what the requests left unsealed and anchor the chain's head
    outside the database (``core/audit.py``)."""
    line = audit.anchor()
    return line["seq"] if line else 0


@db_periodic_task(crontab(minute="37"), name="core.sweep_orphan_files")
def sweep_orphan_files() -> int:
    """Hourly: delete the stored files no row names (left by a process killed between writing a
    file and committing its row), once older than ``storage.ORPHAN_GRACE``."""
    return len(storage.sweep_orphans())


@db_periodic_task(crontab(minute="*"), name="core.heartbeat")
def heartbeat() -> None:
    """Every minute: the worker is alive and its scheduler runs (``/healthz/ready``)."""
    operations.record_beat("worker")
