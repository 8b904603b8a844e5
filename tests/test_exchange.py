"""Inter-agency exchange through HTTP: a transfer reaches the receiving agency's own queue with
its own step deadline (the routed step's share, in working time), that agency answers with a
result or a refusal and the dossier goes back; the sending agency sees where it is; officials of
an agency that never held the dossier see nothing of it, and the receiving agency only the
handover, never the sender's workspace."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import ProcedureVersion
from dichvucong.dossiers import actions
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.exchange import ledger_of, processing_minutes
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier, Handover
from dichvucong.slips.render import render_slip
from tests.builders import HAI_CHAU, JUSTICE, agency
from tests.test_backoffice import client_for, make_dossier, pdf, post_action
from tests.test_slips import pdf_text

pytestmark = pytest.mark.django_db


def route_through_justice(dossier) -> str:
    """Give the dossier's procedure version a routing whose second step is done at the
    Department of Justice; returns that agency's code."""
    code = agency(JUSTICE).code
    version = ProcedureVersion.objects.get(pk=dossier.procedure_version_id)
    definition = dict(version.definition)
    definition["workflow"] = [
        {"name": "Thẩm định hồ sơ", "role": "specialist", "share": "0.4"},
        {"name": "Xác minh thông tin hộ tịch", "role": "specialist", "share": "0.3",
         "agency": code},
        {"name": "Phê duyệt, ký kết quả", "role": "leader", "share": "0.3"},
    ]
    # A new publication instant: the parse cache is keyed by it.
    ProcedureVersion.objects.filter(pk=version.pk).update(
        definition=definition, published_at=timezone.now() + timedelta(seconds=1))
    return code


def test_a_handover_goes_to_the_receiving_agency_and_comes_back_with_its_answer():
    dossier = make_dossier("examining")
    Dossier.objects.filter(pk=dossier.pk).update(applicant_phone="0905123456")
    justice_code = route_through_justice(dossier)
    sender = client_for("chuyenvien.haichau")
    # The routed agency is offered first.
    page = sender.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>",
                         page.split('id="transfer-target"')[1].split("</select>")[0])
    assert options[0] == JUSTICE and len(options) > 1
    assert post_action(sender, dossier, "transfer", target=agency(JUSTICE).pk,
                       note="Đề nghị xác minh trích lục hộ tịch").status_code == 302
    handover = Handover.objects.get(dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.state == "transferred"
    # The sender's «Đang xử lý liên thông» queue says where it is.
    queue = sender.get("/mot-cua/?hang-doi=lien-thong").content.decode()
    assert f"Đang ở: {JUSTICE} · Xác minh thông tin hộ tịch" in queue
    # Its own deadline: the routed step's share of the processing time, from the handover.
    # Half up, as the deadlines round (round() rounds a half to even: 52.5 → 52, a failure
    # at the hours when the processing time is an odd multiple of 5 minutes).
    share = int((Decimal("0.3") * processing_minutes(dossier, handover.sent_at))
                .to_integral_value(rounding=ROUND_HALF_UP))
    assert handover.step == "Xác minh thông tin hộ tịch" and handover.allowed_minutes == share
    assert handover.due_at == calendar_for(handover.sent_at).add_working_minutes(
        handover.sent_at, share)

    receiver = client_for("chuyenvien.sotuphap")
    listing = receiver.get("/mot-cua/lien-thong/").content.decode()
    assert dossier.code in listing and "Xác minh thông tin hộ tịch" in listing
    page = receiver.get(f"/mot-cua/lien-thong/{handover.pk}/").content.decode()
    assert "Đề nghị xác minh trích lục hộ tịch" in page and "Gửi trả lời" in page
    assert "0905123456" not in page  # the applicant's contacts stay with the sender
    # Only the handover: never the sender's workspace, never a queue of its own agency.
    assert receiver.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 404
    token = dossier.attachments.first().token
    download = receiver.get(f"/mot-cua/lien-thong/{handover.pk}/tep/{token}/")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"

    # A reception officer of the receiving agency sees it but does not answer for the step.
    desk = client_for("motcua.sotuphap")
    assert "Gửi trả lời" not in desk.get(f"/mot-cua/lien-thong/{handover.pk}/").content.decode()
    refused = desk.post(f"/mot-cua/lien-thong/{handover.pk}/",
                        {"outcome": "result", "note": "x", "revision": dossier.revision})
    assert refused.status_code == 403

    missing = receiver.post(f"/mot-cua/lien-thong/{handover.pk}/",
                            {"outcome": "refusal", "note": " ", "revision": dossier.revision})
    assert "Cần ghi lý do từ chối phối hợp." in missing.content.decode()
    answered = receiver.post(f"/mot-cua/lien-thong/{handover.pk}/",
                             {"outcome": "result", "note": "Thông tin hộ tịch khớp",
                              "revision": dossier.revision, "result": pdf("xac-minh.pdf")})
    assert answered.status_code == 302
    dossier.refresh_from_db()
    handover.refresh_from_db()
    assert dossier.state == "examining" and handover.outcome == "result"
    event = dossier.events.get(action="take_back")
    assert event.actor_role == "system" and event.data["handover"] == handover.pk
    assert handover.result.original_name == "xac-minh.pdf"
    # Answered once: a second answer is refused and changes nothing.
    again = receiver.post(f"/mot-cua/lien-thong/{handover.pk}/",
                          {"outcome": "refusal", "note": "Không", "revision": dossier.revision})
    assert again.status_code == 409
    handover.refresh_from_db()
    assert handover.outcome == "result"

    # The sender sees where the dossier went and what came back.
    page = sender.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Thông tin hộ tịch khớp" in page and "Đã có kết quả" in page

    # The ledger: both agencies held it, adding up to the dossier's total.
    book = ledger_of(dossier, list(dossier.events.all()), [handover], timezone.now())
    held = {hold.agency for hold in book.agencies}
    assert held == {dossier.agency.code, justice_code}
    assert sum(hold.held_us for hold in book.agencies) == book.total_us
    # … shown on the IOC drill-down, with no personal data.
    page = client_for("ioc").get(f"/giam-sat/ho-so/{dossier.code}/").content.decode()
    assert JUSTICE in page and HAI_CHAU in page and "Xác minh thông tin hộ tịch" in page
    assert page.count('class="ledger-agency"') == 2 and dossier.applicant_name not in page
    # … and on the control slip (Mẫu 06).
    slip = " ".join(pdf_text(render_slip("06", dossier)).split())
    assert "Thời gian giải quyết của từng cơ quan" in slip and JUSTICE in slip


def test_an_agency_that_never_held_the_dossier_sees_nothing_of_it():
    dossier = make_dossier("examining")
    sender = client_for("chuyenvien.haichau")
    assert post_action(sender, dossier, "transfer", target=agency(JUSTICE).pk).status_code == 302
    handover = Handover.objects.get(dossier=dossier)
    token = dossier.attachments.first().token
    for outsider in ("kiemsoat", "motcua.haichau"):  # another agency; the sender's own desk
        client = client_for(outsider)
        assert dossier.code not in client.get("/mot-cua/lien-thong/").content.decode()
        assert client.get(f"/mot-cua/lien-thong/{handover.pk}/").status_code == 404
        assert client.get(f"/mot-cua/lien-thong/{handover.pk}/tep/{token}/").status_code == 404
        posted = client.post(f"/mot-cua/lien-thong/{handover.pk}/",
                             {"outcome": "result", "note": "x", "revision": 99})
        assert posted.status_code == 404
    assert client_for("congdan").get("/mot-cua/lien-thong/").status_code == 403
    # The clock ledger: the agencies that held it, not a third agency's leader.
    third = User.objects.create(username="lanhdao.khac", full_name="Lãnh đạo khác")
    Membership.objects.create(user=third, role=Role.LEADER, agency=Agency.objects.exclude(
        pk__in=[dossier.agency_id, handover.to_agency_id]).first())
    assert client_for("lanhdao.khac").get(f"/giam-sat/ho-so/{dossier.code}/").status_code == 404
    assert client_for("lanhdao.sotuphap").get(
        f"/giam-sat/ho-so/{dossier.code}/").status_code == 200
    assert client_for("congdan").get(f"/giam-sat/ho-so/{dossier.code}/").status_code == 403
    # The receiving agency reaches only this dossier's files through the handover.
    other = make_dossier()
    stray = other.attachments.first().token
    receiver = client_for("chuyenvien.sotuphap")
    assert receiver.get(f"/mot-cua/lien-thong/{handover.pk}/tep/{stray}/").status_code == 404
    # Taken back by hand, the handover closes: the receiving agency can no longer answer.
    assert post_action(sender, dossier, "take_back").status_code == 302
    handover.refresh_from_db()
    assert handover.outcome == "recalled"
    assert "Gửi trả lời" not in receiver.get(
        f"/mot-cua/lien-thong/{handover.pk}/").content.decode()


def test_a_withdrawal_during_a_handover_ends_it_for_the_receiving_agency():
    dossier = make_dossier("examining")
    sender = client_for("chuyenvien.haichau")
    assert post_action(sender, dossier, "transfer", target=agency(JUSTICE).pk).status_code == 302
    actions.perform(dossier.pk, Action.withdraw, dossier.applicant, LifecycleRole.applicant)
    handover = Handover.objects.get(dossier=dossier)
    assert handover.outcome == "recalled" and handover.answered_at is not None
    receiver = client_for("chuyenvien.sotuphap")
    waiting = receiver.get("/mot-cua/lien-thong/").content.decode().split(
        "Đã trả lời gần đây")[0]
    assert dossier.code not in waiting
    assert "Gửi trả lời" not in receiver.get(
        f"/mot-cua/lien-thong/{handover.pk}/").content.decode()
