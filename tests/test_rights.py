"""Citizens' rights over their personal data (issue #21 item 3, datastore/personal.py): what
the platform holds and who looked at it, the download, a deletion request, the retention of
share links."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.core import audit
from dichvucong.core.models import AuditEntry
from dichvucong.datastore import services
from dichvucong.datastore.models import ErasureRequest, ShareLink, StoredDocument
from dichvucong.datastore.tasks import purge_share_links
from tests.builders import filed, user

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_citizen_sees_holdings_and_looks_downloads_and_asks_for_deletion():
    person = User.objects.create_user("congdan.quyen", full_name="Võ Thị Quyền",
                                      phone="0905000111", id_number="048190000111")
    dossier = filed(citizen=person, applicant_name="Võ Thị Quyền", attach=[
        ("Tờ khai đăng ký khai sinh", SimpleUploadedFile("to-khai.pdf", PDF,
                                                         "application/pdf"))])
    officer = user("motcua.haichau")
    services.counter_documents(services.open_counter(officer, person))  # a look at the counter
    assert client_for(officer).get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 200
    audit.record_look(user("chuyenvien.haichau"), person.pk, what="profile",
                      reason="Trả lời cuộc gọi đường dây nóng")

    citizen = client_for(person)
    page = citizen.get("/tai-khoan/du-lieu-cua-toi/").content.decode()
    assert "048190000111" in page and "Võ Thị Quyền" in page
    assert "Cán bộ một cửa xem tại quầy" in page and "Xem hồ sơ" in page
    assert "Trả lời cuộc gọi đường dây nóng" in page and "Xem thông tin cá nhân" in page
    assert page.count(str(officer)) >= 2

    response = citizen.get("/tai-khoan/du-lieu-cua-toi/tai-ve/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert {"du-lieu.json", "du-lieu.pdf"} <= set(names)
    data = json.loads(archive.read("du-lieu.json"))
    assert data["profile"]["id_number"] == "048190000111"
    assert data["dossiers"][0]["code"] == dossier.code
    assert data["dossiers"][0]["events"][0]["label"]
    assert any(a["reason"] == "Trả lời cuộc gọi đường dây nóng"
               for a in data["accesses_by_others"])
    attachment = dossier.attachments.get()
    assert archive.read(f"tep/{attachment.file.name}") == PDF
    assert archive.read("du-lieu.pdf").startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="export.personal_data", subject_id=person.pk).exists()

    # Someone else's data stays theirs: another citizen's page shows none of it.
    other = client_for(User.objects.create_user("congdan.khac"))
    assert "048190000111" not in other.get("/tai-khoan/du-lieu-cua-toi/").content.decode()

    assert citizen.post("/tai-khoan/du-lieu-cua-toi/", {"what": " "}).status_code == 400
    response = citizen.post("/tai-khoan/du-lieu-cua-toi/",
                            {"what": "Xoá số điện thoại cũ khỏi tài khoản"})
    assert response.status_code == 302
    assert ErasureRequest.objects.get(owner=person).what == "Xoá số điện thoại cũ khỏi tài khoản"
    assert "Đang chờ xử lý" in citizen.get("/tai-khoan/du-lieu-cua-toi/").content.decode()


def test_ended_share_links_are_purged_after_their_retention(settings):
    settings.SHARE_LINK_RETENTION_DAYS = 30
    person = User.objects.create_user("congdan.chiase")
    filed(citizen=person, attach=[("Tờ khai đăng ký khai sinh",
                                   SimpleUploadedFile("a.pdf", PDF, "application/pdf"))])
    document = StoredDocument.objects.get(owner=person)
    now = timezone.now()
    links = {name: ShareLink.objects.create(document=document, secret_hash=name * 64,
                                            expires_at=now + timedelta(days=days),
                                            revoked_at=revoked)
             for name, days, revoked in [("a", -31, None), ("b", -29, None), ("c", 7, None),
                                         ("d", 7, now - timedelta(days=31))]}
    assert purge_share_links(now) == 2
    assert set(ShareLink.objects.filter(document=document).values_list("secret_hash",
                                                                       flat=True)) == {
        links["b"].secret_hash, links["c"].secret_hash}
