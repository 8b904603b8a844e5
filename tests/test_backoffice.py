"""The officials' one-stop back office: who sees what, the queues, the full life of a dossier
through the pages, lateness and the apology, walk-in intake from a CCCD QR code, and bounded
query counts on the hot pages."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dichvucong.adminunits.queries import communes_of
from dichvucong.backoffice import services
from dichvucong.backoffice.cccd import CccdError, parse_qr
from dichvucong.backoffice.timing import duration
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.models import Procedure
from dichvucong.catalog.services import import_definitions
from dichvucong.core import pagecache
from dichvucong.dossiers import actions
from dichvucong.dossiers.actions import StaleDossier
from dichvucong.dossiers.clock import calendar_for, time_limit
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent
from dichvucong.workflow.deadlines import compute_due
from tests import builders
from tests.birth_helpers import birth_form
from tests.builders import HAI_CHAU, JUSTICE, agency, user
from tests.filing import check_then_file

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A made-up card: born 15/03/1990 (male, 20th century: digit 0), registered in Đà Nẵng (048).
QR = "048090001234|201234567|Trần Văn Bình|15031990|Nam|12 Lê Duẩn, Hải Châu, Đà Nẵng|01072021"


def pdf(name="tep.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def justice_procedure() -> Procedure:
    return (Procedure.objects.filter(agency=agency(JUSTICE), current_version__isnull=False)
            .exclude(online_mode="none").order_by("code").first())


def make_dossier(state: str = "submitted", *, where: str = HAI_CHAU, procedure=None,
                 now: datetime | None = None, assignee: str | None = None,
                 name: str = "Nguyễn Văn An", citizen: str = "congdan") -> Dossier:
    """A dossier filed online by a citizen and moved to ``state`` by the demo officials."""
    dossier = builders.filed(procedure, where=where, citizen=citizen, now=now,
                             attach=[("Tờ khai đăng ký khai sinh", pdf("to-khai.pdf"))],
                             applicant_name=name)
    return builders.moved(dossier, state, unit="haichau" if where == HAI_CHAU else "sotuphap",
                          now=now, assignee=assignee)


def codes_in(html: str) -> set[str]:
    return set(re.findall(r"/mot-cua/ho-so/([^/]+)/", html))


def post_action(client: Client, dossier: Dossier, action: str, **fields):
    dossier.refresh_from_db()
    return client.post(f"/mot-cua/ho-so/{dossier.code}/",
                       {"action": action, "revision": dossier.revision, **fields})


# --- access ------------------------------------------------------------------------------------


def test_login_required_and_citizens_are_refused(client):
    response = client.get("/mot-cua/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    client.force_login(user("congdan"))
    assert client.get("/mot-cua/").status_code == 403
    assert client.get("/mot-cua/tiep-nhan-truc-tiep/").status_code == 403
    dossier = make_dossier()
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 403


def test_an_officer_never_sees_another_agencys_dossier():
    other = make_dossier(where=JUSTICE, procedure=justice_procedure())
    token = other.attachments.get().token
    hai_chau = client_for("motcua.haichau")
    assert hai_chau.get(f"/mot-cua/ho-so/{other.code}/").status_code == 404
    assert hai_chau.get(f"/mot-cua/ho-so/{other.code}/tep/{token}/").status_code == 404
    response = hai_chau.post(f"/mot-cua/ho-so/{other.code}/",
                             {"action": "receive", "revision": other.revision})
    assert response.status_code == 404
    assert other.code not in hai_chau.get("/mot-cua/").content.decode()
    other.refresh_from_db()
    assert other.state == "submitted"
    justice = client_for("motcua.sotuphap")
    assert justice.get(f"/mot-cua/ho-so/{other.code}/").status_code == 200
    assert other.code in justice.get("/mot-cua/?hang-doi=tiep-nhan").content.decode()


def test_csrf_is_enforced():
    dossier = make_dossier()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("motcua.haichau"))
    response = client.post(f"/mot-cua/ho-so/{dossier.code}/",
                           {"action": "receive", "revision": dossier.revision})
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.state == "submitted"


def test_attachments_download_with_their_original_name():
    dossier = make_dossier()
    attachment = dossier.attachments.get()
    response = client_for("chuyenvien.haichau").get(
        f"/mot-cua/ho-so/{dossier.code}/tep/{attachment.token}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="to-khai.pdf"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert client_for("chuyenvien.haichau").get(
        f"/mot-cua/ho-so/{dossier.code}/tep/{'0' * 32}/").status_code == 404


# --- queues ------------------------------------------------------------------------------------


@pytest.fixture
def one_of_each():
    states = ["submitted", "received", "examining", "awaiting_approval", "approved",
              "result_ready", "processing_supplement", "reception_supplement", "paused"]
    return {state: make_dossier(state) for state in states}


def queue(username: str, key: str = "", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"hang-doi": key, **params}.items() if v)
    response = client_for(username).get(f"/mot-cua/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_each_queue_shows_the_right_dossiers(one_of_each):
    other = make_dossier(where=JUSTICE, procedure=justice_procedure()).code
    expected = {
        ("motcua.haichau", "tiep-nhan"): {"submitted"},
        ("motcua.haichau", "tra-ket-qua"): {"result_ready"},
        ("motcua.haichau", "cho-bo-sung"): {"processing_supplement", "reception_supplement"},
        ("lanhdao.haichau", "phan-cong"): {"received"},
        ("lanhdao.haichau", "phe-duyet"): {"awaiting_approval"},
        ("lanhdao.haichau", "dung"): {"paused"},
        ("chuyenvien.haichau", "tham-dinh"): {"examining"},
        ("chuyenvien.haichau", "ban-hanh"): {"approved"},
    }
    # Other tests' dossiers may fill the first pages: look each one up by its code.
    for (username, key), states in expected.items():
        for state, dossier in one_of_each.items():
            shown = codes_in(queue(username, key, q=dossier.code))
            assert shown == ({dossier.code} if state in states else set()), (username, key, state)
        assert not codes_in(queue(username, key, q=other))
    # Queues follow roles: the reception officer has no approval queue.
    html = queue("motcua.haichau")
    assert "Chờ tiếp nhận" in html and "Chờ phê duyệt" not in html
    assert "Tiếp nhận hồ sơ trực tiếp" in html
    assert "Tiếp nhận hồ sơ trực tiếp" not in queue("lanhdao.haichau")


def test_queue_rows_show_code_procedure_applicant_and_due(one_of_each):
    dossier = one_of_each["awaiting_approval"]
    html = queue("lanhdao.haichau", "phe-duyet", q=dossier.code)
    assert dossier.code in html and "Đăng ký khai sinh" in html and "Nguyễn Văn An" in html
    assert timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") in html
    assert "Còn " in html or "Trễ hạn" in html


def count_in(html: str) -> int:
    return int(re.search(r"\((\d+) hồ sơ\)", html).group(1))


def test_counts_and_filters():
    count_before = count_in(queue("motcua.haichau", "tiep-nhan"))
    fresh = make_dossier()
    old = make_dossier(now=timezone.now() - timedelta(days=10))
    html = queue("motcua.haichau", "tiep-nhan")
    assert count_in(html) == count_before + 2
    # The 4-working-hour reception clock: the one filed ten days ago is flagged.
    html = queue("motcua.haichau", "tiep-nhan", q=old.code)
    assert "quá 4 giờ làm việc" in html
    assert "quá 4 giờ làm việc" not in queue("motcua.haichau", "tiep-nhan", q=fresh.code)
    assert codes_in(queue("motcua.haichau", "tiep-nhan", q=old.code, **{"tre-han": "1"})) == {
        old.code}
    assert not codes_in(queue("motcua.haichau", "tiep-nhan", q=fresh.code, **{"tre-han": "1"}))
    assert not codes_in(queue("motcua.haichau", "tiep-nhan", q=fresh.code, kenh="in_person"))
    assert codes_in(queue("motcua.haichau", "tiep-nhan", q=fresh.code, kenh="online")) == {
        fresh.code}
    # Counts follow the filters.
    assert count_in(queue("motcua.haichau", "tiep-nhan", q=fresh.code)) == 1


def test_search_by_procedure_name_without_diacritics():
    # Filed before anything else, so that each is first in its list if the filter lets it in.
    long_ago = timezone.now() - timedelta(days=730)
    birth = make_dossier(now=long_ago)
    marriage = make_dossier(now=long_ago, procedure=Procedure.objects.get(code="1.000894"))
    births = codes_in(queue("motcua.haichau", "tiep-nhan", q="khai+sinh"))
    marriages = codes_in(queue("motcua.haichau", "tiep-nhan", q="ket+hon"))
    assert birth.code in births and marriage.code not in births
    assert marriage.code in marriages and birth.code not in marriages


def test_queue_rows_read_the_dossiers_table_alone_and_show_what_they_name_escaped():
    dossier = make_dossier("examining", assignee="chuyenvien.haichau",
                           name="<b>Lê</b> Thị Hoa", now=timezone.now() - timedelta(days=900))
    specialist = client_for("chuyenvien.haichau")
    with CaptureQueriesContext(connection) as queries:
        html = specialist.get("/mot-cua/?hang-doi=tham-dinh").content.decode()
    # Joined to the procedures and users, PostgreSQL's planner may read every dossier waiting
    # at the desk before keeping twenty; alone, the dossiers' table is read in the page's order.
    rows = [q["sql"] for q in queries.captured_queries
            if 'FROM "dossiers_dossier"' in q["sql"] and "LIMIT 21" in q["sql"]]
    assert len(rows) == 1 and "JOIN" not in rows[0]
    card = html.split(f"/mot-cua/ho-so/{dossier.code}/")[1].split("</li>")[0]
    assert "Người nộp: &lt;b&gt;Lê&lt;/b&gt; Thị Hoa" in card and "<b>Lê" not in card
    assert f"Chuyên viên: {user('chuyenvien.haichau')}" in card and "Giao cho tôi" in card
    procedure = Procedure.objects.get(pk=dossier.procedure_id)
    assert f'<span class="meta">{procedure.name}</span>' in card
    # The procedure's name is the catalogue's of the moment, not the one this process read.
    procedure.name = "Đăng ký khai sinh (tên mới)"
    procedure.save(update_fields=["name"])
    html = specialist.get("/mot-cua/?hang-doi=tham-dinh").content.decode()
    card = html.split(f"/mot-cua/ho-so/{dossier.code}/")[1].split("</li>")[0]
    assert '<span class="meta">Đăng ký khai sinh (tên mới)</span>' in card


def test_examine_queue_puts_mine_first_and_pages_by_key():
    mine = make_dossier("examining", now=timezone.now() - timedelta(days=730))
    theirs = {make_dossier("examining", assignee="lanhdao.haichau").code for _ in range(21)}
    specialist = client_for("chuyenvien.haichau")
    html = specialist.get("/mot-cua/?hang-doi=tham-dinh").content.decode()
    first = re.findall(r"/mot-cua/ho-so/([^/]+)/", html)
    assert first[0] == mine.code and "Giao cho tôi" in html
    assert len(first) == 20
    seen = list(first)
    while following := re.search(r'href="(\?[^"]*sau=[^"]+)" rel="next"', html):
        html = specialist.get("/mot-cua/" + following.group(1).replace("&amp;", "&")
                              ).content.decode()
        seen += re.findall(r"/mot-cua/ho-so/([^/]+)/", html)
    assert len(seen) == len(set(seen))  # no dossier twice across pages
    assert theirs <= set(seen)
    assert len(seen) == count_in(html)


# --- the full online journey -------------------------------------------------------------------


def test_full_online_journey_through_the_pages(client):
    citizen = user("congdan")
    client.force_login(citizen)
    response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", {
        "agency": str(agency().pk), "delivery": "post", "action": "submit", **birth_form(),
        "delivery_address-province": "48", "delivery_address-commune": communes_of("48")[0][0],
        "delivery_address-street": "12 Lê Duẩn",
        "doc-0": pdf("to-khai.pdf"), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302
    dossier = Dossier.objects.filter(applicant=citizen).latest("id")
    code = dossier.code
    reception = client_for("motcua.haichau")
    leader = client_for("lanhdao.haichau")
    specialist = client_for("chuyenvien.haichau")

    page = reception.get(f"/mot-cua/ho-so/{code}/").content.decode()
    assert "Tiếp nhận" in page and 'name="revision" value="1"' in page
    assert "Phê duyệt" not in page  # not offered to the reception officer

    response = post_action(reception, dossier, "receive")
    assert response.status_code == 302 and response["Location"] == f"/mot-cua/ho-so/{code}/"
    dossier.refresh_from_db()
    assert dossier.state == "received" and dossier.code == code
    assert dossier.received_at is not None and dossier.due_at is not None
    calendar = calendar_for(dossier.received_at)
    assert calendar.is_due_time(dossier.due_at)  # a working day, inside working hours
    assert calendar.is_working_time(dossier.received_at)
    limit = time_limit(dossier.procedure_version.parsed(), dossier.channel)
    assert dossier.due_at == compute_due(calendar, dossier.received_at, limit)
    assert dossier.original_due_at == dossier.due_at
    assert "Đã «Tiếp nhận» hồ sơ" in reception.get(response["Location"]).content.decode()

    page = leader.get(f"/mot-cua/ho-so/{code}/").content.decode()
    assert "Võ Thị Phương" in page  # the agency's specialist is offered
    response = post_action(leader, dossier, "assign", note="Giải quyết trong ngày")
    html = response.content.decode()
    assert response.status_code == 200 and 'class="error-summary"' in html
    assert html.index("error-summary") < html.index('id="assign-assignee"')  # errors on top
    assert "Cần chọn chuyên viên xử lý." in html
    assert ">Giải quyết trong ngày</textarea>" in html  # the typed note is kept
    response = post_action(leader, dossier, "assign", assignee=user("chuyenvien.haichau").pk)
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "examining" and dossier.assignee == user("chuyenvien.haichau")

    response = post_action(specialist, dossier, "request_supplement", documents=["1"],
                           note="Bản sao sổ hộ khẩu\nGiấy xác nhận cư trú")
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "processing_supplement" and dossier.paused_at is not None
    event = dossier.events.get(action="request_supplement")
    assert event.note.splitlines() == ["- Giấy chứng sinh do cơ sở y tế cấp",
                                       "- Bản sao sổ hộ khẩu", "- Giấy xác nhận cư trú"]
    assert event.data["documents"] == ["Giấy chứng sinh do cơ sở y tế cấp"]

    actions.perform(dossier.pk, Action.provide_supplement, citizen, LifecycleRole.applicant,
                    expected_revision=dossier.revision)
    dossier.refresh_from_db()
    assert dossier.state == "examining" and dossier.paused_at is None

    assert post_action(specialist, dossier, "examine", note="Đủ điều kiện").status_code == 302
    assert post_action(leader, dossier, "approve").status_code == 302
    response = post_action(specialist, dossier, "issue_result")
    assert "Cần đính kèm tệp kết quả giải quyết." in response.content.decode()
    response = post_action(specialist, dossier, "issue_result", result=pdf("giay-khai-sinh.pdf"))
    assert response.status_code == 302
    result = Attachment.objects.get(dossier=dossier, requirement="Kết quả giải quyết")
    assert result.original_name == "giay-khai-sinh.pdf"
    response = post_action(reception, dossier, "return_result", method="post")
    assert "Cần ghi mã vận đơn" in response.content.decode()
    assert post_action(reception, dossier, "return_result", method="post",
                       tracking="EB123456789VN").status_code == 302
    assert post_action(reception, dossier, "close").status_code == 302

    dossier.refresh_from_db()
    assert dossier.state == "done" and dossier.national_status == 10
    events = list(dossier.events.all())
    assert [e.action for e in events] == [
        "submit", "receive", "assign", "request_supplement", "provide_supplement", "examine",
        "approve", "issue_result", "return_result", "close"]
    by_action = {e.action: e for e in events}
    assert by_action["assign"].data["assignee"] == user("chuyenvien.haichau").pk
    assert by_action["issue_result"].data["attachment"] == result.pk
    assert by_action["return_result"].data == {"method": "post",
                                               "tracking_number": "EB123456789VN"}
    assert by_action["examine"].note == "Đủ điều kiện"
    assert by_action["receive"].actor == user("motcua.haichau")
    page = reception.get(f"/mot-cua/ho-so/{code}/").content.decode()
    assert "Mã vận đơn: EB123456789VN" in page and "giay-khai-sinh.pdf" in page
    assert "Bạn không có thao tác nào" in page


def test_transfer_and_take_back_store_the_target():
    dossier = make_dossier("examining")
    specialist = client_for("chuyenvien.haichau")
    target = agency(JUSTICE)
    assert post_action(specialist, dossier, "transfer", target=target.pk).status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "transferred"
    event = dossier.events.get(action="transfer")
    assert event.data["to_agency"] == target.pk and event.data["to_agency_name"] == JUSTICE
    assert post_action(specialist, dossier, "take_back").status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "examining"


def test_pause_and_resume_need_a_reason():
    dossier = make_dossier("examining")
    leader = client_for("lanhdao.haichau")
    response = post_action(leader, dossier, "pause", note="  ")
    assert "Cần ghi lý do dừng giải quyết." in response.content.decode()
    assert post_action(leader, dossier, "pause", note="Chờ kết quả xác minh").status_code == 302
    assert post_action(leader, dossier, "resume", note="Đã có kết quả").status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "examining"


def test_rejection_needs_and_keeps_its_reason():
    dossier = make_dossier()
    reception = client_for("motcua.haichau")
    response = post_action(reception, dossier, "reject", note="")
    html = response.content.decode()
    assert response.status_code == 200 and "Cần ghi lý do từ chối tiếp nhận." in html
    assert 'class="error-summary"' in html
    dossier.refresh_from_db()
    assert dossier.state == "submitted" and dossier.events.count() == 1
    reason = "Hồ sơ không thuộc thẩm quyền của phường"
    assert post_action(reception, dossier, "reject", note=reason).status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "rejected" and dossier.national_status == 3
    assert dossier.finished_at is not None
    assert dossier.events.get(action="reject").note == reason


def test_a_forbidden_action_posted_anyway_changes_nothing():
    dossier = make_dossier("awaiting_approval")
    events = dossier.events.count()
    response = post_action(client_for("motcua.haichau"), dossier, "approve", note="Tôi duyệt")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Cán bộ một cửa không được «Phê duyệt» hồ sơ" in html
    dossier.refresh_from_db()
    assert dossier.state == "awaiting_approval" and dossier.events.count() == events
    # A made-up action, and an action the state does not allow.
    reception = client_for("motcua.haichau")
    assert post_action(reception, dossier, "frobnicate").status_code == 400
    response = post_action(client_for("lanhdao.haichau"), dossier, "assign")
    assert response.status_code == 403 and "Không thể «Phân công»" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.state == "awaiting_approval" and dossier.events.count() == events


def test_a_stale_form_is_refused_and_the_typed_note_is_kept():
    dossier = make_dossier("awaiting_approval")
    leader = client_for("lanhdao.haichau")
    stale = dossier.revision
    actions.perform(dossier.pk, Action.send_back, user("lanhdao.haichau"), LifecycleRole.leader,
                    "Bổ sung ý kiến", expected_revision=stale)
    response = leader.post(f"/mot-cua/ho-so/{dossier.code}/",
                           {"action": "examine", "revision": stale, "note": "Ý kiến của tôi"})
    assert response.status_code == 409
    html = response.content.decode()
    assert StaleDossier.message in html
    dossier.refresh_from_db()
    assert dossier.state == "examining" and dossier.revision == stale + 1


# --- lateness and the apology (Mẫu 04) ---------------------------------------------------------


def next_working_afternoon(days: int = 2) -> datetime:
    calendar = calendar_for(timezone.now())
    day = timezone.localdate()
    for _ in range(days):
        day = calendar.next_working_day(day)
    return timezone.make_aware(datetime.combine(day, time(16, 0)))


def test_late_dossier_needs_an_apology_and_a_new_appointment():
    late = make_dossier("examining", now=timezone.now() - timedelta(days=10))
    original = late.original_due_at
    specialist = client_for("chuyenvien.haichau")
    html = specialist.get(f"/mot-cua/ho-so/{late.code}/").content.decode()
    assert "Bắt buộc: xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" in html
    assert "Trễ hạn" in html
    # Reason required, the typed date kept.
    new_due = next_working_afternoon()
    response = post_action(specialist, late, "apology", reason="",
                           new_due_date=new_due.date().isoformat(), new_due_time="16:00")
    assert response.status_code == 200 and "Cần ghi lý do chậm trễ." in response.content.decode()
    assert f'value="{new_due.date().isoformat()}"' in response.content.decode()
    # A day off is not an appointment.
    calendar = calendar_for(timezone.now())
    day_off = timezone.localdate() + timedelta(days=1)
    while calendar.is_working_day(day_off):
        day_off += timedelta(days=1)
    response = post_action(specialist, late, "apology", reason="Chờ xác minh",
                           new_due_date=day_off.isoformat(), new_due_time="10:00")
    assert "phải là ngày làm việc" in response.content.decode()
    revision = Dossier.objects.get(pk=late.pk).revision
    response = post_action(specialist, late, "apology", reason="Chờ cơ quan công an xác minh",
                           new_due_date=new_due.date().isoformat(), new_due_time="16:00")
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.due_at == new_due and late.original_due_at == original
    assert late.revision == revision + 1 and late.state == "examining"
    event = late.events.get(action="apology")
    assert event.note == "Chờ cơ quan công an xác minh"
    assert event.actor == user("chuyenvien.haichau")
    assert datetime.fromisoformat(event.data["new_due_at"]) == new_due
    assert datetime.fromisoformat(event.data["old_due_at"]) == original
    html = specialist.get(f"/mot-cua/ho-so/{late.code}/").content.decode()
    assert "Bắt buộc: xin lỗi" not in html and "Xin lỗi và hẹn lại ngày trả kết quả" in html
    # Only one new appointment.
    with pytest.raises(services.BackofficeError, match="chỉ được hẹn lại một lần"):
        services.apologise(late.pk, user("chuyenvien.haichau"), "Lần nữa",
                           next_working_afternoon(3), late.revision)


def test_apology_refuses_stale_forms_and_dossiers_not_late():
    late = make_dossier("received", now=timezone.now() - timedelta(days=10))
    with pytest.raises(StaleDossier):
        services.apologise(late.pk, user("motcua.haichau"), "Lý do", next_working_afternoon(),
                           late.revision - 1)
    with pytest.raises(services.BackofficeError, match="không có vai trò"):
        services.apologise(late.pk, user("motcua.sotuphap"), "Lý do", next_working_afternoon(),
                           late.revision)
    done = make_dossier("reception_supplement")
    with pytest.raises(services.BackofficeError, match="đang giải quyết"):
        services.apologise(done.pk, user("motcua.haichau"), "Lý do", next_working_afternoon(),
                           done.revision)
    assert not DossierEvent.objects.filter(action="apology", dossier__in=[late, done]).exists()


def test_overdue_never_blocks_returning_the_result():
    late = make_dossier("result_ready", now=timezone.now() - timedelta(days=10))
    reception = client_for("motcua.haichau")
    html = reception.get(f"/mot-cua/ho-so/{late.code}/").content.decode()
    assert "Trả kết quả" in html
    assert post_action(reception, late, "return_result", method="counter").status_code == 302
    late.refresh_from_db()
    assert late.state == "returned"
    assert late.events.get(action="return_result").data == {"method": "counter",
                                                            "receiver": "Nguyễn Văn An"}


def test_working_durations_read_naturally():
    assert duration(0, 450) == "0 phút"
    assert duration(-95, 450) == "1 giờ 35 phút"
    assert duration(450 * 2 + 60, 450) == "2 ngày 1 giờ"


# --- walk-in intake from the CCCD card ---------------------------------------------------------


def test_walk_in_from_a_cccd_qr_code(caplog):
    reception = client_for("motcua.haichau")
    html = reception.get("/mot-cua/tiep-nhan-truc-tiep/?q=khai+sinh").content.decode()
    assert "?co-quan=" in html and "thu-tuc=1.001193" in html
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc=1.001193"
    page = reception.get(url)
    assert page.status_code == 200 and "Nội dung mã QR trên thẻ căn cước" in page.content.decode()
    # A scanner types the text and Enter; the fields fill in, nothing is created yet.
    count = Dossier.objects.count()
    response = reception.post(url, {"cccd-qr": QR + "\r\n", "_read_qr": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Trần Văn Bình"' in html and 'value="048090001234"' in html
    assert 'value="1990-03-15"' in html and "12 Lê Duẩn" in html
    assert Dossier.objects.count() == count
    # A card that does not read: a clear message.
    response = reception.post(url, {"cccd-qr": "048090001234|Trần Văn Bình", "_read_qr": "1"})
    assert "Mã QR chỉ có 2 trường, cần đủ 7 trường" in response.content.decode()
    # A missing document is reported with everything else, nothing is created.
    fields = {"app-name": "Trần Văn Bình", "app-id": "048090001234", "app-dob": "1990-03-15",
              "app-gender": "Nam", "app-address": "12 Lê Duẩn, Hải Châu, Đà Nẵng",
              "app-phone": "0905123456", "app-type": "citizen", "delivery": "counter",
              "action": "submit", **birth_form()}
    response = reception.post(url, {**fields, "doc-0": pdf("to-khai.pdf")})
    assert "Cần đính kèm bản quét «Giấy chứng sinh do cơ sở y tế cấp»." in response.content.decode()
    assert Dossier.objects.count() == count
    with TestCase.captureOnCommitCallbacks(execute=True):  # the declaration, after commit
        response = reception.post(url, {**fields, "doc-0": pdf("to-khai.pdf"),
                                        "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302
    dossier = Dossier.objects.latest("id")
    assert response["Location"] == f"/mot-cua/ho-so/{dossier.code}/"
    assert "048090001234" not in response["Location"]
    assert dossier.channel == "in_person" and dossier.applicant is None
    assert dossier.state == "received" and dossier.national_status == 2
    assert dossier.applicant_name == "Trần Văn Bình"
    assert dossier.applicant_id_number == "048090001234"
    assert dossier.form_data["_applicant"] == {"birth_date": "1990-03-15", "gender": "Nam",
                                               "address": "12 Lê Duẩn, Hải Châu, Đà Nẵng"}
    assert re.fullmatch(rf"{re.escape(agency().code)}-\d{{6}}-\d{{4}}", dossier.code)
    assert dossier.received_at and dossier.due_at and dossier.delivery == "counter"
    # The two scans, and the declaration the counter typed in as the platform renders it.
    assert dossier.attachments.count() == 3
    assert dossier.attachments.get(declaration=True).requirement == "Tờ khai đăng ký khai sinh"
    event = dossier.events.get()
    assert event.action == "enter_walk_in" and event.actor == user("motcua.haichau")
    page = reception.get(response["Location"]).content.decode()
    assert "*********234" in page and "Trần Văn Bình" in page
    assert "048090001234" not in caplog.text and "Lê Duẩn" not in caplog.text


def test_a_walk_in_is_charged_by_the_fee_rules():
    """At the counter the fee comes from the fee rules, as online: an exemption applies (the
    counter took the plain sum of the procedure's fees)."""
    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.900071", "name": "Thủ tục thử có lệ phí miễn cho công dân",
        "field": "Thử nghiệm", "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Đơn đề nghị", "mandatory": False}],
        "fees": [{"name": "Lệ phí thử", "amount": 30000, "exempt_when": [
            {"reason": "Công dân được miễn", "applicant_types": ["citizen"]}]}],
    })])
    response = walk_in("TST.900071")
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(procedure__code="TST.900071")
    assert dossier.fee_amount == 0


def walk_in(code: str):
    """A citizen's dossier entered at Hải Châu's counter for the procedure ``code``."""
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc={code}"
    return client_for("motcua.haichau").post(url, {
        "app-name": "Trần Văn Bình", "app-id": "048090001234", "app-dob": "1990-03-15",
        "app-gender": "Nam", "app-address": "12 Lê Duẩn, Hải Châu, Đà Nẵng",
        "app-phone": "0905123456", "app-type": "citizen", "delivery": "counter",
        "action": "submit"})


def test_the_counter_prices_a_walk_in_once(monkeypatch):
    """Issue #16 item 3: the fee is priced once per filing (it was priced on entry and again
    when the fee was kept), and the amount kept is the dossier's."""
    from dichvucong.payments import fees
    from dichvucong.payments.models import DossierFee

    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.900072", "name": "Thủ tục thử có lệ phí tại quầy",
        "field": "Thử nghiệm", "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Đơn đề nghị", "mandatory": False}],
        "fees": [{"name": "Lệ phí thử", "amount": 30000}],
    })])
    quotes, real = [], fees.quote
    monkeypatch.setattr(fees, "quote", lambda *a, **k: quotes.append(a) or real(*a, **k))
    response = walk_in("TST.900072")
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(procedure__code="TST.900072")
    assert len(quotes) == 1
    assert dossier.fee_amount == DossierFee.objects.get(dossier=dossier).amount == 30000


def form_procedure() -> Procedure:
    """A commune-level procedure with a form and its own workflow steps."""
    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.900002", "name": "Thủ tục thử có tờ khai", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full", "agency": "UBND phường/xã/đặc khu",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Đơn đề nghị", "mandatory": True}],
        "workflow": [{"name": "Thẩm tra hồ sơ", "role": "specialist", "share": "0.5"},
                     {"name": "Ký duyệt", "role": "leader", "share": "0.5"}],
        "form": [
            {"key": "ho_ten", "label": "Họ tên người đề nghị", "type": "text", "required": True},
            {"key": "so_cccd", "label": "Số CCCD", "type": "id_number", "required": True},
            {"key": "ngay_sinh", "label": "Ngày sinh của người đề nghị", "type": "date"},
            {"key": "muc_dich", "label": "Mục đích", "type": "select", "required": True,
             "options": [{"value": "hoc", "label": "Đi học"}, {"value": "lam", "label": "Đi làm"}]},
            {"key": "dia_chi_nhan", "label": "Địa chỉ nhận", "type": "address"},
            {"key": "cam_ket", "label": "Cam kết khai đúng sự thật", "type": "checkbox"},
        ],
    })])
    return Procedure.objects.get(code="TST.900002")


def test_walk_in_fills_the_procedures_form_and_the_workspace_reads_it_back():
    procedure = form_procedure()
    commune_code, commune_name = communes_of("48")[0]
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc={procedure.code}"
    reception = client_for("motcua.haichau")
    html = reception.post(url, {"cccd-qr": QR, "_read_qr": "1"}).content.decode()
    assert html.count('value="Trần Văn Bình"') == 2  # the applicant and the form's own field
    assert html.count('value="048090001234"') == 2 and 'id="f-muc_dich"' in html
    response = reception.post(url, {
        "app-name": "Trần Văn Bình", "app-id": "048090001234", "app-dob": "1990-03-15",
        "ho_ten": "Trần Văn Bình", "so_cccd": "048090001234", "ngay_sinh": "1990-03-15",
        "muc_dich": "hoc", "dia_chi_nhan-province": "48", "dia_chi_nhan-commune": commune_code,
        "dia_chi_nhan-street": "12 Lê Duẩn", "cam_ket": "on", "delivery": "post",
        "action": "submit", "doc-0": pdf("don.pdf")})
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.latest("id")
    assert dossier.form_data["muc_dich"] == "hoc" and dossier.procedure == procedure
    html = reception.get(response["Location"]).content.decode()
    for label, value in [("Mục đích", "Đi học"), ("Ngày sinh của người đề nghị", "15/03/1990"),
                         ("Cam kết khai đúng sự thật", "Có"),
                         ("Địa chỉ nhận", f"12 Lê Duẩn, {commune_name}")]:
        assert re.search(rf"<dt>{label}</dt><dd>{re.escape(value)}", html), label
    assert "Thẩm tra hồ sơ" in html and "Ký duyệt" in html  # the procedure's own steps
    assert "Đơn đề nghị" in html and "don.pdf" in html


def test_walk_in_checks_the_id_number_and_is_for_reception_officers():
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc=1.001193"
    assert client_for("chuyenvien.haichau").get(url).status_code == 403
    reception = client_for("motcua.haichau")
    response = reception.post(url, {"app-name": "Lê Thị Hoa", "app-id": "123", "action": "submit",
                                    "app-dob": "1990-01-01"})
    html = response.content.decode()
    assert "Số căn cước công dân phải gồm đúng 12 chữ số." in html
    response = reception.post(url, {"app-name": "Lê Thị Hoa", "app-id": "048185001234",
                                    "app-dob": "1990-01-01", "action": "submit"})
    assert "không khớp năm sinh 1990" in response.content.decode()
    # Procedures of another agency are not offered at this counter.
    other = justice_procedure()
    assert reception.get(f"/mot-cua/tiep-nhan-truc-tiep/?thu-tuc={other.code}").status_code == 404


def test_cccd_qr_parsing():
    card = parse_qr(QR, today=date(2025, 1, 1))
    assert card.id_number == "048090001234" and card.old_id_number == "201234567"
    assert card.full_name == "Trần Văn Bình" and card.birth_date == date(1990, 3, 15)
    assert card.gender == "Nam" and not card.female
    assert card.address == "12 Lê Duẩn, Hải Châu, Đà Nẵng"
    assert card.issue_date == date(2021, 7, 1)
    # No old number, a byte-order mark, extra fields of newer cards, "Nữ" in any case.
    card = parse_qr("\ufeff048190001234||Lê Thị Hoa|01011990|NỮ|Hải Châu||thêm|nữa",
                    today=date(2025, 1, 1))
    assert card.female and card.old_id_number == "" and card.issue_date is None


@pytest.mark.parametrize(("text", "message"), [
    ("", "Chưa có nội dung mã QR"),
    ("   \n", "Chưa có nội dung mã QR"),
    ("048090001234 Trần Văn Bình", "không phải mã QR của thẻ căn cước"),
    ("048090001234|201234567|Trần Văn Bình", "Mã QR chỉ có 3 trường, cần đủ 7 trường"),
    ("04809000123|201234567|Trần Văn Bình|15031990|Nam|Đà Nẵng|01072021",
     "Số căn cước trong mã QR không hợp lệ: Số căn cước công dân phải gồm đúng 12 chữ số."),
    ("999090001234|201234567|Trần Văn Bình|15031990|Nam|Đà Nẵng|01072021",
     "không phải mã tỉnh"),
    ("048090001234|12345|Trần Văn Bình|15031990|Nam|Đà Nẵng|01072021", "chứng minh nhân dân cũ"),
    ("048090001234|201234567||15031990|Nam|Đà Nẵng|01072021", "không có họ và tên"),
    ("048090001234|201234567|15031990|Nam|Đà Nẵng|01072021|x", "Họ và tên trong mã QR có chữ số"),
    ("048090001234|201234567|Trần Văn Bình|1990-03-15|Nam|Đà Nẵng|01072021",
     "Ngày sinh trong mã QR phải có dạng ngàythángnăm"),
    ("048090001234|201234567|Trần Văn Bình|31021990|Nam|Đà Nẵng|01072021",
     "Ngày sinh trong mã QR không phải một ngày có thật"),
    ("048090001234|201234567|Trần Văn Bình|15031991|Nam|Đà Nẵng|01072021",
     "Năm sinh trong mã QR (1991) không khớp"),
    ("048090001234|201234567|Trần Văn Bình|15031990|Nữ|Đà Nẵng|01072021",
     "Giới tính trong mã QR không khớp"),
    ("048090001234|201234567|Trần Văn Bình|15031990|X|Đà Nẵng|01072021",
     "Giới tính trong mã QR phải là «Nam» hoặc «Nữ»"),
    ("048090001234|201234567|Trần Văn Bình|15031990|Nam|Đà Nẵng|01071980",
     "Ngày cấp trong mã QR không hợp lý"),
    ("048225001234|201234567|Trần Văn Bình|15032025|Nam|Đà Nẵng|01072021",
     "Ngày sinh trong mã QR ở tương lai"),
])
def test_malformed_cccd_qr_strings_get_clear_messages(text, message):
    with pytest.raises(CccdError) as caught:
        parse_qr(text, today=date(2025, 1, 1))
    assert message in caught.value.message
    assert "048090001234" not in caught.value.message  # never repeats the number


# --- bounded queries on the hot pages ----------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


# Queue page: session, user, roles, calendar overrides, grouped counts, rows (+ the search
# index's revision when searching), + base.html's navigation roles. Workspace: session, user,
# roles, dossier, calendar, lifecycle roles, events, attachments, the specialists or agencies an
# action offers, + navigation roles. Both + the header's unread inbox count; the workspace + the
# dossier's notifications (delivery status) and its national portal sync (one aggregate).
QUEUE_PAGE_MAX = 11  # includes the agencies of the register links and the open alerts count
WORKSPACE_MAX = 15  # + the fee panel (payments), + the look recorded in the audit trail (the roles
# read once per request: the dossier's lifecycle roles from them, not a query of their own)


def test_queue_and_workspace_queries_do_not_grow_with_the_dossiers(
        django_assert_max_num_queries, monkeypatch):
    # The catalogue's generation is read again once a second (core.pagecache): not a query that
    # grows with the dossiers, but one a slow run would count after and not before.
    monkeypatch.setattr(pagecache, "GENERATION_SECONDS", 3600)
    reception = client_for("motcua.haichau")
    specialist = client_for("chuyenvien.haichau")
    late = make_dossier("examining", now=timezone.now() - timedelta(days=10))
    urls = [(reception, "/mot-cua/?hang-doi=tiep-nhan"),
            (reception, "/mot-cua/?hang-doi=tiep-nhan&tre-han=1&kenh=online&q=khai+sinh"),
            (specialist, "/mot-cua/?hang-doi=tham-dinh")]
    make_dossier()
    for client, url in urls:  # warm up: the search index is built once per process
        client.get(url)
    before = [count_queries(client, url) for client, url in urls]
    workspace_before = count_queries(specialist, f"/mot-cua/ho-so/{late.code}/")
    for _ in range(15):
        make_dossier()
        make_dossier("examining")
    after = [count_queries(client, url) for client, url in urls]
    workspace_after = count_queries(specialist, f"/mot-cua/ho-so/{late.code}/")
    assert before == after and workspace_before == workspace_after
    for client, url in urls:
        with django_assert_max_num_queries(QUEUE_PAGE_MAX):
            client.get(url)
    with django_assert_max_num_queries(WORKSPACE_MAX):
        specialist.get(f"/mot-cua/ho-so/{late.code}/")
    leader, received = client_for("lanhdao.haichau"), make_dossier("received")
    with django_assert_max_num_queries(WORKSPACE_MAX):  # with the specialists to assign
        assert leader.get(f"/mot-cua/ho-so/{received.code}/").status_code == 200


def test_the_back_office_speaks_english_too():
    reception = client_for("motcua.haichau")
    reception.post("/i18n/setlang/", {"language": "en"})
    html = reception.get("/mot-cua/").content.decode()
    assert "Dossiers to handle" in html and "Waiting to be received" in html
    assert "Receive a walk-in dossier" in html


def test_walk_in_from_the_citizens_account_qr_links_the_dossier_to_the_account():
    from dichvucong.accounts.models import User
    from dichvucong.accounts.services import citizen_token

    citizen = User.objects.get(username="congdan")
    citizen.id_number, citizen.phone = "048190000123", "0905000111"
    citizen.save()
    token = citizen_token(citizen)
    reception = client_for("motcua.haichau")
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc=1.001193"
    html = reception.post(url, {"cccd-qr": token, "_read_qr": "1"}).content.decode()
    assert 'value="Nguyễn Văn An"' in html and 'value="048190000123"' in html
    assert f'name="app-account" value="{token}"' in html
    forged = reception.post(url, {"cccd-qr": token[:-2] + "xx", "_read_qr": "1"})
    assert "Mã QR tài khoản không hợp lệ" in forged.content.decode()
    response = reception.post(url, {
        "app-account": token, "app-name": "Nguyễn Văn An", "app-id": "048190000123",
        "app-phone": "0905000111", "app-type": "citizen", "delivery": "counter",
        "action": "submit", **birth_form(), "doc-0": pdf("to-khai.pdf"),
        "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.latest("id")
    assert dossier.applicant == citizen and dossier.channel == "in_person"


def test_reception_officer_records_a_supplement_handed_in_at_the_counter():
    dossier = make_dossier("submitted")
    reception = client_for("motcua.haichau")
    post_action(reception, dossier, "request_supplement", note="Giấy chứng sinh bản chính")
    dossier.refresh_from_db()
    assert dossier.state == "reception_supplement"
    page = reception.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'value="provide_supplement"' in page
    empty = post_action(reception, dossier, "provide_supplement")
    assert "Cần đính kèm bản quét giấy tờ bổ sung" in empty.content.decode()
    response = post_action(reception, dossier, "provide_supplement",
                           note="Công dân nộp bản chính tại quầy",
                           supplement=pdf("giay-chung-sinh.pdf"))
    assert response.status_code in (200, 302)
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    event = dossier.events.latest("id")
    assert event.action == "provide_supplement" and event.actor_role == "reception_officer"
    assert event.data["at_counter"] is True
    assert dossier.attachments.filter(requirement="Bổ sung tại bộ phận một cửa").exists()
    # A specialist does not record counter supplements.
    assert 'value="provide_supplement"' not in client_for("chuyenvien.haichau").get(
        f"/mot-cua/ho-so/{dossier.code}/").content.decode()


def test_walk_in_from_a_card_links_an_account_whose_id_number_vneid_confirmed():
    from dichvucong.accounts.models import User

    citizen = User.objects.get(username="doanhnghiep")
    citizen.id_number, citizen.id_number_verified = "048090001234", True
    citizen.save()
    reception = client_for("motcua.haichau")
    url = f"/mot-cua/tiep-nhan-truc-tiep/?co-quan={agency().pk}&thu-tuc=1.001193"
    response = reception.post(url, {
        "app-name": "Trần Văn Bình", "app-id": "048090001234", "app-dob": "1990-03-15",
        "app-type": "citizen", "delivery": "counter", "action": "submit", **birth_form(),
        "doc-0": pdf("to-khai.pdf"), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302
    assert Dossier.objects.latest("id").applicant == citizen
    citizen.id_number_verified = False  # typed in a profile only: no link
    citizen.save()
    reception.post(url, {
        "app-name": "Trần Văn Bình", "app-id": "048090001234", "app-dob": "1990-03-15",
        "app-type": "citizen", "delivery": "counter", "action": "submit", **birth_form(),
        "doc-0": pdf("to-khai.pdf"), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert Dossier.objects.latest("id").applicant is None


def test_an_action_recorded_for_a_past_moment_is_dated_then():
    """``perform(now=…)`` dates its event at that moment too (the demo's and the synthetic
    exchanges' events were dated when the row was written, and the demo rewrote them after the
    fact, an edit the audit trail sees)."""
    at = timezone.make_aware(datetime(2026, 3, 4, 9, 30))
    draft = builders.filed(now=at)
    outcome = actions.perform(draft.pk, Action.receive, user("motcua.haichau"),
                              LifecycleRole.reception_officer, now=at + timedelta(hours=1))
    assert outcome.event.created_at == at + timedelta(hours=1)
    outcome.event.refresh_from_db()
    assert outcome.event.created_at == at + timedelta(hours=1)
    assert draft.events.get(action="submit").created_at == at
