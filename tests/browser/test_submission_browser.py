"""A citizen files a dossier from a phone, with and without JavaScript."""

from __future__ import annotations

import hashlib
import io
import random
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from dichvucong.dossiers.models import Attachment
from tests.birth_helpers import fill_birth_form
from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def phone_photo() -> bytes:
    """A 4000×3000 JPEG of about 9 MB, as a phone takes: a gradient under fine grain."""
    width, height = 4000, 3000
    grain = Image.frombytes("RGB", (width // 2, height // 2),
                            random.Random(7).randbytes(width * height * 3 // 4))
    light = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    Image.blend(light, grain.resize((width, height)), 0.35).save(out, "JPEG", quality=97)
    return out.getvalue()


def scanned_pdf() -> bytes:
    """A one-page scan as a PDF of about 1.5 MB."""
    side = 1500
    grain = Image.frombytes("RGB", (side, side), random.Random(8).randbytes(side * side * 3))
    out = io.BytesIO()
    grain.save(out, "PDF", resolution=150)
    return out.getvalue()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_citizen_submits_a_birth_registration(browser, live_url, django_db_blocker, javascript,
                                              tmp_path):
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    declaration = tmp_path / "to-khai.pdf"
    declaration.write_bytes(PDF)
    fake = tmp_path / "giay-chung-sinh.pdf"
    fake.write_bytes(b"not really a pdf")
    real = tmp_path / "giay-chung-sinh-that.pdf"
    real.write_bytes(PDF)
    if javascript:
        # A phone photo of the paper instead: made small in the browser (uploads.js).
        real = tmp_path / "giay-chung-sinh.jpg"
        real.write_bytes(phone_photo())
        assert real.stat().st_size > 8 * 1024 * 1024
        # A large scanned declaration: sent ahead in pieces (tus), over a connection that drops.
        declaration.write_bytes(scanned_pdf())
        assert declaration.stat().st_size > 1024 * 1024
        seen: list[str] = []

        def dropping_once(route, request):
            offset = request.headers.get("upload-offset", "0")
            seen.append(f"{request.method} {offset}")
            if request.method == "PATCH" and offset != "0" and "dropped" not in seen:
                seen.append("dropped")
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/tai-len/**", dropping_once)
    def check(label):
        # axe-core runs as a script: the JavaScript run checks these same pages.
        if javascript:
            check_accessibility(page, label)

    try:
        page.goto(live_url + "/dang-nhap/?next=/thu-tuc/1.001193/")
        check("login")
        page.get_by_label("Tên đăng nhập").fill("congdan")
        page.get_by_label("Mật khẩu").fill("demo-dichvucong")
        page.get_by_role("button", name="Đăng nhập").last.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        check("submission form")

        page.get_by_label("Cơ quan tiếp nhận").select_option(
            label="Ủy ban nhân dân phường Hải Châu")
        fill_birth_form(page)
        page.get_by_label("Tờ khai đăng ký khai sinh").set_input_files(str(declaration))
        if javascript:
            expect(page.get_by_text("Đã tải lên: to-khai.pdf")).to_be_visible()
            dropped = seen.index("dropped")
            # After the dropped piece the client asked where to go on, then went on.
            assert seen[dropped + 1].startswith("HEAD"), seen
            assert any(s.startswith("PATCH") for s in seen[dropped + 2:]), seen
        page.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").set_input_files(str(fake))
        page.get_by_role("button", name="Nộp hồ sơ").click()
        # A wrong file: a clear message, and the good file is kept.
        expect(page.get_by_role("alert")).to_contain_text("không phải PDF")
        expect(page.get_by_text("Đã đính kèm: to-khai.pdf")).to_be_visible()
        check("submission form with errors")

        page.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").set_input_files(str(real))
        if javascript:
            expect(page.get_by_text("Ảnh đã thu nhỏ để gửi nhanh")).to_be_visible()
        page.get_by_role("button", name="Nộp hồ sơ").click()
        confirm_filing(page)
        expect(page).to_have_url(re.compile(r"/ho-so/000\.20\.\d\d\.H17-\d{6}-\d{4}/$"))
        if javascript:
            code = page.url.rstrip("/").rsplit("/", 1)[1]
            with django_db_blocker.unblock():
                sent = Attachment.objects.get(dossier__code=code,
                                              requirement__startswith="Giấy chứng sinh")
                content = sent.file.read()
            assert len(content) < 1024 * 1024 and content[:3] == b"\xff\xd8\xff"
            assert max(Image.open(io.BytesIO(content)).size) <= 2000
            with django_db_blocker.unblock():
                kept = Attachment.objects.get(dossier__code=code,
                                              requirement__startswith="Tờ khai", declaration=False)
            assert kept.sha256 == hashlib.sha256(declaration.read_bytes()).hexdigest()
        expect(page.get_by_text("Chờ tiếp nhận")).to_be_visible()
        check("dossier page")
        page.get_by_role("link", name="Hồ sơ của tôi").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ của tôi")
        check("my dossiers")
    finally:
        context.close()
