"""The *1022 hotline console through the pages: only operators, only during their open call, only
what a call needs, each look in the citizen's access history; the FAQ with the catalogue's
search; a call turned into feedback and into a filing with the caller's consent; statistics."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dichvucong.datastore import services as datastore
from dichvucong.datastore.models import AccessRecord
from dichvucong.dossiers.models import AgentConsent
from dichvucong.feedback.models import Feedback
from dichvucong.hotline.models import CallTicket
from dichvucong.notify.models import SandboxMessage
from tests import builders
from tests.feedback_support import fresh_rate_limits, login  # noqa: F401 - the fixture is autouse

pytestmark = pytest.mark.django_db


def new_call(client: Client) -> CallTicket:
    response = client.post("/tong-dai/cuoc-goi/")
    assert response.status_code == 302
    return CallTicket.objects.latest("pk")


def test_the_operator_sees_only_what_the_call_needs_and_each_look_is_recorded():
    citizen = builders.user("congdan")
    citizen.id_number = "048090000123"
    citizen.save()
    own = builders.row(code="000.00.12.H17-261201-0101", state="examining",
                       form_data={"so_dinh_danh": "048090000123", "noi_cu_tru": "12 Kiệt Bí Mật"})
    other = builders.row(code="000.00.12.H17-261201-0102", state="examining",
                         applicant=builders.user("doanhnghiep"))
    for username in ("congdan", "motcua.haichau", "ioc"):
        assert login(username).get("/tong-dai/").status_code == 403
        assert login(username).post("/tong-dai/cuoc-goi/").status_code == 403
    operator = login("tongdai")
    ticket = new_call(operator)
    assert not AccessRecord.objects.filter(owner=citizen).exists()
    page = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/",
                         {"action": "find", "identifier": "0905 550 001"}).content.decode()
    assert own.code in page and other.code not in page and "Nguyễn Văn An" in page
    assert "0905550001" not in page and "048090000123" not in page  # masked, not shown
    dossier_page = operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/ho-so/{own.code}/")
    text = dossier_page.content.decode()
    assert dossier_page.status_code == 200 and "Kiệt Bí Mật" not in text
    assert "048090000123" not in text
    # Another person's dossier, even by its code in the address: refused, nothing recorded.
    assert operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/ho-so/{other.code}/").status_code == 404
    looks = list(AccessRecord.objects.filter(owner=citizen, action="hotline_view")
                 .order_by("pk").values_list("data", flat=True))
    assert [(d["ticket"], d["what"]) for d in looks] == [(ticket.pk, "search"),
                                                         (ticket.pk, "dossier")]
    assert not AccessRecord.objects.filter(owner=other.applicant).exists()
    assert {r.action for r in datastore.history(citizen)} == {"hotline_view"}
    # Another operator's call, and a call once closed, open nothing.
    response = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/", {
        "action": "close", "reason": "dossier_status", "procedure_code": "1.001193",
        "outcome": "answered"})
    assert response.status_code == 302
    assert operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/ho-so/{own.code}/").status_code == 403
    # Found by CCCD number and by dossier code too; the FAQ answers without diacritics.
    ticket = new_call(operator)
    page = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/",
                         {"action": "find", "identifier": "048090000123"}).content.decode()
    assert own.code in page
    page = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/",
                         {"action": "find", "identifier": other.code}).content.decode()
    assert other.code in page and own.code not in page
    faq = operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/?hoi=thanh+toan+le+phi").content.decode()
    assert "Thanh toán phí, lệ phí trực tuyến bằng cách nào?" in faq
    # Statistics by reason and procedure.
    operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/", {
        "action": "close", "reason": "payment", "outcome": "follow_up", "follow_up": ""})
    assert CallTicket.objects.get(pk=ticket.pk).ended_at is None  # the follow-up is required
    operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/", {
        "action": "close", "reason": "dossier_status", "procedure_code": "1.001193",
        "outcome": "follow_up", "follow_up": "Gọi lại sau khi phường trả lời"})
    stats = operator.get("/tong-dai/thong-ke/").content.decode()
    assert re.search(r"Hỏi tình trạng hồ sơ</td><td class=\"num\">2<", stats)
    assert re.search(r"1\.001193 — [^<]+</td><td class=\"num\">2<", stats)


def test_a_call_becomes_feedback_and_an_assisted_filing_with_the_callers_consent():
    citizen = builders.user("congdan")
    own = builders.row(code="000.00.12.H17-261201-0103", state="examining")
    operator = login("tongdai")
    ticket = new_call(operator)
    operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/", {"action": "find",
                                                       "identifier": "0905550001"})
    response = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/phan-anh/", {
        "subject": "dossier", "dossier_code": own.code, "name": "Nguyễn Văn An",
        "content": "Công dân gọi: hồ sơ chưa có kết quả dù đã quá hẹn."})
    assert response.status_code == 302, response.content.decode()[:3000]
    feedback = Feedback.objects.get()
    assert feedback.source == "hotline" and feedback.sender == citizen
    assert feedback.dossier == own and CallTicket.objects.get(pk=ticket.pk).feedback == feedback
    # Filing for the caller: the code goes to the caller's phone, who reads it out.
    response = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/nop-thay/",
                             {"procedure": "1.001193"})
    assert response["Location"] == f"/tong-dai/cuoc-goi/{ticket.pk}/nop-thay/xac-nhan/"
    sms = SandboxMessage.objects.filter(phone="0905550001").latest("pk").content
    code = re.search(r"\b(\d{6})\b", sms).group(1)
    assert operator.post(response["Location"], {"code": "000000"}).status_code == 400
    response = operator.post(response["Location"], {"code": code})
    consent = AgentConsent.objects.get()
    assert response["Location"] == f"/thu-tuc/1.001193/nop-ho-so/?consent={consent.pk}"
    assert consent.agent == builders.user("tongdai") and consent.citizen == citizen
    assert consent.agent_role == "hotline_operator"
    ticket.refresh_from_db()
    assert ticket.consent == consent and ticket.outcome == "assisted"
    form = operator.get(response["Location"]).content.decode()
    assert "Bạn đang nộp hồ sơ thay cho Nguyễn Văn An" in form


def test_a_caller_who_filed_at_a_counter_without_an_account_is_found_with_all_their_dossiers():
    """Most dossiers are still filed at a counter, by people with no account: found by the CCCD
    number or phone written on their dossiers (or a dossier's code), all of theirs listed and
    nobody else's; each look in the audit trail, as they have no access history."""
    from dichvucong.core.models import AuditEntry

    walk_in = {"applicant": None, "applicant_name": "Trần Thị Quầy",
               "applicant_id_number": "048185000777", "applicant_phone": "0935000777",
               "channel": "in_person", "state": "examining"}
    first = builders.row(code="000.00.12.H17-261120-0201", **walk_in)
    second = builders.row(code="000.00.12.H17-261201-0202",
                          **{**walk_in, "applicant_phone": "0935000778"})
    namesake = builders.row(code="000.00.12.H17-261201-0203",
                            **{**walk_in, "applicant_id_number": "048185000999",
                               "applicant_phone": "0935000999"})
    operator = login("tongdai")
    looked = AuditEntry.objects.filter(source="hotline").count()
    for identifier, found, not_found in [
            ("048185000777", {first, second}, {namesake}),  # both bear the number
            ("0935 000 777", {first}, {second, namesake}),  # the phone of the first only
            (second.code, {first, second}, {namesake})]:  # its code, then its number
        ticket = new_call(operator)
        page = operator.post(f"/tong-dai/cuoc-goi/{ticket.pk}/",
                             {"action": "find", "identifier": identifier}).content.decode()
        shown = page.replace(f'value="{identifier}"', "")  # the search box keeps what was typed
        assert "Trần Thị Quầy" in page and "048185000777" not in shown
        assert all(d.code in page for d in found), identifier
        assert not any(d.code in page for d in not_found), identifier
        for d in found:
            assert operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/ho-so/{d.code}/"
                                ).status_code == 200
        for d in not_found:
            assert operator.get(f"/tong-dai/cuoc-goi/{ticket.pk}/ho-so/{d.code}/"
                                ).status_code == 404
    # A search and a dossier opened per found dossier, in three calls.
    assert AuditEntry.objects.filter(source="hotline").count() - looked == 3 + 5
    assert not AccessRecord.objects.filter(data__ticket__isnull=False,
                                           owner__isnull=True).exists()
