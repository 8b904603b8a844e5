"""The slips as PDF (fpdf2): A4, the agency on the left and the national heading on the right,
the title, then the content, in a typeface with every Vietnamese letter (``fonts.py``).

Each ``render_*`` takes a dossier (or an agency and a period) and returns the PDF's bytes; the
values come from ``data.py``, and the ``layout_*`` functions only place them, so they can be
rendered from hand-made data too.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, datetime

import segno
from django.utils import timezone
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TextEmphasis, WrapMode, XPos, YPos

from dichvucong.slips import data
from dichvucong.slips.embedded import FixedSubsetOutput, pick_fixed, typeface
from dichvucong.slips.fonts import FAMILY, font_set

# fontTools logs every font subset at INFO level: a hundred lines per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
CIRCULAR = "Phụ lục I, Thông tư số 03/2025/TT-VPCP"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
BODY_SIZE = 11.5
LINE = 6.2  # body line height, mm
HEADING_FILL = (232, 236, 241)


# --- words for dates and times ------------------------------------------------------------------


def day_text(moment: date | datetime | None) -> str:
    """05/03/2025."""
    return moment.strftime("%d/%m/%Y") if moment is not None else ""


def moment_text(moment: datetime | None) -> str:
    """08 giờ 15 phút, ngày 05/03/2025."""
    if moment is None:
        return ""
    return f"{moment:%H} giờ {moment:%M} phút, ngày {day_text(moment)}"


def appointment_text(moment: datetime | None) -> str:
    """17 giờ 00 phút, thứ Tư, ngày 12/03/2025: the weekday too, so nobody comes on the wrong
    day."""
    if moment is None:
        return ""
    weekday = WEEKDAYS[moment.weekday()]
    return f"{moment:%H} giờ {moment:%M} phút, {weekday}, ngày {day_text(moment)}"


def short_moment(moment: datetime | None) -> str:
    """05/03/2025 08:15, for tables."""
    return f"{day_text(moment)} {moment:%H:%M}" if moment is not None else ""


def dated_line(place: str, day: date) -> str:
    """Hải Châu, ngày 05 tháng 3 năm 2025 — day below 10 and months 1 and 2 with a leading zero,
    as administrative documents write them (Decree 30/2020/NĐ-CP)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    title: str
    hint: str
    name: str


class SlipPDF(FPDF):
    """An A4 page in the slips' typeface, with the form's reference and page numbers below."""

    def __init__(self, form_no: str, title: str, *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.form_no = form_no
        self._font_files = font_set().files
        self._fonts_added: set[str] = set()
        self.set_margins(left=25 if not landscape else 20, top=15, right=15)
        self.set_auto_page_break(True, margin=18)
        self.set_lang("vi")
        self.set_title(title)
        self.set_creator("dichvucong")
        self.set_line_width(0.3)
        self.add_page()
        self.set_font(FAMILY, "", BODY_SIZE)

    def set_font(self, family=None, style="", size=0) -> None:
        """Add each style of the typeface on its first use: a style never used is then neither
        parsed nor embedded."""
        if (family or self.font_family or "").lower() == FAMILY.lower():
            letters = style.style if isinstance(style, TextEmphasis) else style
            key = "".join(sorted(ch for ch in letters.upper() if ch in "BI"))
            if key not in self._fonts_added:
                self._add_typeface(key)
                self._fonts_added.add(key)
        super().set_font(family, style, size)

    # Every PDF embeds the same subset of each style, written once per process (``embedded.py``:
    # a declaration's 55 ms were about 12 of parsing the typeface and 28 of subsetting and
    # writing it): about 25 KB a style against 9–10 for the glyphs a slip uses. False: the
    # glyphs this PDF uses, subset for it (the typeface is still parsed once per process).
    fixed_subset = True

    def _add_typeface(self, style: str) -> None:
        font = typeface(self, FAMILY, style, self._font_files[style])
        if self.fixed_subset:
            pick_fixed(font)

    def output(self, *args, **kwargs):
        if self.fixed_subset:
            kwargs.setdefault("output_producer_class", FixedSubsetOutput)
        return super().output(*args, **kwargs)

    # fpdf2's line breaking measures the line again from its start at each letter, which made
    # most of a declaration's layout time; a text that fits on the line is drawn as a cell,
    # which puts the same glyphs at the same place (the same text-line routine draws both).

    def _fits(self, text: str, width: float) -> bool:
        return ("\n" not in text and "\u00ad" not in text
                and self.get_string_width(text) + 2 * self.c_margin < width - 0.01)

    def write(self, h=None, text="", link="", print_sh=False, wrapmode=WrapMode.WORD) -> bool:
        if h is not None and not link and self._fits(text, self.w - self.r_margin - self.x):
            return self.cell(None, h, text, new_x=XPos.WCONT, new_y=YPos.TOP)
        return super().write(h, text, link, print_sh, wrapmode)

    def one_or_more_lines(self, width: float, height: float, text: str, align: Align,
                          new_x: XPos, new_y: YPos) -> None:
        """``multi_cell`` as the slips call it: a cell when the text fits on one line."""
        if align in (Align.L, Align.C, Align.R) and self._fits(text, width):
            self.cell(width, height, text, align=align, new_x=new_x, new_y=new_y)
        else:
            self.multi_cell(width, height, text, align=align, new_x=new_x, new_y=new_y)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "I", 8)
        self.set_text_color(90)
        half = self.epw / 2
        self.cell(half, 5, f"Mẫu số {self.form_no}, {CIRCULAR}", align=Align.L)
        self.cell(half, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0)

    # Text helpers. Every call leaves the cursor at the left margin of the next line.

    def fit_size(self, text: str, width: float, size: float, style: str = "",
                 smallest: float = 7) -> float:
        """The largest size from ``size`` down to ``smallest`` at which ``text`` fits on one line
        of ``width`` (``smallest`` when nothing fits: the text then wraps)."""
        while size > smallest:
            self.set_font(FAMILY, style, size)
            if self.get_string_width(text) <= width - 1:
                break
            size -= 0.5
        return size

    def centered(self, width: float, text: str, style: str = "", size: float = BODY_SIZE,
                 height: float = 5.2) -> None:
        self.set_font(FAMILY, style, size)
        self.one_or_more_lines(width, height, text, Align.C, XPos.LEFT, YPos.NEXT)

    def paragraph(self, text: str, style: str = "", indent: float = 0,
                  align: Align = Align.J, after: float = 1.2, *, line: float = LINE,
                  size: float = BODY_SIZE) -> None:
        self.set_font(FAMILY, style, size)
        self.set_x(self.l_margin + indent)
        self.one_or_more_lines(self.epw - indent, line, text, align, XPos.LMARGIN, YPos.NEXT)
        self.ln(after)

    def field(self, label: str, value: str, value_style: str = "", *, line: float = LINE,
              size: float = BODY_SIZE, after: float = 0.8) -> None:
        """«Label: value», the value wrapping under the label's line."""
        self.set_x(self.l_margin)
        self.set_font(FAMILY, "B", size)
        self.write(line, f"{label}: ")
        self.set_font(FAMILY, value_style, size)
        self.write(line, value)
        self.ln(line + after)

    def items(self, entries: list[str], indent: float = 6, marker: str = "{}.") -> None:
        """A numbered list with hanging indents; an item never starts at the foot of a page."""
        self.set_font(FAMILY, "", BODY_SIZE)
        number_width = 8
        for index, entry in enumerate(entries, start=1):
            if self.will_page_break(LINE):
                self.add_page()
            self.set_x(self.l_margin + indent)
            self.cell(number_width, LINE, marker.format(index))
            self.multi_cell(self.epw - indent - number_width, LINE, entry, align=Align.L,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(0.6)


def _heading(pdf: SlipPDF, heading: data.Heading) -> None:
    top = pdf.get_y()
    left_width = 78 if pdf.w < pdf.h else 110
    gap = 2
    right_x = pdf.l_margin + left_width + gap
    right_width = pdf.epw - left_width - gap

    # Left: the parent agency, the agency in bold, a short rule under it.
    pdf.set_xy(pdf.l_margin, top)
    if heading.parent:
        parent = heading.parent.upper()
        pdf.centered(left_width, parent, size=pdf.fit_size(parent, left_width, 10.5, "", 9))
    agency = heading.agency.upper()
    pdf.centered(left_width, agency, style="B", size=pdf.fit_size(agency, left_width, 10.5, "B", 9))
    rule_y = pdf.get_y() + 1.5
    middle = pdf.l_margin + left_width / 2
    pdf.line(middle - 15, rule_y, middle + 15, rule_y)
    left_bottom = rule_y

    # Right: the national heading, the motto underlined by a rule as wide as it, place and date.
    pdf.set_xy(right_x, top)
    size = pdf.fit_size(NATION, right_width, 10.5, "B")
    pdf.centered(right_width, NATION, style="B", size=size)
    motto_size = pdf.fit_size(MOTTO, right_width, 11.5, "B")
    pdf.centered(right_width, MOTTO, style="B", size=motto_size, height=5.6)
    motto_width = pdf.get_string_width(MOTTO)
    rule_y = pdf.get_y() + 0.6
    middle = right_x + right_width / 2
    pdf.line(middle - motto_width / 2, rule_y, middle + motto_width / 2, rule_y)
    pdf.set_xy(right_x, rule_y + 3)
    dated = dated_line(heading.place, heading.day)
    pdf.centered(right_width, dated, style="I", size=pdf.fit_size(dated, right_width, 11, "I"))
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 7)


def _title(pdf: SlipPDF, title: str, subtitle: str = "") -> None:
    pdf.set_x(pdf.l_margin)
    pdf.centered(pdf.epw, title.upper(), style="B", size=14, height=7)
    if subtitle:
        pdf.ln(0.5)
        pdf.centered(pdf.epw, subtitle, style="B", size=BODY_SIZE, height=6)
    pdf.ln(5)
    pdf.set_font(FAMILY, "", BODY_SIZE)


def _addressee(pdf: SlipPDF, common: data.Common) -> None:
    pdf.set_font(FAMILY, "", BODY_SIZE)
    text = f"Kính gửi: {common.addressee}"
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(pdf.epw, LINE, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _signatures(pdf: SlipPDF, left: Signature | None, right: Signature | None,
                recipients: list[str] | None = None) -> None:
    """Two columns at the foot: the left one may list the recipients (Nơi nhận) instead."""
    space = 44
    if pdf.will_page_break(space):
        pdf.add_page()
    top = pdf.get_y() + 5
    width = pdf.epw / 2
    if recipients:
        pdf.set_xy(pdf.l_margin, top)
        pdf.set_font(FAMILY, "BI", 10)
        pdf.cell(width, 5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 9.5)
        for line in recipients:
            pdf.cell(width, 4.6, f"- {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for column, block in enumerate((left, right)):
        if block is None:
            continue
        x = pdf.l_margin + column * width
        pdf.set_xy(x, top)
        pdf.centered(width, block.title.upper(), style="B", size=11)
        pdf.centered(width, f"({block.hint})", style="I", size=10)
        pdf.set_xy(x, top + 32)
        pdf.centered(width, block.name, style="B", size=11)
    pdf.set_xy(pdf.l_margin, top + space)


def qr_png(url: str) -> io.BytesIO:
    """The QR code of ``url`` as a PNG, eight pixels a module and the four-module quiet zone."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


def _tracking_box(pdf: SlipPDF, url: str, code: str) -> None:
    size = 32
    if pdf.will_page_break(size + 4):
        pdf.add_page()
    top = pdf.get_y() + 2
    pdf.image(qr_png(url), x=pdf.l_margin, y=top, w=size, h=size, link=url,
              alt_text=f"Mã QR tra cứu hồ sơ {code}")
    text_x = pdf.l_margin + size + 3
    text_width = pdf.epw - size - 3
    pdf.set_xy(text_x, top + 5)
    pdf.set_font(FAMILY, "B", 10.5)
    pdf.multi_cell(text_width, 5.5, "Tra cứu tình trạng hồ sơ", align=Align.L,
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10.5)
    pdf.multi_cell(text_width, 5.5,
                   f"Quét mã QR bên cạnh, hoặc vào trang tra cứu và nhập mã hồ sơ {code}:",
                   align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(20, 60, 140)
    pdf.multi_cell(text_width, 5.5, url, align=Align.L, link=url, wrapmode=WrapMode.CHAR,
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + size) + 2)


def _reason(pdf: SlipPDF, reason: list[str]) -> None:
    for line in reason or ["(không ghi lý do)"]:
        pdf.paragraph(line, indent=8, after=0.6)
    pdf.ln(1)


def _contact(pdf: SlipPDF, common: data.Common) -> None:
    if common.agency_phone:
        pdf.paragraph(f"Mọi vướng mắc, xin liên hệ {common.agency_name}, điện thoại "
                      f"{common.agency_phone}.")


def _table(pdf: SlipPDF, headings: tuple[str, ...], widths: tuple[float, ...],
           aligns: tuple[str, ...], rows: list[tuple[str, ...]], size: float = 9) -> None:
    pdf.set_font(FAMILY, "", size)
    with pdf.table(
        col_widths=widths, text_align=aligns, line_height=4.6, padding=(1.2, 1.2),
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
        width=pdf.epw, align=Align.L, v_align="TOP", repeat_headings=1,
    ) as table:
        heading_row = table.row()
        for heading in headings:
            heading_row.cell(heading, align=Align.C)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)


def _generated_note(pdf: SlipPDF) -> None:
    now = timezone.localtime()
    pdf.set_font(FAMILY, "I", 9.5)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(pdf.epw, 5, "Lập tự động từ nhật ký xử lý hồ sơ trên hệ thống thông tin giải "
                   f"quyết thủ tục hành chính, lúc {now:%H:%M} ngày {day_text(now)}.",
                   align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _start(common: data.Common, *, landscape: bool = False) -> SlipPDF:
    pdf = SlipPDF(common.form_no, f"{common.title} — {common.code}", landscape=landscape)
    _heading(pdf, common.heading)
    _title(pdf, common.title, f"Mã hồ sơ: {common.code}")
    return pdf


def _procedure(common: data.Common) -> str:
    return f"{common.procedure_name} (mã thủ tục {common.procedure_code})"


def _procedure_in_text(common: data.Common) -> str:
    return f"«{common.procedure_name}» (mã thủ tục {common.procedure_code})"


def _output(pdf: SlipPDF) -> bytes:
    return bytes(pdf.output())


# --- the forms ----------------------------------------------------------------------------------


def layout_reception_slip(slip: data.ReceptionSlip) -> bytes:
    """Mẫu 01: giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    c = slip.common
    a = c.applicant
    pdf = _start(c)
    pdf.paragraph(f"{c.agency_name} đã tiếp nhận hồ sơ của:")
    pdf.field("Họ và tên" if a.is_citizen else "Tên tổ chức, cá nhân", a.name, "B")
    if a.id_number:
        pdf.field("Số định danh cá nhân", a.id_number)
    contact = "; ".join(p for p in (a.phone and f"điện thoại {a.phone}",
                                    a.email and f"thư điện tử {a.email}") if p)
    if contact:
        pdf.field("Liên hệ", contact[0].upper() + contact[1:])
    if a.address:
        pdf.field("Địa chỉ", a.address)
    pdf.field("Nội dung yêu cầu giải quyết", _procedure(c))
    pdf.ln(1)
    pdf.paragraph("1. Thành phần hồ sơ nộp gồm:", "B", after=0.4)
    documents = [f"{d.name} ({d.quantity})" if d.quantity else d.name for d in slip.documents]
    pdf.items(documents or ["(không có thành phần hồ sơ)"], marker="({})")
    pdf.field("2. Số lượng hồ sơ", "01 bộ.")
    if slip.time_limit:
        pdf.field("3. Thời hạn giải quyết hồ sơ theo quy định", f"{slip.time_limit}.")
    else:
        pdf.field("3. Thời hạn giải quyết hồ sơ theo quy định", "không quy định.")
    pdf.field("4. Thời gian nhận hồ sơ", f"{moment_text(slip.received_at)}.")
    appointment = appointment_text(slip.due_at) or "cơ quan giải quyết sẽ thông báo."
    pdf.field("5. Thời gian trả kết quả giải quyết hồ sơ", appointment, "B")
    pdf.field("6. Hình thức nộp hồ sơ", f"{c.channel}.")
    pdf.field("7. Đăng ký nhận kết quả", f"{slip.delivery}.")
    if slip.fee:
        pdf.field("8. Phí, lệ phí", f"{slip.fee}.")
    pdf.ln(1)
    _tracking_box(pdf, slip.tracking_url, c.code)
    _signatures(pdf, Signature("Người nộp hồ sơ", "Ký và ghi rõ họ tên", a.name),
                Signature("Người tiếp nhận hồ sơ", "Ký và ghi rõ họ tên", slip.officer))
    return _output(pdf)


def layout_supplement_request(slip: data.SupplementRequest) -> bytes:
    """Mẫu 02: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — everything missing, at once."""
    c = slip.common
    pdf = _start(c)
    _addressee(pdf, c)
    filed = c.submitted_at or c.received_at
    filed_text = f", nộp {c.channel.lower()} ngày {day_text(filed)}" if filed else ""
    pdf.paragraph(f"{c.agency_name} đã nhận hồ sơ của {c.you} đề nghị giải quyết thủ tục "
                  f"{_procedure_in_text(c)}{filed_text}.")
    pdf.paragraph(f"Sau khi xem xét, hồ sơ chưa đầy đủ, hợp lệ. Đề nghị {c.you} bổ sung, hoàn "
                  "thiện hồ sơ gồm những nội dung sau:")
    pdf.items(slip.items or ["(không ghi nội dung)"])
    pdf.ln(1)
    if slip.during_processing:
        pdf.paragraph(f"Thời gian {c.you} bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải "
                      "quyết; hồ sơ được tiếp tục giải quyết khi nhận đủ các nội dung trên.")
    else:
        pdf.paragraph(f"Hồ sơ chưa được tiếp nhận; thời hạn giải quyết được tính từ khi "
                      f"{c.agency_name} nhận đủ hồ sơ hợp lệ.")
    pdf.paragraph(f"Phiếu này nêu đầy đủ, một lần các nội dung cần bổ sung, hoàn thiện (yêu cầu "
                  f"lúc {moment_text(slip.requested_at)}).")
    _contact(pdf, c)
    _signatures(pdf, None, Signature("Người hướng dẫn", "Ký và ghi rõ họ tên", slip.officer))
    return _output(pdf)


def layout_rejection(slip: data.Rejection) -> bytes:
    """Mẫu 03: phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reason."""
    c = slip.common
    pdf = _start(c)
    _addressee(pdf, c)
    filed = f", nộp ngày {day_text(c.submitted_at)}" if c.submitted_at else ""
    pdf.paragraph(f"{c.agency_name} đã nhận hồ sơ của {c.you} đề nghị giải quyết thủ tục "
                  f"{_procedure_in_text(c)}{filed}.")
    pdf.paragraph(f"Qua xem xét, {c.agency_name} từ chối tiếp nhận hồ sơ này vì lý do sau:")
    _reason(pdf, slip.reason)
    pdf.paragraph(f"Xin thông báo để {c.you} biết và thực hiện.")
    _contact(pdf, c)
    _signatures(pdf, None, Signature("Người tiếp nhận hồ sơ", "Ký và ghi rõ họ tên", slip.officer))
    return _output(pdf)


def layout_apology(slip: data.Apology) -> bytes:
    """Mẫu 04: văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết."""
    c = slip.common
    pdf = _start(c)
    _addressee(pdf, c)
    received = f"Ngày {day_text(c.received_at)}, " if c.received_at else ""
    subject = c.agency_name if received else c.agency_name[0].upper() + c.agency_name[1:]
    promised = (f", hẹn trả kết quả vào {appointment_text(slip.original_due_at)}"
                if slip.original_due_at else "")
    pdf.paragraph(f"{received}{subject} tiếp nhận hồ sơ của {c.you} đề nghị giải quyết thủ tục "
                  f"{_procedure_in_text(c)}, mã hồ sơ {c.code}{promised}.")
    pdf.paragraph(f"Đến nay, {c.agency_name} chưa thể trả kết quả giải quyết hồ sơ đúng hẹn. "
                  "Lý do:")
    _reason(pdf, slip.reason)
    pdf.paragraph(f"{c.agency_name} xin lỗi {c.you} vì sự chậm trễ này và đề nghị gia hạn thời "
                  "gian giải quyết hồ sơ. Thời gian hẹn trả kết quả mới:")
    pdf.paragraph(appointment_text(slip.new_due_at), "B", indent=8)
    pdf.paragraph(f"Rất mong {c.you} thông cảm.")
    _contact(pdf, c)
    _signatures(pdf, None, Signature("Đại diện cơ quan", "Ký, ghi rõ họ tên và đóng dấu",
                                     slip.signer),
                recipients=["Như trên;", "Lưu: hồ sơ, VT."])
    return _output(pdf)


def layout_stop_notice(slip: data.StopNotice) -> bytes:
    """Mẫu 05: thông báo dừng giải quyết hồ sơ, with the reason."""
    c = slip.common
    pdf = _start(c)
    _addressee(pdf, c)
    received = f", tiếp nhận ngày {day_text(c.received_at)}" if c.received_at else ""
    pdf.paragraph(f"{c.agency_name} đã tiếp nhận hồ sơ của {c.you} đề nghị giải quyết thủ tục "
                  f"{_procedure_in_text(c)}, mã hồ sơ {c.code}{received}.")
    pdf.paragraph(f"{c.agency_name} thông báo dừng giải quyết hồ sơ nêu trên kể từ "
                  f"{moment_text(slip.stopped_at)}. Lý do:")
    _reason(pdf, slip.reason)
    _contact(pdf, c)
    _signatures(pdf, None, Signature("Đại diện cơ quan", "Ký, ghi rõ họ tên và đóng dấu",
                                     slip.signer),
                recipients=["Như trên;", "Lưu: hồ sơ, VT."])
    return _output(pdf)


def layout_control_slip(slip: data.ControlSlip) -> bytes:
    """Mẫu 06: phiếu kiểm soát quá trình giải quyết hồ sơ — each hand-off and whether it was
    within the appointment."""
    c = slip.common
    pdf = _start(c, landscape=True)
    pdf.field("Người nộp hồ sơ", c.applicant.name, "B")
    pdf.field("Thủ tục", _procedure(c))
    pdf.field("Cơ quan tiếp nhận", c.agency_name)
    if c.received_at:
        pdf.field("Thời gian nhận hồ sơ", moment_text(c.received_at))
    if slip.due_at:
        pdf.field("Thời gian hẹn trả kết quả", moment_text(slip.due_at), "B")
    if slip.original_due_at and slip.original_due_at != slip.due_at:
        pdf.field("Hạn ban đầu (dùng cho thống kê đúng hạn)", moment_text(slip.original_due_at))
    pdf.ln(2)
    rows = [
        (str(r.number), r.action, r.from_state, r.to_state, r.actor, short_moment(r.at),
         r.on_time, r.note)
        for r in slip.rows
    ]
    _table(pdf, ("STT", "Thao tác", "Từ trạng thái", "Sang trạng thái", "Người thực hiện",
                 "Thời điểm", "Kết quả", "Ghi chú"),
           (9, 28, 33, 33, 34, 28, 18, 79), ("C", "L", "L", "L", "L", "C", "C", "L"), rows)
    if slip.holds:
        pdf.field("Thời gian giải quyết của từng cơ quan",
                  "không tính thời gian chờ bổ sung, dừng giải quyết")
        _table(pdf, ("Cơ quan", "Thời gian giữ hồ sơ (ngày làm việc)", "Phần thời gian được giao",
                     "Kết quả"), (110, 60, 60, 32), ("L", "L", "L", "C"),
               [(h.agency, h.held, h.allowed or "—", "Vượt phần được giao" if h.over else "")
                for h in slip.holds])
    _generated_note(pdf)
    return _output(pdf)


def layout_register(register: data.Register) -> bytes:
    """Mẫu 07: sổ theo dõi hồ sơ of an agency over a period."""
    title = data.SLIP_TITLES["07"]
    pdf = SlipPDF("07", f"{title} — {register.agency_name}", landscape=True)
    _heading(pdf, register.heading)
    _title(pdf, title, f"Từ ngày {day_text(register.start)} đến ngày {day_text(register.end)}")
    pdf.field("Cơ quan tiếp nhận", register.agency_name)
    pdf.field("Tổng số hồ sơ tiếp nhận", str(len(register.rows)))
    pdf.ln(2)
    if register.rows:
        rows = [
            (str(r.number), r.code, r.applicant, r.procedure, short_moment(r.received_at),
             short_moment(r.due_at), short_moment(r.returned_at), r.status)
            for r in register.rows
        ]
        _table(pdf, ("STT", "Mã hồ sơ", "Người nộp", "Thủ tục", "Tiếp nhận", "Hẹn trả",
                     "Trả kết quả", "Tình trạng"),
               (10, 52, 38, 66, 24, 24, 24, 24), ("C", "L", "L", "L", "C", "C", "C", "L"),
               rows, size=8.5)
    else:
        pdf.paragraph("Không có hồ sơ nào được tiếp nhận trong khoảng thời gian này.", "I")
    if register.truncated:
        pdf.paragraph(f"Sổ chỉ in {data.REGISTER_LIMIT} hồ sơ đầu tiên; hãy chọn khoảng thời "
                      "gian ngắn hơn.", "I")
    _generated_note(pdf)
    return _output(pdf)


# --- from the models ----------------------------------------------------------------------------


def render_reception_slip(dossier) -> bytes:
    return layout_reception_slip(data.reception_slip(dossier))


def render_supplement_request(dossier) -> bytes:
    return layout_supplement_request(data.supplement_request(dossier))


def render_rejection(dossier) -> bytes:
    return layout_rejection(data.rejection(dossier))


def render_apology(dossier) -> bytes:
    return layout_apology(data.apology(dossier))


def render_stop_notice(dossier) -> bytes:
    return layout_stop_notice(data.stop_notice(dossier))


def render_control_slip(dossier) -> bytes:
    return layout_control_slip(data.control_slip(dossier))


RENDERERS = {
    "01": render_reception_slip,
    "02": render_supplement_request,
    "03": render_rejection,
    "04": render_apology,
    "05": render_stop_notice,
    "06": render_control_slip,
}


def render_slip(kind: str, dossier) -> bytes:
    """The slip ``kind`` ("01".."06") of ``dossier``. Raises ``KeyError`` for an unknown kind and
    ``data.SlipNotAvailable`` when the dossier has no such slip."""
    return RENDERERS[kind](dossier)


def render_register(agency, start: date, end: date) -> bytes:
    """Mẫu 07 of ``agency`` for the dossiers received from ``start`` to ``end``."""
    return layout_register(data.register(agency, start, end))
