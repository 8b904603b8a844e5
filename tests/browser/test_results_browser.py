"""The public verification page in a real browser, on a phone and a desktop: open from the QR
link, paste the QR text, upload the signed PDF, with and without JavaScript; axe-core checks every
page. Then offline verification from a trust list fetched from a live server that is stopped
before verifying.

The live server's database is shared and never rolled back: the results here are issued to a
citizen of their own."""

from __future__ import annotations

import io
import json
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.results import services
from tests.browser.conftest import check_accessibility, new_context
from tests.results_helpers import HAI_CHAU, approved_dossier, user

pytestmark = pytest.mark.django_db
CITIZEN = "congdan.thu-ket-qua"


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path_factory):
    settings.RESULTS_PKI_DIR = str(tmp_path_factory.getbasetemp() / "results-browser-pki")
    settings.RESULTS_TRUST_ROOTS = []
    # The trust lists are cached across requests; a test's keys are its own.
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])
    User.objects.get_or_create(username=CITIZEN, defaults={"full_name": "Công dân thử kết quả"})
    services.ensure_demo_keys(Agency.objects.filter(name=HAI_CHAU))


def issued():
    dossier = approved_dossier("Lê Văn Tám", citizen=CITIZEN)
    result = services.request_issue(dossier, user("chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.is_ready, result.signing_error
    return result


def test_verify_by_link_paste_and_upload(page, live_url, tmp_path):
    result = issued()
    page.goto(f"{live_url}/xac-minh/?m={services.verify_url(result.qr_payload).split('?m=')[1]}")
    expect(page.get_by_role("heading", name="Giấy tờ thật và còn hiệu lực")).to_be_visible()
    expect(page.get_by_text("L. V. Tám")).to_be_visible()
    check_accessibility(page, "verification: opened from the QR link")

    page.goto(f"{live_url}/xac-minh/")
    expect(page.get_by_role("heading", name="Quét mã QR bằng camera")).to_be_visible()
    check_accessibility(page, "verification page")
    page.get_by_role("textbox", name="Nội dung mã QR").fill(result.qr_payload)
    page.get_by_role("button", name="Xác minh").click()
    expect(page.get_by_role("heading", name="Giấy tờ thật và còn hiệu lực")).to_be_visible()
    check_accessibility(page, "verification: pasted")

    pdf = tmp_path / "ket-qua.pdf"
    pdf.write_bytes(services.pdf_bytes(result))
    page.get_by_label("Tệp PDF kết quả giải quyết").set_input_files(str(pdf))
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(page.get_by_role("heading", name="Giấy tờ thật và còn hiệu lực")).to_be_visible()
    expect(page.get_by_text(result.number).first).to_be_visible()
    check_accessibility(page, "verification: uploaded")

    services.revoke(result, user("lanhdao.haichau"), "Cấp nhầm")
    page.get_by_role("textbox", name="Nội dung mã QR").fill(result.qr_payload[:-4] + "AAAA")
    page.get_by_role("button", name="Xác minh").click()
    expect(page.get_by_role("heading", name="Không phải giấy tờ thật").or_(
        page.get_by_role("heading", name="Không đọc được mã"))).to_be_visible()
    page.get_by_role("textbox", name="Nội dung mã QR").fill(result.qr_payload)
    page.get_by_role("button", name="Xác minh").click()
    expect(page.get_by_role("heading", name="Giấy tờ đã bị thu hồi")).to_be_visible()
    check_accessibility(page, "verification: revoked")


def test_the_page_works_without_javascript(browser, live_url, viewport):
    result = issued()
    context = new_context(browser, viewport=viewport, java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_url}/xac-minh/")
    assert page.get_by_role("heading", name="Quét mã QR bằng camera").is_hidden()
    page.get_by_role("textbox", name="Nội dung mã QR").fill(services.verify_url(result.qr_payload))
    page.get_by_role("button", name="Xác minh").click()
    expect(page.get_by_role("heading", name="Giấy tờ thật và còn hiệu lực")).to_be_visible()
    context.close()
    js_page = new_context(browser, viewport=viewport).new_page()
    js_page.goto(f"{live_url}/xac-minh/")
    check_accessibility(js_page, "verification page")
    js_page.context.close()


def test_offline_verification_with_the_server_stopped(live_url):
    """Fetch the trust list from a server of our own, stop it, then verify from the file."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    result = issued()
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    url = f"http://127.0.0.1:{thread.port}/xac-minh/danh-sach-tin-cay.json"
    with urllib.request.urlopen(url, timeout=30) as response:
        published = json.load(response)
    thread.terminate()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", thread.port), timeout=2).close()
    saved = urlsplit(url).path.rsplit("/", 1)[-1]
    path = Path(django_settings.RESULTS_PKI_DIR) / saved
    path.write_text(json.dumps(published))
    out = io.StringIO()
    call_command("verify_result", services.verify_url(result.qr_payload), trust_list=str(path),
                 stdout=out)
    assert out.getvalue().startswith("valid:"), out.getvalue()


def test_digital_issuing_from_the_workspace(page, live_url):
    """The specialist issues the signed result from the dossier's workspace (the normal path);
    the page reports it, the dossier moves to «result ready»; axe-core on both pages."""
    from django.test import Client

    from dichvucong.dossiers.models import Dossier

    dossier = approved_dossier("Trần Văn Bình", citizen=CITIZEN)
    client = Client()
    client.force_login(user("chuyenvien.haichau"))
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_url}])
    page.goto(f"{live_url}/mot-cua/ho-so/{dossier.code}/")
    expect(page.get_by_role("heading", name="Ban hành kết quả làm ngoài hệ thống")).to_be_visible()
    check_accessibility(page, "workspace: digital issuing")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("button", name="Ký số và ban hành kết quả").click()
    result = Dossier.objects.get(pk=dossier.pk).results.get()
    expect(page.get_by_role("link", name=result.number)).to_be_visible()
    check_accessibility(page, "workspace: result issued")
    result.refresh_from_db()
    assert result.is_ready, result.signing_error
    assert Dossier.objects.get(pk=dossier.pk).state == "result_ready"
