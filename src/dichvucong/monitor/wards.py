"""Đà Nẵng's ward (phường, xã, đặc khu) digital-transformation indicators that the platform's own
data gives, per ward and calendar month. Plain typed functions, no HTTP; the IOC's ward page and
the open-data dataset both call :func:`ward_indicators`, so they show the same numbers.

The city's set: Quyết định 2386/QĐ-UBND ngày 05/11/2025 of Đà Nẵng People's Committee («Bộ chỉ
số đánh giá, xếp hạng chuyển đổi số của các cơ quan, địa phương», danang.gov.vn and
vneconomy.vn, 08/11/2025) scores wards in eight groups: Nhận thức số, Thể chế số, Hạ tầng số,
Ứng dụng công nghệ số, Dịch vụ công trực tuyến, Nhân lực số, Xã hội số (wards only), bonus and
penalty points. The list of its individual indicators (25 for wards, issue #22) was NOT found
in the sources this project could read, so the indicators below are named by what they measure,
not by a number of the decision; a row of :data:`NOT_COMPUTABLE` says which groups the platform
cannot give and why.

Computed here (groups «Dịch vụ công trực tuyến» and «Xã hội số»), for the dossiers received or
finished at the ward's commune-level agencies (``DossierFact.ward_id``), with the monitoring
centre's definitions (``metrics``):

* online rate: received online or through an agent ÷ received (766 indicator 3.3);
* paid online: fee-bearing dossiers paid online ÷ fee-bearing dossiers (3.6);
* digital results: resolved with an electronic result ÷ resolved with a result (4.1);
* on-time rate: resolved on time ÷ resolved (2.1's finished part);
* reuse of digitised data: received with a component taken from the citizen's data store ÷
  received (4.3);
* accounts: citizens' accounts whose address is in the ward, at the end of the month and opened
  in it. A count, not a share: the platform holds no ward population, so «tỷ lệ dân số có tài
  khoản» cannot be computed here;
* feedback answered on time: feedback to the ward's agencies received in the month, answered by
  its due time or still open before it ÷ received (766 indicator 5.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from dichvucong.accounts.models import Membership, User
from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.core.text import vietnamese_key
from dichvucong.feedback import services as feedback
from dichvucong.monitor import metrics
from dichvucong.monitor.metrics import Figures, Scope, rate

__all__ = ["NOT_COMPUTABLE", "WardIndicators", "month_bounds", "ward_indicators", "wards_of"]

# The groups of Decision 2386/QĐ-UBND the platform cannot measure, and why.
NOT_COMPUTABLE: tuple[tuple[str, str], ...] = (
    ("Nhận thức số", "Nghị quyết, kế hoạch, tuyên truyền của phường: văn bản ngoài hệ thống."),
    ("Thể chế số", "Quy chế, kinh phí chi cho chuyển đổi số: không có trong dữ liệu hệ thống."),
    ("Hạ tầng số", "Máy tính, mạng, camera, phủ sóng: hệ thống không quản lý hạ tầng."),
    ("Ứng dụng công nghệ số", "Văn bản điện tử, họp trực tuyến, hệ thống dùng chung khác: nằm ở "
                              "các hệ thống khác (quản lý văn bản, hội nghị)."),
    ("Nhân lực số", "Cán bộ chuyên trách, đào tạo kỹ năng số: không có trong dữ liệu hệ thống."),
    ("Xã hội số (phần còn lại)", "Tỷ lệ dân số có tài khoản, thanh toán không dùng tiền mặt ngoài "
                                 "dịch vụ công, tổ công nghệ số cộng đồng: cần dân số của phường "
                                 "(không có) hoặc dữ liệu ngoài hệ thống; tổ công nghệ số do "
                                 "sổ theo dõi kênh hỗ trợ ghi nhận."),
    ("Điểm thưởng, điểm trừ", "Do Hội đồng đánh giá chấm, không từ số liệu."),
)


@dataclass(frozen=True)
class WardIndicators:
    ward_id: int
    code: str
    name: str
    figures: Figures
    reused: int
    accounts: int  # citizens' accounts with an address in the ward, at the end of the month
    accounts_opened: int  # of which opened during the month
    feedback: feedback.Counts

    @property
    def reuse_rate(self) -> float | None:
        return rate(self.reused, self.figures.received)

    @property
    def feedback_on_time_rate(self) -> float | None:
        return rate(self.feedback.on_time, self.feedback.received)

    def as_row(self) -> dict[str, object]:
        """The numbers as a flat row (open data; no personal data: counts and rates only)."""
        f = self.figures
        return {
            "ward_code": self.code, "ward_name": self.name,
            "received": f.received, "online_received": f.online_received,
            "online_rate": f.online_rate, "fee_bearing": f.fee_bearing,
            "paid_online": f.paid_online, "paid_online_rate": f.paid_online_rate,
            "with_result": f.with_result, "digital_result": f.digital_result,
            "digital_result_rate": f.digital_result_rate, "resolved": f.resolved,
            "on_time": f.on_time, "on_time_rate": f.on_time_rate,
            "reused": self.reused, "reuse_rate": self.reuse_rate,
            "accounts": self.accounts, "accounts_opened": self.accounts_opened,
            "feedback_received": self.feedback.received,
            "feedback_on_time": self.feedback.on_time,
            "feedback_on_time_rate": self.feedback_on_time_rate,
        }


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def wards_of(agency_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
    """The wards with a commune-level agency (of ``agency_ids``, None: all), each with its
    agencies (the ward's People's Committee and police)."""
    agencies = Agency.objects.filter(level=Agency.Level.COMMUNE,
                                     administrative_unit__isnull=False)
    if agency_ids is not None:
        agencies = agencies.filter(pk__in=list(agency_ids))
    out: dict[int, list[int]] = {}
    for pk, unit in agencies.values_list("pk", "administrative_unit_id").order_by("pk"):
        out.setdefault(unit, []).append(pk)
    return out


def _accounts(codes: Mapping[str, int], end: dt.date, start: dt.date) -> dict[int, tuple[int, int]]:
    """Per ward, citizens' accounts (no role in any agency) with their address in it, opened by
    ``end`` and during ``start``–``end``. One query."""
    official = Exists(Membership.objects.filter(user_id=OuterRef("pk")))
    rows = (User.objects.filter(is_active=True, is_staff=False, address__commune__in=list(codes),
                                date_joined__date__lte=end)
            .alias(official=official).filter(official=False)
            .values("address__commune").order_by("address__commune")
            .annotate(total=Count("pk"),
                      opened=Count("pk", filter=Q(date_joined__date__gte=start))))
    return {codes[str(r["address__commune"])]: (r["total"], r["opened"]) for r in rows
            if str(r["address__commune"]) in codes}


def ward_indicators(year: int, month: int, ward_ids: Sequence[int] | None = None,
                    now: dt.datetime | None = None) -> list[WardIndicators]:
    """Every ward of ``ward_ids`` (None: every ward with a commune-level agency) in the month, in
    name order, zeros included. A fixed number of queries, whatever the number of wards."""
    now = now or timezone.now()
    start, end = month_bounds(year, month)
    agencies = wards_of()
    if ward_ids is not None:
        agencies = {w: a for w, a in agencies.items() if w in set(ward_ids)}
    units = {u.pk: u for u in AdministrativeUnit.objects.filter(pk__in=list(agencies))}
    scope = Scope(start, end)
    figures = {r.key: r.figures for r in metrics.breakdown(scope, "ward", now)}
    answered = feedback.counts_by_agency(start, end, [a for ids in agencies.values()
                                                      for a in ids], now)
    accounts = _accounts({u.code: pk for pk, u in units.items()}, end, start)
    out = []
    for pk, unit in units.items():
        parts = [answered[a] for a in agencies[pk] if a in answered]
        counts = feedback.Counts(**{name: sum(getattr(c, name) for c in parts)
                                    for name in feedback.Counts.__dataclass_fields__})
        total, opened = accounts.get(pk, (0, 0))
        out.append(WardIndicators(
            ward_id=pk, code=unit.code, name=unit.name, figures=figures.get(pk, Figures()),
            reused=figures.get(pk, Figures()).reused, accounts=total, accounts_opened=opened,
            feedback=counts))
    out.sort(key=lambda w: vietnamese_key(w.name))
    return out
