"""Payments: the fee follows the dossier, VNPay 2.1.0 (signed URL, return, IPN with its checks in
order) against the local sandbox gateway, VietQR payloads and reconciliation of bank transfers,
cash at the counter, receipts, the API, and who may do what."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import random
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.monitor.models import DossierFact
from dichvucong.payments import services, vietqr, vnpay
from dichvucong.payments.models import (
    BankTransfer,
    DossierFee,
    Payment,
    PaymentEvent,
    PaymentState,
)
from dichvucong.payments.sandbox import MerchantAccount, Sandbox
from tests import builders, payments_support
from tests.payments_support import due_dossier, fee_procedure, submitted_dossier

pytestmark = pytest.mark.django_db
ipn_capture = payments_support.ipn_capture  # fixtures
vnpay_sandbox = payments_support.vnpay_sandbox


@pytest.fixture
def citizen(client):
    assert client.login(username="congdan", password="demo-dichvucong")
    return User.objects.get(username="congdan")


def login(username: str) -> Client:
    other = Client()
    assert other.login(username=username, password="demo-dichvucong")
    return other


TRANSACTION_NUMBERS = itertools.count(random.randint(20_000_000, 90_000_000))  # noqa: S311


def ipn_params(payment: Payment, secret: str, **changes) -> dict[str, str]:
    """What VNPay sends for a successful payment of ``payment``, signed. Each call has a new
    VNPay transaction number (browser tests commit theirs to the same database)."""
    params = {
        "vnp_Amount": str(payment.amount * 100), "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14000001", "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan phi", "vnp_PayDate": "20260310101500",
        "vnp_ResponseCode": "00", "vnp_TmnCode": "DVCDEMO1",
        "vnp_TransactionNo": str(next(TRANSACTION_NUMBERS)),
        "vnp_TransactionStatus": "00", "vnp_TxnRef": payment.reference,
    }
    params.update(changes)
    return vnpay.signed(params, secret)


def start_vnpay(dossier: Dossier, citizen: User) -> Payment:
    return services.start_payment(dossier, "vnpay", citizen)


# --- the fee follows the dossier -----------------------------------------------------------------


def test_fee_is_kept_at_submission_and_asked_for_at_reception(citizen):
    dossier = submitted_dossier(citizen)
    fee = DossierFee.objects.get(dossier=dossier)
    assert (dossier.fee_amount, fee.amount, fee.state, fee.due) == (10000, 10000, "quoted",
                                                                     "reception")
    assert fee.quote["lines"][0]["reduction"] == 10000
    assert not dossier.events.filter(action="fee_requested").exists()
    dossier = due_dossier(citizen)
    fee = DossierFee.objects.get(dossier=dossier)
    assert fee.state == "due" and fee.requested_at
    event = dossier.events.get(action="fee_requested")
    assert event.from_state == event.to_state == "received"
    assert event.data["amount"] == 10000
    assert Payment.objects.filter(reference=event.data["reference"], provider="vietqr").exists()


def test_fee_due_at_submission_is_asked_for_at_once(citizen):
    procedure = fee_procedure("TST.700002", collect_at="submission")
    dossier = submitted_dossier(citizen, procedure)
    event = dossier.events.get(action="fee_requested")
    assert event.from_state == event.to_state == "submitted"
    assert DossierFee.objects.get(dossier=dossier).state == "due"


def test_a_free_dossier_asks_for_nothing(citizen):
    procedure = fee_procedure("TST.700003", amount=50000, online_amount=0)
    dossier = due_dossier(citizen, procedure)
    assert DossierFee.objects.get(dossier=dossier).amount == 0
    assert not dossier.events.filter(action="fee_requested").exists()


def test_the_fee_is_shown_before_submitting_and_on_the_dossier(client, citizen):
    fee_procedure()
    page = client.get("/thu-tuc/TST.700001/nop-ho-so/").content.decode()
    assert "Phí, lệ phí phải nộp" in page and "10.000 đ" in page
    assert "Nộp khi hồ sơ được tiếp nhận" in page
    dossier = due_dossier(citizen)
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Chờ nộp" in page and "Thanh toán qua VNPay" in page
    assert "Yêu cầu nộp phí, lệ phí" in page  # the timeline names the event


# --- VNPay: the protocol -------------------------------------------------------------------------


def test_signature_covers_sorted_quote_plus_encoded_values():
    params = {"vnp_TxnRef": "A1", "vnp_Amount": "1000000", "vnp_OrderInfo": "Thanh toan phi",
              "vnp_Empty": "", "vnp_SecureHashType": "HmacSHA512"}
    assert vnpay.hash_data(params) == ("vnp_Amount=1000000&vnp_OrderInfo=Thanh+toan+phi"
                                       "&vnp_TxnRef=A1")
    expected = hmac.new(b"secret", vnpay.hash_data(params).encode(),
                        hashlib.sha512).hexdigest()
    assert vnpay.sign(params, "secret") == expected
    with_percent = hmac.new(b"secret", b"vnp_Amount=1000000&vnp_OrderInfo=Thanh%20toan%20phi"
                            b"&vnp_TxnRef=A1", hashlib.sha512).hexdigest()
    assert expected != with_percent  # spaces as + only
    signed = vnpay.signed(params, "secret")
    assert vnpay.verify(signed, "secret")
    assert not vnpay.verify({**signed, "vnp_Amount": "2000000"}, "secret")
    assert not vnpay.verify(signed, "other secret")
    assert not vnpay.verify({k: v for k, v in signed.items() if k != "vnp_SecureHash"}, "secret")


def test_payment_url_carries_every_required_parameter(citizen, settings):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    url = services.vnpay_redirect(payment, return_url="http://testserver/thanh-toan/vnpay/ket-qua/",
                                  ip_address="127.0.0.1")
    params = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(settings.VNPAY_URL + "?")
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay"
    assert params["vnp_Amount"] == "1000000" and params["vnp_CurrCode"] == "VND"
    assert params["vnp_TxnRef"] == payment.reference and params["vnp_TmnCode"] == "DVCDEMO1"
    assert params["vnp_OrderInfo"].isascii() and len(params["vnp_CreateDate"]) == 14
    assert vnpay.verify(params, settings.VNPAY_HASH_SECRET)
    assert vnpay.ascii_text("Lệ phí đăng ký hộ kinh doanh") == "Le phi dang ky ho kinh doanh"


# --- VNPay: the IPN ------------------------------------------------------------------------------


def test_ipn_checks_in_order_and_pays_once(client, citizen, settings):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    secret = settings.VNPAY_HASH_SECRET

    def ipn(params):
        response = Client().get("/thanh-toan/vnpay/ipn/", params)
        assert response.status_code == 200
        return response.json()

    good = ipn_params(payment, secret, vnp_TransactionNo="14000001")
    forged = {**good, "vnp_Amount": "100"}  # changed after signing
    assert ipn(forged) == {"RspCode": "97", "Message": "Invalid signature"}
    assert ipn(ipn_params(payment, "not the secret")) == vnpay.IPN_INVALID_SIGNATURE
    assert ipn(ipn_params(payment, secret, vnp_TxnRef="DVC000000XXXXXX")) == {
        "RspCode": "01", "Message": "Order not found"}
    assert ipn(ipn_params(payment, secret, vnp_Amount="100")) == {
        "RspCode": "04", "Message": "Invalid amount"}
    # A forged signature with a wrong amount is refused for its signature first.
    assert ipn({**ipn_params(payment, secret, vnp_Amount="100"), "vnp_SecureHash": "00"}) == \
        vnpay.IPN_INVALID_SIGNATURE
    payment.refresh_from_db()
    assert payment.state == "pending"

    assert ipn(good) == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.state == "paid" and payment.provider_transaction == "14000001"
    assert DossierFee.objects.get(dossier=dossier).state == "paid"
    assert ipn(good) == {"RspCode": "02", "Message": "Order already confirmed"}
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
    event = dossier.events.get(action="payment_confirmed")
    assert event.data == {"amount": 10000, "reference": payment.reference, "provider": "vnpay"}
    assert event.from_state == event.to_state == "received"
    trail = list(PaymentEvent.objects.filter(payment=payment).values_list(
        "from_state", "to_state", "source"))
    assert trail == [("", "pending", "start"), ("pending", "paid", "ipn")]
    # The monitoring centre counts it as paid online (Decision 766 indicator 3.6).
    builders.derive()
    assert DossierFact.objects.get(dossier=dossier).paid_online is True


def test_a_failed_payment_is_recorded_and_another_attempt_can_pay(citizen, settings):
    dossier = due_dossier(citizen)
    first = start_vnpay(dossier, citizen)
    reply = Client().get("/thanh-toan/vnpay/ipn/", ipn_params(
        first, settings.VNPAY_HASH_SECRET, vnp_ResponseCode="24", vnp_TransactionStatus="02",
        vnp_TransactionNo="0")).json()
    assert reply == vnpay.IPN_SUCCESS
    first.refresh_from_db()
    assert first.state == "failed" and first.response_code == "24"
    second = start_vnpay(dossier, citizen)
    assert second.reference != first.reference
    assert services.handle_ipn(ipn_params(second, settings.VNPAY_HASH_SECRET,
                                          vnp_TransactionNo="14000002")) == vnpay.IPN_SUCCESS
    with pytest.raises(services.PaymentError):
        start_vnpay(dossier, citizen)  # paid: nothing more to pay


def test_the_return_never_pays_and_the_ipn_after_it_does(client, citizen, settings):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    params = ipn_params(payment, settings.VNPAY_HASH_SECRET)
    page = client.get("/thanh-toan/vnpay/ket-qua/", params)
    assert page.status_code == 200
    assert "đang chờ VNPay xác nhận" in page.content.decode()
    payment.refresh_from_db()
    assert payment.state == "pending"  # the browser's word alone changes nothing
    forged = client.get("/thanh-toan/vnpay/ket-qua/", {**params, "vnp_ResponseCode": "24"})
    assert forged.status_code == 400
    assert services.handle_ipn(params) == vnpay.IPN_SUCCESS
    page = client.get("/thanh-toan/vnpay/ket-qua/", params).content.decode()
    assert "Thanh toán thành công" in page and f"/thanh-toan/{payment.reference}/bien-lai.pdf" \
        in page
    # Another citizen following the link learns nothing.
    other = login("doanhnghiep").get("/thanh-toan/vnpay/ket-qua/", params)
    assert other.status_code == 400 and dossier.code not in other.content.decode()


def test_two_attempts_paid_for_one_fee_count_once_and_flag_the_second(citizen, settings):
    dossier = due_dossier(citizen)
    first, second = start_vnpay(dossier, citizen), start_vnpay(dossier, citizen)
    secret = settings.VNPAY_HASH_SECRET
    assert services.handle_ipn(ipn_params(first, secret, vnp_TransactionNo="1")) == \
        vnpay.IPN_SUCCESS
    assert services.handle_ipn(ipn_params(second, secret, vnp_TransactionNo="2")) == \
        vnpay.IPN_SUCCESS
    second.refresh_from_db()
    assert second.state == PaymentState.DUPLICATE  # money kept, to refund; not a second payment
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
    assert dossier.events.filter(action="payment_confirmed").count() == 1
    builders.derive()
    assert DossierFact.objects.get(dossier=dossier).paid_online is True  # a bank transfer


# --- VNPay: an attempt expires ------------------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1),
                       timezones=st.just(UTC))


@given(created=MOMENTS, seconds=st.integers(min_value=0, max_value=3 * 24 * 3600))
def test_an_attempt_is_open_until_its_vnp_expire_date_and_expired_after(created, seconds):
    deadline = created + timedelta(minutes=vnpay.EXPIRE_MINUTES)
    now = created + timedelta(seconds=seconds)
    # Open through the second VNPay is sent as vnp_ExpireDate, expired from the next one.
    if now <= deadline.replace(microsecond=0):
        assert not vnpay.expired(created, now)
    if now >= deadline + timedelta(seconds=1):
        assert vnpay.expired(created, now)
    assert vnpay.expire_date(created) <= deadline < vnpay.expire_date(created) + \
        timedelta(seconds=1)


@given(created=MOMENTS)
def test_the_request_carries_the_same_expire_date(created):
    merchant = vnpay.Merchant("DVCDEMO1", "secret", "https://gateway.example/vpcpay.html")
    url = vnpay.payment_url(merchant, reference="DVC260101ABCDEF", amount=10000,
                            order_info="Phi", return_url="https://portal.example/r/",
                            ip_address="127.0.0.1", created=created)
    sent = vnpay.parse_date(dict(parse_qsl(urlsplit(url).query))["vnp_ExpireDate"])
    assert sent == vnpay.expire_date(created)
    assert not vnpay.expired(created, sent) and vnpay.expired(created, sent + timedelta(seconds=1))


def test_the_gateway_refuses_exactly_what_the_portal_calls_expired(citizen, settings):
    """The sandbox gateway checks vnp_ExpireDate as VNPay does; the portal's rule agrees."""
    sandbox = Sandbox(merchants={"DVCDEMO1": MerchantAccount(
        "DVCDEMO1", settings.VNPAY_HASH_SECRET, "http://127.0.0.1:9/ipn")})
    now = timezone.now()
    for minutes_ago, is_expired in [(vnpay.EXPIRE_MINUTES - 1, False),
                                    (vnpay.EXPIRE_MINUTES + 1, True)]:
        created = now - timedelta(minutes=minutes_ago)
        url = vnpay.payment_url(services.vnpay_merchant(), reference="DVC260101ABCDEF",
                                amount=10000, order_info="Phi", return_url="http://x/r/",
                                ip_address="127.0.0.1", created=created)
        _merchant, error = sandbox.check_request(dict(parse_qsl(urlsplit(url).query)))
        assert ("đã hết hạn" in error) is is_expired
        assert vnpay.expired(created, timezone.now()) is is_expired


def _age(payment: Payment, minutes: int) -> Payment:
    """The attempt as if it had been started ``minutes`` ago."""
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes))
    return Payment.objects.get(pk=payment.pk)


def _payment_rows(page: str) -> dict[str, str]:
    """The dossier page's payment list: reference → its line's text."""
    return {match.group(1): re.sub(r"<[^>]+>", "", line) for line in
            re.findall(r"<li>(.*?)</li>", page, re.S)
            if (match := re.search(r"(DVC\d{6}[0-9A-Z]{6})", line))}


def test_an_abandoned_attempt_is_shown_expired_not_open(client, citizen, settings):
    """Each click of «pay» starts an attempt; one left at the gateway past the vnp_ExpireDate
    its request carried is not listed to the citizen as awaiting payment, nor given as pending
    by the API."""
    dossier = due_dossier(citizen)
    sent = []
    for _click in range(2):
        response = client.post(f"/ho-so/{dossier.code}/thanh-toan/", {"provider": "vnpay"})
        assert response.status_code == 302
        query = dict(parse_qsl(urlsplit(response["Location"]).query))
        sent.append((vnpay.parse_date(query["vnp_CreateDate"]),
                     vnpay.parse_date(query["vnp_ExpireDate"])))
    old, new = Payment.objects.filter(fee__dossier=dossier, provider="vnpay").order_by("id")
    created, expires = sent[0]
    old = _age(old, (expires - created).seconds // 60 + 1)  # past the gateway's deadline
    rows = _payment_rows(client.get(f"/ho-so/{dossier.code}/").content.decode())
    assert "Hết hạn chờ thanh toán" in rows[old.reference]
    assert "Đang chờ thanh toán" not in rows[old.reference]
    until = timezone.localtime(sent[1][1]).strftime("%H:%M %d/%m/%Y")
    assert f"Đang chờ thanh toán (hết hạn lúc {until})" in rows[new.reference]
    api = client.get(f"/api/v1/payments/dossiers/{dossier.code}").json()["payments"]
    states = {p["reference"]: p["state"] for p in api if p["provider"] == "vnpay"}
    assert states == {old.reference: "expired", new.reference: "pending"}
    # The back office sees the same.
    office = login("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Hết hạn chờ thanh toán" in _payment_rows(office)[old.reference]


def test_a_late_ipn_for_an_expired_attempt_still_records_the_money(citizen, settings):
    """VNPay notifies (and retries) a payment begun before vnp_ExpireDate after it: the IPN is
    answered and recorded as for any pending attempt, never lost as "already confirmed"."""
    secret = settings.VNPAY_HASH_SECRET
    dossier = due_dossier(citizen)
    late = _age(start_vnpay(dossier, citizen), vnpay.EXPIRE_MINUTES + 5)
    assert late.is_expired() and late.status == "expired"
    params = ipn_params(late, secret)
    assert services.handle_ipn(params) == vnpay.IPN_SUCCESS
    late.refresh_from_db()
    assert late.state == "paid" and late.status == "paid" and not late.is_expired()
    assert DossierFee.objects.get(dossier=dossier).state == "paid"
    assert late.events.last().data["after_expiry"] is True
    assert services.handle_ipn(params) == vnpay.IPN_ALREADY_CONFIRMED  # VNPay's retry

    # Paid again by another attempt meanwhile: the late money is kept to refund, not lost.
    dossier = due_dossier(citizen)
    abandoned = _age(start_vnpay(dossier, citizen), vnpay.EXPIRE_MINUTES + 5)
    paid = start_vnpay(dossier, citizen)
    assert services.handle_ipn(ipn_params(paid, secret)) == vnpay.IPN_SUCCESS
    assert services.handle_ipn(ipn_params(abandoned, secret)) == vnpay.IPN_SUCCESS
    abandoned.refresh_from_db()
    assert abandoned.state == PaymentState.DUPLICATE
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1

    # A late refusal (the payer gave up at the gateway) closes the attempt as failed.
    dossier = due_dossier(citizen)
    gave_up = _age(start_vnpay(dossier, citizen), vnpay.EXPIRE_MINUTES + 5)
    assert services.handle_ipn(ipn_params(gave_up, secret, vnp_ResponseCode="11",
                                          vnp_TransactionStatus="02",
                                          vnp_TransactionNo="0")) == vnpay.IPN_SUCCESS
    gave_up.refresh_from_db()
    assert gave_up.state == "failed" and gave_up.status == "failed"


# --- VNPay: the sandbox gateway ------------------------------------------------------------------


def test_sandbox_speaks_vnpay_and_retries_the_ipn(citizen, settings, vnpay_sandbox,
                                                  ipn_capture):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    url = services.vnpay_redirect(payment, return_url="http://127.0.0.1:1/ket-qua/",
                                  ip_address="127.0.0.1")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "10,000 VND" in page.text
    tampered = url.replace("vnp_Amount=1000000", "vnp_Amount=100")
    refused = requests.get(tampered, timeout=10)
    assert refused.status_code == 400 and "Sai chữ ký" in refused.text

    # The merchant fails twice (an error, then not JSON): VNPay calls again.
    ipn_capture.replies = [(500, {"error": "busy"}), (200, {"RspCode": "99"})]
    query = dict(parse_qsl(urlsplit(url).query))
    paid = requests.post(url.split("?")[0].replace("vpcpay.html", "pay"),
                         data={"q": urlsplit(url).query, "bank": "NCB", "outcome": "00"},
                         allow_redirects=False, timeout=10)
    assert paid.status_code == 302
    location = paid.headers["Location"]
    assert location.startswith("http://127.0.0.1:1/ket-qua/?")
    returned = dict(parse_qsl(urlsplit(location).query))
    assert vnpay.verify(returned, settings.VNPAY_HASH_SECRET)
    assert returned["vnp_TxnRef"] == query["vnp_TxnRef"]
    assert returned["vnp_ResponseCode"] == returned["vnp_TransactionStatus"] == "00"
    assert ipn_capture.event.wait(10)
    assert len(ipn_capture.queries) == 3 and len(set(ipn_capture.queries)) == 1
    ipn = dict(parse_qsl(ipn_capture.queries[-1]))
    assert ipn == returned  # the same signed parameters
    # Handed to the portal, the gateway's IPN pays the dossier.
    assert Client().get("/thanh-toan/vnpay/ipn/", ipn).json() == vnpay.IPN_SUCCESS
    assert Payment.objects.get(pk=payment.pk).state == "paid"
    log = requests.get(url.split("/paymentv2")[0] + "/sandbox/ipn-log", timeout=10).json()
    assert [entry["attempt"] for entry in log] == [1, 2, 3]


def test_sandbox_cancelled_payment(citizen, settings, vnpay_sandbox, ipn_capture):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    url = services.vnpay_redirect(payment, return_url="http://127.0.0.1:1/r",
                                  ip_address="127.0.0.1")
    response = requests.post(url.split("?")[0].replace("vpcpay.html", "pay"),
                             data={"q": urlsplit(url).query, "outcome": "24"},
                             allow_redirects=False, timeout=10)
    returned = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert returned["vnp_ResponseCode"] == "24" and returned["vnp_TransactionStatus"] == "02"
    assert ipn_capture.event.wait(10)
    assert services.handle_ipn(dict(parse_qsl(ipn_capture.queries[-1]))) == vnpay.IPN_SUCCESS
    assert Payment.objects.get(pk=payment.pk).state == "failed"


# --- VietQR --------------------------------------------------------------------------------------


def test_crc16_ccitt_false_check_value():
    assert vietqr.crc16("123456789") == "29B1"  # the catalogue's check value


def test_vietqr_payload_follows_emvco_and_parses_back():
    payload = vietqr.build(bank_bin="970436", account="0011001234567", amount=135000,
                           purpose="DVC260310ABC123")
    assert payload.startswith("000201010212")
    assert "0010A000000727" in payload and "0208QRIBFTTA" in payload
    assert "5303704" in payload and "5406135000" in payload and "5802VN" in payload
    assert "62180814DVC260310ABC123" not in payload  # the purpose is 15 characters
    assert "62190815DVC260310ABC123" in payload
    assert payload[-8:-4] == "6304" and vietqr.crc16(payload[:-4]) == payload[-4:]
    fields = vietqr.split(payload)
    assert [tag for tag, _ in fields] == ["00", "01", "38", "53", "54", "58", "62", "63"]
    parsed = vietqr.parse(payload)
    assert (parsed.bank_bin, parsed.account, parsed.amount, parsed.purpose, parsed.dynamic) == (
        "970436", "0011001234567", 135000, "DVC260310ABC123", True)
    assert parsed.bank_name == "Vietcombank"
    static = vietqr.parse(vietqr.build(bank_bin="970415", account="113366668888"))
    assert not static.dynamic and static.amount is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"), "CRC sai"),
    (lambda p: p.replace("5406135000", "5406135001"), "CRC sai"),
    (lambda p: p[:-4], "thiếu trường CRC"),
])
def test_vietqr_parser_refuses_broken_payloads(change, message):
    payload = vietqr.build(bank_bin="970436", account="0011001234567", amount=135000,
                           purpose="DVC260310ABC123")
    with pytest.raises(vietqr.VietQRError, match=message):
        vietqr.parse(change(payload))


def test_vietqr_parser_checks_the_rules_behind_a_good_crc():
    def resign(body: str) -> str:
        return body + "6304" + vietqr.crc16(body + "6304")

    good = vietqr.build(bank_bin="970436", account="123", amount=1000)[:-8]
    with pytest.raises(vietqr.VietQRError, match="704"):
        vietqr.parse(resign(good.replace("5303704", "5303840")))
    with pytest.raises(vietqr.VietQRError, match="NAPAS"):
        vietqr.parse(resign(good.replace("A000000727", "A000000728")))
    with pytest.raises(vietqr.VietQRError, match="số tiền"):
        vietqr.parse(resign(good.replace("54041000", "")))
    with pytest.raises(vietqr.VietQRError):
        vietqr.build(bank_bin="97043", account="1")
    with pytest.raises(vietqr.VietQRError):
        vietqr.build(bank_bin="970436", account="1", purpose="Lệ phí có dấu")


def test_vietqr_image_decodes_to_the_same_string():
    import zxingcpp
    from PIL import Image

    payload = vietqr.build(bank_bin="970415", account="113366668888", amount=10000,
                           purpose="DVC260310K7Q2ZD")
    image = Image.open(io.BytesIO(vietqr.qr_png(payload)))
    found = zxingcpp.read_barcodes(image)
    assert [b.text for b in found] == [payload]
    assert vietqr.parse(found[0].text).purpose == "DVC260310K7Q2ZD"


def test_transfer_page_shows_the_qr_for_the_owner_only(client, citizen):
    dossier = due_dossier(citizen)
    response = client.post(f"/ho-so/{dossier.code}/thanh-toan/", {"provider": "vietqr"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    payment = Payment.objects.get(fee__dossier=dossier, provider="vietqr")
    assert "<svg" in page and payment.reference in page and "10.000 đ" in page
    assert login("doanhnghiep").get(response["Location"]).status_code == 404
    png = client.get(f"/thanh-toan/vietqr/{payment.reference}.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert login("doanhnghiep").get(
        f"/thanh-toan/vietqr/{payment.reference}.png").status_code == 404


# --- reconciliation of bank transfers ------------------------------------------------------------


def webhook(body: dict, secret: str) -> object:
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post("/api/v1/payments/bank-transfers", raw, content_type="application/json",
                         headers={"X-Signature": signature})


def test_bank_webhook_pays_by_reference_once(citizen, settings):
    dossier = due_dossier(citizen)
    reference = dossier.events.get(action="fee_requested").data["reference"]
    secret = settings.BANK_WEBHOOK_SECRET
    transfers = {"transactions": [
        {"id": "FT1", "amount": 10000, "description": f"NGUYEN VAN A CHUYEN {reference} ."},
        {"id": "FT2", "amount": 5000, "description": "khong co ma"},
    ]}
    bad = webhook(transfers, "wrong")
    assert bad.status_code == 401
    assert not BankTransfer.objects.exists()
    response = webhook(transfers, secret)
    assert response.status_code == 200, response.content
    assert response.json() == [
        {"id": "FT1", "outcome": "matched", "reference": reference, "new": True},
        {"id": "FT2", "outcome": "no_reference", "reference": None, "new": True}]
    assert DossierFee.objects.get(dossier=dossier).state == "paid"
    again = webhook(transfers, secret).json()
    assert [r["new"] for r in again] == [False, False]
    # A second transfer with the same reference is kept as already paid, not paid twice.
    more = webhook({"transactions": [{"id": "FT3", "amount": 10000,
                                      "description": reference.lower()}]}, secret).json()
    assert more[0]["outcome"] == "already_paid"
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
    assert dossier.events.filter(action="payment_confirmed").count() == 1


def test_a_wrong_amount_does_not_pay(citizen, settings):
    dossier = due_dossier(citizen)
    reference = dossier.events.get(action="fee_requested").data["reference"]
    result = webhook({"transactions": [{"id": "FT9", "amount": 9000,
                                        "description": reference}]},
                     settings.BANK_WEBHOOK_SECRET).json()
    assert result[0]["outcome"] == "wrong_amount"
    assert DossierFee.objects.get(dossier=dossier).state == "due"


def test_reference_found_however_the_bank_writes_it():
    assert services.find_reference("IBFT dvc260310k7q2zd thanh toan") == "DVC260310K7Q2ZD"
    assert services.find_reference("MBVCB.123.DVC-260310-K7Q2ZD.CT tu") == "DVC260310K7Q2ZD"
    assert services.find_reference("DVC26031") is None
    for _ in range(50):
        reference = services.new_reference()
        assert services.find_reference(f"xx {reference} yy") == reference
        assert len(reference) == 15


def statement(*rows: str) -> io.BytesIO:
    content = "ma_giao_dich,ngay,so_tien,noi_dung,tai_khoan\n" + "\n".join(rows) + "\n"
    upload = io.BytesIO(content.encode())
    upload.name = "sao-ke.csv"
    return upload


def test_statement_upload_by_the_agencys_officer(citizen):
    dossier = due_dossier(citizen)
    reference = dossier.events.get(action="fee_requested").data["reference"]
    rows = (f"ST1,10/03/2026 09:15,10.000,CT {reference},113366668888",
            "ST2,10/03/2026,-50000,phi ngan hang,", "ST3,x,abc,hỏng,")
    other = login("motcua.sotuphap").post("/mot-cua/thanh-toan/doi-soat/",
                                          {"statement": statement(*rows)})
    assert other.status_code == 200
    assert BankTransfer.objects.get(bank_transaction="ST1").outcome == "not_allowed"
    assert DossierFee.objects.get(dossier=dossier).state == "due"
    BankTransfer.objects.all().delete()
    officer = login("motcua.haichau")
    page = officer.post("/mot-cua/thanh-toan/doi-soat/", {"statement": statement(*rows)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Dòng 4" in text and "Đã đối soát" in text
    assert DossierFee.objects.get(dossier=dossier).state == "paid"
    assert not BankTransfer.objects.filter(bank_transaction="ST2").exists()  # a debit
    assert login("congdan").get("/mot-cua/thanh-toan/doi-soat/").status_code == 404


# --- cash, receipts, access ----------------------------------------------------------------------


def test_cash_only_by_a_reception_officer_of_the_agency(client, citizen):
    dossier = due_dossier(citizen)
    url = f"/mot-cua/thanh-toan/{dossier.code}/tien-mat/"
    assert client.post(url, {"amount": "10000"}).status_code == 404  # the citizen
    assert login("motcua.sotuphap").post(url, {"amount": "10000"}).status_code == 404
    specialist = login("chuyenvien.haichau")
    specialist.post(url, {"amount": "10000"})
    assert DossierFee.objects.get(dossier=dossier).state == "due"
    officer = login("motcua.haichau")
    officer.post(url, {"amount": "9.000"})
    assert DossierFee.objects.get(dossier=dossier).state == "due"  # wrong amount
    response = officer.post(url, {"amount": "10.000"})
    assert response.status_code == 302
    payment = Payment.objects.get(fee__dossier=dossier, provider="cash")
    assert payment.state == "paid" and payment.recorded_by.username == "motcua.haichau"
    event = dossier.events.get(action="payment_confirmed")
    assert event.actor.username == "motcua.haichau"
    page = officer.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Đã nộp" in page and payment.reference in page
    # Cash at the counter is paid, but not online.
    builders.derive()
    fact = DossierFact.objects.get(dossier=dossier)
    assert (fact.has_fee, fact.paid_online) == (True, False)
    assert officer.post(url, {"amount": "10000"}).status_code == 302
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1


def test_receipt_pdf_for_payer_and_agency_only(client, citizen, settings):
    from pypdf import PdfReader

    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    url = f"/thanh-toan/{payment.reference}/bien-lai.pdf"
    assert client.get(url).status_code == 404  # not paid yet
    services.handle_ipn(ipn_params(payment, settings.VNPAY_HASH_SECRET))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", "Mười nghìn đồng", payment.reference,
                     dossier.code, "Ủy ban nhân dân phường Hải Châu", "VNPay"):
        assert expected in text, expected
    assert login("motcua.haichau").get(url).status_code == 200
    assert login("doanhnghiep").get(url).status_code == 404
    assert login("motcua.sotuphap").get(url).status_code == 404


def test_only_the_owner_starts_a_payment(citizen):
    dossier = due_dossier(citizen)
    other = login("doanhnghiep")
    assert other.post(f"/ho-so/{dossier.code}/thanh-toan/",
                      {"provider": "vnpay"}).status_code == 404
    assert not Payment.objects.filter(fee__dossier=dossier, provider="vnpay").exists()


def test_citizen_pay_button_redirects_to_the_gateway(client, citizen, settings):
    dossier = due_dossier(citizen)
    response = client.post(f"/ho-so/{dossier.code}/thanh-toan/", {"provider": "vnpay"})
    assert response.status_code == 302
    assert response["Location"].startswith(settings.VNPAY_URL + "?")
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert params["vnp_ReturnUrl"] == "http://testserver/thanh-toan/vnpay/ket-qua/"
    assert vnpay.verify(params, settings.VNPAY_HASH_SECRET)


# --- API -----------------------------------------------------------------------------------------


def test_api_fee_and_start(client, citizen, settings):
    dossier = due_dossier(citizen)
    fee = client.get(f"/api/v1/payments/dossiers/{dossier.code}").json()
    assert fee["amount"] == 10000 and fee["state"] == "due" and fee["due"] == "reception"
    assert fee["lines"][0]["reduction"] == 10000
    started = client.post(f"/api/v1/payments/dossiers/{dossier.code}",
                          {"provider": "vnpay"}, content_type="application/json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert vnpay.verify(dict(parse_qsl(urlsplit(body["redirect_url"]).query)),
                        settings.VNPAY_HASH_SECRET)
    qr = client.post(f"/api/v1/payments/dossiers/{dossier.code}", {"provider": "vietqr"},
                     content_type="application/json").json()
    assert vietqr.parse(qr["vietqr"]).purpose == qr["reference"]
    assert client.get(f"/api/v1/payments/{body['reference']}").json()["state"] == "pending"
    other = login("doanhnghiep")
    assert other.get(f"/api/v1/payments/dossiers/{dossier.code}").status_code == 404
    assert other.get(f"/api/v1/payments/{body['reference']}").status_code == 404
    assert other.post(f"/api/v1/payments/dossiers/{dossier.code}", {"provider": "vnpay"},
                      content_type="application/json").status_code == 404
    assert Client().get(f"/api/v1/payments/dossiers/{dossier.code}").status_code == 401


def test_openapi_documents_the_payment_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/payments/dossiers/{code}" in paths
    assert "/api/v1/payments/bank-transfers" in paths


def test_dossier_event_reaches_listeners_in_the_same_transaction(citizen):
    seen = []

    def listener(sender, instance, created, **kwargs):
        if instance.action in ("fee_requested", "payment_confirmed"):
            seen.append((instance.action, instance.data.get("amount")))

    from django.db.models.signals import post_save

    post_save.connect(listener, sender=DossierEvent, weak=False, dispatch_uid="test-listener")
    try:
        dossier = due_dossier(citizen)
        officer = User.objects.get(username="motcua.haichau")
        services.record_cash(dossier, officer, 10000)
    finally:
        post_save.disconnect(sender=DossierEvent, dispatch_uid="test-listener")
    assert seen == [("fee_requested", 10000), ("payment_confirmed", 10000)]


# --- at the same moment (real transactions, one connection per thread) --------------------------


@pytest.fixture
def fresh_world(transactional_db):
    """The small world a transactional test needs (the database is flushed after each)."""
    from dichvucong.accounts.models import Membership
    from dichvucong.agencies.models import Agency
    from dichvucong.dossiers import actions, submission
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole

    agency, _ = Agency.objects.get_or_create(
        code="000.97.97.H17", defaults={"name": "Đơn vị thử thanh toán", "slug": "thu-thanh-toan",
                                        "kind": "commune_committee", "level": "commune"})
    citizen, _ = User.objects.get_or_create(username="tt.congdan",
                                            defaults={"full_name": "Trần Thị Thử"})
    officer, _ = User.objects.get_or_create(username="tt.motcua",
                                            defaults={"full_name": "Cán bộ Thử"})
    Membership.objects.get_or_create(user=officer, agency=agency, role="reception_officer")
    procedure = fee_procedure("TST.700009")
    draft = submission.start_draft(procedure, citizen, agency)
    dossier = submission.submit(draft, citizen, {}, "online")
    actions.perform(dossier.pk, Action.receive, officer, LifecycleRole.reception_officer)
    return Dossier.objects.get(pk=dossier.pk), citizen


def at_once(*calls):
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_ipn_four_times_at_once_pays_once(fresh_world, settings):
    dossier, citizen = fresh_world
    payment = start_vnpay(dossier, citizen)
    params = ipn_params(payment, settings.VNPAY_HASH_SECRET)

    def send():
        return Client().get("/thanh-toan/vnpay/ipn/", params).json()["RspCode"]

    codes = at_once(send, send, send, send)
    assert sorted(codes) == ["00", "02", "02", "02"], codes
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
    assert DossierEvent.objects.filter(dossier=dossier, action="payment_confirmed").count() == 1
    assert PaymentEvent.objects.filter(payment=payment, to_state="paid").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_attempts_and_a_transfer_confirmed_at_once_pay_once(fresh_world, settings):
    dossier, citizen = fresh_world
    first, second = start_vnpay(dossier, citizen), start_vnpay(dossier, citizen)
    transfer_ref = DossierEvent.objects.get(dossier=dossier,
                                            action="fee_requested").data["reference"]
    secret = settings.VNPAY_HASH_SECRET
    results = at_once(
        lambda: services.handle_ipn(ipn_params(first, secret, vnp_TransactionNo="11")),
        lambda: services.handle_ipn(ipn_params(second, secret, vnp_TransactionNo="12")),
        lambda: services.import_transfer(services.TransferRecord(
            "FT-AT-ONCE", 10000, f"CK {transfer_ref}"), "webhook"),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert Payment.objects.filter(fee__dossier=dossier, state="paid").count() == 1
    assert Payment.objects.filter(fee__dossier=dossier, state="duplicate").count() == 2
    assert DossierEvent.objects.filter(dossier=dossier, action="payment_confirmed").count() == 1
    assert DossierFee.objects.get(dossier=dossier).state == "paid"


def test_walk_in_dossier_owes_the_counter_amount_at_once():
    from dichvucong.backoffice import services as backoffice

    procedure = fee_procedure("TST.700004")
    dossier = backoffice.enter_walk_in(
        procedure=procedure, agency=payments_support.hai_chau(),
        officer=User.objects.get(username="motcua.haichau"),
        applicant=backoffice.WalkInApplicant(
            name="Lê Văn Quầy", id_number="", birth_date=None, gender="", address="",
            phone="0905000111", email="", applicant_type="citizen"),
        form_data={}, delivery="counter", documents=[])
    dossier.refresh_from_db()
    fee = DossierFee.objects.get(dossier=dossier)
    assert dossier.fee_amount == fee.amount == 20000  # no online reduction at the counter
    assert fee.state == "due"
    event = dossier.events.get(action="fee_requested")
    assert event.actor.username == "motcua.haichau" and event.data["amount"] == 20000


def test_timely_birth_registration_dossier_owes_nothing(citizen):
    from datetime import timedelta

    from django.utils import timezone

    from dichvucong.catalog.definition import ProcedureDefinition
    from dichvucong.catalog.models import Procedure
    from dichvucong.catalog.services import import_definitions
    from dichvucong.dossiers import submission

    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.700005", "name": "Đăng ký khai sinh (thử)", "field": "Hộ tịch",
        "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "1", "unit": "working_days"}},
        "form": [{"key": "ngay_sinh", "label": "Ngày sinh của trẻ", "type": "date"}],
        "fees": [{"name": "Lệ phí đăng ký khai sinh", "amount": 8000, "exempt_when": [
            {"reason": "Đăng ký khai sinh đúng hạn", "field": "ngay_sinh", "within_days": 60}]}],
    })])
    procedure = Procedure.objects.get(code="TST.700005")
    today = timezone.localdate()
    amounts = []
    for days in (10, 90):
        draft = submission.start_draft(procedure, citizen, payments_support.hai_chau())
        dossier = submission.submit(draft, citizen,
                                    {"ngay_sinh": today - timedelta(days=days)}, "online")
        amounts.append(dossier.fee_amount)
    assert amounts == [0, 8000]
    on_time = DossierFee.objects.filter(dossier__procedure=procedure).order_by("pk").first()
    assert on_time.quote["lines"][0]["exempt_reason"] == "Đăng ký khai sinh đúng hạn"


def test_the_admin_shows_payments_read_only(citizen, settings):
    dossier = due_dossier(citizen)
    payment = start_vnpay(dossier, citizen)
    admin = login("admin")
    page = admin.get(f"/quan-tri/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200 and payment.reference in page.content.decode()
    assert admin.get("/quan-tri/payments/payment/add/").status_code == 403
    before = Payment.objects.get(pk=payment.pk).state
    admin.post(f"/quan-tri/payments/payment/{payment.pk}/change/", {"state": "paid"})
    assert Payment.objects.get(pk=payment.pk).state == before


def test_an_unconfigured_provider_is_not_offered(client, citizen, settings):
    settings.VNPAY_TMN_CODE = ""
    settings.VIETQR_ACCOUNT = ""
    dossier = due_dossier(citizen)
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Thanh toán qua VNPay" not in page and "VietQR" not in page
    for provider in ("vnpay", "vietqr"):
        with pytest.raises(services.PaymentError):
            services.start_payment(dossier, provider, citizen)
