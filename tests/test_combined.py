"""The combined procedures (liên thông, Nghị định 63/2024/NĐ-CP) through HTTP: one dossier the
ward's justice officer hands to the ward police and social insurance at once, each agency seeing
only its own part with its own deadline; one agency's refusal shown to the citizen with its
reason while the other's result still counts and reaches the store with the dossier's own."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dichvucong.datastore.models import StoredDocument
from dichvucong.dossiers.exchange import ledger_of
from dichvucong.dossiers.models import Dossier, Handover
from tests.builders import HAI_CHAU, derive, filed, moved, procedure
from tests.test_api_clients import access_token, bearer
from tests.test_backoffice import client_for, pdf, post_action

pytestmark = pytest.mark.django_db

POLICE = "Công an phường Hải Châu"
SOCIAL_INSURANCE = "Bảo hiểm xã hội thành phố Đà Nẵng"
BIRTH_COMBINED = ("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
                  "cho trẻ em dưới 6 tuổi")
DEATH_COMBINED = "Liên thông đăng ký khai tử, xóa đăng ký thường trú, trợ cấp mai táng"


def combined_dossier(name: str = BIRTH_COMBINED) -> Dossier:
    from dichvucong.catalog.models import Procedure

    code = Procedure.objects.get(name=name).code
    dossier = filed(procedure(code), where=HAI_CHAU,
                    attach=[("Giấy chứng sinh do cơ sở y tế cấp", pdf("chung-sinh.pdf"))],
                    applicant_phone="0905123456",
                    form_data={"tre_ho_ten": "Nguyễn Minh Khôi", "bhyt_noi_kcb": "Trạm Y tế",
                               "tt_chu_ho_ho_ten": "Lê Văn Chủ"})
    return moved(dossier, "examining")


def handed_over(dossier: Dossier) -> dict[str, Handover]:
    sender = client_for("chuyenvien.haichau")
    page = sender.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    # The routing's agencies come first among the targets: the ward's own police first.
    targets = page.split('id="transfer-target"')[1].split("</select>")[0]
    assert targets.index(POLICE) < targets.index(SOCIAL_INSURANCE) < targets.index("Sở Tư pháp")
    from dichvucong.agencies.models import Agency

    police = Agency.objects.get(name=POLICE)
    assert post_action(sender, dossier, "transfer", target=police.pk,
                       note="Đề nghị phối hợp theo quy trình liên thông").status_code == 302
    return {h.to_agency.name: h for h in Handover.objects.filter(dossier=dossier)
            .select_related("to_agency")}


def test_one_transfer_reaches_both_agencies_each_with_only_its_part():
    dossier = combined_dossier()
    handovers = handed_over(dossier)
    dossier.refresh_from_db()
    assert set(handovers) == {POLICE, SOCIAL_INSURANCE} and dossier.state == "transferred"
    police, insurance = handovers[POLICE], handovers[SOCIAL_INSURANCE]
    assert police.step == "Đăng ký thường trú cho trẻ"
    assert insurance.step == "Cấp thẻ bảo hiểm y tế"
    # In parallel: the same share (0.4) of the time, from the same instant, each its own due.
    assert police.sent_at == insurance.sent_at and police.allowed_minutes > 0
    assert police.allowed_minutes == insurance.allowed_minutes and police.due_at is not None

    officer = client_for("congan.haichau")
    listing = officer.get("/mot-cua/lien-thong/").content.decode()
    assert "Đăng ký thường trú cho trẻ" in listing and "Cấp thẻ bảo hiểm y tế" not in listing
    page = officer.get(f"/mot-cua/lien-thong/{police.pk}/").content.decode()
    assert "Nguyễn Minh Khôi" in page and "0905123456" not in page
    # Only what its step needs (handover_data): the residence data, not social insurance's
    # clinic, nor the birth notice, which is not even downloadable by its address.
    assert "Lê Văn Chủ" in page and "Trạm Y tế" not in page
    assert "chung-sinh.pdf" not in page
    notice = dossier.attachments.get(requirement="Giấy chứng sinh do cơ sở y tế cấp")
    assert officer.get(f"/mot-cua/lien-thong/{police.pk}/tep/{notice.token}/").status_code == 404
    bhxh = client_for("chuyenvien.bhxh")
    page = bhxh.get(f"/mot-cua/lien-thong/{insurance.pk}/").content.decode()
    assert "Trạm Y tế" in page and "Lê Văn Chủ" not in page and "chung-sinh.pdf" in page
    assert bhxh.get(f"/mot-cua/lien-thong/{insurance.pk}/tep/{notice.token}/").status_code == 200
    # The other agency's part, the sender's workspace: nothing.
    assert officer.get(f"/mot-cua/lien-thong/{insurance.pk}/").status_code == 404
    assert officer.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 404
    # An agency that never held it sees nothing at all.
    outsider = client_for("chuyenvien.sotuphap")
    assert dossier.code not in outsider.get("/mot-cua/lien-thong/").content.decode()
    for handover in (police, insurance):
        assert outsider.get(f"/mot-cua/lien-thong/{handover.pk}/").status_code == 404


def test_a_refusal_is_shown_with_its_reason_and_the_other_result_still_reaches_the_store():
    from dichvucong.results import services as results
    from dichvucong.results.models import Result

    dossier = combined_dossier()
    handovers = handed_over(dossier)
    police, insurance = handovers[POLICE], handovers[SOCIAL_INSURANCE]
    # The platform holds the police's signing key: its result is signed with it.
    results.ensure_demo_keys([police.to_agency])
    dossier.refresh_from_db()
    answered = client_for("congan.haichau").post(
        f"/mot-cua/lien-thong/{police.pk}/",
        {"outcome": "result", "note": "Đã đăng ký thường trú", "revision": dossier.revision,
         "result": pdf("thuong-tru.pdf")})
    assert answered.status_code == 302
    signed = Result.objects.get(agency=police.to_agency, title=police.step)
    police.refresh_from_db()
    assert signed.dossier_id is None and signed.body.endswith("Đã đăng ký thường trú")
    assert police.result.original_name == f"{signed.number.replace('/', '-')}.pdf"
    # The uploaded file goes beside it, an annex for the sender, never to the store.
    assert dossier.attachments.filter(original_name="thuong-tru.pdf").exists()
    dossier.refresh_from_db()
    # The other agency still holds its part: the dossier waits for it.
    assert dossier.state == "transferred"
    # The police's own answer is its to read again; not social insurance's.
    assert "thuong-tru.pdf" in client_for("congan.haichau").get(
        f"/mot-cua/lien-thong/{police.pk}/").content.decode()
    page = client_for("chuyenvien.bhxh").get(f"/mot-cua/lien-thong/{insurance.pk}/")
    assert "thuong-tru.pdf" not in page.content.decode()
    assert police.result.original_name not in page.content.decode()
    refused = client_for("chuyenvien.bhxh").post(
        f"/mot-cua/lien-thong/{insurance.pk}/",
        {"outcome": "refusal", "note": "Trẻ đã có thẻ bảo hiểm y tế còn hạn",
         "revision": dossier.revision})
    assert refused.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "examining"
    assert dossier.events.get(action="take_back").actor_role == "system"

    # The ledger: the parallel time counts for the agency the dossier waited for, the last to
    # answer, and the holds still add up to the total.
    handovers = list(dossier.handovers.select_related("to_agency"))
    book = ledger_of(dossier, list(dossier.events.all()), handovers, timezone.now())
    held = [hold.agency for hold in book.agencies]
    assert insurance.to_agency.code in held and police.to_agency.code not in held
    assert sum(hold.held_us for hold in book.agencies) == book.total_us

    citizen = client_for("congdan")
    page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Trẻ đã có thẻ bảo hiểm y tế còn hạn" in page and "Từ chối" in page
    assert "Đã giải quyết xong" in page and "Đã đăng ký thường trú" not in page
    assert "thuong-tru.pdf" not in page  # not before the dossier's own result
    derive()
    assert not StoredDocument.objects.filter(source_dossier=dossier, kind="result").exists()

    sender, leader = client_for("chuyenvien.haichau"), client_for("lanhdao.haichau")
    assert post_action(sender, dossier, "examine").status_code == 302
    assert post_action(leader, dossier, "approve").status_code == 302
    assert post_action(sender, dossier, "issue_result",
                       result=pdf("giay-khai-sinh.pdf")).status_code == 302
    derive()  # the pipeline's store step
    stored = {doc.original_name: doc for doc in StoredDocument.objects.filter(
        source_dossier=dossier, kind="result")}
    assert set(stored) == {police.result.original_name, "giay-khai-sinh.pdf"}
    held = stored[police.result.original_name]
    assert held.source_agency_id == police.to_agency_id
    # What the store holds is the police's signed document: its signature holds, and its QR
    # verifies on the verification page.
    with held.file.open("rb") as stream:
        assert results.validate_signature(stream.read())[0]
    verified = citizen.get("/xac-minh/", {"m": signed.qr_payload}).content.decode()
    assert "Giấy tờ thật và còn hiệu lực" in verified and signed.number in verified
    page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "kho dữ liệu của bạn (1 giấy tờ)" in page


def test_the_death_group_routes_to_the_police_and_social_insurance_too():
    dossier = combined_dossier(DEATH_COMBINED)
    handovers = handed_over(dossier)
    assert {h.step for h in handovers.values()} == {"Xóa đăng ký thường trú",
                                                     "Giải quyết trợ cấp mai táng"}


def test_a_handover_near_its_deadline_alerts_the_receiving_agency_until_handed_back():
    from datetime import timedelta

    from dichvucong.alerts.models import Alert
    from dichvucong.alerts.scan import scan
    from dichvucong.notify.models import Notification

    dossier = combined_dossier()
    handovers = handed_over(dossier)
    police, insurance = handovers[POLICE], handovers[SOCIAL_INSURANCE]
    now = timezone.now()
    Handover.objects.filter(pk=police.pk).update(due_at=now - timedelta(minutes=5))  # past
    Handover.objects.filter(pk=insurance.pk).update(due_at=now + timedelta(days=30))  # far
    scan(now)
    alert = Alert.objects.get(dossier=dossier, kind="handover_due")
    assert alert.agency_id == police.to_agency_id and alert.step == police.step
    assert alert.cleared_at is None
    # Told: the receiving agency's specialist, not the sender's.
    told = set(Notification.objects.filter(event="alert.handover_due")
               .values_list("user__username", flat=True))
    assert "congan.haichau" in told and "chuyenvien.haichau" not in told
    # The receiving agency sees it, linked to its «Liên thông đến», never the workspace.
    page = client_for("congan.haichau").get("/canh-bao/").content.decode()
    assert dossier.code in page and f"/mot-cua/ho-so/{dossier.code}/" not in page
    assert dossier.code not in client_for("chuyenvien.sotuphap").get("/canh-bao/").content.decode()

    dossier.refresh_from_db()
    assert client_for("congan.haichau").post(
        f"/mot-cua/lien-thong/{police.pk}/",
        {"outcome": "result", "note": "Đã đăng ký thường trú",
         "revision": dossier.revision}).status_code == 302
    scan(now + timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_another_agencys_system_lists_and_answers_only_its_own_handovers_through_the_api():
    from django.test import Client

    from dichvucong.agencies.models import Agency
    from dichvucong.apiclients import services
    from dichvucong.apiclients.services import Kind

    dossier = combined_dossier()
    handovers = handed_over(dossier)
    police, insurance = handovers[POLICE], handovers[SOCIAL_INSURANCE]
    system, secret = services.register(
        name="Phần mềm Bảo hiểm xã hội", kind=Kind.SYSTEM, scopes=["handovers:answer"],
        agency=Agency.objects.get(name=SOCIAL_INSURANCE))
    http = Client()
    auth = bearer(access_token(http, system, secret))
    listed = http.get("/api/v1/handovers", headers=auth).json()
    assert [h["id"] for h in listed] == [insurance.pk]
    assert listed[0]["step"] == "Cấp thẻ bảo hiểm y tế" and listed[0]["dossier"] == dossier.code
    detail = http.get(f"/api/v1/handovers/{insurance.pk}", headers=auth).json()
    assert detail["form"]["bhyt_noi_kcb"] == "Trạm Y tế"
    assert "tt_chu_ho_ho_ten" not in detail["form"]  # the police's part, not this agency's
    assert [f["file_name"] for f in detail["files"]] == ["chung-sinh.pdf"]
    assert "0905123456" not in str(detail)  # the applicant's contacts stay with the sender
    assert http.get(detail["files"][0]["url"], headers=auth).status_code == 200
    # The police's handover is not this system's: nothing of it, not even to answer it.
    assert http.get(f"/api/v1/handovers/{police.pk}", headers=auth).status_code == 404
    assert http.post(f"/api/v1/handovers/{police.pk}/answer", {"outcome": "result",
                     "note": "x"}, headers=auth).status_code == 404
    # A session (not a system's token) reads nothing here.
    assert client_for("chuyenvien.bhxh").get("/api/v1/handovers").status_code == 401

    missing = http.post(f"/api/v1/handovers/{insurance.pk}/answer",
                        {"outcome": "refusal", "note": " "}, headers=auth)
    assert missing.status_code == 400
    # The system signs on its side: an unsigned file, or one signed by another agency's
    # certificate, is refused on deposit and nothing is stored.
    from dichvucong.results import handovers as signed_results
    from dichvucong.results import services as results

    results.ensure_demo_keys([police.to_agency, insurance.to_agency])
    by_police = signed_results.signed_answer(police, None, "Đã đăng ký thường trú")
    for wrong in (pdf("the-bhyt.pdf"), by_police):
        refused = http.post(f"/api/v1/handovers/{insurance.pk}/answer",
                            {"outcome": "result", "note": "Đã cấp thẻ BHYT",
                             "revision": detail["revision"], "file": wrong}, headers=auth)
        assert refused.status_code == 400 and "chữ ký số" in refused.json()["detail"]
    insurance.refresh_from_db()
    assert insurance.is_open and insurance.result is None
    signed = signed_results.signed_answer(insurance, None, "Đã cấp thẻ BHYT")
    signed.name = "the-bhyt.pdf"
    answered = http.post(f"/api/v1/handovers/{insurance.pk}/answer",
                         {"outcome": "result", "note": "Đã cấp thẻ BHYT",
                          "revision": detail["revision"], "file": signed}, headers=auth)
    assert answered.status_code == 200, answered.content
    assert answered.json()["outcome"] == "result"
    insurance.refresh_from_db()
    assert insurance.result.original_name == "the-bhyt.pdf" and insurance.answered_by is None
    dossier.refresh_from_db()
    assert dossier.state == "transferred"  # the police still holds its part
    again = http.post(f"/api/v1/handovers/{insurance.pk}/answer",
                      {"outcome": "refusal", "note": "Không"}, headers=auth)
    assert again.status_code == 409
    spec = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/handovers/{handover_id}/answer" in spec["paths"]


def test_the_demo_has_a_combined_dossier_in_progress_and_one_late_because_of_one_agency():
    from dichvucong.agencies.models import Agency
    from dichvucong.devdata.combined import create_demo_combined
    from dichvucong.results import services as results

    # The demo makes its keys first (result_keys): the agencies' results are signed.
    results.ensure_demo_keys(Agency.objects.filter(name__in=[POLICE, SOCIAL_INSURANCE]))
    in_progress, late = create_demo_combined()
    assert create_demo_combined() == []  # once
    in_progress.refresh_from_db()
    late.refresh_from_db()
    assert in_progress.state == "transferred"
    assert {h.outcome for h in in_progress.handovers.all()} == {"result", ""}
    answered = in_progress.handovers.get(outcome="result")
    with answered.result.file.open("rb") as stream:
        assert results.validate_signature(stream.read())[0]
    assert late.state == "examining" and late.due_at < timezone.now()
    handovers = list(late.handovers.select_related("to_agency"))
    book = ledger_of(late, list(late.events.all()), handovers, timezone.now())
    over = [hold.agency for hold in book.agencies if hold.over]
    insurance = next(h for h in handovers if h.to_agency.name == SOCIAL_INSURANCE)
    assert over == [insurance.to_agency.code]
    assert sum(hold.held_us for hold in book.agencies) == book.total_us
    # On the IOC drill-down.
    page = client_for("ioc").get(f"/giam-sat/ho-so/{late.code}/").content.decode()
    assert SOCIAL_INSURANCE in page
