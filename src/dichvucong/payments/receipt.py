"""The electronic receipt (biên lai điện tử thu phí, lệ phí) of one payment, as a PDF in the slips'
typeface and heading (``slips/render.py``).

Its content follows what Decree 11/2020/NĐ-CP and Circular 78/2021/TT-BTC ask of a fee receipt:
the collecting organisation, the receipt's form and serial symbols and number, the payer, the fee
collected, the amount in figures and in words, how it was paid, and when.
"""

from __future__ import annotations

from django.utils import timezone
from fpdf.enums import Align, XPos, YPos

from dichvucong.catalog.presenters import format_vnd
from dichvucong.payments.models import Payment, Provider
from dichvucong.payments.words import amount_words
from dichvucong.slips import data
from dichvucong.slips.fonts import FAMILY
from dichvucong.slips.render import BODY_SIZE, LINE, SlipPDF, _heading, day_text, moment_text

FORM_SYMBOL = "01BLP0-001"  # mẫu biên lai thu phí, lệ phí điện tử
SERIAL = "DVC-E"
PROVIDER_TEXT = {
    Provider.VNPAY: "Thanh toán trực tuyến qua cổng VNPay",
    Provider.VIETQR: "Chuyển khoản ngân hàng (VietQR, NAPAS 247)",
    Provider.CASH: "Tiền mặt tại Bộ phận tiếp nhận và trả kết quả",
}


class ReceiptPDF(SlipPDF):
    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "I", 8)
        self.set_text_color(90)
        self.cell(self.epw / 2, 5, "Biên lai điện tử, tra cứu và đối chiếu trên Cổng dịch vụ công",
                  align=Align.L)
        self.cell(self.epw / 2, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0)


def render_receipt(payment: Payment) -> bytes:
    dossier = payment.fee.dossier
    paid_at = timezone.localtime(payment.paid_at)
    pdf = ReceiptPDF("", f"Biên lai thu phí, lệ phí {payment.reference}")
    _heading(pdf, data.heading(dossier.agency, paid_at.date()))
    pdf.set_x(pdf.l_margin)
    pdf.centered(pdf.epw, "BIÊN LAI THU PHÍ, LỆ PHÍ", style="B", size=14, height=7)
    pdf.centered(pdf.epw, "(Biên lai điện tử)", style="I", size=BODY_SIZE, height=6)
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 10.5)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(pdf.epw, 5.5, f"Mẫu số: {FORM_SYMBOL}    Ký hiệu: {SERIAL}    "
                   f"Số: {payment.reference}", align=Align.C, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.field("Đơn vị thu", dossier.agency.name)
    pdf.field("Người nộp", dossier.applicant_name)
    pdf.field("Mã hồ sơ", dossier.code or "")
    pdf.field("Thủ tục", dossier.procedure.name)
    lines = (payment.fee.quote or {}).get("lines") or []
    if lines:
        pdf.set_font(FAMILY, "B", BODY_SIZE)
        pdf.cell(pdf.epw, LINE, "Khoản thu:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", BODY_SIZE)
        for line in lines:
            text = line.get("name") or "Phí, lệ phí"
            if line.get("quantity", 1) > 1:
                text += f" × {line['quantity']}"
            if line.get("exempt_reason"):
                text += f" (miễn: {line['exempt_reason']})"
            elif line.get("reduction"):
                text += f" (đã giảm {format_vnd(line['reduction'])} khi nộp trực tuyến)"
            pdf.set_x(pdf.l_margin + 6)
            pdf.multi_cell(pdf.epw - 46, LINE, f"- {text}", align=Align.L, new_x=XPos.END,
                           new_y=YPos.TOP)
            pdf.cell(40, LINE, format_vnd(int(line.get("amount", 0))), align=Align.R,
                     new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.field("Số tiền", format_vnd(payment.amount), "B")
    pdf.field("Bằng chữ", amount_words(payment.amount), "I")
    pdf.field("Hình thức thanh toán", PROVIDER_TEXT.get(payment.provider, payment.provider))
    if payment.provider_transaction:
        pdf.field("Mã giao dịch", payment.provider_transaction)
    pdf.field("Thời điểm thanh toán", moment_text(paid_at))
    if payment.recorded_by_id:
        pdf.field("Người thu", payment.recorded_by.full_name or payment.recorded_by.username)
    pdf.ln(4)
    pdf.paragraph(f"Biên lai được lập tự động khi hệ thống ghi nhận khoản thanh toán, ngày "
                  f"{day_text(paid_at)}, và có giá trị như biên lai giấy.", style="I")
    return bytes(pdf.output())
