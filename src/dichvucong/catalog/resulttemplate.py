"""The little language of a result's template (``Result.template``): plain lines, where
``{{ key }}`` is a form field's value as shown on pages, and a repeating group's items are
printed by a block of lines between ``{{#group}}`` and ``{{/group}}`` (each on its own line):
the block is written once per item, its placeholders naming the group's own fields and
``{{_n}}`` the item's number (1, 2 …). A line whose placeholders are all empty is left out
(«Nguyên nhân chết: » is not printed when no cause was given); a line without placeholders is
always kept. Plain Python, no Django: the designer checks templates with ``problems`` and the
result's body is written with ``fill``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
BLOCK_OPEN = re.compile(r"^\s*\{\{\s*#\s*([a-z][a-z0-9_]*)\s*\}\}\s*$")
BLOCK_CLOSE = re.compile(r"^\s*\{\{\s*/\s*([a-z][a-z0-9_]*)\s*\}\}\s*$")
ITEM_NUMBER = "_n"

Values = Mapping[str, Any]  # key → shown text, or a group's key → list of item mappings


def _parts(template: str) -> list[str | tuple[str, list[str]]]:
    """Lines, with each block as (group key, its lines). Raises ValueError when blocks do not
    match."""
    parts: list[str | tuple[str, list[str]]] = []
    block: tuple[str, list[str]] | None = None
    for line in template.splitlines():
        opened, closed = BLOCK_OPEN.match(line), BLOCK_CLOSE.match(line)
        if opened:
            if block is not None:
                raise ValueError(f"Khối «{opened.group(1)}» mở bên trong khối «{block[0]}»: "
                                 "không lồng khối")
            block = (opened.group(1), [])
        elif closed:
            if block is None or block[0] != closed.group(1):
                raise ValueError(f"Dòng {{{{/{closed.group(1)}}}}} không khớp khối nào đang mở")
            parts.append(block)
            block = None
        elif block is not None:
            block[1].append(line)
        else:
            parts.append(line)
    if block is not None:
        raise ValueError(f"Khối «{block[0]}» chưa đóng bằng dòng {{{{/{block[0]}}}}}")
    return parts


def _line(line: str, values: Values) -> str | None:
    """The line filled in; None when it names placeholders and every one is empty."""
    keys = PLACEHOLDER.findall(line)
    shown = {key: str(values.get(key) or "") for key in keys}
    if keys and not any(v.strip() for v in shown.values()):
        return None
    return PLACEHOLDER.sub(lambda m: shown[m.group(1)], line)


def fill(template: str, values: Values) -> str:
    """The template written out with ``values``; unknown or empty placeholders are empty."""
    out: list[str] = []
    for part in _parts(template):
        if isinstance(part, str):
            line = _line(part, values)
            if line is not None:
                out.append(line)
            continue
        key, body = part
        items = values.get(key)
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            # An item's own fields first; the form's other values stay reachable.
            scope = {**values, **(item if isinstance(item, Mapping) else {}),
                     ITEM_NUMBER: str(number)}
            for raw in body:
                line = _line(raw, scope)
                if line is not None:
                    out.append(line)
    return "\n".join(out)


def problems(template: str, keys: Sequence[str], groups: Mapping[str, Sequence[str]]) -> list[str]:
    """What is wrong with a template, in Vietnamese: blocks that do not match, blocks of a
    field that is no repeating group, placeholders no field has. ``keys`` are the names usable
    anywhere (``definition.template_keys``), ``groups`` each group's own fields' names."""
    try:
        parts = _parts(template)
    except ValueError as exc:
        return [str(exc)]
    found: list[str] = []
    unknown: set[str] = set()
    for part in parts:
        if isinstance(part, str):
            unknown |= {k for k in PLACEHOLDER.findall(part) if k not in keys}
            continue
        key, body = part
        if key not in groups:
            found.append(f"«{key}» không phải trường nhóm lặp lại của biểu mẫu")
            continue
        allowed = {*keys, *groups[key], ITEM_NUMBER}
        unknown |= {k for line in body for k in PLACEHOLDER.findall(line) if k not in allowed}
    if unknown:
        found.append("Biểu mẫu không có trường: " + ", ".join(sorted(unknown)))
    return found
