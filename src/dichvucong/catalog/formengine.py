"""The form engine's rules: reading what a citizen submitted against a procedure's form
definition, with every error at once, in Vietnamese. Plain Python: no HTTP, no database.

Submitted data arrives flat, as HTML forms send it (``key`` for a field, ``group-0-key`` for a
field of a repeating group's first item); ``read_submission`` turns it into nested raw values and
``validate`` cleans them. Hidden fields (their condition is false) are neither checked nor kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dichvucong.catalog.definition import Condition, FieldType, FormField
from dichvucong.core.idnumber import InvalidIdNumber, parse_id_number
from dichvucong.core.numbers import NumberFormatError, parse_number
from dichvucong.core.taxcode import InvalidTaxCode, parse_tax_code

Raw = dict[str, Any]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^0(3|5|7|8|9)\d{8}$|^02\d{9}$")  # mobile or landline (area code 02x)


@dataclass
class FormResult:
    cleaned: Raw = dataclasses.field(default_factory=dict)
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # "key" or "group-0-key"

    @property
    def is_valid(self) -> bool:
        return not self.errors


class FieldError(ValueError):
    pass


def read_submission(fields: list[FormField], data: Mapping[str, Any],
                    getlist: Callable[[str], list] | None = None) -> Raw:
    """Nested raw values from flat form data (a QueryDict or a dict). ``getlist`` reads
    multi-valued keys (multi-select); without it a list value in ``data`` is taken as is."""

    def values(name: str) -> list:
        if getlist is not None:
            return list(getlist(name))
        value = data.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def read(field: FormField, name: str) -> Any:
        if field.type == FieldType.MULTISELECT:
            return values(name)
        if field.type == FieldType.ADDRESS:
            return {part: data.get(f"{name}-{part}", "") for part in ("province", "commune",
                                                                     "street")}
        return data.get(name, "")

    raw: Raw = {}
    for field in fields:
        if field.type != FieldType.GROUP:
            raw[field.key] = read(field, field.key)
            continue
        # Items are numbered 0..n-1; the count is given, or found from the submitted names.
        prefix = f"{field.key}-"
        count_value = data.get(f"{field.key}-count")
        indexes = {int(m.group(1)) for name in data
                   if (m := re.match(rf"^{re.escape(prefix)}(\d+)-", str(name)))}
        try:
            count = int(count_value) if count_value not in (None, "") else (
                max(indexes) + 1 if indexes else 0)
        except ValueError:
            count = max(indexes) + 1 if indexes else 0
        count = max(0, min(count, field.max_items))
        raw[field.key] = [
            {sub.key: read(sub, f"{field.key}-{i}-{sub.key}") for sub in field.fields}
            for i in range(count)
        ]
    return raw


def form_defaults(fields: list[FormField]) -> Raw:
    """The raw answers a new form starts with: each top-level field's ``default``."""
    return {f.key: [f.default] if f.type == FieldType.MULTISELECT else f.default
            for f in fields if f.default}


def is_visible(condition: Condition | None, scope: Raw) -> bool:
    """Whether ``condition`` holds for the answers in ``scope`` (no condition: it does)."""
    if condition is None:
        return True
    if condition.all_of is not None:
        return all(is_visible(part, scope) for part in condition.all_of)
    if condition.any_of is not None:
        return any(is_visible(part, scope) for part in condition.any_of)
    value = scope.get(condition.field)
    if condition.filled is not None:
        return _filled(value) == condition.filled
    if condition.in_ is not None:
        chosen = value if isinstance(value, list) else [value]
        return any(str(v) in condition.in_ for v in chosen)
    if isinstance(condition.equals, bool):
        return _truthy(value) == condition.equals
    return str(value or "") == str(condition.equals)


def _filled(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "", False)


def _truthy(value: Any) -> bool:
    return str(value).lower() in {"on", "true", "1", "yes"} if not isinstance(value, bool) \
        else value


def validate(fields: list[FormField], raw: Raw, today: date | None = None,
             known_communes: Mapping[str, set[str]] | None = None) -> FormResult:
    """Clean every visible field; collect every error. ``known_communes`` maps a province code
    to its commune codes, to check addresses."""
    result = FormResult()
    _validate_scope(fields, raw, "", result, known_communes, today=today or date.today())
    return result


def _validate_scope(fields: list[FormField], scope: Raw, prefix: str, result: FormResult,
                    known_communes: Mapping[str, set[str]] | None,
                    into: Raw | None = None, today: date | None = None) -> None:
    target = result.cleaned if into is None else into
    for field in fields:
        if not is_visible(field.visible_when, scope):
            continue
        name = f"{prefix}{field.key}"
        value = scope.get(field.key)
        if field.type == FieldType.GROUP:
            items = value if isinstance(value, list) else []
            # An item left entirely empty (an unused blank row) is not an item.
            items = [item for item in items if isinstance(item, dict) and _filled(item)]
            minimum = max(1, field.min_items) if field.required else field.min_items
            if len(items) < minimum:
                _error(result, name, f"Cần khai ít nhất {minimum} mục «{field.label}».")
                continue
            if len(items) > field.max_items:
                _error(result, name, f"Chỉ khai tối đa {field.max_items} mục «{field.label}».")
                continue
            cleaned_items = []
            for index, item in enumerate(items):
                cleaned_item: Raw = {}
                _validate_scope(field.fields, item, f"{name}-{index}-", result, known_communes,
                                cleaned_item, today)
                cleaned_items.append(cleaned_item)
            target[field.key] = cleaned_items
            continue
        if not _filled(value) or (field.type == FieldType.CHECKBOX and not _truthy(value)):
            if field.required:
                message = (f"Cần đánh dấu «{field.label}»." if field.type == FieldType.CHECKBOX
                           else f"Cần nhập «{field.label}».")
                _error(result, name, message)
            elif field.type == FieldType.CHECKBOX:
                target[field.key] = False
            continue
        try:
            target[field.key] = clean_value(field, value, known_communes, today)
        except FieldError as exc:
            _error(result, name, str(exc))
    _check_date_order(fields, target, prefix, result)


def _check_date_order(fields: list[FormField], cleaned: Raw, prefix: str,
                      result: FormResult) -> None:
    """A date field's ``before_field``/``after_field`` rules, once both days are cleaned (a
    missing or invalid day has its own error)."""
    labels = {field.key: field.label for field in fields}
    for field in fields:
        day = cleaned.get(field.key)
        for other, before in ((field.before_field, True), (field.after_field, False)):
            other_day = cleaned.get(other) if other else None
            if not isinstance(day, date) or not isinstance(other_day, date):
                continue
            if message := date_order_error(field.label, day, labels[other], other_day,
                                           before=before, max_days=field.max_days_apart):
                _error(result, f"{prefix}{field.key}", message)


def date_order_error(label: str, day: date, other_label: str, other_day: date, *,
                     before: bool, max_days: int | None = None) -> str:
    """The citizen's message when ``day`` is not strictly before (or after) ``other_day``, or
    further from it than ``max_days``; empty when the rule holds."""
    if before and day >= other_day:
        return f"«{label}» phải trước «{other_label}» ({other_day:%d/%m/%Y})."
    if not before and day <= other_day:
        return f"«{label}» phải sau «{other_label}» ({other_day:%d/%m/%Y})."
    if max_days is not None and abs((other_day - day).days) > max_days:
        return (f"«{label}» và «{other_label}» cách nhau tối đa {max_days} ngày "
                f"(đang cách {abs((other_day - day).days)} ngày).")
    return ""


def _error(result: FormResult, name: str, message: str) -> None:
    result.errors.setdefault(name, []).append(message)


def clean_value(field: FormField, value: Any,
                known_communes: Mapping[str, set[str]] | None = None,
                today: date | None = None) -> Any:
    """One field's value, cleaned; raises FieldError with the citizen's message. ``today`` is
    the day of submission, which a date field's bounds count from."""
    label = field.label
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.TEXTAREA):
        text = " ".join(str(value).split()) if kind == FieldType.TEXT else str(value).strip()
        if field.min_length is not None and len(text) < field.min_length:
            raise FieldError(f"«{label}» cần ít nhất {field.min_length} ký tự.")
        if field.max_length is not None and len(text) > field.max_length:
            raise FieldError(f"«{label}» dài tối đa {field.max_length} ký tự.")
        if field.pattern and not re.fullmatch(field.pattern, text):
            raise FieldError(field.pattern_message or f"«{label}» không đúng định dạng.")
        return text
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        number = _number(value, money=kind == FieldType.MONEY, label=label)
        if field.min_value is not None and number < field.min_value:
            raise FieldError(f"«{label}» không được nhỏ hơn {_show(field.min_value)}.")
        if field.max_value is not None and number > field.max_value:
            raise FieldError(f"«{label}» không được lớn hơn {_show(field.max_value)}.")
        return int(number) if kind == FieldType.MONEY else number
    if kind == FieldType.DATE:
        return _date_in_bounds(field, _date(str(value), label), today or date.today())
    if kind == FieldType.SELECT:
        allowed = {o.value for o in field.options}
        if str(value) not in allowed:
            raise FieldError(f"Lựa chọn cho «{label}» không có trong danh sách.")
        return str(value)
    if kind == FieldType.MULTISELECT:
        allowed = {o.value for o in field.options}
        chosen = [str(v) for v in (value if isinstance(value, list) else [value])]
        if any(v not in allowed for v in chosen):
            raise FieldError(f"Lựa chọn cho «{label}» không có trong danh sách.")
        return [o.value for o in field.options if o.value in chosen]  # in the form's order
    if kind == FieldType.CHECKBOX:
        return True
    if kind == FieldType.PHONE:
        digits = re.sub(r"[\s.\-()]", "", str(value))
        if digits.startswith("+84"):
            digits = "0" + digits[3:]
        elif digits.startswith("84") and len(digits) == 11:
            digits = "0" + digits[2:]
        if not _PHONE.match(digits):
            raise FieldError(f"«{label}» không phải số điện thoại Việt Nam (10 hoặc 11 chữ số, "
                             "bắt đầu bằng 0).")
        return digits
    if kind == FieldType.EMAIL:
        email = str(value).strip()
        if not _EMAIL.match(email) or len(email) > 254:
            raise FieldError(f"«{label}» không phải địa chỉ thư điện tử hợp lệ.")
        return email.lower()
    if kind == FieldType.ID_NUMBER:
        try:
            return parse_id_number(str(value)).number
        except InvalidIdNumber as exc:
            raise FieldError(str(exc)) from exc
    if kind == FieldType.TAX_CODE:
        try:
            return parse_tax_code(str(value))
        except InvalidTaxCode as exc:
            raise FieldError(f"«{label}»: {exc}") from exc
    if kind == FieldType.ADDRESS:
        parts = value if isinstance(value, dict) else {}
        province, commune = str(parts.get("province", "")), str(parts.get("commune", ""))
        street = " ".join(str(parts.get("street", "")).split())
        if not province or not commune or not street:
            raise FieldError(f"«{label}» cần đủ tỉnh/thành phố, xã/phường và số nhà, đường.")
        if known_communes is not None and commune not in known_communes.get(province, set()):
            raise FieldError(f"Xã/phường đã chọn cho «{label}» không thuộc tỉnh/thành phố "
                             "đã chọn.")
        return {"province": province, "commune": commune, "street": street}
    if kind == FieldType.FILE:
        return str(value)  # the attachment's reference; the upload itself is checked apart
    raise FieldError(f"Loại trường «{kind}» không được hỗ trợ.")  # pragma: no cover


def _number(value: Any, money: bool, label: str) -> Decimal:
    # Vietnamese writing: 1.850 is 1850, 85,5 is 85.5; ambiguous text is refused
    # (core/numbers.py).
    try:
        return parse_number(value, label=label, money=money)
    except NumberFormatError as exc:
        raise FieldError(str(exc)) from exc


def _date(text: str, label: str) -> date:
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError as exc:
        raise FieldError(f"«{label}» không phải ngày có thật.") from exc
    raise FieldError(f"«{label}» cần ghi theo dạng ngày/tháng/năm, ví dụ 05/01/2024.")


def date_bounds(field: FormField, today: date) -> tuple[date | None, date | None]:
    """A date field's earliest and latest day: its ``min_value``/``max_value`` count days from
    the day of submission (0: that day; -60: sixty days before)."""
    def shift(days: Decimal | None) -> date | None:
        return None if days is None else today + timedelta(days=int(days))
    return shift(field.min_value), shift(field.max_value)


def _date_in_bounds(field: FormField, day: date, today: date) -> date:
    earliest, latest = date_bounds(field, today)
    if latest is not None and day > latest:
        if latest == today:
            raise FieldError(f"«{field.label}» không được sau ngày hôm nay "
                             f"({today:%d/%m/%Y}).")
        raise FieldError(f"«{field.label}» không được sau ngày {latest:%d/%m/%Y}.")
    if earliest is not None and day < earliest:
        raise FieldError(f"«{field.label}» không được trước ngày {earliest:%d/%m/%Y}.")
    return day


def _show(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


# --- the same definition as JSON Schema, for API clients -----------------------------------------

_SCHEMA_TYPES: dict[FieldType, dict[str, Any]] = {
    FieldType.TEXT: {"type": "string"},
    FieldType.TEXTAREA: {"type": "string"},
    FieldType.NUMBER: {"type": "number"},
    FieldType.MONEY: {"type": "integer", "minimum": 0, "description": "VND"},
    FieldType.DATE: {"type": "string", "format": "date"},
    FieldType.CHECKBOX: {"type": "boolean"},
    FieldType.PHONE: {"type": "string", "pattern": _PHONE.pattern},
    FieldType.EMAIL: {"type": "string", "format": "email"},
    FieldType.ID_NUMBER: {"type": "string", "pattern": r"^\d{12}$"},
    FieldType.TAX_CODE: {"type": "string", "pattern": r"^\d{10}(-\d{3})?$"},
    FieldType.FILE: {"type": "string", "description": "an attachment's reference"},
    FieldType.ADDRESS: {
        "type": "object",
        "properties": {"province": {"type": "string"}, "commune": {"type": "string"},
                       "street": {"type": "string"}},
        "required": ["province", "commune", "street"],
    },
}


def to_json_schema(fields: list[FormField], title: str = "") -> dict[str, Any]:
    """A JSON Schema (2020-12) of the form's cleaned data. Conditional fields become
    ``if``/``then`` rules, so a client sees when they are required."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    rules: list[dict[str, Any]] = []
    for field in fields:
        schema = _field_schema(field)
        properties[field.key] = schema
        if not field.required:
            continue
        if field.visible_when is None:
            required.append(field.key)
        else:
            rules.append({"if": _condition_schema(field), "then": {"required": [field.key]}})
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if title:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
                  **schema}
    if required:
        schema["required"] = required
    if rules:
        schema["allOf"] = rules
    return schema


def _field_schema(field: FormField) -> dict[str, Any]:
    if field.type == FieldType.GROUP:
        schema: dict[str, Any] = {"type": "array", "items": to_json_schema(field.fields),
                                  "maxItems": field.max_items}
        minimum = max(1, field.min_items) if field.required else field.min_items
        if minimum:
            schema["minItems"] = minimum
    elif field.type == FieldType.SELECT:
        schema = {"type": "string", "enum": [o.value for o in field.options]}
    elif field.type == FieldType.MULTISELECT:
        schema = {"type": "array", "uniqueItems": True,
                  "items": {"type": "string", "enum": [o.value for o in field.options]}}
    else:
        schema = dict(_SCHEMA_TYPES[field.type])
    schema["title"] = field.label
    if field.help:
        schema["description"] = field.help
    if field.min_length is not None:
        schema["minLength"] = field.min_length
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.type == FieldType.DATE:
        if field.min_value is not None or field.max_value is not None:
            # Relative to the day of submission, which JSON Schema cannot express.
            schema["x-days-from-submission"] = {
                k: int(v) for k, v in (("min", field.min_value), ("max", field.max_value))
                if v is not None}
        # Between two fields, which JSON Schema cannot compare either.
        order = {k: v for k, v in (("before_field", field.before_field),
                                   ("after_field", field.after_field),
                                   ("max_days_apart", field.max_days_apart)) if v}
        if order:
            schema["x-date-order"] = order
    else:
        if field.min_value is not None:
            schema["minimum"] = float(field.min_value)
        if field.max_value is not None:
            schema["maximum"] = float(field.max_value)
    if field.pattern:
        schema["pattern"] = field.pattern
    return schema


def _condition_schema(field: FormField) -> dict[str, Any]:
    assert field.visible_when is not None
    return condition_schema(field.visible_when)


def condition_schema(condition: Condition) -> dict[str, Any]:
    """A condition as a JSON Schema test of the form's data."""
    if condition.all_of is not None:
        return {"allOf": [condition_schema(part) for part in condition.all_of]}
    if condition.any_of is not None:
        return {"anyOf": [condition_schema(part) for part in condition.any_of]}
    if condition.filled is not None:
        test: dict[str, Any] = {"required": [condition.field]}
        return test if condition.filled else {"not": test}
    if condition.in_ is not None:
        value_schema: dict[str, Any] = {"anyOf": [{"enum": condition.in_},
                                                  {"contains": {"enum": condition.in_}}]}
    else:
        value_schema = {"const": condition.equals}
    return {"required": [condition.field], "properties": {condition.field: value_schema}}
