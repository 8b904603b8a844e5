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


class CacheGeneration(models.Model):
    """A counter a group of cached pages is keyed on (``core.pagecache``): a change to what
    those pages show adds one in the writer's transaction, so every process of every server
    stops serving the old copies at once. In the database, not the cache: without Redis each
    process has its own in-memory cache."""

    name = models.CharField(max_length=40, primary_key=True)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.number}"
