"""The platform's own tables."""

from django.db import models


class RateLimitCounter(models.Model):
    """One rate-limit counter of the embedded default (``core.ratelimit``; Redis keeps them
    when ``REDIS_URL`` is set). Written only with atomic SQL there, never through the ORM."""

    name = models.CharField(max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True, help_text="Unix time the window ends")

    class Meta:
        db_table = "core_ratelimitcounter"

    def __str__(self) -> str:
        return f"{self.name}: {self.hits}"


class AuditEntry(models.Model):
    """One entry of the tamper-evident audit trail (``core/audit.py``): who did or looked at
    what, when and why. Written unsealed (``seq`` empty) in the transaction of the change it
    records; sealing gives it the next number and chains its hash to the one before."""

    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    at = models.DateTimeField()
    # Plain numbers, not foreign keys: an entry outlives the account and the object it names,
    # and deleting either must not cascade into the trail.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=30, blank=True)
    source = models.CharField(max_length=20)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True,
                                        help_text="the person whose personal data it is")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.seq or '…'} {self.action} {self.object_type} {self.object_id}"


class AuditHead(models.Model):
    """The chain's last sealed entry: one row, locked while sealing, so two sealers never give
    two entries the same place (PostgreSQL: the row lock; SQLite: the IMMEDIATE transaction)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"


class Beat(models.Model):
    """The last run of a periodic piece of work (``core.operations``): the worker's heartbeat
    (``worker``) and the alert scan's duration. One row per name, overwritten."""

    name = models.CharField(max_length=60, primary_key=True)
    at = models.DateTimeField()
    seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class CacheGeneration(models.Model):
    """A counter a group of cached pages is keyed on (``core.pagecache``): a change to what
    those pages show adds one in the writer's transaction, so every process of every server
    stops serving the old copies: the writer's at once, the others within the second they hold
    the number (``pagecache.GENERATION_SECONDS``). In the database, not the cache: without
    Redis each process has its own in-memory cache."""

    name = models.CharField(max_length=40, primary_key=True)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.number}"
