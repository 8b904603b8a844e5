"""The service designer's editor: build a procedure without code, preview its form, publish it.

Every view needs a login and works only on the procedures ``versions.editable_procedures`` gives
the user (those of agencies where they are a service designer): another agency's procedure is a
404; the list is a 403 for someone who designs for no agency. Every write goes through
``catalog.versions``; the section forms live in ``designer_forms``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from dichvucong.accounts.models import Role, User
from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.catalog import designer_forms as df
from dichvucong.catalog import quality
from dichvucong.catalog.definition import (
    FieldType,
    FormField,
    Level,
    ProcedureDefinition,
    template_keys,
)
from dichvucong.catalog.diff import diff
from dichvucong.catalog.formengine import form_defaults
from dichvucong.catalog.formviews import form_context, read_form
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion, VersionEvent
from dichvucong.catalog.presenters import format_time_limit, reduction_percent
from dichvucong.catalog.services import current_definitions
from dichvucong.catalog.versions import (
    VersionError,
    create_procedure,
    delete_draft,
    designer_agencies,
    editable_procedures,
    publication_problems,
    save_draft,
    start_draft,
    submit,
)
from dichvucong.core.ordering import in_vietnamese_order
from dichvucong.core.text import fold, sorted_vietnamese

PAGE_SIZE = 20
DRAFT = ProcedureVersion.Status.DRAFT

# Readable names of the definition's parts, for the comparison page and error locations.
SECTION_LABELS = {
    "format": gettext_lazy("Định dạng"),
    "code": gettext_lazy("Mã thủ tục"),
    "name": gettext_lazy("Tên thủ tục"),
    "field": gettext_lazy("Lĩnh vực"),
    "levels": gettext_lazy("Cấp thực hiện"),
    "agency": gettext_lazy("Cơ quan thực hiện"),
    "authority": gettext_lazy("Cơ quan có thẩm quyền"),
    "ministry": gettext_lazy("Bộ, ngành"),
    "procedure_type": gettext_lazy("Loại thủ tục"),
    "applicant_types": gettext_lazy("Đối tượng thực hiện"),
    "online_mode": gettext_lazy("Mức độ trực tuyến"),
    "channels": gettext_lazy("Hình thức nộp hồ sơ"),
    "processing": gettext_lazy("Thời hạn giải quyết"),
    "fees": gettext_lazy("Phí, lệ phí"),
    "documents": gettext_lazy("Thành phần hồ sơ"),
    "steps_text": gettext_lazy("Trình tự thực hiện"),
    "conditions": gettext_lazy("Điều kiện thực hiện"),
    "legal_basis": gettext_lazy("Căn cứ pháp lý"),
    "results": gettext_lazy("Kết quả"),
    "workflow": gettext_lazy("Quy trình xử lý"),
    "form": gettext_lazy("Biểu mẫu"),
    "form_sections": gettext_lazy("Các phần của biểu mẫu"),
    "reissue_from_store": gettext_lazy("Cấp lại từ kho kết quả số"),
    "presence_required": gettext_lazy("Yêu cầu có mặt"),
    "identity_level": gettext_lazy("Danh tính người nộp trực tuyến"),
    "keywords": gettext_lazy("Từ người dân hay dùng"),
    "announcing_decision": gettext_lazy("Quyết định công bố"),
    "sources": gettext_lazy("Nguồn"),
}
PART_LABELS = {
    "name": gettext_lazy("tên"), "amount": gettext_lazy("mức thu"),
    "online_amount": gettext_lazy("mức thu trực tuyến"), "unit": gettext_lazy("đơn vị"),
    "note": gettext_lazy("ghi chú"), "exemptions": gettext_lazy("miễn, giảm"),
    "label": gettext_lazy("nhãn"), "type": gettext_lazy("loại"),
    "required": gettext_lazy("bắt buộc"), "help": gettext_lazy("hướng dẫn"),
    "options": gettext_lazy("lựa chọn"), "visible_when": gettext_lazy("điều kiện hiển thị"),
    "fields": gettext_lazy("trường con"), "share": gettext_lazy("tỷ lệ thời gian"),
    "role": gettext_lazy("người thực hiện"), "time_limit": gettext_lazy("thời hạn"),
    "online_time_limit": gettext_lazy("thời hạn trực tuyến"), "value": gettext_lazy("giá trị"),
    "text": gettext_lazy("cách ghi"), "same_day": gettext_lazy("trong ngày"),
    "cutoff": gettext_lazy("giờ tiếp nhận cuối"), "mandatory": gettext_lazy("bắt buộc"),
    "copies": gettext_lazy("số bản"), "copy_type": gettext_lazy("loại bản"),
    "condition": gettext_lazy("khi nào cần"), "template": gettext_lazy("mẫu"),
    "validity": gettext_lazy("hiệu lực"), "document_type": gettext_lazy("loại giấy tờ"),
    "agency": gettext_lazy("cơ quan"), "channel": gettext_lazy("hình thức"),
    "fee": gettext_lazy("phí"), "store_document_types": gettext_lazy("loại giấy tờ trong kho"),
    "required_when": gettext_lazy("chỉ bắt buộc khi"),
    "before_field": gettext_lazy("trước ngày của trường"),
    "after_field": gettext_lazy("sau ngày của trường"),
    "max_days_apart": gettext_lazy("khoảng cách tối đa"),
    "holder_name_field": gettext_lazy("trường họ tên người được cấp"),
    "holder_id_field": gettext_lazy("trường số định danh người được cấp"),
    "min_length": gettext_lazy("số ký tự tối thiểu"),
    "max_length": gettext_lazy("số ký tự tối đa"),
    "min_value": gettext_lazy("giá trị nhỏ nhất"), "max_value": gettext_lazy("giá trị lớn nhất"),
    "pattern": gettext_lazy("mẫu kiểm tra"), "pattern_message": gettext_lazy("thông báo sai mẫu"),
    "min_items": gettext_lazy("số mục tối thiểu"), "max_items": gettext_lazy("số mục tối đa"),
    "collect_at": gettext_lazy("thời điểm thu"), "exempt_when": gettext_lazy("điều kiện miễn phí"),
    "reason": gettext_lazy("lý do"), "within_days": gettext_lazy("số ngày"),
    "digital": gettext_lazy("kết quả điện tử"),
    "default": gettext_lazy("giá trị mặc định"), "section": gettext_lazy("phần"),
    "title": gettext_lazy("tiêu đề"), "hint": gettext_lazy("hướng dẫn dưới tiêu đề"),
}
CHANGE_KINDS = {"added": gettext_lazy("Thêm"), "removed": gettext_lazy("Bỏ"),
                "changed": gettext_lazy("Sửa")}
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("Cần nhập."),
    "string_too_short": gettext_lazy("Cần nhập."),
    "too_short": gettext_lazy("Cần ít nhất %(min_length)s mục."),
    "greater_than_equal": gettext_lazy("Không được nhỏ hơn %(ge)s."),
    "greater_than": gettext_lazy("Phải lớn hơn %(gt)s."),
    "less_than_equal": gettext_lazy("Không được lớn hơn %(le)s."),
    "less_than": gettext_lazy("Phải nhỏ hơn %(lt)s."),
    "string_pattern_mismatch": gettext_lazy("Không đúng định dạng."),
    "enum": gettext_lazy("Giá trị không có trong danh sách: %(expected)s."),
    "literal_error": gettext_lazy("Giá trị phải là %(expected)s."),
    "extra_forbidden": gettext_lazy("Mục này không có trong định dạng."),
    "int_parsing": gettext_lazy("Phải là số nguyên."),
    "int_type": gettext_lazy("Phải là số nguyên."),
    "decimal_parsing": gettext_lazy("Phải là một số."),
    "string_type": gettext_lazy("Phải là chữ."),
    "bool_parsing": gettext_lazy("Phải là đúng hoặc sai."),
    "list_type": gettext_lazy("Phải là một danh sách."),
    "dict_type": gettext_lazy("Phải là một đối tượng JSON."),
    "model_type": gettext_lazy("Phải là một đối tượng JSON."),
}


# --- notices ------------------------------------------------------------------------------------
# What the last action did, shown once on the next page. Kept apart from django.contrib.messages:
# base.html lists those in <ul role="status">, which hides the list from assistive technology
# (axe-core: listitem, aria-allowed-role).
NOTICES = "designer_notices"


def _notify(request: HttpRequest, level: str, text: str) -> None:
    request.session[NOTICES] = [*request.session.get(NOTICES, []), [level, str(text)]]


def _render(request: HttpRequest, template: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    notices = request.session.pop(NOTICES, [])
    context = context | {
        "notices": [text for level, text in notices if level != "error"],
        "notice_errors": [text for level, text in notices if level == "error"],
    }
    return render(request, template, context, status=status)


# --- access ---------------------------------------------------------------------------------------

def _procedure(request: HttpRequest, code: str) -> Procedure:
    return get_object_or_404(
        editable_procedures(request.user).select_related("field", "owner", "current_version"),
        code=code)


def _draft(procedure: Procedure) -> ProcedureVersion | None:
    return procedure.versions.select_related("procedure").filter(status=DRAFT).first()


def _designer_agencies(user: User) -> Any:
    agencies = in_vietnamese_order(designer_agencies(user))
    if not agencies.exists():
        raise PermissionDenied(_("Bạn không phải quản trị thủ tục của cơ quan nào."))
    return agencies


# --- the list and creating a procedure ------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def procedure_list(request: HttpRequest) -> HttpResponse:
    agencies = _designer_agencies(request.user)
    form = df.CreateProcedureForm(request.POST if request.method == "POST" else None,
                                  agencies=agencies, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = create_procedure(form.chosen_owner(), request.user, data["name"],
                                   data["field"], Level(data["level"]))
        _notify(request, "success", _("Đã tạo thủ tục %(code)s. Hãy điền các phần của bản nháp "
                                    "rồi công bố.") % {"code": version.procedure.code})
        return redirect("designer:draft", code=version.procedure.code)

    query = request.GET.get("q", "").strip()[:200]
    drafts = ProcedureVersion.objects.filter(procedure=OuterRef("pk"), status=DRAFT)
    procedures = (
        editable_procedures(request.user)
        .select_related("field", "current_version")
        .annotate(
            has_draft=Exists(drafts),
            local_or_new=Case(
                When(Q(code__regex=r"^[A-Z]") | Q(current_version__isnull=True), then=Value(1)),
                default=Value(0), output_field=IntegerField()),
        )
        .order_by("-has_draft", "-local_or_new", "name")
        .only("code", "name", "field__name", "current_version__number", "at_province",
              "at_commune")
    )
    results: Any = procedures
    if query:
        folded = fold(query)
        results = [p for p in procedures if folded in fold(p.name) or folded in p.code.lower()]
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "catalog/designer/list.html", {
        "page": page, "query": query, "form": form, "agencies": agencies,
        "field_names": _field_names(), "form_error_items": _form_error_items(form),
    }, status=400 if form.is_bound else 200)


def _form_error_items(form: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            target, label = "main", ""
        else:
            target, label = form[name].auto_id, f"{form.fields[name].label}: "
        items.extend((target, f"{label}{error}") for error in errors)
    return items


def _field_names() -> list[str]:
    return sorted_vietnamese(Field.objects.values_list("name", flat=True))


# --- a procedure's versions -----------------------------------------------------------------------

@login_required
@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    versions = list(procedure.versions.select_related("created_by", "published_by")
                    .order_by("-number"))
    draft = next((v for v in versions if v.status == DRAFT), None)
    problems = _problems(draft) if draft else []
    numbers = [v.number for v in versions]
    events = list(VersionEvent.objects.filter(procedure_code=procedure.code)
                  .select_related("actor")[:50])
    return _render(request, "catalog/designer/procedure.html", {
        "procedure": procedure, "versions": versions, "draft": draft, "problems": problems,
        "events": events,
        "submitted": next((v for v in versions if v.status == ProcedureVersion.Status.SUBMITTED),
                          None),
        "approved": next((v for v in versions if v.status == ProcedureVersion.Status.APPROVED),
                         None),
        "refusal": _refusal(draft, events),
        "compare_a": numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else None),
        "compare_b": numbers[0] if numbers else None,
    })


def _refusal(draft: ProcedureVersion | None, events: list[VersionEvent]) -> VersionEvent | None:
    """The controller's refusal when it is the latest thing that happened to the draft."""
    latest = next((e for e in events if draft and e.number == draft.number), None)
    return latest if latest and latest.kind == VersionEvent.Kind.REFUSED else None


def _problems(draft: ProcedureVersion) -> list[str]:
    try:
        return publication_problems(draft.parsed())
    except ValidationError:
        return [_("Nội dung bản nháp chưa hợp lệ; hãy lưu lại từng phần.")]


@login_required
@require_POST
def start_new_draft(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    try:
        draft = start_draft(procedure, request.user)
    except VersionError as exc:
        _notify(request, "error", str(exc))
        return redirect("designer:procedure", code=code)
    _notify(request, "success", _("Bản nháp phiên bản %(number)s sẵn sàng để sửa; phiên bản đang "
                                "áp dụng không đổi cho đến khi công bố.") % {
                                    "number": draft.number})
    return redirect("designer:draft", code=code)


@login_required
@require_POST
def submit_draft(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    back = "designer:draft" if request.POST.get("next") == "draft" else "designer:procedure"
    draft = _draft(procedure)
    if draft is None:
        _notify(request, "error", _("Thủ tục không có bản nháp để gửi phê duyệt."))
        return redirect("designer:procedure", code=code)
    try:
        version = submit(draft, request.user)
    except VersionError as exc:
        _notify(request, "error", _("Chưa gửi phê duyệt được: %(reason)s") % {"reason": exc})
        return redirect(back, code=code)
    _notify(request, "success", _("Đã gửi phiên bản %(number)s cho cán bộ kiểm soát thủ tục hành "
                                "chính phê duyệt; phiên bản đang áp dụng không đổi cho đến ngày "
                                "có hiệu lực.") % {"number": version.number})
    return redirect("designer:procedure", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def delete_draft_view(request: HttpRequest, code: str) -> HttpResponse:
    """A confirmation page (GET), then the deletion (POST)."""
    procedure = _procedure(request, code)
    draft = _draft(procedure)
    if draft is None:
        _notify(request, "error", _("Thủ tục không có bản nháp để xóa."))
        return redirect("designer:procedure", code=code)
    if request.method == "GET":
        return _render(request, "catalog/designer/delete_draft.html",
                       {"procedure": procedure, "draft": draft})
    never_published = procedure.current_version_id is None
    try:
        delete_draft(draft, request.user)
    except VersionError as exc:
        _notify(request, "error", str(exc))
        return redirect("designer:procedure", code=code)
    if never_published and not Procedure.objects.filter(pk=procedure.pk).exists():
        _notify(request, "success", _("Đã xóa bản nháp và thủ tục %(code)s chưa từng công bố.")
                % {"code": code})
        return redirect("designer:list")
    _notify(request, "success", _("Đã xóa bản nháp phiên bản %(number)s; phiên bản đang áp "
                                "dụng không đổi.") % {"number": draft.number})
    return redirect("designer:procedure", code=code)


# --- the draft editor -----------------------------------------------------------------------------

@dataclass
class SectionView:
    section: df.Section
    form: Any
    errors: list[tuple[str, str]]
    open: bool = False  # one section open at a time: the one chosen, saved or with errors
    summary: str = ""  # the line a folded section shows

    @property
    def key(self) -> str:
        return self.section.key


@login_required
@require_http_methods(["GET", "POST"])
def draft_editor(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    draft = _draft(procedure)
    if draft is None:
        _notify(request, "info", _("Thủ tục không có bản nháp. Tạo bản nháp mới để sửa."))
        return redirect("designer:procedure", code=code)
    if request.method == "GET":
        return _render_editor(request, procedure, draft)

    section = df.SECTIONS.get(request.GET.get("section", ""))
    if section is None:
        raise Http404
    keys = _form_keys(draft.definition)
    if section.is_formset and "_add_row" in request.POST:
        bound = section.build(draft.definition, section.with_new_row(request.POST), keys=keys)
        return _render_editor(request, procedure, draft, section, bound, [], adding=True)
    bound = section.build(draft.definition, request.POST, keys=keys)
    extra: list[str] = []
    placements: list[df.Placement] = []
    if bound.is_valid():
        definition = copy.deepcopy(draft.definition)
        try:
            placements = bound.apply(definition)
            save_draft(draft, definition)
        except df.SectionInvalid:
            pass
        except ValidationError as exc:
            extra = _place_errors(exc, placements)
        except VersionError as exc:
            extra = [str(exc)]
        else:
            _notify(request, "success", _("Đã lưu phần «%(title)s».") % {"title": section.title})
            url = reverse("designer:draft", kwargs={"code": code})
            return redirect(f"{url}?phan={section.key}#section-{section.key}")
    return _render_editor(request, procedure, draft, section, bound, extra, status=400)


def _render_editor(request: HttpRequest, procedure: Procedure, draft: ProcedureVersion,
                   bound_section: df.Section | None = None, bound: Any = None,
                   extra_errors: list[str] | None = None, adding: bool = False,
                   status: int = 200) -> HttpResponse:
    definition = draft.definition
    keys = _form_keys(definition)
    sections = []
    chosen = bound_section.key if bound_section is not None else request.GET.get("phan", "")
    for section in df.SECTIONS.values():
        if bound_section is not None and section.key == bound_section.key:
            errors = [] if adding else _error_items(section, bound, extra_errors or [])
            view = SectionView(section, bound, errors)
        else:
            view = SectionView(section, section.build(definition, keys=keys), [])
        view.open = section.key == chosen
        view.summary = _section_summary(section, view.form, definition)
        sections.append(view)
    try:
        parsed: ProcedureDefinition | None = draft.parsed()
    except ValidationError:
        parsed = None
    processing = parsed.processing if parsed else None
    return _render(request, "catalog/designer/draft.html", {
        "procedure": procedure, "draft": draft, "definition": parsed,
        "sections": sections,
        "problems": _problems(draft),
        "field_names": _field_names(),
        "placeholders": ["{{ %s }}" % key for key in keys],  # noqa: UP031 - literal braces
        "reduction": reduction_percent(processing.time_limit, processing.online_time_limit)
        if processing else None,
        "time_limit": format_time_limit(processing.time_limit) if processing else "",
        "adding": adding,
        **({"preview": form_context(parsed.form, form_defaults(parsed.form))}
           if parsed and parsed.form else {}),
    }, status=status)


def _section_summary(section: df.Section, form: Any, definition: dict) -> str:
    """What a folded section holds, in a line: its rows, or its main values."""
    if section.is_formset:
        rows = len(form.initial or [])
        if not rows:
            return _("Chưa có dòng nào.")
        text = f"{rows} {str(section.row_noun).lower()}"
        if section.key == "workflow":
            levels = 2 if any(isinstance(step, dict) and step.get("kind") == "review"
                              for step in definition.get("workflow") or []) else 1
            text += " · " + _("%(levels)s cấp phê duyệt") % {"levels": levels}
        return text
    if section.key == "general":
        return " · ".join(str(definition.get(key) or "") for key in ("field", "agency")
                          if definition.get(key))
    return ""


def _form_keys(definition: dict) -> list[str]:
    return template_keys(definition.get("form") or [])


def _error_items(section: df.Section, bound: Any, extra: list[str]) -> list[tuple[str, str]]:
    """(anchor id, message) for the section's error summary, every error at once."""
    anchor = f"section-{section.key}"
    items: list[tuple[str, str]] = []
    rows = list(bound.forms) if section.is_formset else [bound]
    for index, form in enumerate(rows):
        row = (_("%(noun)s %(number)s") % {"noun": section.row_noun, "number": index + 1}
               + " — ") if section.is_formset else ""
        row_anchor = f"{section.key}-row-{index}" if section.is_formset else anchor
        for name, errors in form.errors.items():
            if name == NON_FIELD_ERRORS or name not in form.fields or form[name].is_hidden:
                target, label = row_anchor, ""
            else:
                target, label = form[name].auto_id, f"{form.fields[name].label}: "
            items.extend((target, f"{row}{label}{error}") for error in errors)
    if section.is_formset:
        items.extend((f"{section.key}-rows", str(error)) for error in bound.non_form_errors())
    items.extend((anchor, message) for message in extra)
    return items


def _place_errors(exc: ValidationError, placements: list[df.Placement]) -> list[str]:
    """Attach each pydantic error to the form (row) and field it is about; return the ones that
    belong to no form."""
    unplaced = []
    for error in exc.errors():
        loc = tuple(error.get("loc") or ())
        message = pydantic_message(error)
        matches = [p for p in placements if loc[:len(p.loc)] == p.loc]
        match = max(matches, key=lambda p: len(p.loc), default=None)
        if match is None or match.form is None:
            unplaced.append(f"{path_label(loc)}: {message}" if loc else message)
            continue
        rest = loc[len(match.loc):]
        name = match.fields.get(rest[0]) if rest and isinstance(rest[0], str) else None
        if name and name in match.form.fields:
            match.form.add_error(name, message)
        else:
            match.form.add_error(None, message)
    return unplaced


def pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return str(template) % context
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))


def path_label(parts: tuple | list) -> str:
    """('fees', 0, 'online_amount') → 'Phí, lệ phí › mục 1 › mức thu trực tuyến'."""
    shown = []
    for index, part in enumerate(parts):
        text = str(part)
        if index == 0 and text in SECTION_LABELS:
            shown.append(str(SECTION_LABELS[text]))
        elif isinstance(part, int) or text.isdigit():
            shown.append(_("mục %(number)s") % {"number": int(text) + 1})
        else:
            shown.append(str(PART_LABELS.get(text, text)))
    return " › ".join(shown)


# --- preview --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    draft = _draft(procedure)
    if draft is None:
        _notify(request, "info", _("Thủ tục không có bản nháp để xem trước."))
        return redirect("designer:procedure", code=code)
    try:
        definition = draft.parsed()
    except ValidationError:
        _notify(request, "error", _("Nội dung bản nháp chưa hợp lệ; hãy lưu lại từng phần."))
        return redirect("designer:draft", code=code)
    fields = definition.form
    pages = definition.form_pages()
    context: dict[str, Any] = {"procedure": procedure, "draft": draft, "definition": definition,
                               "form_pages": pages if len(pages) > 1 else []}
    status = 200
    if request.method == "POST":
        post = request.POST.copy()
        for name, upload in request.FILES.items():  # a file field's value is its file's name
            post[name] = upload.name
        submission = read_form(SimpleNamespace(POST=post), fields)  # type: ignore[arg-type]
        if submission.result is None:
            context |= form_context(fields, submission.raw, extra_rows=submission.extra_rows)
        elif submission.result.is_valid:
            context |= form_context(fields, submission.raw)
            context["cleaned"] = _describe(fields, submission.result.cleaned)
        else:
            context |= form_context(fields, submission.raw, submission.result.errors)
            status = 400
    else:
        context |= form_context(fields, form_defaults(fields))
    return _render(request, "catalog/designer/preview.html", context, status=status)


def _describe(fields: list[FormField], cleaned: dict[str, Any]) -> list[dict[str, Any]]:
    """The cleaned values as label → text, groups as lists of items."""
    shown = []
    for f in fields:
        if f.key not in cleaned:
            continue
        value = cleaned[f.key]
        if f.type == FieldType.GROUP:
            shown.append({"label": f.label, "value": "",
                          "entries": [_describe(f.fields, item) for item in value]})
        else:
            shown.append({"label": f.label, "value": _show_cleaned(f, value), "entries": None})
    return shown


def _show_cleaned(f: FormField, value: Any) -> str:
    options = {o.value: o.label for o in f.options}
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list):
        return ", ".join(options.get(v, str(v)) for v in value)
    if isinstance(value, dict):
        names = dict(AdministrativeUnit.objects.filter(
            code__in=[value.get("province"), value.get("commune")]).values_list("code", "name"))
        return ", ".join(part for part in (value.get("street"), names.get(value.get("commune")),
                                           names.get(value.get("province"))) if part)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}".replace(".", ",")
    if f.type == FieldType.MONEY:
        return f"{value:,}".replace(",", ".") + " đ"
    return options.get(value, str(value)) if f.type == FieldType.SELECT else str(value)


# --- comparing, exporting and importing versions -------------------------------------------------

@login_required
@require_GET
def compare(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure(request, code)
    versions = {v.number: v for v in procedure.versions.order_by("-number")}
    numbers = list(versions)
    if not numbers:
        raise Http404

    def chosen(name: str, default: int) -> int:
        try:
            return int(request.GET.get(name, default))
        except (TypeError, ValueError):
            return default

    a = chosen("a", numbers[1] if len(numbers) > 1 else numbers[0])
    b = chosen("b", numbers[0])
    if a not in versions or b not in versions:
        raise Http404
    rows = change_rows(versions[a].definition, versions[b].definition)
    return _render(request, "catalog/designer/compare.html", {
        "procedure": procedure, "versions": list(versions.values()), "a": versions[a],
        "b": versions[b], "rows": rows,
    })


def change_rows(old: dict, new: dict) -> list[dict[str, str]]:
    """What changed between two definitions, as the comparison and approval pages list it."""
    return [{"path": path_label(change.path.split(".")),
             "kind": CHANGE_KINDS[change.kind], "kind_key": change.kind,
             "old": _show_value(change.old) if change.kind != "added" else "",
             "new": _show_value(change.new) if change.kind != "removed" else ""}
            for change in diff(old, new)]


def _show_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if value == "":
        return _("(trống)")
    return str(value)


@login_required
@require_GET
def export(request: HttpRequest, code: str, number: int) -> HttpResponse:
    procedure = _procedure(request, code)
    version = get_object_or_404(procedure.versions, number=number)
    try:
        definition = version.parsed().to_json()  # the format's own key order
    except ValidationError:
        definition = version.definition
    body = json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{procedure.code}-v{number}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_definition(request: HttpRequest) -> HttpResponse:
    agencies = _designer_agencies(request.user)
    posted = request.method == "POST"
    form = df.ImportForm(request.POST if posted else None, request.FILES if posted else None,
                         agencies=agencies)
    problems: list[str] = []
    if posted and form.is_valid():
        problems, definition = _read_definition(form.cleaned_data["file"].read())
        if definition is not None:
            try:
                version, note = _import(request.user, form.chosen_owner(), definition)
            except VersionError as exc:
                problems = [str(exc)]
            else:
                _notify(request, "success", note)
                return redirect("designer:draft", code=version.procedure.code)
    return _render(request, "catalog/designer/import.html", {
        "form": form, "problems": problems, "form_error_items": _form_error_items(form),
    }, status=400 if posted else 200)


def _read_definition(content: bytes) -> tuple[list[str], ProcedureDefinition | None]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [_("Tệp không phải văn bản UTF-8.")], None
    except json.JSONDecodeError as exc:
        return [_("Tệp không phải JSON hợp lệ (dòng %(line)s, cột %(column)s: %(error)s).") % {
            "line": exc.lineno, "column": exc.colno, "error": exc.msg}], None
    try:
        return [], ProcedureDefinition.model_validate(data)
    except ValidationError as exc:
        return [f"{path_label(tuple(e['loc']))}: {pydantic_message(e)}" if e.get("loc")
                else pydantic_message(e) for e in exc.errors()], None


@transaction.atomic
def _import(user: User, owner: Agency, definition: ProcedureDefinition
            ) -> tuple[ProcedureVersion, str]:
    """The imported definition becomes the draft of the procedure with its code, or of a new
    procedure of ``owner``. All or nothing."""
    existing = Procedure.objects.filter(code=definition.code).first()
    if existing is not None:
        if not editable_procedures(user).filter(pk=existing.pk).exists():
            raise VersionError(_("Thủ tục mã %(code)s thuộc cơ quan khác; bạn không được sửa.")
                               % {"code": definition.code})
        draft = start_draft(existing, user)
        save_draft(draft, definition.to_json())
        return draft, _("Đã nhập tệp thành bản nháp phiên bản %(number)s của thủ tục "
                        "%(code)s.") % {"number": draft.number, "code": existing.code}
    version = create_procedure(owner, user, definition.name, definition.field,
                               definition.levels[0])
    data = definition.to_json()
    data["code"] = version.procedure.code
    save_draft(version, data)
    note = _("Đã tạo thủ tục mới %(code)s từ tệp.") % {"code": version.procedure.code}
    if definition.code != version.procedure.code:
        note += " " + _("Mã %(old)s trong tệp chưa có trong danh mục nên thủ tục được cấp mã "
                        "%(new)s.") % {"old": definition.code, "new": version.procedure.code}
    return version, note


# --- the catalogue quality check ---------------------------------------------------------------

QUALITY_PAGE_SIZE = 50


@login_required
@require_GET
def quality_report(request: HttpRequest) -> HttpResponse:
    """Contradictions in the catalogue (``catalog.quality``), with counts per kind. A service
    designer sees their agencies' procedures; a procedure controller, who checks the whole
    catalogue, sees every one. Anyone else gets a 403."""
    user = request.user
    controller = user.memberships.filter(role=Role.PROCEDURE_CONTROLLER).exists()
    editable = editable_procedures(user)
    if not controller and not designer_agencies(user).exists():
        raise PermissionDenied(_("Chỉ quản trị thủ tục và cán bộ kiểm soát thủ tục hành chính "
                                 "xem được trang này."))
    definitions = current_definitions(None if controller else editable)
    findings = quality.check_all(definitions)
    counts = quality.counts(findings)
    kind = request.GET.get("kind", "")
    if kind in {k.value for k in quality.Kind}:
        findings = [f for f in findings if f.kind == kind]
    else:
        kind = ""
    editable_codes = set(editable.values_list("code", flat=True))
    page = Paginator(findings, QUALITY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [SimpleNamespace(
        finding=f, label=quality.KIND_LABELS[f.kind],
        url=(reverse("designer:procedure", args=[f.code]) if f.code in editable_codes
             else reverse("catalog:procedure", kwargs={"code": f.code})))
        for f in page.object_list]
    return _render(request, "catalog/designer/quality.html", {
        "page": page, "rows": rows, "kind": kind, "checked": len(definitions),
        "kinds": [(k.value, quality.KIND_LABELS[k], counts[k]) for k in quality.Kind],
        "total": sum(counts.values()),
    })
