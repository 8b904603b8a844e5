"""What people do with alerts: acknowledge them."""

from __future__ import annotations

from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.alerts.models import Alert


def acknowledge(alert: Alert, user: User) -> bool:
    """Record who acknowledged the alert and when. The first acknowledgement stands; the row
    itself is the record (who, when). Returns whether this call acknowledged it."""
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user)
    alert.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return bool(updated)
