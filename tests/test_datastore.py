"""The personal data store: what enters it, reuse instead of an upload (page and API), share
links, the counter, and that nobody but the citizen (or whom they let) sees it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts.models import User
from dichvucong.accounts.services import citizen_token
from dichvucong.agencies.models import Agency
from dichvucong.backoffice import services as backoffice
from dichvucong.catalog.models import Procedure
from dichvucong.datastore import documents as rules
from dichvucong.datastore import services
from dichvucong.datastore.models import (
    Access,
    AccessRecord,
    AttachmentOrigin,
    CounterConsent,
    Kind,
    ShareLink,
    StoredDocument,
)
from dichvucong.dossiers import submission
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Attachment, Dossier
from dichvucong.monitor import facts
from dichvucong.monitor.models import DossierFact
from tests import builders
from tests.builders import HAI_CHAU, user
from tests.business_forms import HOUSEHOLD_CHANGE, household_change_form
from tests.filing import check_then_file
from tests.procedure_flow import api_form
from tests.residence_forms import LICENCE_REISSUE, licence_form
from tests.test_monitor import snapshot as monitor_snapshot

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEALTH = "Giấy khám sức khỏe của người lái xe"
LICENCE = "Giấy chứng nhận đăng ký hộ kinh doanh"


def change_json() -> str:
    """2.000720's declaration as the API's ``form``."""
    return api_form(HOUSEHOLD_CHANGE, household_change_form())


def pdf(name="tep.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def hai_chau() -> Agency:
    return builders.agency(HAI_CHAU)


def agency_for(code: str) -> Agency:
    return submission.receiving_agencies(Procedure.objects.get(code=code)).first()


@pytest.fixture
def other_citizen() -> User:
    return User.objects.create_user("congdan.khac", password="x-secret-123", full_name="Lê Thị B")


def file_renewal(client: Client, health=b"%PDF-1.4 health\n") -> Dossier:
    """3.000347 (Cấp đổi giấy phép lái xe), its e-declaration and three uploads, through the
    page."""
    response = check_then_file(client, "/thu-tuc/3.000347/nop-ho-so/", {
        "agency": str(agency_for("3.000347").pk), "delivery": "online", "action": "submit",
        **licence_form(),
        "doc-0": pdf("don.pdf"), "doc-1": pdf("kham-suc-khoe.pdf", health),
        "doc-2": pdf("gplx.pdf", b"%PDF-1.4 licence\n")})
    assert response.status_code == 302, response.content.decode()[:3000]
    return Dossier.objects.get(code=response["Location"].strip("/").split("/")[-1])


def issued_business_licence(citizen: str = "congdan") -> tuple[Dossier, StoredDocument]:
    """1.001612 (Đăng ký thành lập hộ kinh doanh) filed, processed and its result issued by
    Hải Châu's officials through the back office."""
    owner = user(citizen)
    draft = builders.moved(builders.filed(
        builders.procedure("1.001612"), citizen=owner,
        attach=[("Giấy đề nghị đăng ký hộ kinh doanh", pdf("de-nghi.pdf"))]), "approved")
    backoffice.act(draft.pk, Action.issue_result, user("chuyenvien.haichau"),
                   LifecycleRole.specialist,
                   expected_revision=draft.revision,
                   result_file=pdf("gcn-hkd.pdf", b"%PDF-1.4 issued licence\n"))
    builders.derive()
    result = StoredDocument.objects.get(owner=owner, kind=Kind.RESULT)
    return Dossier.objects.get(pk=draft.pk), result


# --- rules -------------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=40))
def test_type_keys_ignore_case_and_spacing(name):
    assert rules.type_key(name) == rules.type_key("  " + name.upper().replace(" ", "  ") + " ")\
        or name.upper().casefold() != name.casefold()
    assert rules.type_key(rules.type_key(name)) == rules.type_key(name)


def test_a_requirement_accepts_its_own_type_and_the_listed_ones():
    assert rules.can_stand_in("giấy khám sức khỏe của người lái xe ", HEALTH)
    assert rules.can_stand_in("Giấy phép lái xe", "Giấy phép lái xe đang sử dụng",
                              ["Giấy phép lái xe"])
    assert not rules.can_stand_in("Giấy phép lái xe", "Giấy phép lái xe đang sử dụng")
    assert not rules.can_stand_in("Hộ chiếu", HEALTH, ["Giấy phép lái xe"])
    assert rules.type_of_requirement("Bổ sung: Giấy chứng sinh") == "Giấy chứng sinh"


def test_a_result_named_by_its_kind_of_copy_is_stored_under_its_title():
    assert rules.type_of_result("Bản chính", "Giấy khai sinh") == "Giấy khai sinh"
    assert rules.type_of_result(" bản  sao ", "Trích lục khai tử") == "Trích lục khai tử"
    assert rules.type_of_result("", "Giấy phép lái xe") == "Giấy phép lái xe"
    assert rules.type_of_result("Mẫu CT07", "Xác nhận thông tin về cư trú") == "Mẫu CT07"


def test_share_durations():
    now = timezone.now()
    assert rules.share_expiry("1h", now) == now + timedelta(hours=1)
    assert rules.share_expiry("30d", now) == now + timedelta(days=30)
    with pytest.raises(KeyError):
        rules.share_expiry("forever", now)


# --- entering the store ----------------------------------------------------------------------


def test_uploads_enter_the_store_on_submission_without_a_second_copy(client):
    client.force_login(user("congdan"))
    dossier = file_renewal(client)
    stored = {d.document_type: d for d in StoredDocument.objects.filter(owner=user("congdan"))}
    assert set(stored) == {"Đơn đề nghị đổi giấy phép lái xe", HEALTH,
                           "Giấy phép lái xe đang sử dụng"}
    health = stored[HEALTH]
    attachment = dossier.attachments.get(requirement=HEALTH)
    assert health.file.name == attachment.file.name  # the same stored file, not a copy
    assert (health.kind, health.source_dossier, health.size) == (Kind.UPLOAD, dossier,
                                                                 attachment.size)
    page = client.get("/kho-du-lieu/").content.decode()
    assert HEALTH in page and dossier.code in page and "Giấy tờ đã nộp" in page
    # A draft's files are not in the store until it is submitted.
    assert not StoredDocument.objects.filter(source_dossier__state="draft").exists()
    # The same file filed again for the same requirement is one document.
    file_renewal(client)
    assert StoredDocument.objects.filter(owner=user("congdan"), type_key=rules.type_key(
        HEALTH)).count() == 1


def test_an_issued_result_enters_the_store_with_its_agency():
    dossier, result = issued_business_licence()
    assert result.document_type == LICENCE and result.source_agency == hai_chau()
    assert result.source_dossier == dossier and result.title == LICENCE
    client = client_for("congdan")
    page = client.get(f"/kho-du-lieu/{result.pk}/").content.decode()
    assert "Kết quả giải quyết" in page and HAI_CHAU in page and "Mở để in lại kết quả" in page
    # Reprint: the citizen who lost the paper opens it again from the store.
    reprint = client.get(f"/kho-du-lieu/{result.pk}/tai-ve/?in=1")
    assert reprint.status_code == 200 and b"".join(reprint.streaming_content).startswith(
        b"%PDF-1.4 issued licence")
    assert reprint["Content-Disposition"].startswith("inline")
    assert AccessRecord.objects.filter(action=Access.DOWNLOAD, document=result).exists()


def test_a_result_stored_after_its_facts_counts_as_shared_data_as_a_rebuild_says():
    # The facts step runs before the store step: the issued result enters the store after its
    # dossier's fact was decided, and the store step decides it again (766 indicator 4.4).
    dossier, _result = issued_business_licence()
    fact = DossierFact.objects.get(dossier=dossier)
    assert fact.shares_data and fact.has_component and fact.citizen
    incremental = monitor_snapshot()
    facts.rebuild()
    assert monitor_snapshot() == incremental


def test_a_file_added_after_the_filing_counts_as_a_component_as_a_rebuild_says():
    """The declaration's PDF, which the worker renders after the filing, made a dossier filed
    without files one with a component (766 indicator 4.2), but its fact stayed as the filing
    decided it: the load kit found 38 facts unlike a rebuild's."""
    from dichvucong.results import declaration

    dossier = builders.filed()  # a birth registration, no file attached
    if not dossier.attachments.filter(declaration=True).exists():
        declaration.attach(dossier.pk)
        builders.derive()
    assert dossier.attachments.filter(declaration=True).exists()
    assert DossierFact.objects.get(dossier=dossier).has_component
    incremental = monitor_snapshot()
    facts.rebuild()
    assert monitor_snapshot() == incremental


# --- reuse ----------------------------------------------------------------------------------


def test_a_second_dossier_reuses_a_stored_upload_without_any_upload(client):
    client.force_login(user("congdan"))
    first = file_renewal(client)
    health = StoredDocument.objects.get(owner=user("congdan"), type_key=rules.type_key(HEALTH))
    form = client.get("/thu-tuc/3.000348/nop-ho-so/").content.decode()
    assert 'name="store-1"' in form and f'value="{health.pk}"' in form
    assert 'name="store-0"' not in form  # nothing in the store fits the application form
    response = check_then_file(client, "/thu-tuc/3.000348/nop-ho-so/", {
        "agency": str(agency_for("3.000348").pk), "delivery": "online", "action": "submit",
        **licence_form(reissue=True),
        "doc-0": pdf("don-cap-lai.pdf"), "store-1": str(health.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    second = Dossier.objects.exclude(pk=first.pk).get(procedure__code="3.000348")
    taken = second.attachments.get(requirement=HEALTH)
    assert taken.file.name == health.file.name and taken.sha256 == health.sha256
    origin = AttachmentOrigin.objects.get(attachment=taken)
    assert origin.document == health and first.code in origin.note
    assert "kho dữ liệu cá nhân" in origin.note
    # The reused attachment does not enter the store a second time.
    assert StoredDocument.objects.filter(type_key=rules.type_key(HEALTH)).count() == 1


def test_a_second_dossier_reuses_a_stored_result_page_and_api():
    _dossier, result = issued_business_licence()
    client = client_for("congdan")
    form = client.get("/thu-tuc/2.000720/nop-ho-so/").content.decode()
    assert f'id="store-1-{result.pk}"' in form and HAI_CHAU in form
    response = check_then_file(client, "/thu-tuc/2.000720/nop-ho-so/", {
        "agency": str(hai_chau().pk), "delivery": "online", "action": "submit",
        **household_change_form(), "doc-0": pdf("thong-bao.pdf"), "store-1": str(result.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    by_page = Dossier.objects.filter(procedure__code="2.000720").get()
    assert by_page.attachments.get(requirement__startswith=LICENCE).store_origin.document == result

    # The API: the stored documents that fit, then a dossier that takes one of them.
    fits = client.get("/api/v1/store/matches?procedure=2.000720").json()
    assert [d["id"] for d in fits[1]["documents"]] == [result.pk]
    assert [d["source_dossier"] for d in fits[0]["documents"]] == [by_page.code]
    response = client.post("/api/v1/dossiers", {
        "procedure": "2.000720", "agency": hai_chau().pk, "form": change_json(),
        "documents": json.dumps([0]), "files": [pdf("thong-bao.pdf")],
        "from_store": json.dumps([{"document": 1, "stored": result.pk}])})
    assert response.status_code == 201, response.content
    by_api = Dossier.objects.get(code=response.json()["code"])
    taken = by_api.attachments.get(requirement__startswith=LICENCE)
    assert taken.file.name == result.file.name and taken.store_origin.document == result


def test_a_bad_store_choice_keeps_everything_else(client, other_citizen):
    client.force_login(user("congdan"))
    file_renewal(client)
    theirs = StoredDocument.objects.create(
        owner=other_citizen, kind=Kind.UPLOAD, document_type=HEALTH,
        type_key=rules.type_key(HEALTH), title=HEALTH, file="dossiers/x/y.pdf",
        original_name="y.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
        dated_at=timezone.now())
    response = client.post("/thu-tuc/3.000348/nop-ho-so/", {
        "agency": str(agency_for("3.000348").pk), "delivery": "post", "action": "submit",
        **licence_form(reissue=True),
        "doc-0": pdf("don-cap-lai.pdf"), "store-1": str(theirs.pk)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Không tìm thấy giấy tờ này trong kho dữ liệu của bạn." in html
    assert "Đã đính kèm: don-cap-lai.pdf" in html
    assert 'value="post" checked' in html
    draft = Dossier.objects.get(procedure__code="3.000348")
    assert draft.state == "draft" and not draft.attachments.filter(requirement=HEALTH).exists()
    # Through the API: refused, and no dossier.
    response = client.post("/api/v1/dossiers", {
        "procedure": "3.000348", "agency": agency_for("3.000348").pk,
        "form": api_form(LICENCE_REISSUE, licence_form(reissue=True)),
        "documents": json.dumps([0]), "files": [pdf("don.pdf")],
        "from_store": json.dumps([{"document": 1, "stored": theirs.pk}])})
    assert response.status_code == 400 and "kho dữ liệu của bạn" in response.json()["detail"]
    mine = StoredDocument.objects.get(owner=user("congdan"), type_key=rules.type_key(HEALTH))
    both = client.post("/api/v1/dossiers", {
        "procedure": "3.000348", "agency": agency_for("3.000348").pk,
        "form": api_form(LICENCE_REISSUE, licence_form(reissue=True)),
        "documents": json.dumps([0, 1]), "files": [pdf("don.pdf"), pdf("kham.pdf")],
        "from_store": json.dumps([{"document": 1, "stored": mine.pk}])})
    assert both.status_code == 400 and "không chọn cả hai" in both.json()["detail"]
    assert Dossier.objects.filter(procedure__code="3.000348").count() == 1


def test_a_stored_document_of_another_type_cannot_stand_in(client):
    client.force_login(user("congdan"))
    file_renewal(client)
    application = StoredDocument.objects.get(document_type="Đơn đề nghị đổi giấy phép lái xe")
    response = client.post("/thu-tuc/3.000348/nop-ho-so/", {
        "agency": str(agency_for("3.000348").pk), "delivery": "online", "action": "submit",
        **licence_form(reissue=True),
        "doc-0": pdf("don.pdf"), "store-1": str(application.pk)})
    assert response.status_code == 200
    assert "không dùng thay được cho «Giấy khám sức khỏe của người lái xe»" in \
        response.content.decode()


def test_choosing_no_stored_document_again_drops_it_from_the_draft(client):
    client.force_login(user("congdan"))
    file_renewal(client)
    health = StoredDocument.objects.get(type_key=rules.type_key(HEALTH))
    base = {"agency": str(agency_for("3.000348").pk), "delivery": "online", "action": "save"}
    client.post("/thu-tuc/3.000348/nop-ho-so/", {**base, "store-1": str(health.pk)})
    draft = Dossier.objects.get(procedure__code="3.000348")
    assert draft.attachments.filter(requirement=HEALTH).exists()
    page = client.get(f"/thu-tuc/3.000348/nop-ho-so/?draft={draft.pk}").content.decode()
    assert f'id="store-1-{health.pk}" name="store-1" value="{health.pk}" checked' in page
    client.post("/thu-tuc/3.000348/nop-ho-so/", {**base, "draft": draft.pk, "store-1": ""})
    assert not draft.attachments.filter(requirement=HEALTH).exists()
    assert StoredDocument.objects.filter(pk=health.pk).exists()  # the store keeps it


# --- access ------------------------------------------------------------------------------------


def test_another_citizen_sees_nothing_of_my_store(client, other_citizen):
    client.force_login(user("congdan"))
    file_renewal(client)
    mine = StoredDocument.objects.filter(owner=user("congdan")).first()
    link, _token = services.share(user("congdan"), mine.pk, "1d")
    other = client_for("congdan.khac")
    assert HEALTH not in other.get("/kho-du-lieu/").content.decode()
    assert other.get(f"/kho-du-lieu/{mine.pk}/").status_code == 404
    assert other.get(f"/kho-du-lieu/{mine.pk}/tai-ve/").status_code == 404
    assert other.post(f"/kho-du-lieu/{mine.pk}/", {"action": "share",
                                                  "duration": "1d"}).status_code == 404
    assert other.get("/api/v1/store/documents").json() == []
    assert other.get(f"/api/v1/store/documents/{mine.pk}").status_code == 404
    assert other.get(f"/api/v1/store/documents/{mine.pk}/file").status_code == 404
    assert other.post(f"/api/v1/store/documents/{mine.pk}/shares", json.dumps(
        {"duration": "1d"}), content_type="application/json").status_code == 404
    assert other.post(f"/api/v1/store/shares/{link.pk}/revoke").status_code == 404
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None
    # Not logged in: the login page, or 401 from the API.
    anonymous = Client()
    assert anonymous.get("/kho-du-lieu/").status_code == 302
    assert anonymous.get("/api/v1/store/documents").status_code == 401


def test_share_link_opens_without_login_until_it_expires_or_is_revoked(client):
    client.force_login(user("congdan"))
    file_renewal(client)
    doc = StoredDocument.objects.get(type_key=rules.type_key(HEALTH))
    response = client.post(f"/kho-du-lieu/{doc.pk}/", {"action": "share", "duration": "1h"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    url = re.search(r'id="new-link" value="([^"]+)"', page).group(1)
    path = url.split("testserver", 1)[1]
    # Only the signed random secret: nothing of the document or the citizen.
    assert re.fullmatch(r"/chia-se/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{20,}/", path)
    # Shown once: the store keeps only its hash.
    assert 'id="new-link"' not in client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    link = ShareLink.objects.get(document=doc)
    assert path.split("/")[2].split(".")[0] not in link.secret_hash

    stranger = Client()
    opened = stranger.get(path)
    assert opened.status_code == 200 and HEALTH in opened.content.decode()
    file = stranger.get(path + "tai-ve/")
    assert file.status_code == 200 and b"".join(file.streaming_content) == b"%PDF-1.4 health\n"
    link.refresh_from_db()
    assert link.access_count == 2
    assert list(AccessRecord.objects.filter(share=link).values_list("action", flat=True)
                .order_by("id")) == [Access.SHARE, Access.SHARE_VIEW, Access.SHARE_DOWNLOAD]
    assert "Mở liên kết chia sẻ" in client.get("/kho-du-lieu/").content.decode()

    # Forged (one character changed), expired, revoked: refused alike.
    token = path.split("/")[2]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert stranger.get(f"/chia-se/{forged}/").status_code == 404
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert stranger.get(path).status_code == 404
    assert stranger.get(path + "tai-ve/").status_code == 404
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    assert stranger.get(path).status_code == 200
    response = client.post(f"/kho-du-lieu/{doc.pk}/", {"action": "revoke", "link": link.pk})
    assert response.status_code == 302
    refused = stranger.get(path)
    assert refused.status_code == 404 and "đã bị thu hồi" in refused.content.decode()
    assert AccessRecord.objects.filter(share=link, action=Access.REVOKE_SHARE).exists()


def test_removing_a_document_ends_its_links_and_keeps_the_dossier_file(client):
    client.force_login(user("congdan"))
    dossier = file_renewal(client)
    doc = StoredDocument.objects.get(type_key=rules.type_key(HEALTH))
    _link, token = services.share(user("congdan"), doc.pk, "7d")
    response = client.post(f"/kho-du-lieu/{doc.pk}/", {"action": "remove"})
    assert response.status_code == 302
    assert Client().get(f"/chia-se/{token}/").status_code == 404
    assert client.get(f"/kho-du-lieu/{doc.pk}/").status_code == 404
    attachment = dossier.attachments.get(requirement=HEALTH)
    assert attachment.file.storage.exists(attachment.file.name)


def test_counter_shows_only_what_the_citizen_consents_to_and_records_each_look(client):
    client.force_login(user("congdan"))
    file_renewal(client)
    citizen = user("congdan")
    officer = client_for("motcua.haichau")
    assert officer.get("/mot-cua/kho-du-lieu/").status_code == 200
    response = officer.post("/mot-cua/kho-du-lieu/", {"qr": citizen_token(citizen)})
    assert response.status_code == 302
    session_url = response["Location"]
    page = officer.get(session_url).content.decode()
    assert "Công dân chưa cho phép xem giấy tờ nào tại quầy." in page and HEALTH not in page
    health = StoredDocument.objects.get(type_key=rules.type_key(HEALTH))
    assert officer.get(f"{session_url}{health.pk}/").status_code == 404

    # The citizen allows the health certificates, not the rest.
    client.post("/kho-du-lieu/tai-quay/", {"type": [rules.type_key(HEALTH)]})
    assert list(CounterConsent.objects.filter(owner=citizen).values_list(
        "document_type", flat=True)) == [HEALTH]
    page = officer.get(session_url).content.decode()
    assert HEALTH in page and "Giấy phép lái xe đang sử dụng" not in page
    opened = officer.get(f"{session_url}{health.pk}/")
    assert opened.status_code == 200
    licence = StoredDocument.objects.get(document_type="Giấy phép lái xe đang sử dụng")
    assert officer.get(f"{session_url}{licence.pk}/").status_code == 404
    looks = AccessRecord.objects.filter(owner=citizen, actor=user("motcua.haichau"))
    assert looks.filter(action=Access.COUNTER_VIEW).count() == 2
    assert looks.filter(action=Access.COUNTER_DOWNLOAD, document=health).count() == 1
    assert "Cán bộ một cửa xem tại quầy" in client.get("/kho-du-lieu/").content.decode()

    # Another officer cannot use this session; a citizen cannot look at all; a bad QR fails.
    assert client_for("motcua.sotuphap").get(session_url).status_code == 410
    assert client.get("/mot-cua/kho-du-lieu/").status_code == 403
    assert client_for("chuyenvien.haichau").get("/mot-cua/kho-du-lieu/").status_code == 403
    bad = officer.post("/mot-cua/kho-du-lieu/", {"qr": citizen_token(citizen) + "x"})
    assert bad.status_code == 400 and "không hợp lệ hoặc đã hết hạn" in bad.content.decode()
    # The look ends after its minutes.
    from dichvucong.datastore.models import CounterSession

    CounterSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert officer.get(session_url).status_code == 410
    assert officer.get(f"{session_url}{health.pk}/").status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_store_api_lists_shares_and_revokes(client):
    client.force_login(user("congdan"))
    dossier = file_renewal(client)
    listed = client.get("/api/v1/store/documents").json()
    assert {d["document_type"] for d in listed} >= {HEALTH}
    health = next(d for d in listed if d["document_type"] == HEALTH)
    assert health["source_dossier"] == dossier.code and health["kind"] == "upload"
    assert health["size"] == len(b"%PDF-1.4 health\n")
    only = client.get("/api/v1/store/documents", {"type": HEALTH.upper()}).json()
    assert [d["id"] for d in only] == [health["id"]]
    file = client.get(f"/api/v1/store/documents/{health['id']}/file")
    assert file.status_code == 200
    made = client.post(f"/api/v1/store/documents/{health['id']}/shares",
                       json.dumps({"duration": "7d"}), content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["url"].startswith("http://testserver/chia-se/") and body["state"] == "live"
    assert Client().get(body["url"]).status_code == 200
    bad = client.post(f"/api/v1/store/documents/{health['id']}/shares",
                      json.dumps({"duration": "forever"}), content_type="application/json")
    assert bad.status_code == 400
    shares = client.get(f"/api/v1/store/documents/{health['id']}/shares").json()
    assert [s["access_count"] for s in shares] == [1] and "url" not in shares[0]
    revoked = client.post(f"/api/v1/store/shares/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert Client().get(body["url"]).status_code == 404
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/store/documents" in spec["paths"]
    assert "/api/v1/store/documents/{document_id}/shares" in spec["paths"]


def test_store_page_lists_by_type_with_source_date_and_size(client):
    client.force_login(user("congdan"))
    dossier = file_renewal(client)
    html = client.get("/kho-du-lieu/").content.decode()
    assert html.count('class="card"') == 3
    assert f"hồ sơ {dossier.code}" in html and "16\xa0byte" in html
    assert timezone.localdate().strftime("%d/%m/%Y") in html


def test_collecting_ignores_dossiers_without_an_account():
    officer = user("motcua.haichau")
    draft = builders.row(applicant=None, applicant_name="Khách vãng lai", channel="in_person")
    Attachment.objects.create(dossier=draft, requirement="Tờ khai", token="t" * 32,
                              extension=".pdf", file="x.pdf", original_name="x.pdf",
                              content_type="application/pdf", size=1, sha256="1" * 64,
                              uploaded_by=officer)
    assert services.collect_dossier(draft) == []


# --- results issued by the results app -------------------------------------------------------


@pytest.fixture
def signing_keys(settings, tmp_path_factory):
    from dichvucong.results import services as results

    settings.RESULTS_PKI_DIR = str(tmp_path_factory.getbasetemp() / "store-pki")
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    results.ensure_demo_keys(Agency.objects.filter(name=HAI_CHAU))


def signed_result(code: str = "1.001612"):
    """A dossier approved by Hải Châu's officials, its result issued and signed."""
    from django.test import TestCase

    from dichvucong.results import services as results
    from tests.results_helpers import approved_dossier

    dossier = approved_dossier(procedure=Procedure.objects.get(code=code))
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = results.request_issue(dossier, user("chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.is_ready, result.signing_error
    return result


def test_a_signed_result_enters_the_store_is_reprinted_and_reused(signing_keys):
    from dichvucong.results import services as results
    from dichvucong.results.models import ResultEvent

    result = signed_result()
    stored = StoredDocument.objects.get(result=result)
    assert (stored.owner, stored.kind, stored.document_type) == (user("congdan"), Kind.RESULT,
                                                                 LICENCE)
    assert stored.file.name == result.pdf.name and stored.sha256 == result.pdf_sha256
    assert stored.source_agency == hai_chau() and stored.source_dossier == result.dossier
    client = client_for("congdan")
    page = client.get("/kho-du-lieu/").content.decode()
    assert result.number in page and "Còn hiệu lực" in page
    # Reprint from the store: the signed PDF itself, recorded in both trails.
    reprint = client.get(f"/kho-du-lieu/{stored.pk}/tai-ve/?in=1")
    assert b"".join(reprint.streaming_content) == results.pdf_bytes(result)
    assert result.events.filter(kind=ResultEvent.Kind.DOWNLOADED).count() == 1

    # A second dossier takes the result for the certificate it requires: no upload.
    response = check_then_file(client, "/thu-tuc/2.000720/nop-ho-so/", {
        "agency": str(hai_chau().pk), "delivery": "online", "action": "submit",
        **household_change_form(), "doc-0": pdf("thong-bao.pdf"), "store-1": str(stored.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    second = Dossier.objects.get(procedure__code="2.000720")
    taken = second.attachments.get(requirement__startswith=LICENCE)
    assert taken.file.name == result.pdf.name
    assert stored.original_name == "ket-qua-" + result.number.replace("/", "-") + ".pdf"
    assert taken.store_origin.document == stored and HAI_CHAU in taken.store_origin.note

    # Revoked: shown so, and it stands in for nothing any more, nor can it be shared.
    results.revoke(result, user("lanhdao.haichau"), "Cấp nhầm")
    assert "Đã thu hồi" in client.get("/kho-du-lieu/").content.decode()
    assert f'id="store-1-{stored.pk}"' not in client.get("/thu-tuc/2.000720/nop-ho-so/") \
        .content.decode()
    response = client.post("/api/v1/dossiers", {
        "procedure": "2.000720", "agency": hai_chau().pk, "form": change_json(),
        "documents": json.dumps([0]), "files": [pdf("thong-bao.pdf")],
        "from_store": json.dumps([{"document": 1, "stored": stored.pk}])})
    assert response.status_code == 400 and "không còn hiệu lực" in response.json()["detail"]
    assert client.get(f"/api/v1/store/documents/{stored.pk}").json()["status"] == "revoked"
    refused = client.post(f"/kho-du-lieu/{stored.pk}/", {"action": "share", "duration": "1d"})
    assert refused.status_code == 400 and not ShareLink.objects.filter(document=stored).exists()
