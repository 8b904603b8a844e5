"""Administrators' changes (Django admin's log: settings, accounts, roles, calendars …) go into
the audit chain (``core/audit.py``) with the change message as their reason."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from dichvucong.core import audit

_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


def admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    model = (f"{instance.content_type.app_label}.{instance.content_type.model}"
             if instance.content_type_id else "")
    audit.record(source="admin", action=_ACTIONS.get(instance.action_flag, "admin.other"),
                 object_type=model or "admin", object_id=instance.object_id or "",
                 actor_id=instance.user_id, subject_id=_person(model, instance.object_id),
                 reason=instance.get_change_message(),
                 data={"log_entry": instance.pk, "repr": instance.object_repr[:200]},
                 row=instance)


def _person(model: str, object_id: str | int | None) -> int | None:
    """An account changed by an administrator is that person's data. (A deletion's log entry
    carries the id as an int, a change's as text.)"""
    if model == "accounts.user" and str(object_id or "").isdigit():
        return int(object_id)
    return None
