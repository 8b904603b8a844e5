"""The declaration (tờ khai) as a paper: the citizen's form laid out as the official template —
the template's legal reference, the national motto, the title, «Kính gửi» the agency, the fields
in the form's order (a repeating group as numbered blocks), the pledge, «Làm tại …, ngày …» and
the signer's block («Người yêu cầu / (Ký, ghi rõ họ, chữ đệm, tên)» and the name).

Two papers from one layout, both driven by the procedure definition only (``form`` and
``declaration``, ``catalog/definition.py``):

- ``filled``: a filed dossier's declaration; ``attach`` stores it on the dossier as an
  attachment marked ``declaration`` (officials see it among the dossier's files, the citizen on
  the dossier page). It is made in the background after each filing (the pipeline's run
  kicked by the filing: ``pipeline/steps.py:file_declaration``; on failure the task
  ``results.file_declaration``), whatever the channel: page, API, agent or counter.
- ``blank``: the empty template with a dotted line for each field, downloadable from the
  procedure's public page.

The PDF machinery is the slips' (``slips/render.py``: A4, Be Vietnam Pro, the motto's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from fpdf.enums import Align, XPos, YPos

from dichvucong.catalog.definition import (
    DEFAULT_PLEDGE,
    FieldType,
    FormField,
    ProcedureDefinition,
    ProfileKey,
)
from dichvucong.catalog.formvalues import form_entries
from dichvucong.catalog.models import ProcedureVersion
from dichvucong.dossiers.models import Attachment, Dossier, DossierChannel
from dichvucong.dossiers.submission import attach as store
from dichvucong.slips.data import place_name
from dichvucong.slips.fonts import FAMILY
from dichvucong.slips.render import BODY_SIZE, MOTTO, NATION, SlipPDF, dated_line

SIGNER = "Người yêu cầu"
SIGN_HINT = "(Ký, ghi rõ họ, chữ đệm, tên)"
DOT = "."
MIN_DOTS = 30.0  # mm: a shorter rest of the line is left, and the dots go on the next one
ITEM_INDENT = 7.0  # mm: a group's items under its label, numbered in the gutter
LINE = 5.6  # mm: a field's line, a little tighter than the slips' prose
BLANK_DATE = "Làm tại: ...................., ngày ....... tháng ....... năm ..........."
# Changes when the layout changes: part of the blank template's ETag and cache key.
LAYOUT = "1"


@dataclass(frozen=True)
class Line:
    label: str
    value: str = ""  # empty: a dotted line to fill in by hand


@dataclass(frozen=True)
class Group:
    """A repeating group: its label and, for each item, the item's lines."""

    label: str
    items: list[list[Line]]


@dataclass(frozen=True)
class Paper:
    title: str
    reference: str  # the template's legal reference
    addressee: str  # empty: dotted
    blocks: list[Line | Group]
    pledge: str
    signer: str
    place: str = ""
    day: date | None = None  # None: the blank template
    name: str = ""
    note: str = ""  # how and when it was filed


def _on_paper(fields: list[FormField]) -> list[FormField]:
    """The fields a paper shows: all but uploads (a file is a document of the dossier)."""
    return [f.model_copy(update={"fields": _on_paper(f.fields)}) if f.fields else f
            for f in fields if f.type != FieldType.FILE]


def _paper(definition: ProcedureDefinition, blocks: list[Line | Group], **filing) -> Paper:
    spec = definition.declaration
    return Paper(title=definition.declaration_title(),
                 reference=definition.declaration_reference(), blocks=blocks,
                 pledge=spec.pledge or DEFAULT_PLEDGE, signer=spec.signer or SIGNER, **filing)


def blank(definition: ProcedureDefinition) -> Paper:
    """The template as the procedure's page offers it: every field, one item of each group."""
    blocks: list[Line | Group] = [
        Group(f.label, [[Line(sub.label) for sub in f.fields]]) if f.type == FieldType.GROUP
        else Line(f.label) for f in _on_paper(definition.form)]
    return _paper(definition, blocks, addressee="")


def filled(dossier: Dossier, definition: ProcedureDefinition | None = None) -> Paper:
    """A filed dossier's declaration: the fields it shows (hidden conditional ones are not
    in the form's data), values as the pages show them, dated the day it was filed."""
    definition = definition or dossier.procedure_version.parsed()
    values = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    blocks: list[Line | Group] = []
    for form_field in _on_paper(definition.form):
        for entry in form_entries([form_field], values):
            if form_field.type == FieldType.GROUP:
                blocks.append(Group(entry.label, [[Line(e.label, str(e.value)) for e in item]
                                                  for item in entry.items]))
            else:
                blocks.append(Line(entry.label, str(entry.value)))
    if dossier.code is None:  # a draft, signed by the citizen before filing
        moment = timezone.localtime()
        note = (f"Tờ khai điện tử lập lúc {moment:%H:%M} ngày {moment:%d/%m/%Y}, người khai ký "
                "số trước khi nộp.")
    else:
        moment = timezone.localtime(dossier.submitted_at or dossier.created_at or timezone.now())
        channel = DossierChannel(dossier.channel).label
        note = (f"Tờ khai điện tử của hồ sơ {dossier.code}, nộp {str(channel).lower()} lúc "
                f"{moment:%H:%M} ngày {moment:%d/%m/%Y}.")
    # Who signs: the requester as declared (the field filled from the profile's full name),
    # else the dossier's applicant.
    declared = next((str(values.get(f.key) or "").strip() for f in definition.form
                     if f.prefill == ProfileKey.FULL_NAME), "")
    return _paper(definition, blocks, addressee=dossier.agency.name,
                  place=place_name(dossier.agency), day=moment.date(),
                  name=declared or dossier.applicant_name, note=note)


# --- layout -------------------------------------------------------------------------------------


class DeclarationPDF(SlipPDF):
    def __init__(self, paper: Paper) -> None:
        self.paper = paper
        super().__init__("", paper.title)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "I", 8)
        self.set_text_color(90)
        self.cell(self.epw, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0)


def _dots(pdf: DeclarationPDF, line: float) -> None:
    """Dots from the cursor to the right margin (on the next line when little is left)."""
    right = pdf.w - pdf.r_margin
    if right - pdf.get_x() < MIN_DOTS:
        pdf.ln(line)
    width = right - pdf.get_x()
    pdf.set_font(FAMILY, "", BODY_SIZE)
    count = int(width / pdf.get_string_width(DOT)) - 1
    pdf.cell(width, line, DOT * count, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _line(pdf: DeclarationPDF, item: Line) -> None:
    if pdf.will_page_break(LINE):
        pdf.add_page()
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, "", BODY_SIZE)
    pdf.write(LINE, f"{item.label}: ")
    if item.value:
        pdf.set_font(FAMILY, "B", BODY_SIZE)
        pdf.write(LINE, item.value)
        pdf.ln(LINE)
    else:
        _dots(pdf, LINE)
    pdf.ln(0.6)


def _group(pdf: DeclarationPDF, group: Group) -> None:
    pdf.ln(1)
    pdf.paragraph(f"{group.label}:", style="B", align=Align.L, after=0.4)
    if not group.items:
        pdf.paragraph("(không kê khai)", style="I", indent=ITEM_INDENT, after=0.6)
    margin = pdf.l_margin
    for number, item in enumerate(group.items, start=1):
        if pdf.will_page_break(LINE * 2):
            pdf.add_page()
        pdf.set_font(FAMILY, "B", BODY_SIZE)
        pdf.set_x(margin)
        pdf.cell(ITEM_INDENT, LINE, f"{number}.", align=Align.R)  # the cursor stays on the line
        pdf.set_left_margin(margin + ITEM_INDENT + 1.5)
        for line in item:
            _line(pdf, line)
        pdf.set_left_margin(margin)
    pdf.ln(1)


def _top(pdf: DeclarationPDF, paper: Paper) -> None:
    if paper.reference:
        width = pdf.epw * 0.6
        pdf.set_x(pdf.l_margin + pdf.epw - width)
        pdf.set_font(FAMILY, "I", 9)
        pdf.one_or_more_lines(width, 4.2, paper.reference, Align.R, XPos.LMARGIN, YPos.NEXT)
        pdf.ln(2)
    pdf.centered(pdf.epw, NATION, style="B", size=pdf.fit_size(NATION, pdf.epw, 12, "B"))
    pdf.centered(pdf.epw, MOTTO, style="B", size=12.5, height=5.8)
    half = pdf.get_string_width(MOTTO) / 2
    middle = pdf.l_margin + pdf.epw / 2
    rule = pdf.get_y() + 0.6
    pdf.line(middle - half, rule, middle + half, rule)
    pdf.set_y(rule + 7)
    pdf.centered(pdf.epw, paper.title.upper(), style="B", size=14, height=7)
    pdf.ln(3)
    pdf.set_font(FAMILY, "", BODY_SIZE)
    if paper.addressee:
        pdf.centered(pdf.epw, f"Kính gửi: {paper.addressee}", size=BODY_SIZE, height=LINE)
    else:
        pdf.set_x(pdf.l_margin + pdf.epw * 0.2)
        pdf.write(LINE, "Kính gửi: ")
        _dots(pdf, LINE)
    pdf.ln(3)


def _signature(pdf: DeclarationPDF, paper: Paper) -> None:
    if pdf.will_page_break(44):
        pdf.add_page()
    width = pdf.epw / 2 + 10
    x = pdf.l_margin + pdf.epw - width
    top = pdf.get_y() + 3
    pdf.set_xy(x, top)
    dated = (f"Làm tại: {dated_line(paper.place, paper.day)}" if paper.day else BLANK_DATE)
    pdf.centered(width, dated, style="I", size=pdf.fit_size(dated, width, BODY_SIZE, "I", 9))
    pdf.set_x(x)
    pdf.centered(width, paper.signer, style="B", size=BODY_SIZE)
    pdf.set_x(x)
    pdf.centered(width, SIGN_HINT, style="I", size=10)
    if paper.name:
        pdf.set_xy(x, top + 32)
        pdf.centered(width, paper.name, style="B", size=BODY_SIZE)
    pdf.set_xy(pdf.l_margin, top + 40)


def render(paper: Paper) -> bytes:
    pdf = DeclarationPDF(paper)
    _top(pdf, paper)
    for block in paper.blocks:
        if isinstance(block, Group):
            _group(pdf, block)
        else:
            _line(pdf, block)
    pdf.ln(2)
    pdf.paragraph(paper.pledge, line=LINE)
    _signature(pdf, paper)
    if paper.note:
        pdf.paragraph(paper.note, style="I", align=Align.L)
    return bytes(pdf.output())


# --- the dossier's file -------------------------------------------------------------------------


def file_name(code: str | None) -> str:
    return f"to-khai-{code or 'ho-so'}.pdf"


def _filed_dossier(dossier_id: int, *, lock: bool = False) -> Dossier:
    """The dossier, and whether it has its declaration's file (``declared``) in the same
    query."""
    found = (Dossier.objects.select_related("agency__administrative_unit", "procedure_version")
             .annotate(declared=Exists(Attachment.objects.filter(dossier=OuterRef("pk"),
                                                                  declaration=True))))
    return (found.select_for_update(of=("self",)) if lock else found).get(pk=dossier_id)


def _declaration_file(dossier: Dossier) -> Attachment | None:
    return dossier.attachments.filter(declaration=True).first() if dossier.declared else None


def attach(dossier_id: int) -> Attachment | None:
    """Render the dossier's declaration and keep it as its file, once (None: the procedure has
    no form, or the dossier was not filed).

    Rendered before the transaction that keeps it: a rendering takes tens of milliseconds of
    CPU, and on SQLite a transaction holds the database's one write lock, so every filing
    waited behind each rendering. Inside, with the dossier locked, the paper is drawn up again
    (no rendering) and kept only if it is still the one rendered; a concurrent run that kept
    one first wins."""
    dossier = _filed_dossier(dossier_id)
    if dossier.declared or dossier.code is None:
        return _declaration_file(dossier)
    definition = dossier.procedure_version.parsed()
    if not definition.form:
        return None
    paper = filled(dossier, definition)
    content = render(paper)
    with transaction.atomic():
        dossier = _filed_dossier(dossier_id, lock=True)
        if dossier.declared:
            return _declaration_file(dossier)
        definition = dossier.procedure_version.parsed()
        if (now := filled(dossier, definition)) != paper:  # changed meanwhile: as it is now
            content = render(now)
        upload = SimpleUploadedFile(file_name(dossier.code), content, "application/pdf")
        return store(dossier, definition.declaration_title(), upload, None, declaration=True)


# A filing's declaration is queued after its commit; one still missing this long after it was
# filed lost its job (a worker killed, the queue unreachable), and one filed longer ago than the
# window is left to an operator (``attach`` by hand) rather than looked for every few minutes.
MISSING_AFTER = timedelta(minutes=2)
MISSING_WINDOW = timedelta(days=3)


def missing(now: datetime, batch: int = 50) -> list[int]:
    """Dossiers filed within the window, past the grace time, whose procedure has a form and
    that have no declaration file: their job was lost."""
    recent = Dossier.objects.filter(code__isnull=False,
                                    submitted_at__gte=now - MISSING_WINDOW,
                                    submitted_at__lt=now - MISSING_AFTER)
    with_form = [version.pk for version in ProcedureVersion.objects.filter(
        pk__in=recent.values("procedure_version_id")) if version.parsed().form]
    return list(recent.filter(procedure_version_id__in=with_form)
                .exclude(attachments__declaration=True)
                .order_by("submitted_at").values_list("pk", flat=True)[:batch])


def attach_missing(now: datetime | None = None) -> int:
    """The sweeper (every five minutes): attach the declarations whose job was lost."""
    found = missing(now or timezone.now())
    for dossier_id in found:
        attach(dossier_id)
    return len(found)


def has_form(dossier: Dossier) -> bool:
    return bool(dossier.procedure_version.parsed().form)
