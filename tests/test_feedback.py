"""Feedback and complaints through the pages: an anonymous sender proves a phone with a code, the
agency answers, the answer reaches the sender and is published without personal data; a dossier
is linked only by its owner; the alert scan escalates feedback near its due time (frozen clock);
the counts and Decision 766's 5.1 and 5.2."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dichvucong.alerts import scan
from dichvucong.feedback import services
from dichvucong.feedback.models import Feedback
from dichvucong.notify.models import Notification, SandboxMessage
from tests import builders
from tests.feedback_support import fresh_rate_limits, login  # noqa: F401 - the fixture is autouse

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def last_code(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    return re.search(r"\b(\d{6})\b", message.content).group(1)


def prove(client: Client, phone: str) -> None:
    assert client.get("/phan-anh/")["Location"] == "/phan-anh/so-dien-thoai/"
    response = client.post("/phan-anh/so-dien-thoai/", {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    wrong = client.post("/phan-anh/so-dien-thoai/", {"code": "000000"})
    assert wrong.status_code == 400 and "Mã xác nhận không đúng" in wrong.content.decode()
    response = client.post("/phan-anh/so-dien-thoai/", {"code": last_code(phone)})
    assert response["Location"] == "/phan-anh/"


def test_anonymous_feedback_with_a_phone_code_is_answered_and_published_without_personal_data():
    client = Client()
    phone = "0905123987"
    prove(client, phone)
    hai_chau = builders.agency()
    content = ("Tôi là Tôn Nữ Thị Bímật, CCCD 048099000111, gọi 0905 123 987 hoặc email "
               "bimat@example.org: trang nộp hồ sơ khai sinh báo lỗi khi tải giấy chứng sinh.")
    response = client.post("/phan-anh/", {
        "subject": "procedure", "procedure_code": "1.001193", "agency": hai_chau.pk,
        "content": content, "name": "Tôn Nữ Thị Bímật", "publish_consent": "on",
        "files": [SimpleUploadedFile("anh.pdf", PDF, content_type="application/pdf")]})
    assert response.status_code == 302, response.content.decode()[:3000]
    feedback = Feedback.objects.get()
    assert response["Location"] == f"/phan-anh/da-gui/{services.sender_token(feedback)}/"
    assert feedback.sender is None and feedback.sender_phone == phone
    assert feedback.agency == hai_chau and feedback.procedure.code == "1.001193"
    assert feedback.attachments.get().original_name == "anh.pdf"
    # Ten working days on the agency's calendar.
    calendar = services.calendar_for(feedback.received_at, hai_chau.pk)
    start = calendar.next_working_moment(feedback.received_at)
    assert feedback.due_at == calendar.add_working_days(start, 10)
    assert calendar.working_days_between(start.date(), feedback.due_at.date()) in (9, 10, 11)

    # An official of another agency does not see it; Hải Châu's one-stop officer answers.
    assert login("motcua.sotuphap").get(f"/phan-anh/xu-ly/{feedback.pk}/").status_code == 404
    assert Client().get("/phan-anh/xu-ly/").status_code == 302
    assert login("congdan").get("/phan-anh/xu-ly/").status_code == 403
    official = login("motcua.haichau")
    page = official.get(f"/phan-anh/xu-ly/{feedback.pk}/").content.decode()
    assert "048099000111" not in page.split("Câu hỏi sẽ công khai")[1]  # the redacted proposal
    assert official.get(f"/phan-anh/xu-ly/{feedback.pk}/tep/"
                        f"{feedback.attachments.get().token}/").status_code == 200
    response = official.post(f"/phan-anh/xu-ly/{feedback.pk}/", {
        "answer": "Chào bà Tôn Nữ Thị Bímật, lỗi tải tệp đã được khắc phục; mời bà nộp lại.",
        "public_content": "Trang nộp hồ sơ báo lỗi. Liên hệ 0905123987, ton nu thi bimat.",
        "public_answer": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    feedback.refresh_from_db()
    assert feedback.state == "answered" and feedback.on_time
    sms = Notification.objects.get(event="feedback.answered", channel="sms")
    assert sms.to == phone and feedback.reference in sms.short_text
    # Published: nothing of the person, even what the official typed back in.
    public = Client().get("/phan-anh/cong-khai/").content.decode()
    assert "Trang nộp hồ sơ báo lỗi" in public and "lỗi tải tệp đã được khắc phục" in public
    digits = re.sub(r"\D", "", public)
    for value in ("Bímật", "bimat", "0905123987", "048099000111"):
        assert value not in public and value.lower() not in public.lower()
    assert "0905123987" not in digits and "048099000111" not in digits
    assert re.search(r'id="so-dung-han">\s*1\s*<', public)
    # The sender reads the answer on the private link and says they are not satisfied.
    view = f"/phan-anh/da-gui/{services.sender_token(feedback)}/"
    assert "lỗi tải tệp đã được khắc phục" in client.get(view).content.decode()
    assert client.post(view, {"satisfied": "0"}).status_code == 302
    feedback.refresh_from_db()
    assert feedback.satisfied is False
    today = timezone.localdate()
    counts = services.counts(today, today)
    assert (counts.received, counts.answered_on_time, counts.on_time, counts.satisfied) == (
        1, 1, 1, 0)
    # The IOC shows it (this month's figures).
    ioc = login("ioc").get("/giam-sat/").content.decode()
    assert 'data-feedback="received">1<' in ioc and 'data-feedback="on_time">1<' in ioc
    assert 'data-feedback="late">0<' in ioc


def test_only_the_owner_links_a_dossier_and_it_routes_to_the_dossiers_agency():
    justice = builders.agency(builders.JUSTICE)
    dossier = builders.row(code="000.00.20.H17-261201-0001", agency=justice, state="examining",
                           applicant_phone="0905550001")
    form = {"subject": "dossier", "dossier_code": dossier.code, "name": "Nguyễn Văn An",
            "content": "Hồ sơ của tôi đã quá lâu chưa có kết quả."}
    # Another citizen, and an anonymous phone that is not the applicant's: the same refusal.
    stranger = Client()
    prove(stranger, "0905000222")
    for client in (stranger, login("doanhnghiep")):
        response = client.post("/phan-anh/", form)
        assert response.status_code == 400 and services.NOT_YOURS in response.content.decode()
    assert not Feedback.objects.exists()
    response = login("congdan").post("/phan-anh/", {**form, "agency": builders.agency().pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    feedback = Feedback.objects.get()
    assert feedback.dossier == dossier and feedback.agency == justice  # not the one chosen
    assert feedback.sender == builders.user("congdan")


def test_a_complaint_near_its_due_time_is_escalated_once_by_the_alert_scan():
    justice = builders.agency(builders.JUSTICE)
    dossier = builders.row(code="000.00.20.H17-261201-0002", agency=justice, state="examining")
    received = timezone.now() - timedelta(days=30)
    feedback = services.submit(
        services.Draft(subject="dossier", content="Cán bộ hẹn nhiều lần không trả kết quả.",
                       dossier_code=dossier.code),
        services.Sender(user=builders.user("congdan"), name="Nguyễn Văn An"), now=received)
    due = feedback.due_at
    # Frozen clock: the day after reception nothing happens; an hour before the due time, the
    # agency head and the controllers are told, once.
    assert scan.escalate_feedback(received + timedelta(days=1)) == 0
    result = scan.scan(now=due - timedelta(hours=1))
    head, controller = builders.user("thutruong.sotuphap"), builders.user("kiemsoat")
    told = set(Notification.objects.filter(event="feedback.near_due").values_list("user_id",
                                                                                flat=True))
    assert {head.pk, controller.pk} <= told
    assert builders.user("motcua.sotuphap").pk not in told
    assert result.feedback_notified == len(told)
    feedback.refresh_from_db()
    assert feedback.escalated_at is not None
    assert scan.escalate_feedback(due + timedelta(hours=1)) == 0
    # The controller of the city above the department may answer it; late, it counts so.
    response = login("kiemsoat").post(f"/phan-anh/xu-ly/{feedback.pk}/",
                                      {"answer": "Đã yêu cầu Sở trả kết quả trong tuần này."})
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.on_time is False  # answered now, after the due time


def test_decision_766_indicators_5_1_and_5_2_against_a_hand_computed_fixture():
    from datetime import date, datetime

    from dichvucong.monitor import metrics

    def at(day: int, hour: int = 9):
        return timezone.make_aware(datetime(2026, 12, day, hour))

    hai_chau = builders.agency()
    other = builders.agency(builders.JUSTICE)
    rows = [  # (received, due, answered, satisfied, agency)
        (at(1), at(15), at(10), True, hai_chau),  # on time, satisfied
        (at(2), at(16), at(18), None, hai_chau),  # late
        (at(3), at(17), at(4), False, hai_chau),  # on time, said not satisfied
        (at(4), at(28), None, None, hai_chau),  # open, not yet due at the 20th
        (at(5), at(19), None, None, hai_chau),  # open, overdue at the 20th
        (at(5), at(19), None, None, other),  # another agency: not in the scope
        (timezone.make_aware(datetime(2026, 11, 30, 9)), at(14), None, None, hai_chau),  # before
    ]
    for i, (received, due, answered, satisfied, agency) in enumerate(rows):
        Feedback.objects.create(
            reference=f"PA-T{i}", subject="procedure", agency=agency, content="x" * 20,
            sender_name="Người gửi", received_at=received, due_at=due, answered_at=answered,
            state="answered" if answered else "received", satisfied=satisfied)
    scope = metrics.Scope(date(2026, 12, 1), date(2026, 12, 31), agency_ids=(hai_chau.pk,))
    index = {i.code: i for i in metrics.national_index(scope, now=at(20)).indicators}
    # 5.1: (2 answered on time + 1 open not yet due) ÷ 5 = 60 % → 60 × 6 ÷ 80 = 4.5 points.
    assert (index["5.1"].numerator, index["5.1"].denominator) == (3, 5)
    assert index["5.1"].value == 60.0 and index["5.1"].points == 4.5
    # 5.2: (5 − not satisfied 1 − late 1 − overdue 1) ÷ 5 = 40 % → 40 × 6 ÷ 90 = 2.67 points.
    assert (index["5.2"].numerator, index["5.2"].denominator) == (2, 5)
    assert index["5.2"].value == 40.0 and index["5.2"].points == 2.67
    # A cut by procedure does not claim the agency's feedback as its own.
    cut = metrics.Scope(date(2026, 12, 1), date(2026, 12, 31), agency_ids=(hai_chau.pk,),
                        procedure_id=builders.procedure().pk)
    assert {i.code: i.value for i in metrics.national_index(cut, now=at(20)).indicators
            }["5.1"] is None
