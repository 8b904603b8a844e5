"""What the citizen's filing pages show around the form (GOV.UK patterns): the answers read back
before filing («Kiểm tra lại thông tin»), and what the citizen must do next on the dossier page
(«Việc bạn cần làm»: supplement, collect the result; paying is the payments app's part of that
panel, ``payments/templatetags/payments.py:fee_to_pay``). Plain Python over model rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.formvalues import Entry, form_entries
from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers import clock
from dichvucong.dossiers.models import Attachment, Delivery, Dossier

# The session key naming the dossier just filed: its page opens with the confirmation panel
# once (not a query string, so the code a citizen shares never carries it).
JUST_FILED = "dossiers.just_filed"


@dataclass(frozen=True)
class Answer:
    """One answer read back, with the id of its input and the form's page it is on (0 for a
    form without sections) for the «Sửa» link."""

    target: str
    entry: Entry
    page: int = 0


def answers(definition: ProcedureDefinition, cleaned: dict[str, Any]) -> list[Answer]:
    """The form's answers as filed (hidden conditional fields are not in ``cleaned``), in the
    form's order, each top-level field (a group with its items) with its input's id."""
    page_of = {f.key: index for index, page in enumerate(definition.form_pages())
               for f in page.fields}
    found = []
    for form_field in definition.form:
        found += [Answer(f"f-{form_field.key}", entry, page_of.get(form_field.key, 0))
                  for entry in form_entries([form_field], cleaned)]
    return found


def documents(definition: ProcedureDefinition, attached: list[Attachment]) -> list[tuple[str, str]]:
    """Each document the procedure asks for and the file given for it ("" for none); the
    declaration, when the procedure has an e-form, is made from the form when filing."""
    by_requirement = {a.requirement: a for a in attached}
    declaration = definition.declaration_document() if definition.form else None
    rows = []
    for document in definition.documents:
        given = by_requirement.get(document.name[:NAME_MAX])
        if given is not None:
            rows.append((document.name, given.original_name))
        elif document is declaration:
            rows.append((document.name, _("Tờ khai điện tử, lập từ thông tin bạn khai")))
        else:
            rows.append((document.name, ""))
    return rows


def delivery_text(delivery: str, address: dict | None, post_field) -> tuple[str, str]:
    """(how the result is delivered, the postal address as written, or "")."""
    label = str(Delivery(delivery).label) if delivery in Delivery.values else ""
    if delivery != Delivery.POST or not address:
        return label, ""
    entry = form_entries([post_field], {post_field.key: address})
    return label, entry[0].value if entry else ""


@dataclass(frozen=True)
class Todo:
    kind: str  # "supplement" or "collect"
    title: str
    text: str = ""
    items: tuple[str, ...] = ()
    link: str = ""  # an anchor on the page
    link_text: str = ""


def todos(dossier: Dossier, *, supplement_items: list[str] | None, requested_at=None,
          result_available: bool = False) -> list[Todo]:
    """What the citizen must do about the dossier, from its state (paying aside): supplement
    what the agency asked for, collect a result waiting at the counter or ready to download.
    Empty when nothing is asked of them."""
    found = []
    if supplement_items is not None:
        when = (timezone.localtime(requested_at).strftime("%H:%M %d/%m/%Y")
                if requested_at else "")
        text = _("Cơ quan yêu cầu bổ sung lúc %(when)s. Hồ sơ được giải quyết tiếp sau khi bạn "
                 "gửi bổ sung.") % {"when": when}
        found.append(Todo("supplement", _("Bổ sung hồ sơ"), text, tuple(supplement_items),
                          "#supplement-heading", _("Gửi giấy tờ bổ sung")))
    if dossier.state == "result_ready":
        if result_available:
            found.append(Todo("collect", _("Nhận kết quả"),
                               _("Kết quả điện tử đã có, bạn có thể tải về."),
                               link="#ket-qua", link_text=_("Tải kết quả")))
        elif dossier.delivery == Delivery.POST:
            pass  # the result is on its way by post: nothing to do
        else:
            place = dossier.agency.name + (f", {dossier.agency.address}"
                                           if dossier.agency.address else "")
            found.append(Todo("collect", _("Nhận kết quả"), _(
                "Mang căn cước công dân và mã hồ sơ %(code)s đến bộ phận một cửa: %(place)s.")
                % {"code": dossier.code, "place": place}))
    return found


UNIT_WORDS = {"working_days": "ngày làm việc", "days": "ngày", "hours": "giờ", "months": "tháng"}


def time_limit_text(dossier: Dossier) -> str:
    """The procedure's time limit for this dossier's channel, a sentence ("" when unstated): what
    the confirmation says while the due date is not known yet (it is set at reception)."""
    spec = clock.time_limit(dossier.procedure_version.parsed(), dossier.channel)
    if spec is None:
        return ""
    if spec.same_day:
        return _("Thời hạn giải quyết: trong ngày hồ sơ được tiếp nhận.")
    value = format(spec.value.normalize(), "f").replace(".", ",")
    return _("Thời hạn giải quyết: %(limit)s kể từ khi hồ sơ được tiếp nhận.") % {
        "limit": f"{value} {_(UNIT_WORDS.get(spec.unit, spec.unit))}"}
