"""Filing on a citizen's behalf: the consent (a one-time code the citizen receives), what an agent
may then see and do, through the pages and the API, and the audit trail."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from dichvucong.accounts.models import OneTimeCode, User
from dichvucong.agencies.models import Agency
from dichvucong.dossiers import access, actions, agents
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import AgentConsent, ConsentEvent, Dossier
from dichvucong.notify.models import SandboxMessage
from tests.birth_helpers import birth_form, birth_form_json
from tests.filing import check_then_file

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "demo-dichvucong"
BIRTH = "1.001193"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()  # the rate limits count in the cache
    yield
    cache.clear()


def pdf(name="a.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def hai_chau() -> Agency:
    return Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def citizen() -> User:
    user = User.objects.create_user("cd.agents1", password=PASSWORD, full_name="Trần Văn Bình",
                                    phone="0905777001", phone_verified=True)
    return user


@pytest.fixture
def other_citizen() -> User:
    return User.objects.create_user("cd.agents2", password=PASSWORD, full_name="Lê Thị Cúc",
                                    phone="0905777002", phone_verified=True)


def agent() -> User:
    return User.objects.get(username="daily.buudien")


def last_code(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    return re.search(r"\b(\d{6})\b", message.content).group(1)


def consent_through_pages(client: Client, identifier: str, full_name: str = "",
                          phone: str | None = None) -> AgentConsent:
    response = client.post("/nop-thay/bat-dau/", {"procedure": BIRTH, "citizen": identifier,
                                                  "full_name": full_name})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/nop-thay/xac-nhan/"
    response = client.post("/nop-thay/xac-nhan/", {"code": last_code(phone or identifier)})
    assert response.status_code == 302, response.content.decode()[:3000]
    consent = AgentConsent.objects.latest("pk")
    assert response["Location"] == f"/thu-tuc/{BIRTH}/nop-ho-so/?consent={consent.pk}"
    return consent


def filing_for(consent: AgentConsent) -> dict:
    return {"consent": consent.pk, "agency": str(hai_chau().pk), "delivery": "online",
            "action": "submit", **birth_form(), "doc-0": pdf(),
            "doc-1": pdf("giay-chung-sinh.pdf")}


def file_for(client: Client, consent: AgentConsent):
    return check_then_file(client, f"/thu-tuc/{BIRTH}/nop-ho-so/", filing_for(consent))


# --- pages ----------------------------------------------------------------------------------

def test_an_agent_files_for_a_citizen_with_the_citizens_code(citizen):
    client = login("daily.buudien")
    consent = consent_through_pages(client, "0905 777 001", phone="0905777001")
    message = SandboxMessage.objects.filter(phone="0905777001").latest("pk").content
    assert BIRTH in message and "Le Van Cuong" in message  # says who and what, no diacritics
    assert consent.citizen == citizen and consent.agent == agent()
    assert consent.agent_role == "service_agent" and consent.confirmed_by == "sms"
    form = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so/?consent={consent.pk}").content.decode()
    assert "Bạn đang nộp hồ sơ thay cho Trần Văn Bình" in form
    response = file_for(client, consent)
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get(applicant=citizen)
    assert dossier.submitted_by == agent() and dossier.channel == "agent"
    assert dossier.applicant_name == "Trần Văn Bình" and dossier.state == "submitted"
    consent.refresh_from_db()
    assert consent.dossier == dossier
    event = dossier.events.get()
    assert event.actor == agent() and event.data == {"on_behalf_of": citizen.pk}
    assert [e.action for e in consent.events.all()] == ["given", "used"]
    # The agent lists and follows it; the citizen sees it as their own, "nộp thay bởi …".
    assert dossier.code in client.get("/nop-thay/").content.decode()
    assert client.get(f"/ho-so/{dossier.code}/").status_code == 200
    mine = login("cd.agents1")
    assert "nộp thay bởi Lê Văn Cường" in mine.get("/ho-so/").content.decode()
    page = mine.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "nộp thay bởi Lê Văn Cường" in page
    # The channel is the national "online" one.
    assert dossier.national_status == 1
    from dichvucong.dossiers.models import DossierChannel
    assert DossierChannel(dossier.channel).national_code == 2


def test_the_agent_answers_a_supplement_but_cannot_withdraw(citizen):
    client = login("daily.buudien")
    file_for(client, consent_through_pages(client, "0905777001"))
    dossier = Dossier.objects.get(applicant=citizen)
    officer = User.objects.get(username="motcua.haichau")
    actions.perform(dossier.pk, Action.request_supplement, officer, LifecycleRole.reception_officer,
                    "Giấy chứng sinh bản rõ nét")
    dossier.refresh_from_db()
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Cơ quan yêu cầu bổ sung hồ sơ" in page and "Rút hồ sơ" not in page
    response = client.post(f"/ho-so/{dossier.code}/", {
        "action": "supplement", "revision": dossier.revision, "supplement-0": pdf("ro.pdf")})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    event = dossier.events.last()
    assert event.action == "provide_supplement" and event.actor == agent()
    assert event.data["on_behalf_of"] == citizen.pk
    client.post(f"/ho-so/{dossier.code}/", {"action": "withdraw", "revision": dossier.revision})
    dossier.refresh_from_db()
    assert dossier.state == "submitted"


def test_a_citizen_without_an_account_is_registered_by_phone():
    client = login("tocongnghe")
    refused = client.post("/nop-thay/bat-dau/", {"procedure": BIRTH, "citizen": "0905777009"})
    assert refused.status_code == 200
    assert "Nhập họ và tên của công dân" in refused.content.decode()
    consent = consent_through_pages(client, "0905777009", full_name="Hồ Thị Duyên")
    citizen = consent.citizen
    assert citizen.full_name == "Hồ Thị Duyên" and citizen.phone_verified
    assert not citizen.has_usable_password()
    assert consent.agent_role == "digital_team"
    assert consent.events.get().data == {"channel": "sms", "new_account": True}


def test_a_cccd_without_an_account_is_refused_with_a_way_forward():
    client = login("daily.buudien")
    response = client.post("/nop-thay/bat-dau/", {"procedure": BIRTH,
                                                  "citizen": "048090000123"})
    assert "Hãy tìm theo số điện thoại" in response.content.decode()
    assert not OneTimeCode.objects.filter(purpose="consent").exists()


def test_found_by_cccd_the_code_goes_to_the_accounts_phone(citizen):
    citizen.id_number = "048090000123"
    citizen.save()
    client = login("daily.buudien")
    consent = consent_through_pages(client, "048090000123", phone="0905777001")
    assert consent.citizen == citizen


@pytest.mark.parametrize("case", ["wrong", "expired", "reused"])
def test_wrong_expired_or_reused_codes_are_refused(citizen, case):
    client = login("daily.buudien")
    client.post("/nop-thay/bat-dau/", {"procedure": BIRTH, "citizen": "0905777001"})
    code = last_code("0905777001")
    if case == "wrong":
        code = f"{(int(code) + 1) % 1_000_000:06d}"
        expected = "Mã xác nhận không đúng. Bạn còn 4 lần thử."
    elif case == "expired":
        OneTimeCode.objects.filter(purpose="consent").update(
            expires_at=timezone.now() - timedelta(seconds=1))
        expected = "Mã xác nhận đã hết hạn"
    else:
        assert client.post("/nop-thay/xac-nhan/", {"code": code}).status_code == 302
        session = client.session  # the page moved on; come back to it with the used code
        session["dossiers.consent_request"] = OneTimeCode.objects.get(purpose="consent").pk
        session.save()
        expected = "Mã này đã được dùng"
    response = client.post("/nop-thay/xac-nhan/", {"code": code})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert AgentConsent.objects.count() == (1 if case == "reused" else 0)


def test_another_agent_cannot_use_the_code(citizen):
    first = login("daily.buudien")
    first.post("/nop-thay/bat-dau/", {"procedure": BIRTH, "citizen": "0905777001"})
    record = OneTimeCode.objects.get(purpose="consent")
    other = User.objects.get(username="tocongnghe")
    with pytest.raises(agents.ConsentError, match="Mã xác nhận không đúng"):
        agents.confirm_consent(other, record.pk, last_code("0905777001"))
    record.refresh_from_db()
    assert record.attempts == 0 and record.used_at is None


def test_only_agents_file_on_behalf(citizen, other_citizen):
    client = login("cd.agents2")
    assert client.get("/nop-thay/").status_code == 403
    response = client.post("/nop-thay/bat-dau/", {"procedure": BIRTH, "citizen": "0905777001"})
    assert response.status_code == 403
    assert "Chỉ đại lý dịch vụ công" in response.content.decode()
    assert not SandboxMessage.objects.filter(phone="0905777001").exists()


def test_revoked_consent_another_agent_and_another_citizen_are_refused(citizen, other_citizen):
    client = login("daily.buudien")
    file_for(client, consent_through_pages(client, "0905777001"))
    dossier = Dossier.objects.get(applicant=citizen)
    # The other citizen's dossier, filed by themselves: the agent never sees it.
    own = login("cd.agents2")
    check_then_file(own, f"/thu-tuc/{BIRTH}/nop-ho-so/", {
        "agency": str(hai_chau().pk), "delivery": "online", "action": "submit", **birth_form(),
        "doc-0": pdf(), "doc-1": pdf("b.pdf")})
    theirs = Dossier.objects.get(applicant=other_citizen)
    assert client.get(f"/ho-so/{theirs.code}/").status_code == 404
    assert own.get(f"/ho-so/{dossier.code}/").status_code == 404  # nor another citizen
    # Another agent does not see the first agent's dossier.
    other_agent = login("tocongnghe")
    assert other_agent.get(f"/ho-so/{dossier.code}/").status_code == 404
    assert dossier.code not in other_agent.get("/nop-thay/").content.decode()
    # The citizen revokes: the agent loses the dossier at once; it stays the citizen's.
    mine = login("cd.agents1")
    consent = AgentConsent.objects.get(citizen=citizen)
    assert "Lê Văn Cường" in mine.get("/tai-khoan/").content.decode()
    assert mine.post(f"/tai-khoan/dong-y-nop-thay/{consent.pk}/thu-hoi/").status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == citizen
    assert [e.action for e in consent.events.all()] == ["given", "used", "revoked"]
    assert client.get(f"/ho-so/{dossier.code}/").status_code == 404
    assert client.get(f"/ho-so/{dossier.code}/phieu/01.pdf").status_code == 404
    assert dossier.code not in client.get("/nop-thay/").content.decode()
    assert mine.get(f"/ho-so/{dossier.code}/").status_code == 200
    # …and the revoked consent cannot start another filing.
    refused = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so/?consent={consent.pk}")
    assert refused.status_code == 403 and "đã thu hồi" in refused.content.decode()
    # Another citizen cannot revoke someone else's consent.
    assert own.post(f"/tai-khoan/dong-y-nop-thay/{consent.pk}/thu-hoi/").status_code == 302
    assert "Không tìm thấy" in own.get("/tai-khoan/dong-y-nop-thay/").content.decode()


def test_a_consent_covers_one_dossier_and_expires_unused(citizen):
    client = login("daily.buudien")
    consent = consent_through_pages(client, "0905777001")
    file_for(client, consent)
    # The same consent: back to its one dossier, no second.
    again = client.post(f"/thu-tuc/{BIRTH}/nop-ho-so/", filing_for(consent))
    assert again.status_code == 302 and Dossier.objects.filter(applicant=citizen).count() == 1
    stale = consent_through_pages(client, "0905777001")
    AgentConsent.objects.filter(pk=stale.pk).update(given_at=timezone.now() - timedelta(days=2))
    refused = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so/?consent={stale.pk}")
    assert refused.status_code == 403 and "24 giờ" in refused.content.decode()
    # Another agent cannot use the first agent's consent.
    other = login("tocongnghe")
    assert other.get(f"/thu-tuc/{BIRTH}/nop-ho-so/?consent={consent.pk}").status_code == 404


def test_an_agent_who_loses_the_role_loses_the_dossiers(citizen):
    client = login("daily.buudien")
    file_for(client, consent_through_pages(client, "0905777001"))
    dossier = Dossier.objects.get(applicant=citizen)
    assert access.agent_dossiers(agent()).filter(pk=dossier.pk).exists()
    agent().memberships.filter(role="service_agent").delete()
    assert not access.followed_dossiers(agent()).filter(pk=dossier.pk).exists()


def test_each_access_condition_is_needed(citizen, other_citizen):
    """access.consented: break one condition at a time, the dossier is out of sight."""
    client = login("daily.buudien")
    file_for(client, consent_through_pages(client, "0905777001"))
    dossier = Dossier.objects.get(applicant=citizen)
    consent = dossier.consent

    def visible() -> bool:
        return access.agent_dossiers(agent()).filter(pk=dossier.pk).exists()

    assert visible()
    Dossier.objects.filter(pk=dossier.pk).update(submitted_by=User.objects.get(
        username="tocongnghe"))
    assert not visible()
    Dossier.objects.filter(pk=dossier.pk).update(submitted_by=agent())
    AgentConsent.objects.filter(pk=consent.pk).update(citizen=other_citizen)
    assert not visible()
    AgentConsent.objects.filter(pk=consent.pk).update(citizen=citizen,
                                                      agent=User.objects.get(username="tocongnghe"))
    assert not visible()
    AgentConsent.objects.filter(pk=consent.pk).update(agent=agent())
    assert visible()


# --- API ------------------------------------------------------------------------------------

def api_consent(client: Client, identifier: str = "0905777001") -> dict:
    sent = client.post("/api/v1/consents/requests", json.dumps(
        {"procedure": BIRTH, "citizen": identifier}), content_type="application/json")
    assert sent.status_code == 202, sent.content
    body = sent.json()
    assert body["destination"] == "0905***001" and body["channel"] == "sms"
    confirmed = client.post(f"/api/v1/consents/requests/{body['request_id']}/confirm",
                            json.dumps({"code": last_code("0905777001")}),
                            content_type="application/json")
    assert confirmed.status_code == 201, confirmed.content
    return confirmed.json()


def api_file(client: Client, consent_id: int | None):
    data = {"procedure": BIRTH, "agency": hai_chau().pk, "form": json.dumps(birth_form_json()),
            "documents": json.dumps([0, 1]), "files": [pdf(), pdf("b.pdf")]}
    if consent_id is not None:
        data["consent"] = consent_id
    return client.post("/api/v1/dossiers", data)


def test_the_same_through_the_api(citizen, other_citizen):
    client = login("daily.buudien")
    consent = api_consent(client)
    assert consent["citizen"] == "Trần Văn Bình" and consent["dossier_code"] is None
    with TestCase.captureOnCommitCallbacks(execute=True):  # the declaration, after commit
        filed = api_file(client, consent["id"])
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["channel"] == "agent" and body["national_channel"] == 2
    assert body["submitted_by"] == "Lê Văn Cường" and body["applicant_name"] == "Trần Văn Bình"
    code = body["code"]
    # The API's filing has its declaration too, which the agent may read.
    declaration = client.get(f"/ho-so/{code}/to-khai.pdf")
    assert declaration.status_code == 200 and declaration["Content-Type"] == "application/pdf"
    assert b"%PDF" in declaration.content[:8]
    assert Dossier.objects.get(code=code).attachments.get(declaration=True).uploaded_by is None
    assert [d["code"] for d in client.get("/api/v1/dossiers").json()] == [code]
    assert client.get(f"/api/v1/dossiers/{code}").status_code == 200
    # A second filing with the same consent is refused.
    assert api_file(client, consent["id"]).status_code == 409
    # Supplement through the API, on behalf.
    dossier = Dossier.objects.get(code=code)
    actions.perform(dossier.pk, Action.request_supplement,
                    User.objects.get(username="motcua.haichau"), LifecycleRole.reception_officer,
                    "Giấy chứng sinh bản rõ nét")
    answered = client.post(f"/api/v1/dossiers/{code}/supplement",
                           {"note": "Đã gửi bản rõ", "files": [pdf("ro.pdf")]})
    assert answered.status_code == 200, answered.content
    assert dossier.events.last().data["on_behalf_of"] == citizen.pk
    withdraw = client.post(f"/api/v1/dossiers/{code}/withdraw", "{}",
                           content_type="application/json")
    assert withdraw.status_code == 403
    # The citizen sees it as theirs, lists the consent and revokes it.
    mine = login("cd.agents1")
    assert [d["code"] for d in mine.get("/api/v1/dossiers").json()] == [code]
    listed = mine.get("/api/v1/consents").json()
    assert [c["id"] for c in listed] == [consent["id"]] and listed[0]["dossier_code"] == code
    # Another citizen: neither the dossier nor the consent.
    other = login("cd.agents2")
    assert other.get(f"/api/v1/dossiers/{code}").status_code == 404
    assert other.post(f"/api/v1/consents/{consent['id']}/revoke").status_code == 404
    # Another agent: not the dossier.
    assert login("tocongnghe").get(f"/api/v1/dossiers/{code}").status_code == 404
    revoked = mine.post(f"/api/v1/consents/{consent['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert mine.post(f"/api/v1/consents/{consent['id']}/revoke").status_code == 409
    assert client.get(f"/api/v1/dossiers/{code}").status_code == 404
    assert client.get("/api/v1/dossiers").json() == []
    assert client.post(f"/api/v1/dossiers/{code}/supplement", {"note": "x"}).status_code == 404


def test_api_refusals(citizen):
    client = login("daily.buudien")
    sent = client.post("/api/v1/consents/requests", json.dumps(
        {"procedure": BIRTH, "citizen": "0905777001"}), content_type="application/json").json()
    wrong = client.post(f"/api/v1/consents/requests/{sent['request_id']}/confirm",
                        json.dumps({"code": "000000" if last_code("0905777001") != "000000"
                                    else "111111"}), content_type="application/json")
    assert wrong.status_code == 400 and "Mã xác nhận không đúng" in wrong.json()["detail"]
    other = login("tocongnghe")
    stolen = other.post(f"/api/v1/consents/requests/{sent['request_id']}/confirm",
                        json.dumps({"code": last_code("0905777001")}),
                        content_type="application/json")
    assert stolen.status_code == 400
    # A citizen is not an agent; a citizen cannot file with someone's consent id.
    mine = login("cd.agents1")
    assert mine.post("/api/v1/consents/requests", json.dumps(
        {"procedure": BIRTH, "citizen": "0905777001"}),
        content_type="application/json").status_code == 403
    consent = agents.confirm_consent(agent(), sent["request_id"], last_code("0905777001"))
    assert api_file(mine, consent.pk).status_code == 404
    assert api_file(other, consent.pk).status_code == 404
    # Expired: a consent not used within 24 hours.
    AgentConsent.objects.filter(pk=consent.pk).update(given_at=timezone.now() - timedelta(days=2))
    assert api_file(client, consent.pk).status_code == 403
    assert not Dossier.objects.exists()
    assert ConsentEvent.objects.filter(action="given").count() == 1


def test_the_openapi_documents_the_agent_operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/consents/requests" in spec["paths"]
    assert "/api/v1/consents/requests/{request_id}/confirm" in spec["paths"]
    assert "/api/v1/consents/{consent_id}/revoke" in spec["paths"]
    assert "/api/v1/dossiers/{code}/supplement" in spec["paths"]


def test_an_agents_dossier_pays_the_online_fee(citizen):
    """Nationally an agent's filing is an online dossier (channel 2): it gets the online fee as it
    gets the online time limit, not the counter fee (the fee rule read only «online»)."""
    from tests.payments_support import fee_procedure

    procedure = fee_procedure("TST.700091", amount=20000, online_amount=10000)
    client = login("daily.buudien")
    sent = client.post("/api/v1/consents/requests", json.dumps(
        {"procedure": procedure.code, "citizen": "0905777001"}), content_type="application/json")
    assert sent.status_code == 202, sent.content
    confirmed = client.post(f"/api/v1/consents/requests/{sent.json()['request_id']}/confirm",
                            json.dumps({"code": last_code("0905777001")}),
                            content_type="application/json")
    assert confirmed.status_code == 201, confirmed.content
    filed = client.post("/api/v1/dossiers", {
        "procedure": procedure.code, "agency": hai_chau().pk, "form": "{}",
        "consent": confirmed.json()["id"]})
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["channel"] == "agent" and body["fee_amount"] == 10000
