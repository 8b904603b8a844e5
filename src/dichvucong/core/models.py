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


class Beat(models.Model):
    """The last run of a periodic piece of work (``core.operations``): the worker's heartbeat
    (``worker``) and the alert scan's duration. One row per name, overwritten."""

    name = models.CharField(max_length=60, primary_key=True)
    at = models.DateTimeField()
    seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
