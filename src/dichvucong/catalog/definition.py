"""The procedure definition: one JSON document that describes a procedure version completely.

It is what a procedure version stores, what the catalog loaders produce from the national data,
and (later) what the service builder exports and imports;
``ProcedureDefinition.model_json_schema()`` is its documented JSON Schema. Plain pydantic, no
Django: the rules here are tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from dichvucong.catalog.codelists import CodeList
from dichvucong.catalog.codelists import options as code_list_options

FORMAT = "dichvucong.procedure/1"
NATIONAL_CODE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.H\d{2}|\.H\d{2})?$")
LOCAL_CODE = re.compile(r"^[A-Z]{2,5}\.\d{3,6}$")


class Level(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"


class OnlineMode(StrEnum):
    FULL = "full"  # toàn trình: end to end online
    PARTIAL = "partial"  # một phần: some step in person
    NONE = "none"  # counter or post only


class Channel(StrEnum):
    ONLINE = "online"  # trực tuyến (national channel code 2)
    IN_PERSON = "in_person"  # trực tiếp (1)
    POST = "post"  # dịch vụ bưu chính công ích (3)


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"  # ngày làm việc
    DAYS = "days"  # ngày (calendar)
    HOURS = "hours"  # giờ (working hours)
    MONTHS = "months"  # tháng
    UNSTATED = "unstated"  # the portal gives a bare number


class CopyType(StrEnum):
    ORIGINAL = "original"
    COPY = "copy"
    CERTIFIED_COPY = "certified_copy"
    ELECTRONIC = "electronic"
    ELECTRONIC_OR_ORIGINAL = "electronic_or_original"
    ELECTRONIC_OR_COPY = "electronic_or_copy"
    CERTIFIED_COPY_OR_ELECTRONIC = "certified_copy_or_electronic"
    UNSPECIFIED = "unspecified"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Annotated[str, Field(min_length=1)]


class TimeLimit(_Model):
    """A time limit as the catalogue states it: value and unit, and the text shown."""

    value: Decimal | None = Field(None, ge=0, description="None when the portal gives no number")
    unit: TimeUnit = TimeUnit.WORKING_DAYS
    text: str = Field("", description="as published, e.g. '5 Ngày làm việc'")


# Money in a fee note ("135.000 đồng", "50,000 VNĐ"): the portal's «Miễn phí» label is then
# contradicted by its own note.
_MONEY_IN_TEXT = re.compile(r"\d{1,3}(?:[.,]\d{3})+\s*(?:đồng|đ\b|vnđ|vnd)", re.IGNORECASE)


def mentions_money(text: str) -> bool:
    return bool(_MONEY_IN_TEXT.search(text or ""))


class ChannelFee(_Model):
    amount: int | None = Field(None, ge=0, description="VND; None when not a fixed VND amount")
    currency: Literal["VND", "USD"] = "VND"
    label: str = Field("", description="the portal's fee label, e.g. 'Miễn phí'")
    note: str = Field("", description="the portal's fee note, often where the real fee is")


class ChannelOption(_Model):
    """How the procedure can be done through one channel, with that channel's limit and fee."""

    channel: Channel
    time_limit: TimeLimit | None = None
    fee: ChannelFee | None = None


class Processing(_Model):
    """The processing time the deadline engine uses, in working days by default."""

    time_limit: TimeLimit | None = None
    online_time_limit: TimeLimit | None = Field(
        None, description="shorter online processing (Đà Nẵng: up to 50% less)"
    )
    same_day: bool = False
    cutoff: str | None = Field(
        None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="cut-off hour, for any limit: a dossier received after it counts from the "
                    "next working day (a same-day one is then returned the next working day)",
    )


class FeeExemption(_Model):
    """Who need not pay, as tests on the dossier (read by ``payments/fees.py``): every test
    given must hold. E.g. timely birth registration: the child's date of birth (a form field)
    at most 60 days before submission."""

    reason: Text = Field(description="shown to the citizen, e.g. 'Đăng ký khai sinh đúng hạn'")
    applicant_types: list[str] = Field(default_factory=list,
                                       description="citizen, enterprise, household_business")
    field: str | None = Field(None, description="key of the form field the test reads")
    equals: str | bool | None = None
    in_: list[str] | None = Field(None, alias="in")
    within_days: int | None = Field(
        None, ge=0, description="the field is a date at most this many days before submission")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @model_validator(mode="after")
    def _tests(self) -> FeeExemption:
        on_field = [self.equals is not None, self.in_ is not None, self.within_days is not None]
        if any(on_field) and not self.field:
            raise ValueError("điều kiện miễn phí theo trường tờ khai cần khóa trường (field)")
        if self.field and not any(on_field):
            raise ValueError("điều kiện miễn phí cần một phép thử: equals, in hoặc within_days")
        if not self.field and not self.applicant_types:
            raise ValueError("điều kiện miễn phí cần ít nhất một phép thử")
        return self


class FeeTier(_Model):
    """A lower (or higher) rate from the ``from``-th unit counted on: from page 3 of a copy for a
    ``per_page`` fee, from copy 3 for a ``per_copy`` one. Units before the first tier pay the
    fee's ``amount``."""

    from_: int = Field(alias="from", ge=2, description="the first unit (page, copy) at this rate")
    amount: int = Field(ge=0, description="VND per unit from then on")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


# The form fields read for the quantity when a fee declares none (older definitions): the fee
# engine's historical names, kept as the documented fallback.
DEFAULT_COPIES_FIELDS = ("so_ban", "so_luong")
DEFAULT_PAGES_FIELDS = ("so_trang",)
COUNTED_UNITS = ("per_copy", "per_page")


class Fee(_Model):
    name: str = Field("", description="e.g. 'Lệ phí', 'Phí thẩm định'")
    amount: int = Field(ge=0, description="VND, at the counter (per unit, the first tier)")
    online_amount: int | None = Field(None, ge=0, description="VND, online; None = same")
    unit: str = Field("per_dossier", description="per_dossier, per_case (once); per_copy (each "
                                                 "copy); per_page (each page of each copy)")
    tiers: list[FeeTier] = Field(
        default_factory=list,
        description="rates from the n-th page (per_page) or copy (per_copy) on, in order; e.g. "
                    "Thông tư 226/2016/TT-BTC: 2.000 đ/trang, from page 3 1.000 đ/trang")
    cap_per_copy: int | None = Field(
        None, ge=0, description="per_page: at most this much per copy (VND), e.g. 200.000")
    copies_field: str | None = Field(
        None, description="per_copy, per_page: key of the form field giving the number of "
                          "copies; none declared: so_ban, then so_luong")
    pages_field: str | None = Field(
        None, description="per_page: key of the form field giving the pages of one copy; none "
                          "declared: so_trang")
    amount_unknown: bool = Field(
        False, description="the amount is not known (set by another authority and not found): "
                           "shown as «chưa công bố», never charged until an official sets it")
    set_by: str = Field("", description="with amount_unknown: who sets it, shown, e.g. "
                                        "'HĐND thành phố'")
    note: str = ""
    exemptions: list[str] = Field(default_factory=list)
    exempt_when: list[FeeExemption] = Field(
        default_factory=list, description="exemptions as tests on the dossier")
    collect_at: Literal["submission", "reception", "return"] = Field(
        "reception", description="when it is due: on submitting, on reception, before return")
    # Effective dates: a fee (and, separately, its online reduction) is charged only on the days
    # its legal text is in force; a dossier is quoted with the rows in force on its day.
    valid_from: date | None = Field(None, description="first day in force; None: no start")
    valid_until: date | None = Field(None, description="last day in force (inclusive); None: "
                                                       "until changed")
    online_valid_from: date | None = Field(
        None, description="first day the online amount applies; None: as the fee")
    online_valid_until: date | None = Field(
        None, description="last day the online amount applies (inclusive), e.g. a reduction "
                          "'đến hết ngày 31/12/2025'; after it online dossiers pay the amount")
    legal_basis: str = Field("", description="the text setting the amount and its period, shown")
    internal_note: str = Field(
        "", description="for administrators only, never shown to the public: where the value "
                        "comes from, what could not be verified")

    @model_validator(mode="after")
    def _quantities(self) -> Fee:
        counted = self.unit in COUNTED_UNITS
        if (self.tiers or self.copies_field) and not counted:
            raise ValueError("bậc mức thu và trường số bản chỉ dùng cho phí tính theo bản "
                             "(per_copy) hoặc theo trang (per_page)")
        if (self.pages_field or self.cap_per_copy is not None) and self.unit != "per_page":
            raise ValueError("trường số trang và mức tối đa mỗi bản chỉ dùng cho phí tính theo "
                             "trang (per_page)")
        starts = [tier.from_ for tier in self.tiers]
        if starts != sorted(set(starts)):
            raise ValueError("các bậc mức thu phải theo thứ tự tăng dần, không trùng nhau")
        if self.tiers and self.online_amount not in (None, self.amount):
            raise ValueError("phí có bậc mức thu chưa hỗ trợ mức thu trực tuyến riêng")
        if self.amount_unknown and (self.amount or self.online_amount or self.tiers):
            raise ValueError("mức thu chưa công bố thì không ghi số tiền (amount 0, không bậc)")
        return self

    @model_validator(mode="after")
    def _periods(self) -> Fee:
        for start, end in ((self.valid_from, self.valid_until),
                           (self.online_valid_from, self.online_valid_until)):
            if start is not None and end is not None and end < start:
                raise ValueError("ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực")
        return self

    def copies_fields(self) -> tuple[str, ...]:
        """The form fields read, in order, for the number of copies."""
        if self.unit not in COUNTED_UNITS:
            return ()
        return (self.copies_field,) if self.copies_field else DEFAULT_COPIES_FIELDS

    def pages_fields(self) -> tuple[str, ...]:
        """The form fields read, in order, for the pages of one copy."""
        if self.unit != "per_page":
            return ()
        return (self.pages_field,) if self.pages_field else DEFAULT_PAGES_FIELDS

    def in_force(self, day: date) -> bool:
        """The fee row applies on ``day``."""
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_until is None or day <= self.valid_until))

    def online_amount_on(self, day: date | None) -> int | None:
        """The online amount in force on ``day`` (None: the online channel pays ``amount``).
        Without a day, only an online amount with no period of its own applies."""
        if self.online_amount is None:
            return None
        if day is None:
            dated = self.online_valid_from is not None or self.online_valid_until is not None
            return None if dated else self.online_amount
        if self.online_valid_from is not None and day < self.online_valid_from:
            return None
        if self.online_valid_until is not None and day > self.online_valid_until:
            return None
        return self.online_amount


class RequiredDocument(_Model):
    name: Text
    mandatory: bool = True
    condition: str = Field("", description="when a conditional document is needed, in words")
    required_when: Condition | None = Field(
        None, description="a mandatory document is required only when the form's answers meet "
                          "this condition (on the form's top-level fields); otherwise optional")
    copies: int = Field(1, ge=0)
    copy_type: CopyType = CopyType.UNSPECIFIED
    quantity_text: str = Field("", description="as published, e.g. '1 bản chính, 1 bản sao'")
    template: str = Field("", description="name or address of a downloadable template")
    note: str = ""
    store_document_types: list[str] = Field(
        default_factory=list,
        description="document types in the personal data store that can stand in for it",
    )


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    MONEY = "money"  # VND, whole đồng
    DATE = "date"
    SELECT = "select"
    MULTISELECT = "multiselect"
    CHECKBOX = "checkbox"
    PHONE = "phone"
    EMAIL = "email"
    ID_NUMBER = "id_number"  # CCCD, 12 digits
    TAX_CODE = "tax_code"  # mã số thuế: 10 digits, or 13 with a branch's suffix
    ADDRESS = "address"  # province → commune, and the street address
    FILE = "file"
    GROUP = "group"  # repeating group, e.g. family members


class ProfileKey(StrEnum):
    """What a form field is filled with from the applicant's account profile."""

    FULL_NAME = "full_name"
    ID_NUMBER = "id_number"  # CCCD
    DATE_OF_BIRTH = "date_of_birth"
    GENDER = "gender"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"  # by administrative unit + street


# The field types each profile value fits in (a text field takes any of them as words).
PREFILL_TYPES: dict[ProfileKey, set[FieldType]] = {
    ProfileKey.FULL_NAME: {FieldType.TEXT},
    ProfileKey.ID_NUMBER: {FieldType.ID_NUMBER, FieldType.TEXT},
    ProfileKey.DATE_OF_BIRTH: {FieldType.DATE, FieldType.TEXT},
    ProfileKey.GENDER: {FieldType.SELECT, FieldType.TEXT},
    ProfileKey.PHONE: {FieldType.PHONE, FieldType.TEXT},
    ProfileKey.EMAIL: {FieldType.EMAIL, FieldType.TEXT},
    ProfileKey.ADDRESS: {FieldType.ADDRESS, FieldType.TEXT, FieldType.TEXTAREA},
}


class Option(_Model):
    value: Text
    label: Text


class Condition(_Model):
    """Show a field (or require a document) only when the answers meet a test: one field (of
    the same group, or of the form) has a value — ``field`` with one of ``equals``, ``in``,
    ``filled`` — or several tests combined, ``all_of`` (every one holds) or ``any_of`` (at
    least one holds), without ``field``."""

    field: str = Field("", description="key of the field the test reads; empty for all_of/any_of")
    equals: str | bool | None = None
    in_: list[str] | None = Field(None, alias="in")
    filled: bool | None = Field(None, description="true: any value; false: empty")
    all_of: list[Condition] | None = Field(
        None, min_length=1, description="every one of these conditions holds")
    any_of: list[Condition] | None = Field(
        None, min_length=1, description="at least one of these conditions holds")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [self.equals is not None, self.in_ is not None, self.filled is not None,
                 self.all_of is not None, self.any_of is not None]
        if sum(tests) != 1:
            raise ValueError("điều kiện cần đúng một phép thử: equals, in, filled, all_of hoặc "
                             "any_of")
        combined = self.all_of is not None or self.any_of is not None
        if combined and self.field:
            raise ValueError("điều kiện kết hợp (all_of, any_of) không ghi khóa trường")
        if not combined and not self.field:
            raise ValueError("điều kiện cần khóa trường (field)")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler,
              info: SerializationInfo) -> dict:
        data = handler(self)
        if isinstance(data, dict):
            # Only the test used is written: a stored condition reads as it was entered.
            for key in ("all_of", "any_of"):
                if data.get(key) is None:
                    data.pop(key, None)
            if self.all_of is not None or self.any_of is not None:
                for key in ("field", "equals", "in", "in_", "filled"):
                    data.pop(key, None)
        return data

    def fields(self) -> set[str]:
        """The keys of every field the condition reads."""
        found = {self.field} if self.field else set()
        for part in (self.all_of or []) + (self.any_of or []):
            found |= part.fields()
        return found


class FormField(_Model):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    label: Text
    type: FieldType
    required: bool = False
    help: str = ""
    options: list[Option] = Field(default_factory=list)
    code_list: CodeList | None = Field(
        None, description="a shared code list (e.g. dan_toc: the 54 ethnic groups) the choices "
                          "come from instead of options; stored by name only")
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1)
    min_value: Decimal | None = Field(
        None, description="a number's least value; for a date, the earliest day as days from "
                          "the day of submission (-60: sixty days before)")
    max_value: Decimal | None = Field(
        None, description="a number's greatest value; for a date, the latest day as days from "
                          "the day of submission (0: not in the future)")
    pattern: str | None = None
    pattern_message: str = ""
    before_field: str | None = Field(
        None, description="a date field: its day must be before the day of this other date "
                          "field (same group, or of the form), e.g. a permit's start before "
                          "its end")
    after_field: str | None = Field(
        None, description="a date field: its day must be after the day of this other date "
                          "field")
    max_days_apart: int | None = Field(
        None, ge=1, description="with before_field/after_field: at most this many days between "
                                "the two days (e.g. 730: a renewal period of at most 2 years)")
    visible_when: Condition | None = None
    fields: list[FormField] = Field(default_factory=list, description="a group's own fields")
    min_items: int = Field(0, ge=0)
    max_items: int = Field(20, ge=1, le=200)
    prefill: ProfileKey | None = Field(
        None, description="filled in from the applicant's profile (the citizen's, also when an "
                          "agent files for them); the citizen can still change it")
    default: str = Field(
        "", description="the answer a new form starts with (a choice's value; 'true' for a "
                        "ticked box); a profile value, when given, wins; the citizen can change "
                        "it")
    section: str = Field(
        "", description="key of the form section (page) the field is on; empty: the first one. "
                        "Top-level fields only")

    @model_validator(mode="before")
    @classmethod
    def _code_list_options(cls, data: object) -> object:
        # A field on a shared list takes its choices from the list, so the list is one source.
        if isinstance(data, dict) and data.get("code_list"):
            if data.get("options"):
                raise ValueError(f"trường '{data.get('key')}' lấy lựa chọn từ danh mục "
                                 f"'{data['code_list']}': không ghi thêm danh sách lựa chọn")
            try:
                data = {**data, "options": code_list_options(CodeList(data["code_list"]))}
            except ValueError:
                raise ValueError(f"không có danh mục dùng chung '{data['code_list']}'") from None
        return data

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler,
              info: SerializationInfo) -> dict:
        data = handler(self)
        if self.code_list is not None and isinstance(data, dict):
            data.pop("options", None)  # the list's name stands for its choices
        return data

    @model_validator(mode="after")
    def _shape(self) -> FormField:
        if self.prefill is not None and self.type not in PREFILL_TYPES[self.prefill]:
            raise ValueError(f"trường '{self.key}' loại {self.type.value} không điền sẵn được "
                             f"{self.prefill.value} từ hồ sơ cá nhân")
        if self.type in (FieldType.SELECT, FieldType.MULTISELECT) and not self.options:
            raise ValueError(f"trường '{self.key}' cần danh sách lựa chọn")
        if self.type == FieldType.GROUP:
            if not self.fields:
                raise ValueError(f"nhóm '{self.key}' cần ít nhất một trường")
            if any(f.type == FieldType.GROUP for f in self.fields):
                raise ValueError(f"nhóm '{self.key}' không được chứa nhóm lồng nhau")
            if any(f.prefill for f in self.fields):
                raise ValueError(f"trường trong nhóm '{self.key}' không điền sẵn từ hồ sơ cá "
                                 "nhân (mỗi mục là một người khác)")
            if any(f.section for f in self.fields):
                raise ValueError(f"trường trong nhóm '{self.key}' nằm ở phần của nhóm, "
                                 "không ghi phần riêng")
            _unique_keys(self.fields, self.key)
        elif self.fields:
            raise ValueError(f"chỉ trường nhóm mới có trường con ('{self.key}')")
        if self.type == FieldType.DATE and any(
                v is not None and v != int(v) for v in (self.min_value, self.max_value)):
            raise ValueError(f"giới hạn ngày của '{self.key}' là số ngày nguyên")
        if (self.before_field or self.after_field or self.max_days_apart) \
                and self.type != FieldType.DATE:
            raise ValueError(f"chỉ trường ngày mới có quy tắc trước/sau trường khác "
                             f"('{self.key}')")
        if self.max_days_apart and not (self.before_field or self.after_field):
            raise ValueError(f"khoảng cách tối đa của '{self.key}' cần trường ngày so sánh "
                             "(before_field hoặc after_field)")
        if self.key in (self.before_field, self.after_field):
            raise ValueError(f"quy tắc ngày của '{self.key}' không được so với chính nó")
        if self.default:
            if self.type in (FieldType.GROUP, FieldType.ADDRESS, FieldType.FILE):
                raise ValueError(f"trường '{self.key}' loại {self.type.value} không có giá trị "
                                 "mặc định")
            if self.type in (FieldType.SELECT, FieldType.MULTISELECT) and \
                    self.default not in {o.value for o in self.options}:
                raise ValueError(f"giá trị mặc định của '{self.key}' không có trong danh sách "
                                 "lựa chọn")
            if self.type == FieldType.CHECKBOX and self.default != "true":
                raise ValueError(f"ô đánh dấu '{self.key}' chỉ có mặc định 'true' (đánh dấu)")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"mẫu kiểm tra của '{self.key}' không hợp lệ: {exc}") from exc
        return self


def _unique_keys(fields: list[FormField], where: str) -> None:
    seen: set[str] = set()
    for field in fields:
        if field.key in seen:
            raise ValueError(f"khóa trường '{field.key}' lặp lại trong {where}")
        seen.add(field.key)
    types = {field.key: field.type for field in fields}
    for field in fields:
        read = field.visible_when.fields() if field.visible_when else set()
        for key in sorted(read - seen):
            raise ValueError(f"điều kiện của '{field.key}' đọc trường '{key}' không có")
        if field.key in read:
            raise ValueError(f"điều kiện của '{field.key}' không được đọc chính nó")
        for other in (field.before_field, field.after_field):
            if other and types.get(other) != FieldType.DATE:
                raise ValueError(f"quy tắc ngày của '{field.key}' so với '{other}': không có "
                                 f"trường ngày này cùng cấp")


class FormSection(_Model):
    """A part of the citizen's form under its own heading: the citizen's form shows one section
    a page («Tiếp tục», «Quay lại»), in the order the sections are listed."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    title: Text = Field(description="the heading, e.g. 'Thông tin người yêu cầu'")
    hint: str = Field("", description="a sentence under the heading")


@dataclass(frozen=True)
class FormPage:
    """One page of the citizen's form: a section (None for a form without sections) and its
    top-level fields, in the form's order."""

    section: FormSection | None
    fields: list[FormField]

    @property
    def keys(self) -> set[str]:
        return {f.key for f in self.fields}


class StepKind(StrEnum):
    """What a step of the agency's internal path is; the state in which it holds the dossier
    follows (``workflow/routing.py:STATE_KINDS``)."""

    assign = "assign"  # phân công: the dossier received waits for a specialist
    process = "process"  # thẩm định, xử lý
    review = "review"  # xem xét, trình ký: the first of two approval levels
    approve = "approve"  # phê duyệt, ký
    issue = "issue"  # ban hành, trả kết quả (its role is the lifecycle's, not routed)

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = MappingProxyType({
    StepKind.assign: "Phân công",
    StepKind.process: "Thẩm định, xử lý",
    StepKind.review: "Xem xét, trình ký (cấp thứ nhất)",
    StepKind.approve: "Phê duyệt, ký",
    StepKind.issue: "Ban hành, trả kết quả",
})

# The lifecycle roles that may act in a routed step of each kind: the assignment picks one of the
# agency's specialists, so a leader (lãnh đạo phòng) or the agency's head does it; decisions are
# the leaders'; the issue step keeps the lifecycle's roles.
KIND_ROLES: Mapping[StepKind, frozenset[str]] = MappingProxyType({
    StepKind.assign: frozenset({"leader", "agency_head"}),
    StepKind.process: frozenset({"specialist", "leader"}),
    StepKind.review: frozenset({"leader", "agency_head"}),
    StepKind.approve: frozenset({"leader", "agency_head"}),
    StepKind.issue: frozenset({"specialist", "reception_officer", "clerk"}),
})


def path_problems(steps: Iterable[WorkflowStep]) -> list[str]:
    """What is wrong with the internal path the steps state, in Vietnamese; empty when fine."""
    problems = []
    seen: dict[str, int] = {}
    for number, step in enumerate(steps, 1):
        if not step.kind:
            continue
        kind = StepKind(step.kind)
        if step.agency:
            problems.append(f"bước {number}: bước chuyển sang cơ quan khác không mang loại "
                            f"bước «{kind.label}» của cơ quan giải quyết")
            continue
        if kind in seen and kind != StepKind.issue:
            problems.append(f"bước {number}: loại bước «{kind.label}» đã có ở bước "
                            f"{seen[kind]}")
        seen.setdefault(kind, number)
        if step.role not in KIND_ROLES[kind]:
            problems.append(f"bước {number}: vai trò '{step.role}' không thực hiện được bước "
                            f"«{kind.label}»")
    if StepKind.review in seen and StepKind.approve not in seen:
        problems.append("có bước xem xét (cấp phê duyệt thứ nhất) thì cần bước phê duyệt sau nó")
    elif StepKind.review in seen and seen[StepKind.review] > seen[StepKind.approve]:
        problems.append("bước xem xét phải đứng trước bước phê duyệt")
    return problems


class HandoverData(_Model):
    """What the receiving agency of a transfer step gets of the dossier: only these form fields
    and documents (need to know); the applicant's contacts, fees and the sender's notes never."""

    fields: list[str] = Field(default_factory=list, description="the form fields' keys")
    documents: list[str] = Field(default_factory=list,
                                 description="the required documents' names (attachments filed "
                                             "under them)")


class WorkflowStep(_Model):
    name: Text
    role: str = Field(description="role that performs the step, e.g. specialist, leader")
    share: Decimal = Field(gt=0, le=1, description="share of the processing time")
    agency: str | None = Field(None, description="another agency's code for a transfer step, or "
                               "«commune_police»: the police of the dossier's own commune")
    parallel: bool = Field(False, description="a transfer step done at the same time as the "
                                              "adjacent parallel ones: one transfer sends the "
                                              "dossier to all of them")
    kind: StepKind | None = Field(
        None, description="the step of the agency's internal path it is (assign, process, "
                          "review, approve, issue): only its role acts in the state that is its "
                          "step; a review step before the approve step makes two approval "
                          "levels; none: the step is known by its role and the path is the "
                          "default (the leader assigns and approves, the specialist processes)")
    handover_data: HandoverData | None = Field(
        None, description="a transfer step: the form fields and documents the receiving agency "
                          "gets; none: the whole form and every document")


# The step plan of a procedure that states no workflow (name, role, share of the processing
# time): the specialist examines, the leader decides, the one-stop desk hands the result over.
# The back office's step deadlines and the alert scan both read it.
DEFAULT_STEPS = (
    ("Thẩm định, xử lý hồ sơ", "specialist", Decimal("0.6")),
    ("Phê duyệt, ký kết quả", "leader", Decimal("0.3")),
    ("Ban hành, trả kết quả", "reception_officer", Decimal("0.1")),
)


class Result(_Model):
    name: Text
    document_type: str = ""
    validity: str = ""
    template: str = ""
    digital: bool = Field(True, description="issued by the platform as a signed PDF with a QR "
                                            "code; false for results made outside it (cards, "
                                            "paper forms)")
    civil_register: str = Field(
        "", description="the civil status register (sổ hộ tịch) the result is entered in, e.g. "
                        "'Sổ đăng ký khai sinh': it then carries «Số: <entry> Quyển số: <book>» "
                        "and fits on one page; empty: a civil status procedure (field 'Hộ tịch') "
                        "keeps one register per result name, any other none")
    holder_name_field: str = Field(
        "", description="key of the form field holding the name of whom the result is issued "
                        "to (a birth certificate: the child); empty, or that field empty or "
                        "gone from the form: the applicant")
    holder_id_field: str = Field(
        "", description="key of the form field holding the holder's ID number; with "
                        "holder_name_field empty, none is printed (not the applicant's)")


# What a result's template may name besides the form's fields: the issuing agency and the day
# of issue, and each date field in words («ghi bằng chữ», as civil status papers write it).
TEMPLATE_EXTRAS = ("_agency", "_issue_date")
CIVIL_STATUS_FIELD = "hộ tịch"  # the field of civil status procedures (lĩnh vực Hộ tịch)
DATE_IN_WORDS = "__chu"


def template_keys(form: list[dict]) -> list[str]:
    """The placeholders a result template of a procedure with this form (as JSON) may use."""
    keys = [item.get("key", "") for item in form]
    words = [f"{item.get('key', '')}{DATE_IN_WORDS}" for item in form
             if item.get("type") == FieldType.DATE.value]
    return [*keys, *words, *TEMPLATE_EXTRAS]


# The words a declaration's title starts with (Tờ khai đăng ký khai sinh, Tờ khai đề nghị …).
DECLARATION_PREFIX = "tờ khai"
DEFAULT_PLEDGE = ("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm "
                  "trước pháp luật về lời khai của mình.")


class Declaration(_Model):
    """The citizen's form as a paper: the official template's title and legal reference, the
    pledge and the signer's label. Empty values are derived from the rest of the definition
    (``ProcedureDefinition.declaration_title``)."""

    title: str = Field("", description="the template's title, e.g. 'Tờ khai đăng ký khai sinh'; "
                                       "empty: the procedure's document named «Tờ khai…», else "
                                       "«Tờ khai» and the procedure's name")
    template: str = Field("", description="the template's legal reference, printed on it, e.g. "
                                          "'Mẫu ban hành kèm theo Thông tư số 04/2020/TT-BTP'; "
                                          "empty: that document's template text")
    pledge: str = Field("", description="the sentence above the signature; empty: a general "
                                        "pledge that the content is true")
    signer: str = Field("", description="who signs, e.g. 'Người yêu cầu' (the default)")
    signed: bool = Field(False, description="the declaration must bear the applicant's "
                                            "signature: signed digitally before filing (Ký số "
                                            "tờ khai) or a scan of the hand-signed paper attached "
                                            "as the document named «Tờ khai…»")


class Source(_Model):
    name: str = ""
    url: str = ""
    note: str = Field("", description="for administrators only: what was checked against the "
                                      "source; never shown to the public")


def handover_data_problems(definition: ProcedureDefinition) -> list[str]:
    """What is wrong with the steps' ``handover_data``, in Vietnamese: only a transfer step
    shares, and only fields of the form and documents the procedure requires."""
    keys = {f.key for f in definition.form}
    documents = {d.name for d in definition.documents}
    problems = []
    for number, step in enumerate(definition.workflow, 1):
        if step.handover_data is None:
            continue
        if not step.agency:
            problems.append(f"bước {number}: chỉ bước chuyển sang cơ quan khác mới chọn dữ liệu "
                            "chuyển cho cơ quan nhận")
        problems += [f"bước {number}: trường '{key}' không có trong biểu mẫu"
                     for key in step.handover_data.fields if key not in keys]
        problems += [f"bước {number}: giấy tờ «{name}» không có trong thành phần hồ sơ"
                     for name in step.handover_data.documents if name not in documents]
    return problems


def share_total(steps: Iterable) -> Decimal:
    """The steps' shares of the time limit added up (each with ``share``, ``parallel``,
    ``agency``): parallel transfer steps run at the same time, so a group of adjacent ones counts
    once, with its largest share (the time the dossier waits for the slowest of them)."""
    total, group = Decimal(0), Decimal(0)
    for step in steps:
        if step.parallel and step.agency:
            group = max(group, step.share)
            continue
        total, group = total + group + step.share, Decimal(0)
    return total + group


class ProcedureDefinition(_Model):
    """A complete procedure version."""

    format: Literal["dichvucong.procedure/1"] = FORMAT
    code: Text = Field(description="national code d.dddddd, or a local code such as DNG.000123")
    name: Text
    field: Text = Field(description="lĩnh vực, e.g. 'Hộ tịch'")
    levels: list[Level] = Field(min_length=1)
    agency: str = Field("", description="implementing agency as published")
    authority: str = Field("", description="competent authority as published")
    ministry: str = ""
    procedure_type: str = ""
    applicant_types: list[str] = Field(default_factory=list)
    online_mode: OnlineMode = OnlineMode.NONE
    channels: list[ChannelOption] = Field(default_factory=list)
    processing: Processing = Field(default_factory=Processing)
    fees: list[Fee] = Field(default_factory=list)
    documents: list[RequiredDocument] = Field(default_factory=list)
    steps_text: str = Field("", description="trình tự thực hiện, as published")
    conditions: str = ""
    legal_basis: list[str] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    workflow: list[WorkflowStep] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list, description="the citizen's form")
    form_sections: list[FormSection] = Field(
        default_factory=list, description="the form's sections (pages), in order; a field names "
                                          "its own (none: the first)")
    declaration: Declaration = Field(default_factory=Declaration,
                                     description="the form as the official template's paper")
    reissue_from_store: bool = False
    presence_required: str = ""
    identity_level: int = Field(
        0, ge=0, le=2, description="the identity an online applicant's account must prove "
        "(accounts.assurance, Decree 69/2024/NĐ-CP): 0 any account, 1 a VNeID login, 2 a "
        "level-2 VNeID account")
    keywords: list[str] = Field(default_factory=list, description="words citizens use for it")
    announcing_decision: str = ""
    sources: list[Source] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not (NATIONAL_CODE.match(value) or LOCAL_CODE.match(value)):
            raise ValueError(
                f"mã thủ tục '{value}' không đúng dạng d.dddddd (ví dụ 1.001193) hoặc mã địa phương"
            )
        return value

    @field_validator("name")
    @classmethod
    def _single_line_name(cls, value: str) -> str:
        # Some national records carry line breaks inside names.
        return " ".join(value.split())

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, value: list[Level]) -> list[Level]:
        return sorted(set(value), key=list(Level).index)

    @model_validator(mode="after")
    def _form_keys(self) -> ProcedureDefinition:
        _unique_keys(self.form, "biểu mẫu")
        keys = {field.key for field in self.form}
        for document in self.documents:
            if document.required_when is not None:
                for key in sorted(document.required_when.fields() - keys):
                    raise ValueError(f"giấy tờ «{document.name}» cần khi trường '{key}' "
                                     "không có trong biểu mẫu")
        for result in self.results:
            if result.holder_id_field and not result.holder_name_field:
                raise ValueError(f"kết quả «{result.name}»: trường số định danh người được "
                                 "cấp cần đi cùng trường họ tên")
        return self

    @model_validator(mode="after")
    def _sections(self) -> ProcedureDefinition:
        keys = [section.key for section in self.form_sections]
        if len(keys) != len(set(keys)):
            raise ValueError("khóa phần (trang) của biểu mẫu lặp lại")
        for field in self.form:
            if field.section and field.section not in keys:
                raise ValueError(f"trường '{field.key}' nằm ở phần '{field.section}' không có "
                                 "trong các phần của biểu mẫu")
        return self

    def form_pages(self) -> list[FormPage]:
        """The citizen's form page by page: one per section that has fields (a field naming no
        section is on the first), or the whole form as one page."""
        if not self.form_sections:
            return [FormPage(None, list(self.form))]
        first = self.form_sections[0].key
        pages = [FormPage(section, [f for f in self.form if (f.section or first) == section.key])
                 for section in self.form_sections]
        return [page for page in pages if page.fields] or [FormPage(None, list(self.form))]

    @model_validator(mode="after")
    def _fee_fields(self) -> ProcedureDefinition:
        # A declared quantity field must be one the citizen fills in (top level: a group's
        # answers are lists); a definition without a form (national data) declares none.
        keys = {f.key for f in self.form}
        for fee in self.fees:
            for key in (fee.copies_field, fee.pages_field):
                if key and key not in keys:
                    raise ValueError(f"phí «{fee.name or 'Phí, lệ phí'}» đếm theo trường '{key}' "
                                     "không có trong biểu mẫu")
        return self

    @model_validator(mode="after")
    def _workflow_shares(self) -> ProcedureDefinition:
        for problem in path_problems(self.workflow):
            raise ValueError(f"quy trình xử lý: {problem}")
        for problem in handover_data_problems(self):
            raise ValueError(f"quy trình xử lý: {problem}")
        if self.workflow:
            total = share_total(self.workflow)
            if abs(total - 1) > Decimal("0.001"):
                raise ValueError(f"tổng tỷ lệ thời gian các bước phải bằng 1, đang là {total}")
        return self

    def channel(self, channel: Channel) -> ChannelOption | None:
        return next((c for c in self.channels if c.channel == channel), None)

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def declaration_document(self) -> RequiredDocument | None:
        """The required document that is the declaration (named «Tờ khai…»), if listed."""
        return next((doc for doc in self.documents
                     if doc.name.lower().startswith(DECLARATION_PREFIX)), None)

    def declaration_title(self) -> str:
        document = self.declaration_document()
        if self.declaration.title:
            return self.declaration.title
        if document is not None:
            return document.name
        return f"Tờ khai {self.name[:1].lower()}{self.name[1:]}"

    def declaration_reference(self) -> str:
        document = self.declaration_document()
        return self.declaration.template or (document.template if document else "")

    def register_of(self, result: Result) -> str:
        """The civil status register a result is entered in ('' when none)."""
        if result.civil_register:
            return result.civil_register
        return result.name if self.field.strip().lower() == CIVIL_STATUS_FIELD else ""

    def fees_on(self, day: date | None) -> list[Fee]:
        """The fee rows in force on ``day`` (all of them when no day is given)."""
        return [fee for fee in self.fees if day is None or fee.in_force(day)]

    def public_json(self) -> dict:
        """The definition as the public sees it: without the administrators' notes."""
        return public_json(self.to_json())


# Fields that hold notes for administrators (data provenance, what is unverified).
INTERNAL_FIELDS = {"fees": ("internal_note",), "sources": ("note",)}


def public_json(data: dict) -> dict:
    """A definition's JSON (as stored) without the administrators' notes."""
    public = dict(data)
    for section, keys in INTERNAL_FIELDS.items():
        if isinstance(public.get(section), list):
            public[section] = [{k: v for k, v in item.items() if k not in keys}
                               if isinstance(item, dict) else item
                               for item in public[section]]
    return public


def json_schema() -> dict:
    schema = ProcedureDefinition.model_json_schema()
    schema["$id"] = "https://dichvucong.example/schemas/procedure-1.json"
    schema["title"] = "dichvucong procedure definition, format 1"
    return schema
