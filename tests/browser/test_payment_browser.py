"""A citizen pays a dossier's fee from a phone through the local VNPay sandbox gateway: redirect →
pay → return → IPN, and downloads the receipt; a reception officer sees the payment and the
VietQR page is accessible too. Under the site's real security headers: the pay button's POST is
redirected to the gateway, which the CSP's form-action must allow."""

from __future__ import annotations

import random
import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.payments import vnpay
from dichvucong.payments.models import DossierFee, Payment
from tests.browser.conftest import PHONE, check_accessibility, new_context
from tests.notify_servers import EsmsServer
from tests.payments_support import due_dossier, fee_procedure, start_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings, live_url):
    """The sandbox gateway, holding its IPN to the live server until the test lets it go: the
    browser's return arrives first, as it often does with VNPay."""
    sandbox, server = start_sandbox(settings, f"{live_url}/thanh-toan/vnpay/ipn/",
                                    ipn_hold=threading.Event(), ipn_interval=0.5)
    yield sandbox
    server.shutdown()
    server.server_close()


def phone_page(browser):
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def log_in(page, live_url, username, next_url):
    page.goto(f"{live_url}/dang-nhap/?next={next_url}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").last.click()


def release_ipn(gateway, page, paid) -> None:
    """Let the gateway's held IPN go and wait until ``paid`` (a payment or a fee) is paid."""
    gateway.ipn_hold.set()
    for _ in range(30):
        paid.refresh_from_db()
        if paid.state == "paid":
            break
        page.wait_for_timeout(300)
    assert paid.state == "paid"


def test_citizen_pays_through_the_sandbox_gateway(browser, live_url, gateway, settings):
    code = f"TST.8{random.randint(0, 99999):05d}"  # noqa: S311 - a unique test code
    citizen = User.objects.get(username="congdan")
    procedure = fee_procedure(code)
    dossier = due_dossier(citizen, procedure)
    context, page = phone_page(browser)
    try:
        log_in(page, live_url, "congdan", f"/thu-tuc/{code}/nop-ho-so/")
        expect(page.get_by_role("heading", name="Phí, lệ phí phải nộp")).to_be_visible()
        expect(page.get_by_text("10.000 đ").first).to_be_visible()
        check_accessibility(page, "submission form with its fee")

        response = page.goto(f"{live_url}/ho-so/{dossier.code}/")
        expect(page.get_by_role("heading", name="Phí, lệ phí", exact=True)).to_be_visible()
        check_accessibility(page, "dossier page, fee due")

        # A first attempt, abandoned at the gateway until VNPay's deadline passed: shown as
        # expired, not as awaiting payment.
        page.get_by_role("button", name="Thanh toán qua VNPay").click()
        expect(page).to_have_url(re.compile(r"/paymentv2/vpcpay\.html\?"))
        # Under the site's own policy, which lets the pay button's POST be redirected to the
        # configured gateway and nowhere else.
        gateway_origin = re.match(r"https?://[^/]+", settings.VNPAY_URL).group(0)
        assert f"form-action 'self' {gateway_origin};" in \
            response.headers["content-security-policy"]
        abandoned = Payment.objects.get(fee__dossier=dossier, provider="vnpay")
        Payment.objects.filter(pk=abandoned.pk).update(
            created_at=abandoned.created_at - timedelta(minutes=vnpay.EXPIRE_MINUTES + 1))
        page.goto(f"{live_url}/ho-so/{dossier.code}/")
        row = page.get_by_role("listitem").filter(has_text=abandoned.reference)
        expect(row).to_contain_text("Hết hạn chờ thanh toán")
        expect(row).not_to_contain_text("Đang chờ thanh toán")
        check_accessibility(page, "dossier page, an attempt expired")
        page.get_by_role("button", name="Thanh toán qua VNPay").click()

        # The gateway's page: check the order, choose a bank, pay.
        expect(page).to_have_url(re.compile(r"/paymentv2/vpcpay\.html\?"))
        expect(page.get_by_text("10,000 VND")).to_be_visible()
        check_accessibility(page, "sandbox gateway")
        page.get_by_label("Vietcombank").check()
        page.get_by_label("Thanh toán thành công").check()
        page.get_by_role("button", name="Xác nhận thanh toán").click()

        # Back on the portal before VNPay's IPN: shown as awaiting confirmation, not paid.
        expect(page).to_have_url(re.compile(r"/thanh-toan/vnpay/ket-qua/\?"))
        expect(page.get_by_text("đang chờ VNPay xác nhận")).to_be_visible()
        check_accessibility(page, "return before the IPN")
        payment = Payment.objects.exclude(pk=abandoned.pk).get(fee__dossier=dossier,
                                                               provider="vnpay")
        assert payment.state == "pending"

        # The IPN arrives; looking again shows the payment confirmed.
        release_ipn(gateway, page, payment)
        page.get_by_role("link", name="Xem lại kết quả").click()
        expect(page.get_by_text("Thanh toán thành công.")).to_be_visible()
        check_accessibility(page, "return after the IPN")

        page.get_by_role("link", name="Quay lại hồ sơ").click()
        expect(page.get_by_text("Đã nộp", exact=True)).to_be_visible()
        expect(page.get_by_text("Đã nhận phí, lệ phí")).to_be_visible()
        check_accessibility(page, "dossier page, paid")
        link = page.get_by_role("link", name=f"Biên lai điện tử {payment.reference}")
        receipt = page.request.get(live_url + link.get_attribute("href"))
        assert receipt.status == 200 and receipt.body().startswith(b"%PDF")
        assert DossierFee.objects.get(dossier=dossier).state == "paid"
        assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
        expect(page.get_by_role("listitem").filter(has_text=abandoned.reference)).to_contain_text(
            "Hết hạn chờ thanh toán")
    finally:
        context.close()


def test_paying_from_the_sms_link_without_logging_in(browser, live_url, gateway, settings):
    """The fee SMS, as the local eSMS server received it, carries a link; opened on a phone
    with no session it pays through the sandbox gateway and comes back paid."""
    code = f"TST.8{random.randint(0, 99999):05d}"  # noqa: S311 - a unique test code
    settings.SITE_URL = live_url
    with EsmsServer() as esms:
        settings.ESMS_URL = esms.url
        settings.ESMS_API_KEY, settings.ESMS_SECRET_KEY = esms.api_key, esms.secret_key
        settings.ESMS_BRANDNAME = esms.brandname
        dossier = due_dossier(User.objects.get(username="congdan"), fee_procedure(code))
        sms = next(m["Content"] for m in esms.delivered if dossier.code in m["Content"]
                   and "can nop phi" in m["Content"])
    url = re.search(r"http://\S+/thanh-toan/lien-ket/\S+/", sms).group(0)
    context, page = phone_page(browser)
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Nộp phí, lệ phí hồ sơ")).to_be_visible()
        expect(page.get_by_text(dossier.code)).to_be_visible()
        expect(page.get_by_text("10.000 đ")).to_be_visible()
        check_accessibility(page, "payment link page")
        page.get_by_role("button", name="Thanh toán qua VNPay").click()
        expect(page).to_have_url(re.compile(r"/paymentv2/vpcpay\.html\?"))
        page.get_by_label("Vietcombank").check()
        page.get_by_label("Thanh toán thành công").check()
        page.get_by_role("button", name="Xác nhận thanh toán").click()
        expect(page).to_have_url(re.compile(r"/thanh-toan/lien-ket/.+/ket-qua/\?"))
        release_ipn(gateway, page, DossierFee.objects.get(dossier=dossier))
        page.get_by_role("link", name="Quay lại trang nộp phí").click()
        expect(page.get_by_text("Phí, lệ phí của hồ sơ này đã được nộp.")).to_be_visible()
        expect(page.get_by_role("button", name="Thanh toán qua VNPay")).to_have_count(0)
        check_accessibility(page, "payment link page, paid")
        page.goto(f"{url[:-2]}{'B' if url[-2] == 'A' else 'A'}/")  # a signature altered
        expect(page.get_by_role("heading", name="Liên kết thanh toán không hợp lệ")).to_be_visible()
        check_accessibility(page, "payment link refused")
    finally:
        context.close()


def test_vietqr_page_and_the_officers_view(browser, live_url):
    code = f"TST.8{random.randint(0, 99999):05d}"  # noqa: S311 - a unique test code
    dossier = due_dossier(User.objects.get(username="congdan"), fee_procedure(code))
    context, page = phone_page(browser)
    try:
        log_in(page, live_url, "congdan", f"/ho-so/{dossier.code}/")
        page.get_by_role("button", name="Chuyển khoản bằng mã VietQR").click()
        expect(page.get_by_role("heading", name="Chuyển khoản bằng mã VietQR")).to_be_visible()
        expect(page.locator("svg.vietqr")).to_be_visible()
        check_accessibility(page, "VietQR transfer page")
    finally:
        context.close()
    context, page = phone_page(browser)
    try:
        log_in(page, live_url, "motcua.haichau", f"/mot-cua/ho-so/{dossier.code}/")
        expect(page.get_by_role("heading", name="Phí, lệ phí", exact=True)).to_be_visible()
        check_accessibility(page, "back office with the fee")
        page.get_by_label("Số tiền mặt đã thu (đồng)").fill("10.000")
        page.get_by_role("button", name="Ghi nhận thu tiền mặt").click()
        expect(page.get_by_text("Đã ghi nhận thu tiền mặt 10.000 đồng")).to_be_visible()
        check_accessibility(page, "back office, paid in cash")
        page.goto(f"{live_url}/mot-cua/thanh-toan/doi-soat/")
        check_accessibility(page, "reconciliation page")
    finally:
        context.close()
