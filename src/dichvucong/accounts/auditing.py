"""Role changes go into the audit chain (``core/audit.py``): a role granted, changed or taken
away (who did it is in the administrators' log entry, chained too)."""

from __future__ import annotations

from dichvucong.accounts.models import Membership
from dichvucong.core import audit


def _record(instance: Membership, action: str) -> None:
    audit.record(source="roles", action=action, object_type="membership",
                 object_id=instance.pk, subject_id=instance.user_id,
                 data={"agency": instance.agency_id, "role": instance.role})


def membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    _record(instance, "role.grant" if created else "role.change")


def membership_deleted(sender, instance: Membership, **kwargs) -> None:
    _record(instance, "role.revoke")
