"""The periodic report of an agency for a period, as XLSX (openpyxl) and PDF (fpdf2, Be Vietnam
Pro as the slips use it): the headline figures, the weekly targets, Decision 766's index and the
figures per procedure and channel. Vietnamese, as reports to the People's Committee are; the
numbers are those of the dashboards (``metrics``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from fpdf import FPDF, FontFace

from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.monitor import metrics
from dichvucong.monitor.metrics import Figures, IndexResult, Scope
from dichvucong.slips.fonts import FAMILY, font_set

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHANNELS = {"online": "Trực tuyến", "agent": "Đại lý", "counter": "Trực tiếp",
            "post": "Bưu chính"}


@dataclass(frozen=True)
class ReportData:
    agency: Agency
    start: date
    end: date
    made: date
    figures: Figures
    index: IndexResult
    rows: list[metrics.Row]  # per procedure
    channels: list[metrics.Row]


def collect(agency: Agency, scope: Scope) -> ReportData:
    now = timezone.now()
    return ReportData(agency=agency, start=scope.start, end=scope.end,
                      made=timezone.localdate(now), figures=metrics.figures(scope, now),
                      index=metrics.national_index(scope, now),
                      rows=metrics.breakdown(scope, "procedure", now),
                      channels=metrics.breakdown(scope, "channel", now))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",") + " %"


def headline_rows(f: Figures) -> list[tuple[str, str]]:
    """The headline figures as (label, value) for both formats."""
    by = f.by_channel
    return [
        ("Hồ sơ tiếp nhận", str(f.received)),
        ("  trực tuyến / đại lý / trực tiếp / bưu chính",
         f"{by.get('online', 0)} / {by.get('agent', 0)} / {by.get('counter', 0)} / "
         f"{by.get('post', 0)}"),
        ("Tỷ lệ nộp trực tuyến", _pct(f.online_rate)),
        ("Hồ sơ đã giải quyết", str(f.resolved)),
        ("  đúng hạn / trễ hạn", f"{f.on_time} / {f.late}"),
        ("Tỷ lệ giải quyết đúng hạn", _pct(f.on_time_rate)),
        ("Hồ sơ đang giải quyết / quá hạn (hiện tại)", f"{f.open} / {f.overdue}"),
        ("Thời gian giải quyết trung bình (ngày làm việc)",
         "—" if f.avg_processing_days is None else
         f"{f.avg_processing_days:.2f}".replace(".", ",")),
        ("Tỷ lệ thanh toán trực tuyến", _pct(f.paid_online_rate)),
        ("Tỷ lệ hồ sơ có kết quả điện tử", _pct(f.digital_result_rate)),
        ("Tỷ lệ hài lòng (chỉ số 766, 5.3)", _pct(f.satisfaction_rate)),
        ("Hồ sơ dừng giải quyết / rút", f"{f.stopped} / {f.withdrawn}"),
    ]


def _title(data: ReportData) -> tuple[str, str]:
    return ("BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
            f"{data.agency.name} — từ ngày {data.start:%d/%m/%Y} đến ngày {data.end:%d/%m/%Y}")


PROCEDURE_HEADER = ("Mã thủ tục", "Thủ tục", "Tiếp nhận", "Trực tuyến", "Đã giải quyết",
                    "Đúng hạn", "Trễ hạn", "Quá hạn (hiện tại)", "Tỷ lệ đúng hạn")


def _procedure_codes(rows: list[metrics.Row]) -> dict[int, str]:
    return dict(Procedure.objects.filter(pk__in=[r.key for r in rows])
                .values_list("pk", "code"))


def procedure_rows(data: ReportData) -> list[tuple]:
    codes = _procedure_codes(data.rows)
    return [(codes.get(r.key, ""), r.label, r.figures.received, r.figures.online_received,
             r.figures.resolved, r.figures.on_time, r.figures.late, r.figures.overdue,
             _pct(r.figures.on_time_rate)) for r in data.rows]


def xlsx(data: ReportData) -> bytes:
    # Only the xlsx download needs openpyxl, which takes ~0.4 s to import: not in every worker.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    title, subtitle = _title(data)
    sheet.append([title])
    sheet.append([subtitle])
    sheet.append([f"Lập ngày {data.made:%d/%m/%Y}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    for label, value in headline_rows(data.figures):
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 28

    index = book.create_sheet("Chỉ số 766")
    index.append(["Mã", "Nhóm", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm",
                  "Điểm tối đa", "Cách tính", "Nguồn"])
    for i in data.index.indicators:
        index.append([i.code, i.group_name, i.name, i.numerator, i.denominator, i.value,
                      i.points, i.max_points, i.rule, i.source])
    index.append(["", "", "Tổng điểm (các chỉ số đo được)", "", "", "", data.index.total,
                  data.index.measured_max])
    index.column_dimensions["C"].width = 60

    procedures = book.create_sheet("Theo thủ tục")
    procedures.append(list(PROCEDURE_HEADER))
    for row in procedure_rows(data):
        procedures.append(list(row))
    procedures.column_dimensions["B"].width = 60

    channels = book.create_sheet("Theo kênh")
    channels.append(["Kênh", "Tiếp nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn"])
    for r in data.channels:
        channels.append([CHANNELS.get(r.key, r.key), r.figures.received, r.figures.resolved,
                         r.figures.on_time, r.figures.late])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(data: ReportData) -> bytes:
    doc = FPDF(format="A4", unit="mm")
    fonts = font_set()
    for style, path in fonts.files.items():
        doc.add_font(FAMILY, style=style, fname=str(path))
    doc.set_title("Báo cáo tình hình giải quyết thủ tục hành chính")
    doc.set_lang("vi")
    doc.set_margins(15, 15, 15)
    doc.add_page()
    title, subtitle = _title(data)
    doc.set_font(FAMILY, "B", 13)
    doc.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, "", 11)
    doc.multi_cell(0, 6, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    heading = FontFace(emphasis="BOLD", fill_color=(232, 236, 241))

    def section(text: str) -> None:
        doc.ln(2)
        doc.set_font(FAMILY, "B", 11.5)
        doc.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        doc.set_font(FAMILY, "", 10)

    section("1. Số liệu tổng hợp")
    with doc.table(col_widths=(120, 60), headings_style=heading, first_row_as_headings=False,
                   line_height=6) as table:
        for label, value in headline_rows(data.figures):
            row = table.row()
            row.cell(label)
            row.cell(value)

    section("2. Chỉ số đánh giá chất lượng phục vụ (Quyết định 766/QĐ-TTg)")
    with doc.table(col_widths=(14, 96, 24, 22, 24), headings_style=heading,
                   line_height=5.5) as table:
        head = table.row()
        for text in ("Mã", "Chỉ số", "Tỷ lệ", "Điểm", "Tối đa"):
            head.cell(text)
        for i in data.index.indicators:
            row = table.row()
            row.cell(i.code)
            row.cell(i.name)
            row.cell(_pct(i.value))
            row.cell("chưa đo" if i.points is None else f"{i.points:.2f}".replace(".", ","))
            row.cell("?" if i.max_points is None else f"{i.max_points:g}")
    doc.set_font(FAMILY, "B", 10)
    doc.multi_cell(0, 6, f"Tổng điểm các chỉ số đo được: {data.index.total:.2f} / "
                         f"{data.index.measured_max:g}".replace(".", ","),
                   new_x="LMARGIN", new_y="NEXT")

    section("3. Theo thủ tục")
    with doc.table(col_widths=(22, 74, 17, 17, 17, 17, 16), headings_style=heading,
                   line_height=5.5) as table:
        head = table.row()
        for text in ("Mã", "Thủ tục", "Tiếp nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn",
                     "Quá hạn"):
            head.cell(text)
        for code, name, received, _online, resolved, on_time, late, overdue, _r in (
                procedure_rows(data)):
            row = table.row()
            for value in (code, name, received, resolved, on_time, late, overdue):
                row.cell(str(value))
    doc.ln(3)
    doc.set_font(FAMILY, "I", 9)
    doc.multi_cell(0, 5, f"Lập ngày {data.made:%d/%m/%Y} từ số liệu tổng hợp của hệ thống "
                         "(Trung tâm giám sát, điều hành). Đúng hạn tính theo hạn ban đầu; hồ "
                         "sơ yêu cầu bổ sung quá một lần tính là trễ hạn.",
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
