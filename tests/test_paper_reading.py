"""Issue #23 item 2, wired into the product, through HTTP: the worker (not the request) reads the
papers uploaded to a draft, the citizen sees what disagrees with the form on «Kiểm tra lại thông
tin» and may still file, the officer sees the same on the dossier's page; nobody else sees it.
Two small pages go through Tesseract (a birth notice and a card)."""

from __future__ import annotations

import io
import json
import random
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from dichvucong.accounts.models import User
from dichvucong.dossiers import paperreading
from dichvucong.dossiers.models import Dossier
from dichvucong.pipeline import worker
from dichvucong.pipeline.models import PipelineEntry
from dichvucong.reading import engine, papers, specimens
from tests.birth_helpers import BIRTH, birth_form, birth_form_json
from tests.builders import user
from tests.conftest import require_component
from tests.payments_support import hai_chau

pytestmark = pytest.mark.django_db
URL = f"/thu-tuc/{BIRTH}/nop-ho-so/"
PENDING = "Máy đang đọc giấy tờ này"
BROKEN_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # nothing to render


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def test_the_worker_reads_the_papers_and_both_sides_see_what_disagrees(settings, monkeypatch):
    require_component("Tesseract with its Vietnamese model", engine.available(),
                      "apt-get install tesseract-ocr tesseract-ocr-vie (./run tests does)")
    settings.READ_UPLOADS = True
    # A busy worker: nothing is read until it runs (the kick after the commit does nothing).
    monkeypatch.setattr("dichvucong.pipeline.receivers.kick", lambda: None)
    born = date.today() - timedelta(days=10)
    form = birth_form(born)
    # The birth notice has the child born a day earlier than the form says; the card is
    # someone else's (the form's applicant is Nguyễn Thị Lan, 048190001234).
    notice = specimens.birth_notice("Nguyễn Thị Lan", "048194001234", born - timedelta(days=1))
    card = specimens.random_specimen(random.Random(3), hard=False)
    assert not papers.same_name(card.full_name, form["nyc_ho_ten"])
    citizen = client_for("congdan")
    response = citizen.post(URL, {
        "agency": str(hai_chau().pk), "delivery": "online", "action": "submit", **form,
        "doc-1": SimpleUploadedFile("chung-sinh.png", notice, "image/png"),
        "doc-2": SimpleUploadedFile("cccd.jpg", specimens.photographed_card(card), "image/jpeg")})
    assert response.status_code == 200
    html = response.content.decode()
    draft = Dossier.objects.get(applicant__username="congdan")
    # The request read nothing: the page says the papers are being read, and how to look again.
    assert html.count(PENDING) == 2
    assert all(a.reading is None for a in draft.attachments.all())
    again = f"{URL}?draft={draft.pk}&amp;kiem-tra=1"
    assert again in html

    # Another citizen reaches neither the draft nor its check page.
    User.objects.create_user("congdan.khac", password="x-secret-123")
    other = client_for("congdan.khac")
    assert other.get(f"{URL}?draft={draft.pk}&kiem-tra=1").status_code == 404
    assert other.post(URL, {"draft": draft.pk, "action": "confirm"}).status_code == 404

    # The worker reads each paper once: a second run (or a killed worker's retry) reads nothing.
    assert worker.drain().by_step.get("read") == 2
    assert not PipelineEntry.objects.filter(pending__contains=" read ").exists()
    assert paperreading.read_dossier(draft.pk) == 0
    readings = {a.original_name: a.reading for a in draft.attachments.all()}
    assert readings["chung-sinh.png"]["kind"] == papers.BIRTH_NOTICE
    assert readings["cccd.jpg"]["kind"] == papers.CCCD
    assert readings["cccd.jpg"]["fields"]["id_number"] == card.id_number
    assert readings["cccd.jpg"]["problems"] == []  # a clear photo needs no retake

    # The citizen reloads the check page: a warning per mismatch, and filing is still offered.
    html = citizen.get(f"{URL}?draft={draft.pk}&kiem-tra=1").content.decode()
    assert PENDING not in html and "Kiểm tra lại thông tin" in html
    shown = (born - timedelta(days=1)).strftime("%d/%m/%Y")
    child = (f"Ngày sinh của con trên giấy tờ là «{shown}», trên tờ khai là "
             f"«{born.strftime('%d/%m/%Y')}».")
    number = f"Số định danh cá nhân trên giấy tờ là «{card.id_number}», trên tờ khai là " \
             "«048190001234»."
    assert child in html and number in html and "Họ và tên trên giấy tờ là" in html
    assert "Họ và tên mẹ trên giấy tờ" not in html  # the mother's name agrees
    assert papers.RETAKE not in html
    assert 'name="action" value="confirm"' in html
    response = citizen.post(URL, {"draft": draft.pk, "action": "confirm"})
    assert response.status_code == 302  # nothing is refused by the machine alone
    draft.refresh_from_db()
    assert draft.state == "submitted"
    worker.drain()

    # The officer sees what was read and what disagrees; another agency's officer sees nothing.
    page = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{draft.code}/")
    html = page.content.decode()
    assert page.status_code == 200 and "Máy đọc giấy tờ đính kèm" in html
    assert child in html and number in html and "Giấy chứng sinh" in html
    assert card.full_name.upper() in html
    assert client_for("motcua.sotuphap").get(f"/mot-cua/ho-so/{draft.code}/").status_code == 404


def test_files_filed_through_the_api_are_read_after_the_filing(client, settings, monkeypatch):
    """The API stores a filing's files in one statement (no entry of their own): the filing's
    event reads them. A blank photo asks for a retake; a PDF the engine cannot open is kept as
    not read (not retried for ever). The reading holds no transaction open: on the embedded
    default (SQLite) a transaction holds the one write lock, and seconds of reading made the
    citizens' submissions wait 30 s and fail («database is locked», seen in the load kit)."""
    require_component("Tesseract with its Vietnamese model", engine.available(),
                      "apt-get install tesseract-ocr tesseract-ocr-vie (./run tests does)")
    settings.READ_UPLOADS = True
    from django.db import connection

    depths, real_read = [], engine.read

    def read(*args, **kwargs):
        depths.append(len(connection.savepoint_ids))  # the transactions open around the read
        return real_read(*args, **kwargs)

    monkeypatch.setattr(engine, "read", read)
    client.force_login(user("congdan"))
    blank = io.BytesIO()
    Image.new("L", (240, 160), 255).save(blank, "PNG")
    response = client.post("/api/v1/dossiers", {
        "procedure": BIRTH, "agency": hai_chau().pk, "form": json.dumps(birth_form_json()),
        "documents": json.dumps([1, 2]),
        "files": [SimpleUploadedFile("trang.png", blank.getvalue(), "image/png"),
                  SimpleUploadedFile("hong.pdf", BROKEN_PDF, "application/pdf")]})
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert all(a.reading is None for a in dossier.attachments.all())  # not in the request
    outside = len(connection.savepoint_ids)  # the test's own transaction is not a savepoint
    assert worker.drain().by_step.get("read") == 1  # the filing's entry, both files
    assert depths == [outside, outside]
    readings = {a.original_name: a.reading for a in dossier.attachments.all()}
    assert readings["trang.png"]["problems"] == [papers.UNREADABLE]
    assert readings["hong.pdf"] == {"status": paperreading.UNAVAILABLE}
    assert not PipelineEntry.objects.filter(dossier_id=dossier.pk, failures__gt={}).exists()
    html = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert papers.RETAKE in html and "Máy chưa đọc được giấy tờ này" in html
    # A file stored before papers were read (migration 0009 marks them) is not said to be read.
    dossier.attachments.filter(original_name="hong.pdf").update(
        reading={"status": paperreading.SKIPPED})
    html = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Máy chưa đọc được giấy tờ này" not in html and papers.RETAKE in html
