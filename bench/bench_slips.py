"""How long the reception slip (Mẫu 01, giấy tiếp nhận hồ sơ và hẹn trả kết quả) takes to render
as a PDF: the whole ``render_reception_slip(dossier)`` (database reads, the font subsets, the QR
code), and the layout alone from data gathered once. Mean of 20 after one warm-up call.

    ./run bench        (or: DICHVUCONG_MODE=demo .venv/bin/python bench/bench_slips.py)

The dossier and its events are made inside a transaction that is rolled back.
"""

from __future__ import annotations

from datetime import timedelta

import harness

harness.setup_django()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dichvucong.accounts.models import User  # noqa: E402
from dichvucong.agencies.models import Agency  # noqa: E402
from dichvucong.catalog.models import Procedure  # noqa: E402
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent  # noqa: E402
from dichvucong.slips import data, render  # noqa: E402
from dichvucong.slips.fonts import font_set  # noqa: E402

RUNS = 20


def _timed(fn, runs: int = RUNS) -> tuple[harness.Timings, bytes]:
    return harness.timed(fn, runs)


def _dossier() -> Dossier:
    agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    procedure = Procedure.objects.select_related("current_version").get(code="1.001193")
    officer, _ = User.objects.get_or_create(username="bench.motcua",
                                            defaults={"full_name": "Hoàng Văn Em"})
    now = timezone.now()
    dossier = Dossier.objects.create(
        code=f"{agency.code}-{timezone.localdate():%y%m%d}-9999", procedure=procedure,
        procedure_version=procedure.current_version, agency=agency,
        applicant_name="Nguyễn Thị Ánh", applicant_id_number="048190001234",
        applicant_phone="0905123456", channel="online", state="received",
        submitted_at=now - timedelta(hours=12), received_at=now,
        due_at=now + timedelta(days=3), original_due_at=now + timedelta(days=3),
        delivery="counter", fee_amount=8000,
        form_data={"dia_chi": "12 Trần Phú, phường Hải Châu, thành phố Đà Nẵng"},
    )
    DossierEvent.objects.create(dossier=dossier, action="submit", from_state="draft",
                                to_state="submitted", actor_role="applicant")
    DossierEvent.objects.create(dossier=dossier, action="receive", from_state="submitted",
                                to_state="received", actor=officer,
                                actor_role="reception_officer")
    for index, doc in enumerate(procedure.current_version.parsed().documents[:2]):
        Attachment.objects.create(
            dossier=dossier, requirement=doc.name, token=f"bench{dossier.pk:08d}{index:019d}",
            extension=".pdf", file=f"dossiers/{dossier.pk}/{index}.pdf",
            original_name=f"{index}.pdf", content_type="application/pdf", size=1, sha256="0" * 64)
    return dossier


def main() -> None:
    harness.load_demo_data()
    print(f"Reception slip (Mẫu 01) as PDF, font {font_set().name}, mean of {RUNS} runs")
    with transaction.atomic():
        dossier = _dossier()

        def full() -> bytes:
            fresh = Dossier.objects.select_related(
                "agency__parent", "agency__administrative_unit", "procedure_version",
            ).get(pk=dossier.pk)
            return render.render_reception_slip(fresh)

        timings, pdf = _timed(full)
        print(timings.line("render_reception_slip(dossier), with its queries", 42))
        slip = data.reception_slip(dossier)
        timings, _ = _timed(lambda: render.layout_reception_slip(slip))
        print(timings.line("layout_reception_slip(data) alone", 42))
        timings, _ = _timed(lambda: data.reception_slip(dossier))
        print(timings.line("data.reception_slip(dossier) alone", 42))
        print(f"  PDF size {len(pdf) / 1024:.1f} KB")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
