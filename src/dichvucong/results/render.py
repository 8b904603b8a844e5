"""The result document as PDF (fpdf2, Be Vietnam Pro through the slips' helpers): the agency and
national heading, the number, the title, the body written from the procedure's result template,
the validity, the signer's block and an empty square where the signing step prints the QR code.

``render`` returns the bytes and where the QR goes; the bytes are the PDF's first revision, whose
SHA-256 the QR payload carries (the QR and the signature are added as the second revision, so
the hash never has to contain itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fpdf.enums import Align, XPos, YPos

from dichvucong.catalog import resulttemplate
from dichvucong.slips.data import Heading
from dichvucong.slips.fonts import FAMILY
from dichvucong.slips.render import BODY_SIZE, LINE, SlipPDF, _heading, day_text

from . import signature

QR_SIZE = 36.0  # mm: readable by a phone camera at arm's length
MM = 72 / 25.4
SIGNER_SIZE = 11.5  # pt: the signer's block, bold
SIGNER_LINE = 5.4  # mm


@dataclass(frozen=True)
class Document:
    heading: Heading
    number: str
    title: str
    document_type: str
    holder_name: str
    holder_id_masked: str
    paragraphs: list[str]
    issue_date: date
    valid_until: date | None
    signer_title: str  # the authority and position lines (signature.SignatureBlock.title)
    signer_name: str
    dossier_code: str = ""
    replaces: str = ""  # the number of the result this one replaces
    register: str = ""  # a civil status paper's entry, «Số: 15    Quyển số: 01/2025»

    @property
    def one_page(self) -> bool:
        """A civil status paper is one sheet (its register entry says which)."""
        return bool(self.register)


@dataclass(frozen=True)
class Spacing:
    """Body text's size, line height and the gap after each paragraph, in pt and mm."""

    size: float
    line: float
    after: float


# Tried in turn until a one-page document fits on one page.
SPACINGS = (Spacing(BODY_SIZE, LINE, 1.2), Spacing(11, 5.4, 0.5), Spacing(10.5, 4.9, 0.2))


@dataclass(frozen=True)
class QrBox:
    """Where the QR goes, in PDF points from the page's lower left corner (pyHanko's units)."""

    page: int
    x: float
    y: float
    size: float


def fill_template(template: str, values: resulttemplate.Values) -> str:
    """``{{ key }}`` → the form's value for ``key`` (empty when the dossier has none), group
    blocks item by item, lines with only empty placeholders left out (``resulttemplate``)."""
    return resulttemplate.fill(template, values)


class ResultPDF(SlipPDF):
    # A result is rendered once and kept, signed, for years: the few glyphs it uses, not the
    # slips' larger fixed subset that saves CPU on PDFs rendered at every filing or download.
    fixed_subset = False

    def __init__(self, number: str, title: str) -> None:
        self.number = number
        super().__init__("", title)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "I", 8)
        self.set_text_color(90)
        half = self.epw / 2
        self.cell(half, 5, f"Số {self.number}", align=Align.L)
        self.cell(half, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0)


def render(document: Document) -> tuple[bytes, QrBox]:
    """The PDF and where its QR goes. A one-page document is laid out again, tighter, while it
    runs over a page (the last spacing is kept if even that does not fit)."""
    for spacing in SPACINGS if document.one_page else SPACINGS[:1]:
        pdf, box = _layout(document, spacing)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output()), box


def _layout(document: Document, spacing: Spacing) -> tuple[ResultPDF, QrBox]:
    text = {"line": spacing.line, "size": spacing.size}
    pdf = ResultPDF(document.number, document.title)
    _heading(pdf, document.heading)
    pdf.set_font(FAMILY, "", BODY_SIZE)
    pdf.centered(pdf.epw, document.register or f"Số: {document.number}", size=BODY_SIZE)
    pdf.ln(4 if spacing.after > 1 else 2)
    pdf.centered(pdf.epw, document.title.upper(), style="B", size=14, height=7)
    if document.document_type and document.document_type.lower() != document.title.lower():
        pdf.centered(pdf.epw, f"({document.document_type})", style="I", size=BODY_SIZE)
    pdf.ln(5 if spacing.after > 1 else 3)
    pdf.field("Cấp cho", document.holder_name, "B", **text)
    if document.holder_id_masked:
        pdf.field("Số định danh cá nhân", document.holder_id_masked, **text)
    for line in document.paragraphs:
        if line.startswith("# "):  # a section of the result's template, e.g. «Người mẹ»
            pdf.ln(spacing.after)
            pdf.paragraph(line[2:], style="B", after=min(spacing.after, 0.4), **text)
        else:
            pdf.paragraph(line, after=spacing.after, **text)
    pdf.ln(spacing.after)
    pdf.field("Ngày cấp", day_text(document.issue_date), **text)
    pdf.field("Có giá trị đến",
              day_text(document.valid_until) if document.valid_until else "Không thời hạn",
              **text)
    if document.dossier_code:
        pdf.field("Hồ sơ số", document.dossier_code, **text)
    if document.replaces:
        pdf.paragraph(f"Văn bản này thay thế kết quả số {document.replaces}.", style="I",
                      **text)

    # The QR square on the left, the signer's block on the right; kept on one page. The block
    # (signature.py, Decree 30/2020/NĐ-CP Phụ lục I): authority and position lines in bold
    # capitals, each centred in the right half and broken between words where a line is too
    # wide, then the signature, then the full name in bold.
    width = pdf.epw / 2
    right = pdf.l_margin + pdf.epw - width
    pdf.set_font(FAMILY, "B", SIGNER_SIZE)
    lines = [part for line in document.signer_title.splitlines() if line.strip()
             for part in signature.break_line(signature.upper(line), pdf.get_string_width,
                                              width - 2)]
    name_offset = max(24.0, SIGNER_LINE * (len(lines) + 1) + 12)
    block = max(QR_SIZE + 14, name_offset + 10)
    if pdf.will_page_break(block):
        pdf.add_page()
    top = pdf.get_y() + 4
    qr_x = pdf.l_margin
    pdf.set_xy(qr_x, top + QR_SIZE + 1)
    pdf.set_font(FAMILY, "I", 8)
    pdf.multi_cell(QR_SIZE + 10, 3.6, "Quét mã QR để xác minh giấy tờ",
                   align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(right, top)
    for line in lines:
        pdf.set_font(FAMILY, "B", SIGNER_SIZE)
        pdf.cell(width, SIGNER_LINE, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "I", 10)
    pdf.cell(width, SIGNER_LINE, "(Đã ký số)", align=Align.C, new_x=XPos.LEFT,
             new_y=YPos.NEXT)
    if document.signer_name:
        pdf.set_xy(right, top + name_offset)
        pdf.centered(width, document.signer_name, style="B", size=SIGNER_SIZE)
    pdf.set_y(top + block)
    pdf.set_font(FAMILY, "", BODY_SIZE)
    page = pdf.page_no() - 1
    box = QrBox(page=page, x=qr_x * MM, y=(pdf.h - top - QR_SIZE) * MM, size=QR_SIZE * MM)
    return pdf, box


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]


__all__ = ["LINE", "Document", "QrBox", "fill_template", "paragraphs", "render"]
