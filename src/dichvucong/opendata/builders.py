"""What the open datasets contain: plain Python that reads the platform's own records and returns
dataset specifications (metadata, table schemas and rows). No HTTP, no writes.

Rules for every builder:
- no personal data: rows come from the catalogue, the administrative units and the monitoring
  centre's aggregated figures (``dichvucong.monitor.metrics``); a dossier's applicant, ID number,
  phone, e-mail or address is never read here;
- the statistics are the monitoring centre's, taken as it computes them, never recomputed here
  (``figures.py`` adapts its output to table rows);
- text in Vietnamese with its diacritics, whatever language the job runs in.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.definition import OnlineMode
from dichvucong.catalog.presenters import format_time_limit, format_vnd
from dichvucong.core.text import vietnamese_key
from dichvucong.feedback import services as feedback_services
from dichvucong.monitor import wards
from dichvucong.opendata import figures
from dichvucong.opendata.specs import ChartSpec, DatasetSpec, FieldSpec, TableSpec
from dichvucong.opendata.vocabulary import (
    GROUP_CATALOGUE,
    GROUP_STATISTICS,
    GROUP_UNITS,
    TAG_CATALOGUE,
    TAG_DANANG,
    TAG_DOSSIERS,
    TAG_FEEDBACK,
    TAG_ON_TIME,
    TAG_ONLINE,
    TAG_PUBLIC_SERVICE,
    TAG_STATISTICS,
    TAG_UNITS,
)


def city_committee() -> Agency:
    """The city's People's Committee publishes the city-wide datasets."""
    return Agency.objects.filter(kind=Agency.Kind.PEOPLES_COMMITTEE, parent=None).order_by(
        "code").first() or Agency.objects.order_by("code").first()


def build_all() -> list[DatasetSpec]:
    """Every dataset the portal publishes, in the order the list shows them."""
    with translation.override("vi"):
        publisher = city_committee()
        if publisher is None:  # no agencies loaded yet: nothing to publish under
            return []
        monthly = figures.monthly_rows()
        rates = figures.rate_rows()
        specs = [
            catalogue_dataset(publisher),
            monthly_statistics_dataset(publisher, monthly),
            rates_dataset(publisher, rates),
            units_dataset(publisher),
            feedback_dataset(publisher),
            wards_dataset(publisher),
        ]
        specs += agency_datasets(monthly, rates)
        return specs


# --- the procedure catalogue -------------------------------------------------------------------

CATALOGUE_FIELDS = [
    FieldSpec("code", "text", "Mã thủ tục"),
    FieldSpec("name", "text", "Tên thủ tục"),
    FieldSpec("field", "text", "Lĩnh vực"),
    FieldSpec("levels", "text", "Cấp thực hiện"),
    FieldSpec("agency", "text", "Cơ quan thực hiện"),
    FieldSpec("online_mode", "text", "Mức độ trực tuyến"),
    FieldSpec("time_limit", "text", "Thời hạn giải quyết"),
    FieldSpec("time_limit_online", "text", "Thời hạn giải quyết trực tuyến"),
    FieldSpec("fees", "text", "Phí, lệ phí"),
    FieldSpec("documents", "int", "Số thành phần hồ sơ"),
    FieldSpec("legal_basis", "text", "Căn cứ pháp lý"),
    FieldSpec("url", "text", "Trang thủ tục"),
]

ONLINE_MODE_LABELS = {
    OnlineMode.FULL: "Trực tuyến toàn trình",
    OnlineMode.PARTIAL: "Trực tuyến một phần",
    OnlineMode.NONE: "Không trực tuyến",
}
COMMUNE_AGENCY_LABELS = {
    Agency.Kind.COMMUNE_COMMITTEE: "Ủy ban nhân dân xã, phường",
    Agency.Kind.COMMUNE_POLICE: "Công an xã, phường",
}


def catalogue_rows() -> list[dict]:
    procedures = (catalog_queries.active_procedures()
                  .select_related("field", "agency", "current_version").order_by("code"))
    rows = []
    today = timezone.localdate()
    for procedure in procedures:
        definition = procedure.current_version.parsed()
        processing = definition.processing
        if procedure.agency_id:
            agency = procedure.agency.name
        else:
            agency = COMMUNE_AGENCY_LABELS.get(procedure.commune_agency_kind, definition.agency)
        fees = "; ".join(
            f"{fee.name or 'Lệ phí'}: {format_vnd(fee.amount) if fee.amount else 'Miễn phí'}"
            for fee in definition.fees_on(today)  # the rows in force on publishing
        )
        rows.append({
            "code": procedure.code,
            "name": procedure.name,
            "field": procedure.field.name,
            "levels": procedure.levels_display,
            "agency": agency,
            "online_mode": ONLINE_MODE_LABELS[OnlineMode(procedure.online_mode)],
            "time_limit": ("Trong ngày" if processing.same_day
                           else str(format_time_limit(processing.time_limit))),
            "time_limit_online": str(format_time_limit(processing.online_time_limit))
            if processing.online_time_limit else "",
            "fees": fees,
            "documents": len(definition.documents),
            "legal_basis": "; ".join(definition.legal_basis),
            "url": settings.SITE_URL + procedure.get_absolute_url(),
        })
    return rows


def catalogue_dataset(publisher: Agency) -> DatasetSpec:
    return DatasetSpec(
        name="danh-muc-thu-tuc-hanh-chinh",
        title="Danh mục thủ tục hành chính thành phố Đà Nẵng",
        notes=(
            "Các thủ tục hành chính cấp thành phố và cấp xã đang áp dụng trên Cổng dịch vụ công: "
            "mã, tên, lĩnh vực, cấp và cơ quan thực hiện, mức độ trực tuyến, thời hạn giải "
            "quyết, phí và lệ phí, số thành phần hồ sơ, căn cứ pháp lý.\n\n"
            "Nguồn: Cơ sở dữ liệu quốc gia về thủ tục hành chính (dichvucong.gov.vn), cùng các "
            "phiên bản thủ tục do thành phố công bố trên hệ thống."
        ),
        organization=publisher,
        tags=[TAG_CATALOGUE, TAG_PUBLIC_SERVICE, TAG_DANANG],
        groups=[GROUP_CATALOGUE],
        frequency="daily",
        extras={"source": "https://dichvucong.gov.vn"},
        tables=[TableSpec(
            key="thu-tuc",
            title="Danh mục thủ tục hành chính",
            description="Mỗi dòng là một thủ tục hành chính đang áp dụng.",
            fields=CATALOGUE_FIELDS,
            rows=catalogue_rows(),
            chart=ChartSpec("Số thủ tục theo lĩnh vực (10 lĩnh vực nhiều nhất)", label="field",
                            limit=10),
        )],
    )


# --- published answers to feedback --------------------------------------------------------------

FEEDBACK_FIELDS = [
    FieldSpec("published", "text", "Ngày công khai"),
    FieldSpec("subject", "text", "Nội dung phản ánh về"),
    FieldSpec("procedure_code", "text", "Mã thủ tục"),
    FieldSpec("procedure", "text", "Tên thủ tục"),
    FieldSpec("agency", "text", "Cơ quan trả lời"),
    FieldSpec("question", "text", "Câu hỏi"),
    FieldSpec("answer", "text", "Câu trả lời"),
    FieldSpec("on_time", "text", "Trả lời đúng hạn"),
]


def feedback_rows() -> list[dict]:
    """Only what the sender agreed to publish, and only its redacted texts
    (``feedback/services.py:publishable``): never the sender, the dossier or the original."""
    return [{
        "published": timezone.localdate(f.published_at).isoformat(),
        "subject": str(f.get_subject_display()),
        "procedure_code": f.procedure.code if f.procedure else "",
        "procedure": f.procedure.name if f.procedure else "",
        "agency": f.agency.name,
        "question": f.public_content,
        "answer": f.public_answer,
        "on_time": "Có" if f.on_time else "Không",
    } for f in feedback_services.published(limit=5000)]


def feedback_dataset(publisher: Agency) -> DatasetSpec:
    return DatasetSpec(
        name="phan-anh-kien-nghi-da-tra-loi",
        title="Phản ánh, kiến nghị về thủ tục hành chính đã trả lời",
        notes=("Câu hỏi và câu trả lời của các cơ quan cho phản ánh, kiến nghị mà người gửi đồng "
               "ý công khai; thông tin cá nhân (họ tên, số điện thoại, số định danh, email, mã "
               "hồ sơ) đã được xóa."),
        organization=publisher,
        tags=[TAG_FEEDBACK, TAG_PUBLIC_SERVICE, TAG_DANANG],
        groups=[GROUP_CATALOGUE],
        frequency="daily",
        tables=[TableSpec(
            key="phan-anh",
            title="Phản ánh, kiến nghị đã trả lời",
            description="Mỗi dòng là một phản ánh, kiến nghị đã trả lời và được công khai.",
            fields=FEEDBACK_FIELDS,
            rows=feedback_rows(),
        )],
    )


# --- the wards' digital-transformation indicators (the monitoring centre's, monitor/wards.py) ----

WARD_FIELDS = [
    FieldSpec("period", "text", "Tháng"),
    FieldSpec("ward_code", "text", "Mã phường, xã"),
    FieldSpec("ward_name", "text", "Phường, xã"),
    FieldSpec("received", "int", "Hồ sơ tiếp nhận"),
    FieldSpec("online_received", "int", "Hồ sơ tiếp nhận trực tuyến"),
    FieldSpec("online_rate", "numeric", "Tỷ lệ trực tuyến (%)"),
    FieldSpec("fee_bearing", "int", "Hồ sơ có thu phí, lệ phí"),
    FieldSpec("paid_online", "int", "Hồ sơ thanh toán trực tuyến"),
    FieldSpec("paid_online_rate", "numeric", "Tỷ lệ thanh toán trực tuyến (%)"),
    FieldSpec("with_result", "int", "Hồ sơ giải quyết có kết quả"),
    FieldSpec("digital_result", "int", "Hồ sơ có kết quả điện tử"),
    FieldSpec("digital_result_rate", "numeric", "Tỷ lệ kết quả điện tử (%)"),
    FieldSpec("resolved", "int", "Hồ sơ đã giải quyết"),
    FieldSpec("on_time", "int", "Giải quyết đúng hạn"),
    FieldSpec("on_time_rate", "numeric", "Tỷ lệ đúng hạn (%)"),
    FieldSpec("reused", "int", "Hồ sơ dùng lại dữ liệu trong kho"),
    FieldSpec("reuse_rate", "numeric", "Tỷ lệ tái sử dụng dữ liệu (%)"),
    FieldSpec("accounts", "int", "Tài khoản công dân có địa chỉ tại phường, xã"),
    FieldSpec("accounts_opened", "int", "Tài khoản mở trong tháng"),
    FieldSpec("feedback_received", "int", "Phản ánh, kiến nghị tiếp nhận"),
    FieldSpec("feedback_on_time", "int", "Phản ánh, kiến nghị trả lời đúng hạn"),
    FieldSpec("feedback_on_time_rate", "numeric", "Tỷ lệ phản ánh trả lời đúng hạn (%)"),
]


def ward_rows() -> list[dict]:
    """Counts and rates per ward and month, as the IOC's ward page shows them; no person."""
    return [{"period": figures.period(year, month), **w.as_row()}
            for year, month in figures.months() for w in wards.ward_indicators(year, month)]


def wards_dataset(publisher: Agency) -> DatasetSpec:
    return DatasetSpec(
        name="chi-so-chuyen-doi-so-phuong-xa",
        title="Chỉ số chuyển đổi số phường, xã theo tháng",
        notes=("Các chỉ số chuyển đổi số của phường, xã tính được từ dữ liệu của hệ thống dịch "
               "vụ công (tỷ lệ hồ sơ trực tuyến, thanh toán trực tuyến, kết quả điện tử, đúng "
               "hạn, tái sử dụng dữ liệu, tài khoản công dân, phản ánh trả lời đúng hạn), từng "
               "tháng. Chỉ có số liệu tổng hợp, không có thông tin cá nhân. Bộ chỉ số của thành "
               "phố: Quyết định 2386/QĐ-UBND ngày 05/11/2025."),
        organization=publisher,
        tags=[TAG_STATISTICS, TAG_ONLINE, TAG_DANANG],
        groups=[GROUP_STATISTICS],
        frequency="monthly",
        tables=[TableSpec(
            key="phuong-xa",
            title="Chỉ số chuyển đổi số theo phường, xã và tháng",
            description="Mỗi dòng là các chỉ số của một phường, xã trong một tháng.",
            fields=WARD_FIELDS,
            rows=ward_rows(),
            chart=ChartSpec("Tỷ lệ trực tuyến (%) tháng gần nhất, theo phường, xã",
                            label="ward_name", value="online_rate", latest="period"),
        )],
    )


# --- administrative units ----------------------------------------------------------------------

UNIT_FIELDS = [
    FieldSpec("code", "text", "Mã đơn vị hành chính"),
    FieldSpec("name", "text", "Tên"),
    FieldSpec("division_type", "text", "Loại"),
    FieldSpec("level", "text", "Cấp"),
    FieldSpec("parent_code", "text", "Mã tỉnh, thành phố"),
    FieldSpec("parent_name", "text", "Tỉnh, thành phố"),
]
LEVEL_LABELS = {"province": "Tỉnh, thành phố", "commune": "Xã, phường, đặc khu"}


def units_rows() -> Iterable[dict]:
    units = AdministrativeUnit.objects.select_related("parent").order_by("level", "code")
    # Provinces first, then communes, each in code order.
    units = sorted(units, key=lambda u: (u.level != "province", int(u.code)))
    return [{
        "code": unit.code,
        "name": unit.name,
        "division_type": unit.division_type,
        "level": LEVEL_LABELS.get(unit.level, unit.level),
        "parent_code": unit.parent.code if unit.parent else "",
        "parent_name": unit.parent.name if unit.parent else "",
    } for unit in units]


def units_dataset(publisher: Agency) -> DatasetSpec:
    return DatasetSpec(
        name="don-vi-hanh-chinh",
        title="Danh mục đơn vị hành chính (tỉnh và xã, từ 1/7/2025)",
        notes=(
            "Các tỉnh, thành phố và đơn vị hành chính cấp xã (xã, phường, đặc khu) theo mô hình "
            "chính quyền địa phương hai cấp, với mã đơn vị hành chính của cơ quan thống kê.\n\n"
            "Nguồn: Danh mục đơn vị hành chính Việt Nam (mã thống kê), qua gói vietnam-provinces."
        ),
        organization=publisher,
        tags=[TAG_UNITS, TAG_DANANG],
        groups=[GROUP_UNITS],
        frequency="irregular",
        tables=[TableSpec(
            key="don-vi",
            title="Đơn vị hành chính",
            description="Mỗi dòng là một tỉnh, thành phố hoặc một đơn vị hành chính cấp xã.",
            fields=UNIT_FIELDS,
            rows=list(units_rows()),
            chart=ChartSpec("Số đơn vị theo loại", label="division_type"),
        )],
    )


# --- dossier statistics (the monitoring centre's figures) -------------------------------------

MONTHLY_DESCRIPTION = (
    "Mỗi dòng là số liệu của một tháng, một cơ quan tiếp nhận, một thủ tục và một kênh nộp, "
    "do Trung tâm giám sát, điều hành tính từ các sự kiện của hồ sơ."
)
RATES_DESCRIPTION = (
    "Mỗi dòng là tỷ lệ giải quyết đúng hạn và tỷ lệ hồ sơ trực tuyến của một cơ quan trong một "
    "tháng, do Trung tâm giám sát, điều hành tính."
)


def monthly_table(rows: list[dict]) -> TableSpec:
    return TableSpec(
        key="theo-thang",
        title="Thống kê hồ sơ theo tháng, cơ quan, thủ tục và kênh nộp",
        description=MONTHLY_DESCRIPTION,
        fields=figures.MONTHLY_FIELDS,
        rows=rows,
        chart=ChartSpec("Hồ sơ tiếp nhận theo tháng", label="period",
                        value=figures.RECEIVED_FIELD, order="label"),
    )


def rates_table(rows: list[dict], *, per_month: bool) -> TableSpec:
    if per_month:
        chart = ChartSpec("Tỷ lệ đúng hạn (%) theo tháng", label="period",
                          value=figures.ON_TIME_RATE_FIELD, order="label")
    else:
        chart = ChartSpec("Tỷ lệ đúng hạn (%) tháng gần nhất, theo cơ quan",
                          label="agency_name", value=figures.ON_TIME_RATE_FIELD,
                          latest="period")
    return TableSpec(
        key="ty-le",
        title="Tỷ lệ đúng hạn và tỷ lệ trực tuyến theo cơ quan, theo tháng",
        description=RATES_DESCRIPTION,
        fields=figures.RATE_FIELDS,
        rows=rows,
        chart=chart,
    )


def monthly_statistics_dataset(publisher: Agency, rows: list[dict]) -> DatasetSpec:
    return DatasetSpec(
        name="thong-ke-ho-so-theo-thang",
        title="Thống kê hồ sơ thủ tục hành chính theo tháng",
        notes=(
            "Số hồ sơ tiếp nhận, đã giải quyết, giải quyết đúng hạn và trễ hạn của từng cơ quan, "
            "theo thủ tục và kênh nộp (trực tiếp, trực tuyến, bưu chính công ích), từng tháng. "
            "Chỉ có số liệu tổng hợp, không có thông tin cá nhân."
        ),
        organization=publisher,
        tags=[TAG_STATISTICS, TAG_DOSSIERS, TAG_ONLINE, TAG_DANANG],
        groups=[GROUP_STATISTICS],
        frequency="monthly",
        tables=[monthly_table(rows)],
    )


def rates_dataset(publisher: Agency, rows: list[dict]) -> DatasetSpec:
    return DatasetSpec(
        name="ty-le-dung-han-va-truc-tuyen",
        title="Tỷ lệ giải quyết đúng hạn và tỷ lệ hồ sơ trực tuyến theo cơ quan",
        notes=(
            "Tỷ lệ hồ sơ giải quyết đúng hạn và tỷ lệ hồ sơ nộp trực tuyến của từng cơ quan, "
            "từng tháng (mục tiêu của thành phố: đúng hạn từ 99%, trực tuyến từ 80%)."
        ),
        organization=publisher,
        tags=[TAG_STATISTICS, TAG_ON_TIME, TAG_ONLINE, TAG_DANANG],
        groups=[GROUP_STATISTICS],
        frequency="monthly",
        tables=[rates_table(rows, per_month=False)],
    )


def agency_datasets(monthly: list[dict], rates: list[dict]) -> list[DatasetSpec]:
    """One statistics dataset per agency that has figures, published by that agency."""
    by_agency: dict[str, tuple[list[dict], list[dict]]] = {}
    for row in monthly:
        by_agency.setdefault(row["agency_code"], ([], []))[0].append(row)
    for row in rates:
        by_agency.setdefault(row["agency_code"], ([], []))[1].append(row)
    agencies = Agency.objects.in_bulk(list(by_agency), field_name="code")
    specs = []
    for code in sorted(by_agency, key=lambda c: (agencies[c].level,
                                                 vietnamese_key(agencies[c].name))
                       if c in agencies else ("", vietnamese_key(c))):
        agency = agencies.get(code)
        if agency is None:
            continue
        agency_monthly, agency_rates = by_agency[code]
        specs.append(DatasetSpec(
            name=f"thong-ke-ho-so-{agency.slug}"[:100],
            title=f"Thống kê hồ sơ thủ tục hành chính — {agency.name}",
            notes=(
                f"Số hồ sơ theo tháng, thủ tục và kênh nộp, cùng tỷ lệ giải quyết đúng hạn và tỷ "
                f"lệ trực tuyến của {agency.name}. Chỉ có số liệu tổng hợp, không có thông tin "
                f"cá nhân."
            ),
            organization=agency,
            tags=[TAG_STATISTICS, TAG_DOSSIERS, TAG_ON_TIME, TAG_DANANG],
            groups=[GROUP_STATISTICS],
            frequency="monthly",
            tables=[monthly_table(agency_monthly), rates_table(agency_rates, per_month=True)],
        ))
    return specs


def as_number(value) -> int | float | str:
    """JSON-ready numbers: Decimal becomes float, booleans stay out."""
    if isinstance(value, Decimal):
        return float(value)
    return value
