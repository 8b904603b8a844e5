"""The service designer's editor: one Django form or formset per section of a procedure
definition.

Each section reads its initial values from a definition dict (``initial_from``) and writes its
cleaned data back into a copy of that dict (``apply``); the view then hands the whole dict to
``versions.save_draft``, which validates it with pydantic. ``apply`` returns ``Placement``s that
say which form (row) a pydantic error location belongs to, so that errors land next to what the
designer typed.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any, ClassVar

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from dichvucong.accounts.assurance import LEVEL_LABELS
from dichvucong.accounts.models import Role
from dichvucong.agencies.models import Agency
from dichvucong.catalog import resulttemplate
from dichvucong.catalog.codelists import CODE_LISTS
from dichvucong.catalog.definition import (
    PREFILL_TYPES,
    TEMPLATE_EXTRAS,
    Channel,
    Condition,
    CopyType,
    FeeExemption,
    FieldType,
    Level,
    OnlineMode,
    ProfileKey,
    TimeUnit,
    path_problems,
    share_total,
    template_keys,
)
from dichvucong.catalog.models import Field
from dichvucong.catalog.presenters import CHANNEL_LABELS, COPY_TYPE_LABELS
from dichvucong.core.numbers import NumberFormatError, parse_money, parse_number
from dichvucong.core.text import NAME_MAX, slugify_vi

MAX_ROWS = 100
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

LEVEL_CHOICES = [(Level.PROVINCE.value, _("Cấp tỉnh")), (Level.COMMUNE.value, _("Cấp xã"))]
ONLINE_MODE_CHOICES = [
    (OnlineMode.FULL.value, _("Trực tuyến toàn trình")),
    (OnlineMode.PARTIAL.value, _("Trực tuyến một phần")),
    (OnlineMode.NONE.value, _("Không trực tuyến (nộp trực tiếp hoặc qua bưu chính)")),
]
CHANNEL_CHOICES = [(c.value, _(CHANNEL_LABELS[c])) for c in Channel]
TIME_UNIT_CHOICES = [
    (TimeUnit.WORKING_DAYS.value, _("Ngày làm việc")),
    (TimeUnit.DAYS.value, _("Ngày (kể cả ngày nghỉ)")),
    (TimeUnit.HOURS.value, _("Giờ làm việc")),
    (TimeUnit.MONTHS.value, _("Tháng")),
    (TimeUnit.UNSTATED.value, _("Không ghi đơn vị")),
]
COPY_TYPE_CHOICES = [
    (c.value, _(COPY_TYPE_LABELS[c]) if COPY_TYPE_LABELS[c] else _("Không ghi rõ"))
    for c in CopyType
]
FEE_UNIT_CHOICES = [
    ("per_dossier", _("mỗi hồ sơ")),
    ("per_copy", _("mỗi bản")),
    ("per_page", _("mỗi trang")),
]
COLLECT_AT_CHOICES = [
    ("submission", _("Khi nộp hồ sơ")),
    ("reception", _("Khi hồ sơ được tiếp nhận")),
    ("return", _("Trước khi nhận kết quả")),
]
# The applicant types a dossier records (dossiers.models.ApplicantType); repeated here because
# the catalogue sits below the dossiers app.
APPLICANT_TYPE_CHOICES = [
    ("citizen", _("Công dân")),
    ("enterprise", _("Doanh nghiệp")),
    ("household_business", _("Hộ kinh doanh")),
]
EXEMPTION_TEST_CHOICES = [
    ("", _("— Không xét trường nào —")),
    ("equals", _("bằng giá trị")),
    ("in", _("là một trong các giá trị")),
    ("checked", _("được đánh dấu")),
    ("unchecked", _("không được đánh dấu")),
    ("within_days", _("là ngày trước ngày nộp không quá số ngày")),
]
EXEMPTION_PARTS = ["reason", "applicant_types", "field", "test", "value"]
MAX_EXEMPTIONS = 20
FIELD_TYPE_CHOICES = [
    (FieldType.TEXT.value, _("Chữ, một dòng")),
    (FieldType.TEXTAREA.value, _("Đoạn văn")),
    (FieldType.NUMBER.value, _("Số")),
    (FieldType.MONEY.value, _("Số tiền (đồng)")),
    (FieldType.DATE.value, _("Ngày")),
    (FieldType.SELECT.value, _("Chọn một trong danh sách")),
    (FieldType.MULTISELECT.value, _("Chọn nhiều trong danh sách")),
    (FieldType.CHECKBOX.value, _("Ô đánh dấu")),
    (FieldType.PHONE.value, _("Số điện thoại")),
    (FieldType.EMAIL.value, _("Thư điện tử")),
    (FieldType.ID_NUMBER.value, _("Số định danh cá nhân (CCCD)")),
    (FieldType.TAX_CODE.value, _("Mã số thuế")),
    (FieldType.ADDRESS.value, _("Địa chỉ")),
    (FieldType.FILE.value, _("Tệp đính kèm")),
    (FieldType.GROUP.value, _("Nhóm lặp lại (ví dụ thành viên gia đình)")),
]
PREFILL_CHOICES = [
    ("", _("— Không điền sẵn —")),
    (ProfileKey.FULL_NAME.value, _("Họ và tên")),
    (ProfileKey.ID_NUMBER.value, _("Số định danh cá nhân (CCCD)")),
    (ProfileKey.DATE_OF_BIRTH.value, _("Ngày sinh")),
    (ProfileKey.GENDER.value, _("Giới tính")),
    (ProfileKey.PHONE.value, _("Số điện thoại")),
    (ProfileKey.EMAIL.value, _("Thư điện tử")),
    (ProfileKey.ADDRESS.value, _("Địa chỉ")),
]
OPERATOR_CHOICES = [
    ("", _("— Luôn hiện —")),
    ("equals", _("bằng giá trị")),
    ("in", _("là một trong các giá trị")),
    ("filled", _("đã được khai (hoặc chưa, nếu ghi «không»)")),
]
WORKFLOW_ROLES = [Role.RECEPTION_OFFICER, Role.SPECIALIST, Role.LEADER, Role.AGENCY_HEAD]
ROLE_CHOICES = [(r.value, r.label) for r in WORKFLOW_ROLES]
# The step of the agency's internal path a workflow row is (catalog/definition.py:StepKind).
STEP_KIND_CHOICES = [
    ("", _("Theo người thực hiện (quy trình mặc định)")),
    ("assign", _("Phân công")),
    ("process", _("Thẩm định, xử lý")),
    ("review", _("Xem xét, trình ký (cấp phê duyệt thứ nhất)")),
    ("approve", _("Phê duyệt, ký")),
    ("issue", _("Ban hành, trả kết quả")),
]

TRUE_WORDS = {"true", "on", "1", "yes", "co", "có", "x"}
FALSE_WORDS = {"false", "off", "0", "no", "khong", "không"}


# --- helpers --------------------------------------------------------------------------------------

def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def join_lines(items: list[str] | None) -> str:
    return "\n".join(items or [])


def parse_values(text: str) -> list[str]:
    """Values separated by commas; a value that holds a comma is written in double quotes
    («"Hà Nội, Việt Nam", B1»), as a spreadsheet writes it."""
    try:
        row = next(csv.reader([text], skipinitialspace=True), [])
    except csv.Error as exc:
        raise forms.ValidationError(_("Danh sách giá trị không đọc được: %(error)s"),
                                    params={"error": exc}) from exc
    return [value.strip() for value in row if value.strip()]


def show_values(values: list[str]) -> str:
    """The inverse of ``parse_values``: quotes only the values that need it."""
    return ", ".join('"' + v.replace('"', '""') + '"' if ("," in v or '"' in v) else v
                     for v in values)


class ConditionField(forms.CharField):
    """A condition as the definition writes it (JSON), for what the one-field columns cannot
    say: several answers combined (``all_of``, ``any_of``), or a document's ``required_when``.
    Cleans to the condition's JSON (a dict) or None."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", _textarea(3))
        kwargs["widget"].attrs.setdefault("spellcheck", "false")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dict | None:
        text = super().clean(value).strip()
        if not text:
            return None
        try:
            data = json.loads(text)
            return Condition.model_validate(data).model_dump(mode="json", by_alias=True)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Điều kiện không phải JSON hợp lệ: %(error)s"),
                                        params={"error": exc.msg}) from exc
        except PydanticValidationError as exc:
            raise forms.ValidationError(
                "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            ) from exc


def show_condition(condition: dict | None) -> str:
    return json.dumps(condition, ensure_ascii=False) if condition else ""


CONDITION_HELP = _('JSON, ví dụ {"all_of": [{"field": "co_cha", "equals": true}, {"field": '
                   '"hang", "in": ["B", "C1"]}]} (tất cả đều đúng) hoặc "any_of" (một trong '
                   'các điều kiện); mỗi điều kiện đơn: "field" và một trong "equals", "in", '
                   '"filled".')


def show_number(value: Any) -> str:
    """'0.5' → '0,5', as Vietnamese writes it; '' for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}".replace(".", ",")


def parse_options(text: str) -> list[dict[str, str]]:
    """Option lines, ``value|label`` or just ``label`` (the value is then the label's slug)."""
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for line in lines(text):
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        else:
            value, label = slugify_vi(line), line
        if not value or not label:
            raise forms.ValidationError(
                _("Dòng lựa chọn «%(line)s» cần cả giá trị và nhãn."), params={"line": line})
        if value in seen:
            raise forms.ValidationError(
                _("Giá trị lựa chọn «%(value)s» bị lặp lại."), params={"value": value})
        seen.add(value)
        options.append({"value": value, "label": label})
    return options


def show_options(options: list[dict] | None) -> str:
    shown = []
    for option in options or []:
        value, label = option.get("value", ""), option.get("label", "")
        shown.append(label if value == slugify_vi(label) else f"{value}|{label}")
    return "\n".join(shown)


def _truth(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def canonical_field_name(value: str) -> str:
    """An existing field's name when ``value`` is it in other letter case or spacing, so that
    "hộ tịch" files the procedure under "Hộ tịch" instead of creating a second field."""
    value = " ".join(value.split())
    wanted = value.casefold()
    for name in Field.objects.values_list("name", flat=True):
        if name.casefold() == wanted:
            return name
    return value


class FieldNameMixin(forms.Form):
    def clean_field(self) -> str:
        return canonical_field_name(self.cleaned_data["field"])


class MoneyField(forms.IntegerField):
    """Whole đồng; accepts 135.000, 135,000, 135 000 and a trailing đ."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        # As the form engine and the cash desk read money (core/numbers.py).
        if isinstance(value, str) and value.strip():
            try:
                value = parse_money(value, label=str(self.label or _("Số tiền")))
            except NumberFormatError as exc:
                raise forms.ValidationError(str(exc), code="invalid") from exc
        return super().to_python(value)


class NumberField(forms.DecimalField):
    """A decimal number written with a comma or a dot."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        # Vietnamese writing, as the form engine reads it: 1.850 is 1850, 0,5 a half.
        if isinstance(value, str) and value.strip():
            try:
                value = parse_number(value, label=str(self.label or _("Giá trị")))
            except NumberFormatError as exc:
                raise forms.ValidationError(str(exc), code="invalid") from exc
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        return show_number(value) if isinstance(value, Decimal) else value


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _date_input() -> forms.DateInput:
    # The browser's date picker posts and reads ISO dates whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


@dataclass
class Placement:
    """Pydantic errors whose location starts with ``loc`` belong to ``form``; ``fields`` maps the
    definition's keys under ``loc`` to the form's field names."""

    loc: tuple
    form: forms.Form | None
    fields: dict[str, str] = field(default_factory=dict)


class SectionInvalid(Exception):
    """``apply`` found a problem it attached to the forms."""


class DesignerForm(forms.Form):
    main: ClassVar[list[str] | None] = None  # the fields shown first (None: all the others)
    more: ClassVar[list[tuple[Any, list[str]]]] = []  # collapsible parts: (summary, fields)

    def main_fields(self) -> list[forms.BoundField]:
        tucked = {name for _, names in self.more for name in names}
        names = self.main if self.main is not None else [n for n in self.fields
                                                          if n not in tucked]
        shown = [self[n] for n in names if n in self.fields and not self[n].is_hidden]
        if "DELETE" in self.fields:
            shown.append(self["DELETE"])
        return shown

    def more_parts(self) -> list[dict[str, Any]]:
        """The collapsible parts, open when something in them is filled in or wrong."""
        parts = []
        for summary, names in self.more:
            fields = [self[n] for n in names if n in self.fields]
            is_open = any(self.errors.get(n) for n in names) or any(
                f.value() not in (None, "", False) for f in fields)
            parts.append({"summary": summary, "fields": fields, "open": is_open})
        return parts

    def row_title(self) -> str:
        return str(self.initial.get("name") or self.initial.get("key") or "")


# --- creating a procedure -------------------------------------------------------------------------

class OwnerChoiceMixin:
    """An ``owner`` field shown only to a designer of several agencies; otherwise their one
    agency is the owner."""

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = list(agencies)
        if len(self.agencies) > 1:
            self.fields["owner"].queryset = agencies
        else:
            del self.fields["owner"]

    def chosen_owner(self) -> Agency:
        return self.cleaned_data.get("owner") or self.agencies[0]


class CreateProcedureForm(OwnerChoiceMixin, FieldNameMixin, DesignerForm):
    name = forms.CharField(label=_("Tên thủ tục"), max_length=NAME_MAX)
    field = forms.CharField(
        label=_("Lĩnh vực"), max_length=200,
        help_text=_("Chọn một lĩnh vực có sẵn hoặc gõ tên lĩnh vực mới."),
        widget=forms.TextInput(attrs={"list": "designer-field-names", "autocomplete": "off"}),
    )
    level = forms.ChoiceField(label=_("Cấp thực hiện"), choices=LEVEL_CHOICES,
                              widget=forms.RadioSelect, initial=Level.PROVINCE.value)
    owner = forms.ModelChoiceField(label=_("Cơ quan quản lý thủ tục"),
                                   queryset=Agency.objects.none())




class ImportForm(OwnerChoiceMixin, DesignerForm):
    MAX_BYTES = 2 * 1024 * 1024

    file = forms.FileField(
        label=_("Tệp định nghĩa thủ tục (JSON)"),
        help_text=_("Tệp xuất từ trang thiết kế, định dạng dichvucong.procedure/1."),
        widget=forms.FileInput(attrs={"accept": ".json,application/json"}),
    )
    owner = forms.ModelChoiceField(
        label=_("Cơ quan quản lý (với thủ tục mới)"), queryset=Agency.objects.none())


    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa 2 MB)."))
        return upload



# --- single-form sections -------------------------------------------------------------------------

class GeneralForm(FieldNameMixin, DesignerForm):
    name = forms.CharField(label=_("Tên thủ tục"), max_length=NAME_MAX)
    field = forms.CharField(
        label=_("Lĩnh vực"), max_length=200,
        help_text=_("Chọn một lĩnh vực có sẵn hoặc gõ tên lĩnh vực mới."),
        widget=forms.TextInput(attrs={"list": "designer-field-names", "autocomplete": "off"}),
    )
    levels = forms.MultipleChoiceField(label=_("Cấp thực hiện"), choices=LEVEL_CHOICES,
                                       widget=forms.CheckboxSelectMultiple)
    online_mode = forms.ChoiceField(label=_("Mức độ trực tuyến"), choices=ONLINE_MODE_CHOICES,
                                    widget=forms.RadioSelect)
    channels = forms.MultipleChoiceField(label=_("Hình thức nộp hồ sơ"), choices=CHANNEL_CHOICES,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    applicant_types = forms.CharField(
        label=_("Đối tượng thực hiện"), required=False, widget=_textarea(2),
        help_text=_("Mỗi dòng một đối tượng, ví dụ: Công dân Việt Nam."))
    conditions = forms.CharField(label=_("Điều kiện thực hiện"), required=False,
                                 widget=_textarea())
    steps_text = forms.CharField(label=_("Trình tự thực hiện"), required=False,
                                 widget=_textarea(5))
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý"), required=False, widget=_textarea(),
        help_text=_("Mỗi dòng một văn bản."))
    presence_required = forms.CharField(
        label=_("Yêu cầu có mặt"), required=False, widget=_textarea(2),
        help_text=_("Khi nào người dân phải đến trực tiếp, nếu có."))
    identity_level = forms.TypedChoiceField(
        label=_("Danh tính người nộp trực tuyến"), coerce=int, initial=0, required=False,
        empty_value=0,
        choices=[(level, label) for level, label in LEVEL_LABELS.items()],
        help_text=_("Nghị định 69/2024/NĐ-CP: tài khoản định danh điện tử mức 1 hoặc mức 2 "
                    "(VNeID). Tại bộ phận một cửa, người nộp xuất trình thẻ căn cước."))
    signed_declaration = forms.BooleanField(
        label=_("Tờ khai phải có chữ ký của người khai"), required=False,
        help_text=_("Người nộp trực tuyến ký số tờ khai (chữ ký số từ xa) hoặc đính kèm bản chụp "
                    "tờ khai đã ký tay (giấy tờ tên «Tờ khai…»)."))
    keywords = forms.CharField(
        label=_("Từ người dân hay dùng để tìm"), required=False, widget=_textarea(2),
        help_text=_("Mỗi dòng một từ hoặc cụm từ, ví dụ: giấy khai sinh."))

    TEXT_KEYS: ClassVar[list[str]] = ["name", "field", "online_mode", "conditions", "steps_text",
                                      "presence_required"]
    LIST_KEYS: ClassVar[list[str]] = ["applicant_types", "legal_basis", "keywords"]

    @classmethod
    def initial_from(cls, definition: dict) -> dict:
        initial = {key: definition.get(key) or "" for key in cls.TEXT_KEYS}
        initial["online_mode"] = definition.get("online_mode") or OnlineMode.NONE.value
        initial["levels"] = list(definition.get("levels") or [])
        initial["identity_level"] = definition.get("identity_level") or 0
        initial["signed_declaration"] = bool((definition.get("declaration") or {}).get("signed"))
        initial["channels"] = [c.get("channel") for c in definition.get("channels") or []]
        for key in cls.LIST_KEYS:
            initial[key] = join_lines(definition.get(key))
        return initial

    def clean(self) -> dict:
        data = super().clean()
        mode, channels = data.get("online_mode"), data.get("channels") or []
        if mode and mode != OnlineMode.NONE and Channel.ONLINE not in channels:
            self.add_error("channels", _("Dịch vụ trực tuyến cần có hình thức nộp trực tuyến."))
        if mode == OnlineMode.NONE and Channel.ONLINE in channels:
            self.add_error("channels", _("Thủ tục không trực tuyến thì không nhận hồ sơ trực "
                                         "tuyến; hãy đổi mức độ trực tuyến."))
        if "online_mode" in data and "channels" in data and not channels:
            self.add_error("channels", _("Cần ít nhất một hình thức nộp hồ sơ."))
        return data

    def apply(self, definition: dict) -> list[Placement]:
        data = self.cleaned_data
        for key in self.TEXT_KEYS:
            definition[key] = data[key]
        definition["levels"] = data["levels"]
        if data["identity_level"] or "identity_level" in definition:  # a default stays unsaid
            definition["identity_level"] = data["identity_level"]
        if data["signed_declaration"] or "declaration" in definition:
            definition.setdefault("declaration", {})["signed"] = data["signed_declaration"]
        for key in self.LIST_KEYS:
            definition[key] = lines(data[key])
        chosen = data["channels"]
        kept = [c for c in definition.get("channels") or [] if c.get("channel") in chosen]
        have = {c.get("channel") for c in kept}
        definition["channels"] = kept + [{"channel": c.value} for c in Channel
                                         if c.value in chosen and c.value not in have]
        names = {key: key for key in self.fields}
        return [Placement((), self, names)]


class ProcessingForm(DesignerForm):
    time_value = NumberField(label=_("Thời hạn giải quyết"), required=False, min_value=0,
                             max_digits=8, decimal_places=2)
    unit = forms.ChoiceField(label=_("Đơn vị thời gian"), choices=TIME_UNIT_CHOICES,
                             initial=TimeUnit.WORKING_DAYS.value)
    online_value = NumberField(
        label=_("Thời hạn khi nộp trực tuyến"), required=False, min_value=0, max_digits=8,
        decimal_places=2,
        help_text=_("Để trống nếu như nộp trực tiếp. Đà Nẵng giảm đến 50% cho hồ sơ trực "
                    "tuyến."))
    online_unit = forms.ChoiceField(
        label=_("Đơn vị thời hạn trực tuyến"), choices=TIME_UNIT_CHOICES,
        initial=TimeUnit.WORKING_DAYS.value, required=False,
        help_text=_("Thường giống đơn vị thời hạn giải quyết; có thể ghi theo giờ."))
    same_day = forms.BooleanField(label=_("Giải quyết trong ngày"), required=False)
    cutoff = forms.CharField(
        label=_("Giờ tiếp nhận cuối trong ngày"), required=False, max_length=5,
        validators=[RegexValidator(CUTOFF, _("Ghi giờ theo dạng giờ:phút, ví dụ 15:00."))],
        help_text=_("Hồ sơ nhận sau giờ này được tính thời hạn từ ngày làm việc tiếp theo "
                    "(thủ tục trong ngày: trả vào ngày làm việc tiếp theo). Ví dụ 15:00. Để "
                    "trống nếu thủ tục không quy định."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A limit the national catalogue gives only as text ("Theo quy định") is kept as long
        # as no number is entered.
        self.published_text = self.initial.get("published_text", "")
        if self.published_text:
            self.fields["time_value"].help_text = _("Cổng quốc gia ghi: «%(text)s». Nhập số "
                                                    "ngày để thay.") % {
                                                        "text": self.published_text}

    @classmethod
    def initial_from(cls, definition: dict) -> dict:
        processing = definition.get("processing") or {}
        limit = processing.get("time_limit") or {}
        online = processing.get("online_time_limit") or {}
        return {
            "time_value": show_number(limit.get("value")),
            "unit": limit.get("unit") or TimeUnit.WORKING_DAYS.value,
            "online_value": show_number(online.get("value")),
            "online_unit": online.get("unit") or limit.get("unit") or TimeUnit.WORKING_DAYS.value,
            "same_day": bool(processing.get("same_day")),
            "cutoff": processing.get("cutoff") or "",
            "published_text": limit.get("text", "") if limit.get("value") is None else "",
        }

    def clean(self) -> dict:
        data = super().clean()
        value, online = data.get("time_value"), data.get("online_value")
        if value is None and not data.get("same_day") and "time_value" not in self.errors \
                and not self.published_text:
            self.add_error("time_value", _("Cần nhập thời hạn giải quyết, hoặc chọn giải quyết "
                                           "trong ngày."))
        if online is not None and value is None and "time_value" not in self.errors:
            self.add_error("online_value", _("Cần có thời hạn giải quyết chung trước."))
        elif online is not None and value is not None and online > value \
                and (data.get("online_unit") or data.get("unit")) == data.get("unit"):
            self.add_error("online_value", _("Thời hạn trực tuyến không được dài hơn thời hạn "
                                             "nộp trực tiếp."))
        return data

    def apply(self, definition: dict) -> list[Placement]:
        data = self.cleaned_data
        old = definition.get("processing") or {}

        def limit(value: Decimal | None, unit: str, before: dict | None) -> dict | None:
            before = before or {}
            if value is None:
                # A limit the catalogue gives only as words ("Theo quy định") has no number to
                # show in the box; it stays as long as no number is typed over it.
                return before if before and before.get("value") is None else None
            same = (before.get("unit") == unit and before.get("value") is not None
                    and Decimal(str(before["value"])) == value)
            if same:  # as it was, also "120.000" that the box shows as 120
                return {"value": before["value"], "unit": unit, "text": before.get("text", "")}
            return {"value": value, "unit": unit, "text": ""}

        definition["processing"] = {
            "time_limit": limit(data["time_value"], data["unit"], old.get("time_limit")),
            "online_time_limit": limit(data["online_value"],
                                       data["online_unit"] or data["unit"],
                                       old.get("online_time_limit")),
            "same_day": data["same_day"],
            "cutoff": data["cutoff"] or None,
        }
        return [
            Placement(("processing", "time_limit"), self, {"value": "time_value",
                                                            "unit": "unit"}),
            Placement(("processing", "online_time_limit"), self, {"value": "online_value",
                                                                   "unit": "online_unit"}),
            Placement(("processing",), self, {"same_day": "same_day", "cutoff": "cutoff"}),
        ]


class ResultForm(DesignerForm):
    name = forms.CharField(label=_("Tên kết quả"), max_length=NAME_MAX,
                           help_text=_("Ví dụ: Giấy xác nhận tình trạng hôn nhân."))
    document_type = forms.CharField(label=_("Loại giấy tờ"), max_length=200, required=False,
                                    help_text=_("Loại giấy tờ trong kho dữ liệu cá nhân, nếu có."))
    validity = forms.CharField(label=_("Thời hạn hiệu lực"), max_length=200, required=False,
                               help_text=_("Ví dụ: 6 tháng kể từ ngày cấp."))
    template = forms.CharField(
        label=_("Mẫu nội dung kết quả"), required=False, widget=_textarea(6),
        help_text=_("{{ khóa }}: giá trị trường tờ khai; {{ khóa__chu }}: ngày ghi bằng chữ; "
                    "{{ _agency }}, {{ _issue_date }}: cơ quan cấp, ngày cấp. Dòng bắt đầu "
                    "bằng «# » là tiêu đề mục. Các dòng giữa {{#nhóm}} và {{/nhóm}} (mỗi "
                    "thẻ một dòng) được ghi cho từng mục của nhóm lặp lại, với các trường của "
                    "nhóm và {{_n}} là số thứ tự. Dòng có mọi giá trị đều trống được bỏ đi."))
    digital = forms.BooleanField(
        label=_("Hệ thống ban hành kết quả điện tử (ký số, có mã QR)"), required=False,
        initial=True, help_text=_("Bỏ chọn khi kết quả được làm ngoài hệ thống (thẻ, phôi "
                                  "giấy…): cán bộ tải tệp kết quả lên."))
    civil_register = forms.CharField(
        label=_("Sổ hộ tịch"), max_length=200, required=False,
        help_text=_("Ví dụ: Sổ đăng ký khai sinh. Kết quả ghi «Số: … Quyển số: …» của sổ và "
                    "in trên một trang. Để trống: thủ tục lĩnh vực Hộ tịch dùng một sổ theo "
                    "tên kết quả, thủ tục khác không ghi sổ."))

    holder_name_field = forms.CharField(
        label=_("Cấp cho người có họ tên ở trường (khóa)"), max_length=63, required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa trường không hợp lệ."))],
        help_text=_("Ví dụ tre_ho_ten: giấy khai sinh cấp cho trẻ. Để trống: cấp cho người "
                    "nộp hồ sơ."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    holder_id_field = forms.CharField(
        label=_("Số định danh của người được cấp ở trường (khóa)"), max_length=63,
        required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa trường không hợp lệ."))],
        help_text=_("Để trống khi người được cấp không phải người nộp và biểu mẫu không có số "
                    "định danh của họ: kết quả không ghi số định danh."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    TEXT_KEYS: ClassVar[tuple[str, ...]] = (
        "name", "document_type", "validity", "template", "civil_register", "holder_name_field",
        "holder_id_field")
    main = ["name", "document_type", "validity", "template", "digital", "civil_register",
            "holder_name_field", "holder_id_field"]

    def __init__(self, *args: Any, keys: list[str] | None = None,
                 groups: dict[str, list[str]] | None = None, fields: list[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys or []
        self.groups = groups or {}
        self.form_fields = fields if fields is not None else self.keys

    @classmethod
    def row_initial(cls, result: dict) -> dict:
        return {**{name: result.get(name, "") for name in cls.TEXT_KEYS},
                "digital": result.get("digital", True)}

    def clean_template(self) -> str:
        text = self.cleaned_data["template"]
        problems = resulttemplate.problems(text, self.keys, self.groups)
        if problems:
            raise forms.ValidationError([f"{problem}." for problem in problems])
        return text

    def clean(self) -> dict:
        data = super().clean()
        for name in ("holder_name_field", "holder_id_field"):
            key = data.get(name)
            if key and key not in self.form_fields:
                self.add_error(name, _("Biểu mẫu không có trường «%(key)s».") % {"key": key})
        if data.get("holder_id_field") and not data.get("holder_name_field"):
            self.add_error("holder_name_field", _("Cần trường họ tên của người được cấp."))
        return data

    def to_item(self) -> dict:
        return {name: self.cleaned_data[name] for name in (*self.TEXT_KEYS, "digital")}


# --- row sections ---------------------------------------------------------------------------------

class PositionMixin(forms.Form):
    position = forms.IntegerField(
        label=_("Thứ tự"), required=False, min_value=0, max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


FEE_PERIOD_FIELDS = ("valid_from", "valid_until", "online_valid_from", "online_valid_until",
                     "legal_basis", "internal_note")
FEE_TEXTS = ("legal_basis", "internal_note")


class FeeForm(DesignerForm):
    name = forms.CharField(label=_("Tên phí, lệ phí"), max_length=300,
                           help_text=_("Ví dụ: Lệ phí, Phí thẩm định."))
    amount = MoneyField(label=_("Mức thu khi nộp trực tiếp (đồng)"))
    online_amount = MoneyField(label=_("Mức thu khi nộp trực tuyến (đồng)"), required=False,
                               help_text=_("Để trống nếu như nộp trực tiếp."))
    unit = forms.ChoiceField(label=_("Tính theo"), choices=FEE_UNIT_CHOICES,
                             initial="per_dossier")
    collect_at = forms.ChoiceField(
        label=_("Thời điểm thu"), choices=COLLECT_AT_CHOICES, initial="reception",
        required=False,
        help_text=_("Các khoản phí của thủ tục được đề nghị nộp cùng lúc, vào thời điểm sớm "
                    "nhất trong các khoản."))
    note = forms.CharField(label=_("Ghi chú"), max_length=1000, required=False)
    exemptions = forms.CharField(label=_("Đối tượng được miễn, giảm (để hiển thị)"),
                                 required=False, widget=_textarea(2),
                                 help_text=_("Mỗi dòng một đối tượng. Hệ thống tự miễn phí "
                                             "theo các điều kiện miễn phí bên dưới."))
    exempt_rows = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0,
                                     max_value=MAX_EXEMPTIONS)
    valid_from = forms.DateField(label=_("Áp dụng từ ngày"), required=False, widget=_date_input(),
                                 help_text=_("Để trống: không giới hạn."))
    valid_until = forms.DateField(label=_("Áp dụng đến hết ngày"), required=False,
                                  widget=_date_input(),
                                  help_text=_("Để trống: cho đến khi có văn bản thay thế."))
    online_valid_from = forms.DateField(label=_("Mức thu trực tuyến áp dụng từ ngày"),
                                        required=False, widget=_date_input())
    online_valid_until = forms.DateField(
        label=_("Mức thu trực tuyến áp dụng đến hết ngày"), required=False,
        widget=_date_input(),
        help_text=_("Ví dụ mức giảm «đến hết ngày 31/12/2025»: sau ngày này hồ sơ trực tuyến "
                    "nộp mức thu trực tiếp."))
    legal_basis = forms.CharField(label=_("Căn cứ mức thu và thời hạn (người dân thấy)"),
                                  max_length=1000, required=False, widget=_textarea(2))
    internal_note = forms.CharField(
        label=_("Ghi chú nội bộ (người dân không thấy)"), max_length=1000, required=False,
        widget=_textarea(2),
        help_text=_("Nguồn số liệu, điều chưa xác minh."))

    amount_unknown = forms.BooleanField(
        label=_("Mức thu chưa công bố"), required=False,
        help_text=_("Mức thu do cơ quan khác quy định và chưa tìm được văn bản: trang thủ tục "
                    "ghi «Chưa công bố», hệ thống không thu (mức thu ghi 0)."))
    set_by = forms.CharField(label=_("Cơ quan quy định mức thu"), max_length=300,
                             required=False, help_text=_("Ví dụ: HĐND thành phố."))
    copies_field = forms.ChoiceField(
        label=_("Trường tờ khai ghi số bản"), required=False,
        help_text=_("Phí tính theo bản hoặc theo trang: số bản lấy từ trường này. Để trống: "
                    "trường so_ban, nếu không có thì so_luong."))
    pages_field = forms.ChoiceField(
        label=_("Trường tờ khai ghi số trang mỗi bản"), required=False,
        help_text=_("Phí tính theo trang. Để trống: trường so_trang."))
    tiers = forms.CharField(
        label=_("Bậc mức thu"), required=False, widget=_textarea(2),
        help_text=_("Mỗi dòng «từ trang (hoặc bản) thứ: mức thu», ví dụ «3: 1.000» (từ trang "
                    "thứ 3 thu 1.000 đồng/trang)."))
    cap_per_copy = MoneyField(label=_("Mức thu tối đa mỗi bản (đồng)"), required=False,
                              help_text=_("Phí tính theo trang, ví dụ 200.000."))

    main = ["name", "amount", "online_amount", "unit", "collect_at", "note", "exemptions"]
    more = [
        (_("Số bản, số trang, bậc mức thu, mức thu chưa công bố"),
         ["copies_field", "pages_field", "tiers", "cap_per_copy", "amount_unknown", "set_by"]),
        (_("Thời gian áp dụng, căn cứ và ghi chú nội bộ"),
         ["valid_from", "valid_until", "online_valid_from", "online_valid_until", "legal_basis",
          "internal_note"]),
    ]

    def __init__(self, *args: Any, form_fields: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.initial.get("unit")
        if unit and unit not in dict(FEE_UNIT_CHOICES):
            self.fields["unit"].choices = [*FEE_UNIT_CHOICES, (unit, unit)]
        # One set of boxes per exemption, and one blank set to add another; a posted form
        # keeps the number of sets it was rendered with.
        rendered = len(self.initial.get("exempt_when") or []) + 1
        self.fields["exempt_rows"].initial = rendered
        count = rendered
        if self.is_bound:
            try:
                count = int(self.data.get(self.add_prefix("exempt_rows"), rendered))
            except (TypeError, ValueError):
                count = rendered
        self.exempt_count = min(max(count, 0), MAX_EXEMPTIONS)
        field_choices = [("", _("— Không xét trường nào —")), *(form_fields or [])]
        for name in ("copies_field", "pages_field"):
            chosen = self.initial.get(name) or ""
            self.fields[name].choices = [("", _("— Mặc định —")), *(form_fields or []),
                                         *([(chosen, chosen)] if chosen and chosen not in
                                           dict(form_fields or []) else [])]
        for index in range(self.exempt_count):
            self._add_exemption_fields(index, field_choices)

    def _add_exemption_fields(self, index: int, field_choices: list) -> None:
        p = f"ex{index}_"
        kinds = dict(APPLICANT_TYPE_CHOICES)
        chosen_kinds = self.initial.get(f"{p}applicant_types") or []
        chosen_field = self.initial.get(f"{p}field") or ""
        self.fields[f"{p}reason"] = forms.CharField(
            label=_("Lý do miễn (người dân thấy)"), max_length=300, required=False,
            help_text=_("Ví dụ: Đăng ký khai sinh đúng hạn. Xóa hết các ô của điều kiện để bỏ "
                        "điều kiện."))
        self.fields[f"{p}applicant_types"] = forms.MultipleChoiceField(
            label=_("Chỉ với đối tượng"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[*APPLICANT_TYPE_CHOICES,
                     *((k, k) for k in chosen_kinds if k not in kinds)],
            help_text=_("Không chọn: mọi đối tượng."))
        self.fields[f"{p}field"] = forms.ChoiceField(
            label=_("Trường tờ khai được xét"), required=False,
            choices=field_choices + ([(chosen_field, chosen_field)] if chosen_field and
                                     chosen_field not in dict(field_choices) else []))
        self.fields[f"{p}test"] = forms.ChoiceField(
            label=_("Phép thử"), required=False, choices=EXEMPTION_TEST_CHOICES)
        self.fields[f"{p}value"] = forms.CharField(
            label=_("Giá trị"), max_length=500, required=False,
            help_text=_("Với «bằng giá trị»: một giá trị; «là một trong các giá trị»: các giá "
                        "trị cách nhau bằng dấu phẩy; với ngày: số ngày, ví dụ 60."))

    def has_changed(self) -> bool:
        # A blank added row posted without its hidden count or due moment is still blank.
        ignored = {"exempt_rows"}
        if not self.data.get(self.add_prefix("collect_at")):
            ignored.add("collect_at")
        return any(name not in ignored for name in self.changed_data)

    def exemption_rows(self) -> list[dict[str, Any]]:
        """The boxes of each exemption, for the template; open when filled in or wrong."""
        rows = []
        for index in range(self.exempt_count):
            names = [f"ex{index}_{n}" for n in EXEMPTION_PARTS]
            fields = [self[n] for n in names]
            rows.append({
                "number": index + 1, "fields": fields,
                "filled": any(f.value() not in (None, "", []) for f in fields),
                "errors": any(self.errors.get(n) for n in names),
            })
        return rows

    def exemptions_open(self) -> bool:
        return any(row["filled"] or row["errors"] for row in self.exemption_rows())

    @staticmethod
    def row_initial(fee: dict) -> dict:
        initial = {"name": fee.get("name", ""), "amount": fee.get("amount"),
                   "online_amount": fee.get("online_amount"),
                   "unit": fee.get("unit") or "per_dossier",
                   "collect_at": fee.get("collect_at") or "reception",
                   "note": fee.get("note", ""),
                   "exemptions": join_lines(fee.get("exemptions")),
                   "exempt_when": list(fee.get("exempt_when") or []),
                   **{name: fee.get(name) or ("" if name in FEE_TEXTS else None)
                      for name in FEE_PERIOD_FIELDS}}
        initial |= {"amount_unknown": bool(fee.get("amount_unknown")),
                    "set_by": fee.get("set_by") or "",
                    "copies_field": fee.get("copies_field") or "",
                    "pages_field": fee.get("pages_field") or "",
                    "tiers": "\n".join(f"{tier.get('from', tier.get('from_'))}: "
                                       f"{tier.get('amount')}" for tier in fee.get("tiers") or []),
                    "cap_per_copy": fee.get("cap_per_copy")}
        for index, rule in enumerate(initial["exempt_when"]):
            initial |= {f"ex{index}_{name}": value
                        for name, value in exemption_initial(rule).items()}
        return initial

    def clean_tiers(self) -> list[dict[str, int]]:
        tiers = []
        for line in lines(self.cleaned_data.get("tiers") or ""):
            match = re.fullmatch(r"(\d+)\s*:\s*(.+)", line)
            try:
                amount = parse_money(match[2]) if match else None
            except NumberFormatError as exc:
                raise forms.ValidationError(str(exc)) from exc
            if match is None or amount is None:
                raise forms.ValidationError(
                    _("Dòng «%(line)s»: ghi «từ trang (hoặc bản) thứ: mức thu», ví dụ «3: "
                      "1.000».") % {"line": line})
            tiers.append({"from": int(match[1]), "amount": amount})
        return tiers

    def clean(self) -> dict:
        data = super().clean()
        self.exempt_indexes: list[int] = []
        self.exempt_items: list[dict] = []
        for index in range(self.exempt_count):
            item = self._clean_exemption(index, data)
            if item is not None:
                self.exempt_indexes.append(index)
                self.exempt_items.append(item)
        return data

    def _clean_exemption(self, index: int, data: dict) -> dict | None:
        """The exemption of the boxes ``index``, in the definition's shape; None when the boxes
        are empty or wrong (the errors are on the boxes)."""
        p = f"ex{index}_"
        if any(f"{p}{n}" in self.errors for n in EXEMPTION_PARTS):
            return None
        reason = data.get(f"{p}reason", "").strip()
        kinds = data.get(f"{p}applicant_types") or []
        key = data.get(f"{p}field") or ""
        test = data.get(f"{p}test") or ""
        value = data.get(f"{p}value", "").strip()
        if not (reason or kinds or key or test or value):
            return None
        errors = []
        if not reason:
            errors.append(("reason", _("Cần lý do miễn phí; người dân thấy lý do này.")))
        if test and not key:
            errors.append(("field", _("Cần chọn trường tờ khai mà phép thử xét.")))
        if key and not test:
            errors.append(("test", _("Cần chọn phép thử cho trường đã chọn.")))
        if not key and not kinds and not test:
            errors.append(("applicant_types", _("Cần chọn đối tượng được miễn, hoặc một "
                                                "trường tờ khai và phép thử.")))
        rule: dict[str, Any] = {"reason": reason, "applicant_types": kinds,
                                "field": key or None}
        if test in ("equals", "in") and not value:
            errors.append(("value", _("Cần giá trị cho phép thử này.")))
        elif test == "equals":
            rule["equals"] = value
        elif test == "in":
            rule["in"] = [v.strip() for v in value.split(",") if v.strip()]
        elif test in ("checked", "unchecked"):
            rule["equals"] = test == "checked"
        elif test == "within_days":
            if not re.fullmatch(r"\d{1,5}", value):
                errors.append(("value", _("Ghi số ngày là một số nguyên, ví dụ 60.")))
            else:
                rule["within_days"] = int(value)
        for name, message in errors:
            self.add_error(f"{p}{name}", message)
        if errors:
            return None
        try:  # the format's own rules decide, whatever the boxes above missed
            return FeeExemption.model_validate(rule).model_dump(mode="json", by_alias=True)
        except PydanticValidationError as exc:
            for error in exc.errors():
                self.add_error(f"{p}reason", _("Điều kiện miễn phí chưa hợp lệ: %(error)s") % {
                    "error": str(error.get("msg", "")).removeprefix("Value error, ")})
            return None

    def to_item(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "amount": data["amount"],
                "online_amount": data["online_amount"], "unit": data["unit"],
                "collect_at": data["collect_at"] or "reception", "note": data["note"],
                "exemptions": lines(data["exemptions"]),
                "exempt_when": list(self.exempt_items),
                "amount_unknown": data["amount_unknown"], "set_by": data["set_by"],
                "copies_field": data["copies_field"] or None,
                "pages_field": data["pages_field"] or None,
                "tiers": data["tiers"], "cap_per_copy": data["cap_per_copy"],
                **{name: (data[name].isoformat() if data[name] else None)
                   if name not in FEE_TEXTS else data[name] for name in FEE_PERIOD_FIELDS}}

    def exemption_placements(self, loc: tuple) -> list[Placement]:
        """Where pydantic errors about each exemption land: on that exemption's boxes."""
        placements = []
        for number, index in enumerate(self.exempt_indexes):
            p = f"ex{index}_"
            placements.append(Placement((*loc, "exempt_when", number), self, {
                "reason": f"{p}reason", "applicant_types": f"{p}applicant_types",
                "field": f"{p}field", "equals": f"{p}value", "in": f"{p}value",
                "within_days": f"{p}value"}))
        return placements


def exemption_initial(rule: dict) -> dict[str, Any]:
    """The boxes of one exemption, from the definition's rule."""
    test, value = "", ""
    if rule.get("within_days") is not None:
        test, value = "within_days", str(rule["within_days"])
    elif rule.get("in") is not None:
        test, value = "in", ", ".join(rule["in"])
    elif isinstance(rule.get("equals"), bool):
        test = "checked" if rule["equals"] else "unchecked"
    elif rule.get("equals") is not None:
        test, value = "equals", str(rule["equals"])
    return {"reason": rule.get("reason", ""),
            "applicant_types": list(rule.get("applicant_types") or []),
            "field": rule.get("field") or "", "test": test, "value": value}


class DocumentForm(PositionMixin, DesignerForm):
    name = forms.CharField(label=_("Tên giấy tờ"), max_length=1000)
    mandatory = forms.BooleanField(label=_("Bắt buộc"), required=False, initial=True)
    condition = forms.CharField(label=_("Khi nào cần"), max_length=1000, required=False,
                                help_text=_("Với giấy tờ chỉ cần trong một số trường hợp."))
    copies = forms.IntegerField(label=_("Số bản"), min_value=0, max_value=100_000, initial=1,
                                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    copy_type = forms.ChoiceField(label=_("Loại bản"), choices=COPY_TYPE_CHOICES,
                                  initial=CopyType.UNSPECIFIED.value)
    template = forms.CharField(label=_("Mẫu đơn, tờ khai"), max_length=500, required=False,
                               help_text=_("Tên mẫu hoặc địa chỉ tải mẫu."))
    note = forms.CharField(label=_("Ghi chú"), max_length=1000, required=False)
    store_document_types = forms.CharField(
        label=_("Loại giấy tờ trong kho dữ liệu"), max_length=2000, required=False,
        widget=_textarea(2),
        help_text=_("Các loại giấy tờ có thể dùng thay, mỗi dòng một loại (tên loại có thể "
                    "chứa dấu phẩy)."))
    required_when = ConditionField(
        label=_("Chỉ bắt buộc khi tờ khai có câu trả lời"),
        help_text=format_lazy("{} {}", _('Để trống: luôn bắt buộc (nếu đánh dấu «Bắt '
                                          'buộc»). Ví dụ {"field": "hang", "in": ["A2", '
                                          '"B"]}.'), CONDITION_HELP))
    quantity_text = forms.CharField(required=False, widget=forms.HiddenInput)

    main = ["name", "mandatory", "condition", "required_when", "copies", "copy_type",
            "template", "note", "store_document_types", "position"]

    @staticmethod
    def row_initial(doc: dict) -> dict:
        return {"name": doc.get("name", ""), "mandatory": doc.get("mandatory", True),
                "condition": doc.get("condition", ""), "copies": doc.get("copies", 1),
                "copy_type": doc.get("copy_type") or CopyType.UNSPECIFIED.value,
                "template": doc.get("template", ""), "note": doc.get("note", ""),
                "store_document_types": join_lines(doc.get("store_document_types")),
                "required_when": show_condition(doc.get("required_when")),
                "quantity_text": doc.get("quantity_text", "")}

    def to_item(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "mandatory": data["mandatory"],
                "condition": data["condition"], "copies": data["copies"],
                "copy_type": data["copy_type"], "quantity_text": data["quantity_text"],
                "template": data["template"], "note": data["note"],
                "required_when": data["required_when"],
                "store_document_types": lines(data["store_document_types"])}


def _key_field(invalid: Any, help_text: Any) -> forms.CharField:
    """A row's technical key (a form field's, a form section's)."""
    return forms.CharField(
        label=_("Khóa"), max_length=63, validators=[RegexValidator(KEY_PATTERN, invalid)],
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


class FormFieldForm(PositionMixin, DesignerForm):
    key = _key_field(_("Khóa gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng "
                       "chữ, ví dụ ho_ten."), _("Tên kỹ thuật, ví dụ ho_ten."))
    label = forms.CharField(label=_("Nhãn hiển thị"), max_length=300)
    type = forms.ChoiceField(label=_("Loại trường"), choices=FIELD_TYPE_CHOICES,
                             initial=FieldType.TEXT.value)
    required = forms.BooleanField(label=_("Bắt buộc khai"), required=False)
    help = forms.CharField(label=_("Hướng dẫn"), max_length=1000, required=False)
    prefill = forms.ChoiceField(
        label=_("Điền sẵn từ hồ sơ cá nhân"), choices=PREFILL_CHOICES, required=False,
        initial="", help_text=_("Thông tin người nộp đã khai trong tài khoản; người nộp vẫn "
                                "sửa được."))
    options = forms.CharField(
        label=_("Các lựa chọn"), required=False, widget=_textarea(3),
        help_text=_("Với trường chọn: mỗi dòng một lựa chọn, dạng giá_trị|Nhãn hoặc chỉ Nhãn."))
    code_list = forms.ChoiceField(
        label=_("Hoặc lấy lựa chọn từ danh mục dùng chung"), required=False, initial="",
        choices=[("", _("— Không dùng danh mục —"))]
        + [(key.value, data.label) for key, data in CODE_LISTS.items()],
        help_text=_("Danh mục dùng chung được khai một lần cho mọi biểu mẫu (ví dụ 54 dân tộc); "
                    "khi chọn danh mục thì để trống ô lựa chọn."))
    cond_field = forms.CharField(
        label=_("Chỉ hiện khi trường (khóa)"), max_length=63, required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa trường không hợp lệ."))],
        help_text=_("Trường cùng cấp: cùng nhóm, hoặc cùng ở ngoài nhóm."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    cond_operator = forms.ChoiceField(label=_("Điều kiện"), choices=OPERATOR_CHOICES,
                                      required=False, initial="")
    cond_value = forms.CharField(
        label=_("Giá trị điều kiện"), max_length=500, required=False,
        help_text=_("Nhiều giá trị cách nhau bằng dấu phẩy; giá trị có dấu phẩy đặt trong "
                    "ngoặc kép, ví dụ \"Hà Nội, Việt Nam\", B1; với ô đánh dấu ghi «có» hoặc "
                    "«không»."))
    cond_combined = ConditionField(
        label=_("Hoặc điều kiện kết hợp nhiều câu trả lời"),
        help_text=CONDITION_HELP)
    section = forms.ChoiceField(
        label=_("Phần (trang) của biểu mẫu"), required=False, initial="",
        choices=[("", _("— Phần đầu tiên —"))],
        help_text=_("Công dân khai mỗi phần trên một trang. Thêm phần ở mục «Các phần của "
                    "biểu mẫu»."))
    default = forms.CharField(
        label=_("Giá trị mặc định"), max_length=500, required=False,
        help_text=_("Câu trả lời có sẵn khi công dân mở tờ khai, vẫn sửa được. Với trường chọn: "
                    "giá trị của lựa chọn; với ô đánh dấu: true."))
    group = forms.CharField(
        label=_("Thuộc nhóm (khóa của trường nhóm)"), max_length=63, required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa nhóm không hợp lệ."))],
        help_text=_("Để trống nếu trường nằm ngoài nhóm."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    min_length = forms.IntegerField(label=_("Số ký tự tối thiểu"), required=False, min_value=0)
    max_length = forms.IntegerField(label=_("Số ký tự tối đa"), required=False, min_value=1)
    min_value = NumberField(label=_("Giá trị nhỏ nhất"), required=False, max_digits=20,
                            decimal_places=4)
    max_value = NumberField(label=_("Giá trị lớn nhất"), required=False, max_digits=20,
                            decimal_places=4,
                            help_text=_("Với trường ngày: số ngày tính từ ngày nộp hồ sơ "
                                        "(0: không được sau ngày nộp; -60: trước 60 ngày)."))
    pattern = forms.CharField(label=_("Mẫu kiểm tra (biểu thức chính quy)"), max_length=500,
                              required=False,
                              widget=forms.TextInput(attrs={"spellcheck": "false"}))
    pattern_message = forms.CharField(label=_("Thông báo khi sai mẫu"), max_length=500,
                                      required=False)
    before_field = forms.CharField(
        label=_("Ngày phải trước ngày của trường (khóa)"), max_length=63, required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa trường không hợp lệ."))],
        help_text=_("Với trường ngày: khóa của trường ngày cùng cấp, ví dụ ngay_ket_thuc."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    after_field = forms.CharField(
        label=_("Ngày phải sau ngày của trường (khóa)"), max_length=63, required=False,
        validators=[RegexValidator(KEY_PATTERN, _("Khóa trường không hợp lệ."))],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    max_days_apart = forms.IntegerField(
        label=_("Hai ngày cách nhau tối đa (ngày)"), required=False, min_value=1,
        max_value=100_000, help_text=_("Ví dụ 730: thời hạn tối đa 2 năm."))
    min_items = forms.IntegerField(label=_("Số mục tối thiểu (với nhóm)"), required=False,
                                   min_value=0, max_value=200)
    max_items = forms.IntegerField(label=_("Số mục tối đa (với nhóm)"), required=False,
                                   min_value=1, max_value=200)

    main = ["key", "label", "type", "required", "help", "prefill", "section", "group",
            "position"]
    more = [
        (_("Lựa chọn (với trường chọn), giá trị mặc định và điều kiện hiển thị"),
         ["options", "code_list", "default", "cond_field", "cond_operator", "cond_value",
          "cond_combined"]),
        (_("Giới hạn và kiểm tra dữ liệu"),
         ["min_length", "max_length", "min_value", "max_value", "before_field", "after_field",
          "max_days_apart", "pattern", "pattern_message", "min_items", "max_items"]),
    ]

    def __init__(self, *args: Any, sections: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("— Phần đầu tiên —")), *(sections or [])]

    def row_title(self) -> str:
        return str(self.initial.get("label") or self.initial.get("key") or "")

    @staticmethod
    def row_initial(item: dict, group: str = "") -> dict:
        condition = item.get("visible_when") or {}
        operator, value, combined = "", "", ""
        if condition.get("all_of") is not None or condition.get("any_of") is not None:
            combined, condition = show_condition(condition), {}
        if condition:
            if condition.get("filled") is not None:
                operator, value = "filled", "" if condition["filled"] else "không"
            elif condition.get("in") is not None:
                operator, value = "in", show_values(condition["in"])
            else:
                operator = "equals"
                equals = condition.get("equals")
                value = ("có" if equals else "không") if isinstance(equals, bool) else str(equals)
        return {
            "key": item.get("key", ""), "label": item.get("label", ""),
            "type": item.get("type") or FieldType.TEXT.value,
            "required": bool(item.get("required")), "help": item.get("help", ""),
            "options": "" if item.get("code_list") else show_options(item.get("options")),
            "code_list": item.get("code_list") or "",
            "min_length": item.get("min_length"), "max_length": item.get("max_length"),
            "min_value": show_number(item.get("min_value")),
            "max_value": show_number(item.get("max_value")),
            "pattern": item.get("pattern") or "", "pattern_message": item.get("pattern_message",
                                                                              ""),
            "cond_field": condition.get("field", "") if condition else "",
            "cond_operator": operator, "cond_value": value, "cond_combined": combined,
            "group": group, "before_field": item.get("before_field") or "",
            "after_field": item.get("after_field") or "",
            "max_days_apart": item.get("max_days_apart"),
            "min_items": item.get("min_items", 0) or None,
            "max_items": item.get("max_items", 20) if item.get("type") == "group" else None,
            "prefill": item.get("prefill") or "",
            "section": item.get("section") or "", "default": item.get("default") or "",
        }

    def clean_options(self) -> list[dict[str, str]]:
        return parse_options(self.cleaned_data["options"])

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data["pattern"]
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise forms.ValidationError(_("Mẫu kiểm tra không hợp lệ: %(error)s"),
                                            params={"error": exc}) from exc
        return pattern

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("type")
        if kind in (FieldType.SELECT, FieldType.MULTISELECT) and not data.get("options") \
                and not data.get("code_list") and "options" not in self.errors:
            self.add_error("options", _("Trường chọn cần danh sách lựa chọn."))
        if data.get("code_list") and data.get("options"):
            self.add_error("options", _("Trường lấy lựa chọn từ danh mục dùng chung: để trống "
                                        "ô này."))
        if data.get("code_list") and kind not in (FieldType.SELECT, FieldType.MULTISELECT):
            self.add_error("code_list", _("Chỉ trường chọn mới lấy được danh mục."))
        if kind == FieldType.GROUP and data.get("group"):
            self.add_error("group", _("Một nhóm không được nằm trong nhóm khác."))
        if data.get("group") and data.get("group") == data.get("key"):
            self.add_error("group", _("Trường không được thuộc chính nó."))
        prefill = data.get("prefill")
        if prefill and kind and FieldType(kind) not in PREFILL_TYPES[ProfileKey(prefill)]:
            self.add_error("prefill", _("Loại trường này không chứa được thông tin đó."))
        if prefill and data.get("group"):
            self.add_error("prefill", _("Trường trong nhóm lặp lại không điền sẵn được."))
        if data.get("section") and data.get("group"):
            self.add_error("section", _("Trường trong nhóm lặp lại nằm ở phần của nhóm: để "
                                        "trống ô này."))
        operator, target = data.get("cond_operator"), data.get("cond_field")
        if operator and not target and "cond_field" not in self.errors:
            self.add_error("cond_field", _("Cần khóa của trường mà điều kiện đọc."))
        if target and not operator:
            self.add_error("cond_operator", _("Cần chọn loại điều kiện."))
        if target and target == data.get("key"):
            self.add_error("cond_field", _("Điều kiện không được đọc chính trường này."))
        if operator in ("equals", "in") and not data.get("cond_value"):
            self.add_error("cond_value", _("Cần giá trị cho điều kiện."))
        if data.get("cond_combined") and (target or operator):
            self.add_error("cond_combined", _("Ghi một điều kiện: hoặc theo một trường, hoặc "
                                              "điều kiện kết hợp."))
        if (data.get("before_field") or data.get("after_field") or data.get("max_days_apart")) \
                and kind != FieldType.DATE:
            self.add_error("before_field", _("Chỉ trường ngày mới so được với trường ngày khác."))
        if data.get("max_days_apart") and not (data.get("before_field")
                                               or data.get("after_field")):
            self.add_error("max_days_apart", _("Cần khóa của trường ngày để so."))
        low, high = data.get("min_length"), data.get("max_length")
        if low is not None and high is not None and low > high:
            self.add_error("max_length", _("Số ký tự tối đa nhỏ hơn số tối thiểu."))
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("Giá trị lớn nhất nhỏ hơn giá trị nhỏ nhất."))
        return data

    def to_item(self, scope_types: dict[str, str]) -> dict:
        """The form field, without its group's sub-fields. ``scope_types`` gives the types of
        the fields a condition may read (same group or top level)."""
        data = self.cleaned_data
        kind = data["type"]
        item: dict[str, Any] = {
            "key": data["key"], "label": data["label"], "type": kind,
            "required": data["required"], "help": data["help"], "options": data["options"],
            "min_length": data["min_length"], "max_length": data["max_length"],
            "min_value": data["min_value"], "max_value": data["max_value"],
            "pattern": data["pattern"] or None, "pattern_message": data["pattern_message"],
            "before_field": data["before_field"] or None,
            "after_field": data["after_field"] or None,
            "max_days_apart": data["max_days_apart"],
            "visible_when": data["cond_combined"], "fields": [],
            "min_items": data["min_items"] or 0,
            "max_items": data["max_items"] or 20,
            "prefill": data.get("prefill") or None,
            "default": data["default"], "section": data["section"],
        }
        if data.get("code_list"):
            item["code_list"] = data["code_list"]
            del item["options"]
        operator, target, value = (data["cond_operator"], data["cond_field"],
                                   data["cond_value"].strip())
        combined = data["cond_combined"]
        if combined:
            unknown = sorted(Condition.model_validate(combined).fields() - set(scope_types))
            if unknown:
                self.add_error("cond_combined", _("Không có trường «%(key)s» cùng cấp với "
                                                  "trường này.") % {"key": unknown[0]})
                raise SectionInvalid
        for name in ("before_field", "after_field"):
            other = data[name]
            if other and scope_types.get(other) != FieldType.DATE:
                self.add_error(name, _("Không có trường ngày «%(key)s» cùng cấp với trường "
                                       "này.") % {"key": other})
                raise SectionInvalid
        if operator:
            if target not in scope_types:
                self.add_error("cond_field", _("Không có trường «%(key)s» cùng cấp với trường "
                                               "này.") % {"key": target})
                raise SectionInvalid
            if operator == "filled":
                truth = _truth(value) if value else True
                if truth is None:
                    self.add_error("cond_value", _("Ghi «có» (đã khai) hoặc «không» (chưa "
                                                   "khai)."))
                    raise SectionInvalid
                item["visible_when"] = {"field": target, "filled": truth}
            elif operator == "in":
                try:
                    chosen = parse_values(value)
                except forms.ValidationError as exc:
                    self.add_error("cond_value", exc)
                    raise SectionInvalid from exc
                item["visible_when"] = {"field": target, "in": chosen}
            elif scope_types[target] == FieldType.CHECKBOX:
                truth = _truth(value)
                if truth is None:
                    self.add_error("cond_value", _("Với ô đánh dấu, ghi «có» hoặc «không»."))
                    raise SectionInvalid
                item["visible_when"] = {"field": target, "equals": truth}
            else:
                item["visible_when"] = {"field": target, "equals": value}
        return item


class FormSectionForm(PositionMixin, DesignerForm):
    key = _key_field(_("Khóa gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng "
                       "chữ, ví dụ nguoi_yeu_cau."), _("Tên kỹ thuật, ví dụ nguoi_yeu_cau."))
    title = forms.CharField(label=_("Tiêu đề"), max_length=300,
                            help_text=_("Ví dụ: Thông tin người yêu cầu."))
    hint = forms.CharField(label=_("Hướng dẫn dưới tiêu đề"), max_length=1000, required=False)

    def row_title(self) -> str:
        return str(self.initial.get("title") or "")

    @staticmethod
    def row_initial(item: dict) -> dict:
        return {"key": item.get("key", ""), "title": item.get("title", ""),
                "hint": item.get("hint", "")}

    def to_item(self) -> dict:
        data = self.cleaned_data
        return {"key": data["key"], "title": data["title"], "hint": data["hint"]}


class WorkflowForm(PositionMixin, DesignerForm):
    name = forms.CharField(label=_("Tên bước"), max_length=300,
                           help_text=_("Ví dụ: Thẩm định hồ sơ."))
    role = forms.ChoiceField(label=_("Người thực hiện"), choices=ROLE_CHOICES,
                             initial=Role.SPECIALIST.value)
    share = NumberField(label=_("Tỷ lệ thời gian (%)"), min_value=Decimal("0.01"),
                        max_value=100, max_digits=6, decimal_places=2,
                        help_text=_("Phần trăm thời hạn giải quyết dành cho bước này."))
    agency = forms.CharField(label=_("Mã cơ quan liên thông"), max_length=20, required=False,
                             help_text=_("Chỉ với bước chuyển sang cơ quan khác, ví dụ "
                                         "000.00.17.H17; commune_police: công an xã, phường "
                                         "nơi nộp hồ sơ."))
    parallel = forms.BooleanField(
        label=_("Làm song song với các bước liên thông kề bên"), required=False,
        help_text=_("Một lần chuyển gửi hồ sơ đến mọi cơ quan của các bước song song kề nhau "
                    "(thủ tục liên thông)."))
    kind = forms.ChoiceField(
        label=_("Loại bước"), choices=STEP_KIND_CHOICES, required=False,
        help_text=_("Chỉ người thực hiện của bước được thao tác ở bước đó. Có bước «Xem xét, "
                    "trình ký» trước bước «Phê duyệt, ký»: hai cấp phê duyệt."))
    shared_fields = forms.CharField(
        label=_("Trường tờ khai chuyển cho cơ quan liên thông"), max_length=4000,
        required=False,
        help_text=_("Mã các trường, cách nhau bởi dấu phẩy. Để trống cả mục này và mục giấy tờ: "
                    "cơ quan nhận xem toàn bộ tờ khai và giấy tờ."))
    shared_documents = forms.CharField(
        label=_("Giấy tờ chuyển cho cơ quan liên thông"), max_length=4000, required=False,
        help_text=_("Tên các thành phần hồ sơ, cách nhau bởi dấu chấm phẩy."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.initial.get("role")
        if role and role not in dict(ROLE_CHOICES):
            self.fields["role"].choices = [*ROLE_CHOICES, (role, role)]

    @staticmethod
    def row_initial(step: dict) -> dict:
        share = step.get("share")
        return {"name": step.get("name", ""), "role": step.get("role", ""),
                "share": show_number(Decimal(str(share)) * 100) if share is not None else "",
                "agency": step.get("agency") or "", "kind": step.get("kind") or "",
                "parallel": bool(step.get("parallel")),
                "shared_fields": ", ".join((step.get("handover_data") or {}).get("fields", [])),
                "shared_documents": "; ".join(
                    (step.get("handover_data") or {}).get("documents", []))}

    def clean_agency(self) -> str:
        code = self.cleaned_data["agency"].strip()
        # «commune_police»: the police of the dossier's own commune (dossiers/exchange.py).
        if code and code != "commune_police" and not Agency.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Không có cơ quan mã %(code)s."),
                                        params={"code": code})
        return code

    def to_item(self) -> dict:
        data = self.cleaned_data
        item = {"name": data["name"], "role": data["role"], "share": data["share"] / 100,
                "agency": data["agency"] or None, "kind": data["kind"] or None}
        if data["parallel"]:  # unsaid when not, as the definitions write it
            item["parallel"] = True
        fields = [k.strip() for k in data["shared_fields"].split(",") if k.strip()]
        documents = [d.strip() for d in data["shared_documents"].split(";") if d.strip()]
        if fields or documents:  # else the receiving agency gets the whole dossier
            item["handover_data"] = {"fields": fields, "documents": documents}
        return item


class RowFormSet(forms.BaseFormSet):
    """Rows of a list section: blank rows are skipped, deleted rows dropped, the rest ordered by
    their position column (rows without one keep their place after the numbered ones)."""

    section: ClassVar[str] = ""

    @classmethod
    def form_kwargs_from(cls, definition: dict, keys: list[str]) -> dict:
        """What each row's form needs to know of the rest of the definition."""
        return {}

    def live_forms(self) -> list[forms.Form]:
        rows = []
        for index, form in enumerate(self.forms):
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            position = form.cleaned_data.get("position")
            rows.append(((position if position is not None else 10**6, index), form))
        return [form for _, form in sorted(rows, key=lambda row: row[0])]

    @classmethod
    def initial_from(cls, definition: dict) -> list[dict]:
        rows = [cls.form.row_initial(item) for item in definition.get(cls.section) or []]
        if "position" in cls.form.base_fields:
            for number, row in enumerate(rows, start=1):
                row["position"] = number
        return rows

    def apply(self, definition: dict) -> list[Placement]:
        forms_ = self.live_forms()
        definition[self.section] = [form.to_item() for form in forms_]
        fields = {name: name for name in self.form.base_fields}
        return [Placement((self.section, i), form, fields) for i, form in enumerate(forms_)] + [
            Placement((self.section,), None)]


class FeeFormSet(RowFormSet):
    section = "fees"

    @classmethod
    def form_kwargs_from(cls, definition: dict, keys: list[str]) -> dict:
        # The form fields an exemption can test: the top-level ones (a group's answers are
        # lists of items, which the fee rules do not read).
        return {"form_fields": [
            (item.get("key", ""), f"{item.get('label', '')} ({item.get('key', '')})")
            for item in definition.get("form") or [] if item.get("type") != FieldType.GROUP]}

    def apply(self, definition: dict) -> list[Placement]:
        placements = super().apply(definition)
        extra = [p for placement in placements if placement.form is not None
                 for p in placement.form.exemption_placements(placement.loc)]
        return extra + placements


class ResultFormSet(RowFormSet):
    section = "results"

    @classmethod
    def form_kwargs_from(cls, definition: dict, keys: list[str]) -> dict:
        form = definition.get("form") or []
        # A template's {{#group}} block names a group's own fields.
        groups = {item.get("key", ""): template_keys(item.get("fields") or [])[:-len(
            TEMPLATE_EXTRAS)] for item in form if item.get("type") == FieldType.GROUP}
        return {"keys": keys, "groups": groups,
                "fields": [item.get("key", "") for item in form]}


class DocumentFormSet(RowFormSet):
    section = "documents"


class WorkflowFormSet(RowFormSet):
    section = "workflow"

    def clean(self) -> None:
        if any(self.errors):
            return
        rows = [SimpleNamespace(share=f.cleaned_data["share"], parallel=f.cleaned_data["parallel"],
                                agency=f.cleaned_data["agency"] or None)
                for f in self.live_forms()]
        total = share_total(rows)  # a group of parallel transfer steps counts once
        if rows and abs(total - 100) > Decimal("0.1"):
            raise forms.ValidationError(
                _("Tổng tỷ lệ thời gian các bước phải bằng 100%%, đang là %(total)s%%."),
                params={"total": show_number(total)})
        # The internal path the rows state, in their saved order, must be one the lifecycle
        # can follow.
        steps = [SimpleNamespace(role=f.cleaned_data["role"], kind=f.cleaned_data["kind"] or None,
                                 agency=f.cleaned_data["agency"] or None)
                 for f in self.live_forms()]
        problems = path_problems(steps)
        if problems:
            raise forms.ValidationError([p[:1].upper() + p[1:] + "." for p in problems])

    def apply(self, definition: dict) -> list[Placement]:
        placements = super().apply(definition)
        for placement in placements:
            if placement.form is not None:
                placement.fields["share"] = "share"
        return placements


class FormSectionFormSet(RowFormSet):
    section = "form_sections"

    def clean(self) -> None:
        if any(self.errors):
            return
        keys = [form.cleaned_data["key"] for form in self.live_forms()]
        for form in self.live_forms():
            if keys.count(form.cleaned_data["key"]) > 1:
                form.add_error("key", _("Khóa «%(key)s» đã dùng cho phần khác.")
                               % {"key": form.cleaned_data["key"]})


class FormFieldFormSet(RowFormSet):
    """The citizen's form as flat rows: a row's ``group`` column names the group it belongs to;
    ``apply`` rebuilds the nesting."""

    section = "form"

    @classmethod
    def form_kwargs_from(cls, definition: dict, keys: list[str]) -> dict:
        return {"sections": [(item.get("key", ""), item.get("title", ""))
                             for item in definition.get("form_sections") or []]}

    @classmethod
    def initial_from(cls, definition: dict) -> list[dict]:
        rows = []
        for item in definition.get("form") or []:
            rows.append(FormFieldForm.row_initial(item))
            for sub in item.get("fields") or []:
                rows.append(FormFieldForm.row_initial(sub, group=item.get("key", "")))
        for number, row in enumerate(rows, start=1):
            row["position"] = number
        return rows

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: dict[tuple[str, str], forms.Form] = {}
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            scope = (data.get("group") or "", data["key"])
            if scope in seen:
                form.add_error("key", _("Khóa «%(key)s» đã dùng cho trường khác cùng cấp.")
                               % {"key": data["key"]})
            seen[scope] = form

    def apply(self, definition: dict) -> list[Placement]:
        forms_ = self.live_forms()
        top = [f for f in forms_ if not f.cleaned_data["group"]]
        children: dict[str, list[forms.Form]] = defaultdict(list)
        for form in forms_:
            if form.cleaned_data["group"]:
                children[form.cleaned_data["group"]].append(form)
        top_types = {f.cleaned_data["key"]: f.cleaned_data["type"] for f in top}
        invalid = False
        for group, kids in children.items():
            if top_types.get(group) != FieldType.GROUP:
                for kid in kids:
                    kid.add_error("group", _("Không có trường nhóm «%(key)s» (loại «Nhóm lặp "
                                             "lại»).") % {"key": group})
                invalid = True
        for form in top:
            data = form.cleaned_data
            if data["type"] == FieldType.GROUP and not children.get(data["key"]):
                form.add_error("type", _("Nhóm cần ít nhất một trường con: ghi khóa «%(key)s» "
                                         "vào cột «Thuộc nhóm» của các trường con.")
                               % {"key": data["key"]})
                invalid = True
        items: list[dict] = []
        placements: list[Placement] = []
        fields = {name: name for name in FormFieldForm.base_fields}
        fields |= {"visible_when": "cond_field", "fields": "group"}
        for index, form in enumerate(top):
            try:
                item = form.to_item(top_types)
                kids = children.get(form.cleaned_data["key"], [])
                kid_types = {k.cleaned_data["key"]: k.cleaned_data["type"] for k in kids}
                for sub_index, kid in enumerate(kids):
                    try:
                        item["fields"].append(kid.to_item(kid_types))
                    except SectionInvalid:
                        invalid = True
                    placements.append(Placement(("form", index, "fields", sub_index), kid,
                                                dict(fields)))
            except SectionInvalid:
                invalid = True
                item = {}
            items.append(item)
            placements.append(Placement(("form", index), form, dict(fields)))
        if invalid:
            raise SectionInvalid
        definition["form"] = items
        return [*placements, Placement(("form",), None)]


def _formset(form: type[forms.Form], base: type[RowFormSet]) -> type[RowFormSet]:
    return forms.formset_factory(form, formset=base, extra=1, can_delete=True,
                                 can_delete_extra=False, max_num=MAX_ROWS, validate_max=True)


# --- the sections, in the editor's order ----------------------------------------------------------

@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    form_class: type
    row_noun: Any = ""
    intro: Any = ""

    @property
    def is_formset(self) -> bool:
        return issubclass(self.form_class, forms.BaseFormSet)

    @property
    def template(self) -> str:
        return f"catalog/designer/section_{self.key}.html"

    def build(self, definition: dict, data: Any = None, keys: list[str] | None = None) -> Any:
        initial = self.form_class.initial_from(definition)
        if self.is_formset:
            return self.form_class(data, initial=initial, prefix=self.key, form_kwargs=(
                self.form_class.form_kwargs_from(definition, keys or [])))
        return self.form_class(data, initial=initial, prefix=self.key)

    def with_new_row(self, data: Any) -> Any:
        """The posted data with one more blank row (its defaults filled in)."""
        data = data.copy()
        total_name = f"{self.key}-TOTAL_FORMS"
        try:
            total = int(data.get(total_name, 0))
        except ValueError:
            total = 0
        if total >= MAX_ROWS:
            return data
        blank = self.form_class.form(prefix=f"{self.key}-{total}", use_required_attribute=False)
        for name, form_field in blank.fields.items():
            if form_field.initial is True:
                data[blank.add_prefix(name)] = "on"
            elif form_field.initial not in (None, False, ""):
                data[blank.add_prefix(name)] = str(form_field.initial)
        data[total_name] = str(total + 1)
        return data


SECTIONS: dict[str, Section] = {s.key: s for s in [
    Section("general", _("Thông tin chung"), GeneralForm),
    Section("processing", _("Thời hạn giải quyết"), ProcessingForm),
    Section("fees", _("Phí, lệ phí"), _formset(FeeForm, FeeFormSet), row_noun=_("Phí"),
            intro=_("Không có dòng nào nghĩa là thủ tục không thu phí.")),
    Section("documents", _("Thành phần hồ sơ"), _formset(DocumentForm, DocumentFormSet),
            row_noun=_("Giấy tờ")),
    Section("form_sections", _("Các phần của biểu mẫu"),
            _formset(FormSectionForm, FormSectionFormSet), row_noun=_("Phần"),
            intro=_("Công dân khai mỗi phần trên một trang, theo thứ tự các phần (nút «Tiếp "
                    "tục», «Quay lại»); mỗi trường ghi phần của nó ở cột «Phần (trang) của biểu "
                    "mẫu». Không có phần nào: cả tờ khai trên một trang.")),
    Section("form", _("Biểu mẫu công dân khai"), _formset(FormFieldForm, FormFieldFormSet),
            row_noun=_("Trường"),
            intro=_("Mỗi dòng một trường. Trường của nhóm lặp lại ghi khóa của nhóm vào cột "
                    "«Thuộc nhóm». Sắp xếp bằng cột «Thứ tự».")),
    Section("workflow", _("Quy trình xử lý"), _formset(WorkflowForm, WorkflowFormSet),
            row_noun=_("Bước"),
            intro=_("Các bước xử lý hồ sơ sau khi tiếp nhận; tổng tỷ lệ thời gian bằng 100%.")),
    Section("result", _("Kết quả"), _formset(ResultForm, ResultFormSet), row_noun=_("Kết quả"),
            intro=_("Giấy tờ người dân nhận khi hồ sơ được giải quyết, mỗi dòng một kết quả; "
                    "kết quả đầu tiên là kết quả chính.")),
]}
