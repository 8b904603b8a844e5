"""The demo's combined procedures (liên thông, Nghị định 63/2024/NĐ-CP), through the platform's
own writers (``actions.perform``, ``exchange.open_handovers``, and ``results/handovers.py:
answer``, so with the demo's keys each agency's result is signed) at past instants:

* a birth + residence + health insurance dossier in progress: the ward's justice officer
  registered the birth and handed it to the ward police and social insurance at once; the
  police has answered, social insurance is still working on it;
* a death + residence removal + funeral allowance dossier that is late: the police answered
  within its share, social insurance four working days after the hand-over, so the dossier is
  past its due time and the clock ledger (``/giam-sat/ho-so/<code>/``) puts the delay on social
  insurance.

Idempotent: nothing is made when the demo citizen already has a dossier of these procedures.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.devdata.accounts import HAI_CHAU, HAI_CHAU_POLICE, SOCIAL_INSURANCE
from dichvucong.dossiers import actions, exchange, submission
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.codes import format_code
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier, DossierCodeSequence, Handover
from dichvucong.monitor.facts import refresh_dossier
from dichvucong.results import handovers as handover_results
from dichvucong.slips.fonts import FAMILY, font_set

BIRTH = ("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em "
         "dưới 6 tuổi")
DEATH = "Liên thông đăng ký khai tử, xóa đăng ký thường trú, trợ cấp mai táng"
DAY = 8 * 60  # working minutes of a working day (the city's hours)

BIRTH_FORM = {
    "nyc_ho_ten": "Nguyễn Văn An", "nyc_quan_he": "Cha", "tre_ho_ten": "Nguyễn Minh Khôi",
    "tre_gioi_tinh": "Nam", "tre_dan_toc": "Kinh", "tre_quoc_tich": "Việt Nam",
    "tre_noi_sinh": "Bệnh viện Phụ sản - Nhi Đà Nẵng", "me_ho_ten": "Trần Thị Mai",
    "cha_ho_ten": "Nguyễn Văn An", "tt_noi_thuong_tru": "12 Trần Phú, phường Hải Châu, Đà Nẵng",
    "tt_chu_ho_ho_ten": "Nguyễn Văn An", "tt_quan_he_chu_ho": "Con",
    "bhyt_noi_kcb": "Trạm Y tế phường Hải Châu",
}
DEATH_FORM = {
    "nyc_ho_ten": "Nguyễn Văn An", "nyc_quan_he": "Con", "nc_ho_ten": "Nguyễn Văn Bình",
    "nc_gioi_tinh": "Nam", "nc_dan_toc": "Kinh", "nc_quoc_tich": "Việt Nam",
    "nc_noi_cu_tru": "12 Trần Phú, phường Hải Châu, Đà Nẵng", "nc_noi_chet": "Tại nhà",
    "mt_ho_ten": "Nguyễn Văn An",
}


@cache
def _pdf_bytes() -> bytes:
    """One sample result file for every answer: the fonts take a second to embed."""
    page = FPDF()
    for style, path in font_set().files.items():
        if style == "":
            page.add_font(FAMILY, style, str(path))
    page.add_page()
    page.set_font(FAMILY, size=12)
    page.multi_cell(0, 8, "Kết quả giải quyết liên thông (dữ liệu mẫu)")
    return bytes(page.output())


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("ket-qua.pdf", _pdf_bytes(), content_type="application/pdf")


def _act(dossier_id: int, action: Action, username: str, role: LifecycleRole, at: datetime,
         note: str = "") -> actions.ActionOutcome:
    """``actions.perform`` at a past instant (its event is dated then too)."""
    return actions.perform(dossier_id, action, User.objects.get(username=username), role, note,
                           now=at)


def _continue_codes(ward: Agency, at: datetime) -> None:
    """The synthetic history writes codes of past days without their sequence row (only
    today's): a dossier filed on such a day takes its number after them."""
    day = timezone.localdate(at)
    prefix = format_code(ward.code, day, 0)[:-4]
    taken = [int(code.rsplit("-", 1)[1]) for code in Dossier.objects.filter(
        code__startswith=prefix).values_list("code", flat=True)]
    row, _ = DossierCodeSequence.objects.get_or_create(agency=ward, day=day)
    if taken and row.last < max(taken):
        DossierCodeSequence.objects.filter(pk=row.pk).update(last=max(taken))


def _filed(name: str, form: dict, at: datetime) -> Dossier:
    """Filed online by the demo citizen at ``at``, received and assigned to the ward's justice
    officer (its specialist) a working hour later."""
    citizen = User.objects.get(username="congdan")
    ward = Agency.objects.get(name=HAI_CHAU)
    _continue_codes(ward, at)
    calendar = calendar_for(at, ward.pk)
    draft = submission.start_draft(Procedure.objects.get(name=name), citizen, ward)
    Dossier.objects.filter(pk=draft.pk).update(form_data=form, applicant_name=citizen.full_name)
    _act(draft.pk, Action.submit, "congdan", LifecycleRole.applicant, at)
    later = calendar.add_working_minutes(at, 30)
    _act(draft.pk, Action.receive, "motcua.haichau", LifecycleRole.reception_officer, later)
    _act(draft.pk, Action.assign, "lanhdao.haichau", LifecycleRole.leader,
         calendar.add_working_minutes(later, 15))
    specialist = User.objects.get(username="chuyenvien.haichau")
    Dossier.objects.filter(pk=draft.pk).update(assignee=specialist)
    return Dossier.objects.get(pk=draft.pk)


def _handed(dossier: Dossier, at: datetime) -> dict[str, int]:
    """The justice officer hands it to the ward police, and so to social insurance at once."""
    note = "Đề nghị phối hợp theo quy trình liên thông"
    with transaction.atomic():
        done = _act(dossier.pk, Action.transfer, "chuyenvien.haichau", LifecycleRole.specialist,
                    at, note)
        opened = exchange.open_handovers(done.dossier, Agency.objects.get(name=HAI_CHAU_POLICE),
                                         User.objects.get(username="chuyenvien.haichau"), note,
                                         at)
    return {h.to_agency.name: h.pk for h in opened}


def _answer(handover_id: int, username: str, note: str, at: datetime) -> None:
    revision = Dossier.objects.filter(handovers__pk=handover_id).values_list(
        "revision", flat=True).get()
    # Through the back office's path: with the demo's keys, the agency's result is signed.
    handover_results.answer(
        Handover.objects.select_related("dossier", "to_agency", "from_agency").get(
            pk=handover_id), User.objects.get(username=username), "result", note,
        expected_revision=revision, upload=_pdf(), now=at)


def create_demo_combined(now: datetime | None = None) -> list[Dossier]:
    """The two demo dossiers (none when they exist)."""
    now = now or timezone.now()
    if Dossier.objects.filter(procedure__name__in=[BIRTH, DEATH],
                              applicant__username="congdan").exists():
        return []
    ward = Agency.objects.get(name=HAI_CHAU)
    calendar = calendar_for(now, ward.pk)
    start = calendar.next_working_moment(now)
    made = []

    # In progress: filed half a working day ago, police done, social insurance working.
    at = calendar.add_working_minutes(start, -DAY // 2)
    dossier = _filed(BIRTH, BIRTH_FORM, at)
    handed = _handed(dossier, calendar.add_working_minutes(at, 60))
    _answer(handed[HAI_CHAU_POLICE], "congan.haichau", "Đã đăng ký thường trú cho trẻ",
            calendar.add_working_minutes(at, 150))
    made.append(dossier)

    # Late: filed five working days ago (3 allowed); social insurance answered after 4 days.
    at = calendar.add_working_minutes(start, -5 * DAY)
    dossier = _filed(DEATH, DEATH_FORM, at)
    sent = calendar.add_working_minutes(at, 60)
    handed = _handed(dossier, sent)
    _answer(handed[HAI_CHAU_POLICE], "congan.haichau", "Đã xóa đăng ký thường trú",
            calendar.add_working_minutes(sent, 120))
    _answer(handed[SOCIAL_INSURANCE], "chuyenvien.bhxh",
            "Đã giải quyết trợ cấp mai táng", calendar.add_working_minutes(sent, 4 * DAY))
    made.append(dossier)
    for dossier in made:  # the monitoring facts, from the events' real instants
        refresh_dossier(dossier.pk)
    return made
