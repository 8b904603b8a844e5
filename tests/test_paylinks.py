"""The fee message's signed link: it opens the dossier's payment page without logging in,
shows only what paying needs, pays through the same gateways, and refuses an expired, altered or
borrowed link with a page that offers logging in."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from dichvucong.accounts.models import User
from dichvucong.notify import texts
from dichvucong.notify.models import Notification
from dichvucong.payments import paylinks, services, vnpay
from dichvucong.payments.models import DossierFee, Payment
from tests import builders
from tests.payments_support import due_dossier, fee_procedure
from tests.test_payments import ipn_params

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/thanh-toan/lien-ket/(?P<token>[^/\s]+)/")


@pytest.fixture
def citizen():
    user = User.objects.get(username="congdan")
    # Personal data the page must never show, whoever holds the link.
    user.id_number, user.address = "048090001234", {"province": "48", "commune": "20194",
                                                    "street": "12 Đường Trần Phú Bí Mật"}
    user.save(update_fields=["id_number", "address"])
    return user


def sms_link(dossier) -> str:
    builders.derive()
    sms = Notification.objects.get(dossier=dossier, event="fee_due", channel="sms")
    found = LINK.search(sms.short_text)
    assert found, sms.short_text
    return urlsplit(found.group(0)).path


def test_the_sms_link_opens_the_payment_page_without_login_and_pays(citizen, settings):
    dossier = due_dossier(citizen, fee_procedure("TST.710001"))
    path = sms_link(dossier)
    anonymous = Client()
    response = anonymous.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    for shown in (dossier.code, "Thủ tục có lệ phí TST.710001", "10.000 đ",
                  "Thanh toán qua VNPay", "Chuyển khoản bằng mã VietQR"):
        assert shown in page
    for hidden in ("048090001234", "Bí Mật", citizen.full_name, citizen.phone):
        assert hidden not in page
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex"

    # Paying through VNPay from the link: the gateway sends the payer back to the link's own
    # return page, which needs no login either.
    response = anonymous.post(path, {"provider": "vnpay"})
    assert response.status_code == 302
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert params["vnp_ReturnUrl"] == f"http://testserver{path}ket-qua/"
    payment = Payment.objects.get(fee__dossier=dossier, provider="vnpay")
    assert payment.payer is None
    assert services.handle_ipn(ipn_params(payment, settings.VNPAY_HASH_SECRET)) == \
        vnpay.IPN_SUCCESS
    returned = anonymous.get(f"{path}ket-qua/",
                             ipn_params(payment, settings.VNPAY_HASH_SECRET))
    assert returned.status_code == 200
    assert "Thanh toán thành công." in returned.content.decode()
    assert DossierFee.objects.get(dossier=dossier).state == "paid"

    # The same link now says the fee is paid, and offers no payment.
    page = anonymous.get(path).content.decode()
    assert "Phí, lệ phí của hồ sơ này đã được nộp." in page
    assert "Thanh toán qua VNPay" not in page
    assert anonymous.post(path, {"provider": "vnpay"}).status_code == 302
    assert Payment.objects.filter(fee__dossier=dossier, provider="vnpay").count() == 1


def test_vietqr_from_the_link(citizen):
    dossier = due_dossier(citizen, fee_procedure("TST.710002"))
    path = sms_link(dossier)
    anonymous = Client()
    response = anonymous.post(path, {"provider": "vietqr"})
    assert response["Location"] == f"{path}chuyen-khoan/"
    page = anonymous.get(response["Location"]).content.decode()
    reference = Payment.objects.get(fee__dossier=dossier, provider="vietqr").reference
    assert reference in page and "svg" in page
    assert "bien-lai" not in page and ".png" not in page  # those need the applicant's login


def test_expired_altered_and_borrowed_links_are_refused(citizen, settings, monkeypatch):
    dossier = due_dossier(citizen, fee_procedure("TST.710003"))
    other = due_dossier(citizen, fee_procedure("TST.710004"))
    token = paylinks.token_for(dossier.code)
    anonymous = Client()

    # Altered: a changed signature, or this signature on the other dossier's code.
    code, stamp, signature = token.rsplit(":", 2)
    altered = f"{code}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    borrowed = f"{other.code}:{stamp}:{signature}"
    for bad in (altered, borrowed, "khong-phai-lien-ket"):
        for path in (f"/thanh-toan/lien-ket/{bad}/", f"/thanh-toan/lien-ket/{bad}/ket-qua/",
                     f"/thanh-toan/lien-ket/{bad}/chuyen-khoan/"):
            response = anonymous.get(path)
            page = response.content.decode()
            assert response.status_code == 404, path
            assert "Liên kết thanh toán không hợp lệ" in page
            assert "Đăng nhập để nộp phí" in page and "TST.710004" not in page
        assert anonymous.post(f"/thanh-toan/lien-ket/{bad}/",
                              {"provider": "vnpay"}).status_code == 404
    assert not Payment.objects.filter(fee__dossier__in=[dossier, other],
                                      provider="vnpay").exists()

    # Expired: 72 hours after it was written the link offers the dossier page, after login.
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + 72 * 3600 + 1)
    response = anonymous.get(f"/thanh-toan/lien-ket/{token}/")
    page = response.content.decode()
    assert response.status_code == 410
    assert "Liên kết thanh toán đã hết hạn" in page and "72 giờ" in page
    assert f"/dang-nhap/?next=%2Fho-so%2F{dossier.code}%2F" in page
    assert anonymous.post(f"/thanh-toan/lien-ket/{token}/",
                          {"provider": "vnpay"}).status_code == 410
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + 72 * 3600 - 60)
    assert anonymous.get(f"/thanh-toan/lien-ket/{token}/").status_code == 200


def test_a_return_for_another_dossier_shows_nothing(citizen, settings):
    dossier = due_dossier(citizen, fee_procedure("TST.710005"))
    other = due_dossier(citizen, fee_procedure("TST.710006"))
    payment = services.start_payment(other, "vnpay", citizen)
    response = Client().get(f"/thanh-toan/lien-ket/{paylinks.token_for(dossier.code)}/ket-qua/",
                            ipn_params(payment, settings.VNPAY_HASH_SECRET))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Không đọc được kết quả thanh toán này" in page
    assert "Mã thanh toán" not in page and "TST.710006" not in page


def test_the_link_is_never_cut_from_the_sms():
    link = "https://dichvucong.danang.gov.vn/thanh-toan/lien-ket/" + "x" * 80 + "/"
    long_text = "Hồ sơ " + "rất dài " * 60
    for unicode, budget in ((False, texts.SMS_MAX_WITH_LINK_ASCII),
                            (True, texts.SMS_MAX_WITH_LINK_UNICODE)):
        sent = texts.sms_text(f"{long_text} {link}", unicode=unicode)
        assert sent.endswith(f"... {link}") and len(sent) == budget
        assert texts.sms_text(sent, unicode=unicode) == sent  # the gateway's second pass
    assert texts.sms_text("Hồ sơ đã nộp http://x/", unicode=False) == "Ho so da nop http://x/"
