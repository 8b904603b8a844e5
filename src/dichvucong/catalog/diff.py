"""Differences between two procedure definitions, for the version comparison page. Plain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    path: str  # e.g. "fees.0.online_amount", "form.3.label"
    kind: str  # "added", "removed", "changed"
    old: Any = None
    new: Any = None


def diff(old: Any, new: Any, path: str = "") -> list[Change]:
    """Every leaf that differs. Lists of keyed items (form fields, by ``key``) are compared by
    key so that inserting a field does not show every later field as changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                changes.append(Change(sub, "removed", old=old[key]))
            elif key not in old:
                changes.append(Change(sub, "added", new=new[key]))
            else:
                changes.extend(diff(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        if _keyed(old) and _keyed(new):
            return diff({item["key"]: item for item in old}, {item["key"]: item for item in new},
                        path)
        changes = []
        for index in range(max(len(old), len(new))):
            sub = f"{path}.{index}"
            if index >= len(new):
                changes.append(Change(sub, "removed", old=old[index]))
            elif index >= len(old):
                changes.append(Change(sub, "added", new=new[index]))
            else:
                changes.extend(diff(old[index], new[index], sub))
        return changes
    if old != new:
        return [Change(path, "changed", old=old, new=new)]
    return []


def _keyed(items: list) -> bool:
    return bool(items) and all(isinstance(i, dict) and "key" in i for i in items)
