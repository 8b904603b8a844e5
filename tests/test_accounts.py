"""Accounts: registration confirmed with a one-time code (SMS through the sandbox gateway, e-mail
through Django's mail), login by phone or e-mail, password reset, the profile, local registration
switched off (Decree 69/2024/NĐ-CP), business accounts and the citizen QR token."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from dichvucong.accounts import conf, services
from dichvucong.accounts.backends import find_login_user
from dichvucong.accounts.identifiers import (
    InvalidIdentifier,
    normalise_phone,
    normalise_tax_code,
)
from dichvucong.accounts.models import OneTimeCode, Organisation, OrganisationRole, User
from dichvucong.adminunits import queries as units
from dichvucong.notify.models import SandboxMessage

pytestmark = pytest.mark.django_db

BACKEND = "dichvucong.accounts.backends.PhoneEmailUsernameBackend"
PASSWORD = "Mat-khau-an-toan-2026"
PHONE = "0905123456"


@pytest.fixture(autouse=True)
def _accounts_settings(settings):
    # Until settings.py lists the backend (see the report), the tests set it themselves.
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    settings.ESMS_URL = ""  # SMS go to notify's sandbox
    settings.DICHVUCONG_LOCAL_REGISTRATION = True
    cache.clear()
    yield
    cache.clear()


def sms_code(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", message.content).group(1)


def mail_code(mailoutbox) -> str:
    assert mailoutbox, "no e-mail sent"
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)


def register(client, contact=PHONE, full_name="Lê Thị Hoa", password=PASSWORD):
    return client.post("/dang-ky/", {"contact": contact, "full_name": full_name,
                                     "password1": password, "password2": password})


def logged_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def make_user(username="hoa", phone=PHONE, email="", full_name="Lê Thị Hoa", **extra) -> User:
    user = User(username=username, full_name=full_name, phone=phone, phone_verified=bool(phone),
                email=email, email_verified=bool(email), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


# --- identifiers ----------------------------------------------------------------------------

def test_phone_numbers_are_normalised():
    assert normalise_phone("+84 905 123 456") == PHONE
    assert normalise_phone("84905123456") == PHONE
    assert normalise_phone("0905.123.456") == PHONE
    for wrong in ("0123456789", "090512345", "abc"):
        with pytest.raises(InvalidIdentifier):
            normalise_phone(wrong)


def test_tax_codes_are_checked():
    assert normalise_tax_code("0100047516") == "0100047516"  # Circular 105/2020's worked example
    assert normalise_tax_code("0100047516-001") == "0100047516001"
    for wrong in ("0100047517", "01000475", "0100047516-000", "0000000000"):
        with pytest.raises(InvalidIdentifier):
            normalise_tax_code(wrong)


# --- registration ---------------------------------------------------------------------------

def test_register_by_phone(client):
    response = register(client, contact="0905 123 456")
    assert response.status_code == 302 and response["Location"] == "/dang-ky/xac-nhan/"
    assert not User.objects.filter(phone=PHONE).exists()  # nothing before the code
    code = sms_code(PHONE)
    record = OneTimeCode.objects.get(destination=PHONE)
    assert code not in record.code_hash and PASSWORD not in str(record.data)

    page = client.get("/dang-ky/xac-nhan/").content.decode()
    assert "0905***456" in page and PHONE not in page

    response = client.post("/dang-ky/xac-nhan/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/"
    user = User.objects.get(phone=PHONE)
    assert user.phone_verified and user.is_active and user.full_name == "Lê Thị Hoa"
    assert user.check_password(PASSWORD)
    assert logged_in_user(client) == user
    record.refresh_from_db()
    assert record.used_at is not None and record.data == {}
    # The code cannot be used twice.
    client.logout()
    assert client.post("/dang-ky/xac-nhan/", {"code": code}).status_code == 302
    assert User.objects.filter(phone=PHONE).count() == 1


def test_register_by_email(client, mailoutbox):
    response = register(client, contact="Hoa.Le@Example.VN")
    assert response.status_code == 302
    assert mailoutbox[-1].to == ["Hoa.Le@example.vn"]
    assert mailoutbox[-1].subject == "Mã xác nhận đăng ký tài khoản"
    response = client.post("/dang-ky/xac-nhan/", {"code": mail_code(mailoutbox)})
    assert response.status_code == 302
    user = User.objects.get(email__iexact="hoa.le@example.vn")
    assert user.email_verified and not user.phone
    assert logged_in_user(client) == user


def test_wrong_code_is_refused_and_counted(client):
    register(client)
    code = sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/dang-ky/xac-nhan/", {"code": wrong})
    assert response.status_code == 200
    assert "Mã xác nhận không đúng. Bạn còn 4 lần thử." in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists() and logged_in_user(client) is None
    assert client.post("/dang-ky/xac-nhan/", {"code": code}).status_code == 302
    assert User.objects.filter(phone=PHONE).exists()


def test_expired_code_is_refused(client):
    register(client)
    code = sms_code(PHONE)
    past = timezone.now() - timedelta(minutes=11)
    OneTimeCode.objects.update(created_at=past, expires_at=past + services.CODE_TTL)
    response = client.post("/dang-ky/xac-nhan/", {"code": code})
    assert response.status_code == 200
    assert "Mã xác nhận đã hết hạn" in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists() and logged_in_user(client) is None


def test_too_many_wrong_tries_lock_the_code(client):
    register(client)
    code = sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.MAX_ATTEMPTS):
        response = client.post("/dang-ky/xac-nhan/", {"code": wrong})
    assert "Đã nhập sai quá 5 lần" in response.content.decode()
    response = client.post("/dang-ky/xac-nhan/", {"code": code})  # even the right one now
    assert "Đã nhập sai quá 5 lần" in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists()
    # A new code works, and the old one stays dead.
    assert client.post("/dang-ky/xac-nhan/", {"resend": "1"}).status_code == 302
    new_code = sms_code(PHONE)
    assert OneTimeCode.objects.filter(used_at__isnull=True).count() == 1
    assert client.post("/dang-ky/xac-nhan/", {"code": new_code}).status_code == 302
    assert User.objects.filter(phone=PHONE, phone_verified=True).exists()


def test_resending_is_rate_limited(client):
    register(client)
    client.post("/dang-ky/xac-nhan/", {"resend": "1"})
    client.post("/dang-ky/xac-nhan/", {"resend": "1"})
    assert SandboxMessage.objects.filter(phone=PHONE).count() == 3
    response = client.post("/dang-ky/xac-nhan/", {"resend": "1"}, follow=True)
    assert "Đã gửi quá nhiều mã" in response.content.decode()
    assert SandboxMessage.objects.filter(phone=PHONE).count() == 3


def test_duplicate_phone_is_refused(client):
    make_user(phone=PHONE)
    response = register(client, contact="+84905123456")
    assert response.status_code == 200
    assert "Số điện thoại này đã có tài khoản" in response.content.decode()
    assert not SandboxMessage.objects.filter(phone=PHONE).exists()


def test_duplicate_email_ignores_case(client, mailoutbox):
    make_user(phone="", email="hoa@example.vn")
    response = register(client, contact="HOA@example.vn")
    assert "Địa chỉ email này đã có tài khoản" in response.content.decode()
    assert not mailoutbox


def test_weak_password_is_refused_with_the_fields_kept(client):
    response = register(client, password="12345678")
    page = response.content.decode()
    assert response.status_code == 200 and "Lê Thị Hoa" in page
    assert not SandboxMessage.objects.filter(phone=PHONE).exists()


# --- login ----------------------------------------------------------------------------------

def test_login_by_phone_by_email_and_by_username(client):
    user = make_user(phone=PHONE, email="hoa@example.vn")
    for identifier in ("0905 123 456", "+84905123456", "HOA@example.vn", "hoa"):
        response = client.post("/dang-nhap/", {"username": identifier, "password": PASSWORD})
        assert response.status_code == 302, identifier
        assert logged_in_user(client) == user
        client.post("/dang-xuat/")
        assert logged_in_user(client) is None
    response = client.post("/dang-nhap/", {"username": PHONE, "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert "mật khẩu không đúng" in response.content.decode()


def test_repeated_wrong_passwords_pause_the_login(client):
    make_user(phone=PHONE)
    for attempt in range(10):
        response = client.post("/dang-nhap/", {"username": "+84 905 123 456" if attempt % 2
                                               else PHONE, "password": f"sai-{attempt}"})
        assert "mật khẩu không đúng" in response.content.decode()
    # The 11th is refused before its password is checked, even the right one.
    response = client.post("/dang-nhap/", {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 429
    assert "Đã nhập sai mật khẩu quá nhiều lần" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert logged_in_user(client) is None
    later = time.time() + 15 * 60 + 1
    with mock.patch("dichvucong.core.ratelimit._now", return_value=later):
        response = client.post("/dang-nhap/", {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 302


def test_an_unconfirmed_phone_does_not_log_in():
    user = make_user(phone=PHONE)
    User.objects.filter(pk=user.pk).update(phone_verified=False)
    assert find_login_user(PHONE) is None
    assert find_login_user("hoa") == user


def test_login_page_offers_registration_and_reset(client):
    page = client.get("/dang-nhap/").content.decode()
    assert 'href="/dang-ky/"' in page and 'href="/quen-mat-khau/"' in page
    assert "Đăng nhập bằng VNeID" not in page  # not configured here


# --- password reset -------------------------------------------------------------------------

def test_password_reset_by_phone(client):
    user = make_user(phone=PHONE)
    response = client.post("/quen-mat-khau/", {"contact": PHONE})
    assert response.status_code == 302 and response["Location"] == "/quen-mat-khau/xac-nhan/"
    code = sms_code(PHONE)
    new_password = "Mot-mat-khau-moi-2027"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/quen-mat-khau/xac-nhan/", {
        "code": wrong, "password1": new_password, "password2": new_password})
    assert "Mã xác nhận không đúng" in response.content.decode()
    response = client.post("/quen-mat-khau/xac-nhan/", {
        "code": code, "password1": new_password, "password2": new_password})
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/"
    user.refresh_from_db()
    assert user.check_password(new_password) and not user.check_password(PASSWORD)
    assert client.post("/dang-nhap/", {"username": PHONE,
                                       "password": new_password}).status_code == 302


def test_password_reset_by_email(client, mailoutbox):
    user = make_user(phone="", email="hoa@example.vn")
    client.post("/quen-mat-khau/", {"contact": "hoa@example.vn"})
    assert mailoutbox[-1].subject == "Mã đặt lại mật khẩu"
    new_password = "Mot-mat-khau-moi-2027"
    client.post("/quen-mat-khau/xac-nhan/", {"code": mail_code(mailoutbox),
                                            "password1": new_password,
                                            "password2": new_password})
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_does_not_tell_whether_an_account_exists(client):
    response = client.post("/quen-mat-khau/", {"contact": "0987654321"}, follow=True)
    assert "Nếu 0987***321 là số điện thoại hoặc email" in response.content.decode()
    assert not SandboxMessage.objects.exists()
    response = client.post("/quen-mat-khau/xac-nhan/", {
        "code": "123456", "password1": "Mot-mat-khau-moi-2027",
        "password2": "Mot-mat-khau-moi-2027"})
    assert "Mã xác nhận không đúng" in response.content.decode()


# --- profile --------------------------------------------------------------------------------

def profile_post(**changes):
    data = {"full_name": "Lê Thị Hoa", "id_number": "", "date_of_birth": "", "gender": "",
            "province": "48", "commune": "", "street": "", "phone": PHONE, "email": "",
            "save": "1"}
    return {**data, **changes}


def test_profile_is_saved_and_prefills_dossiers(client):
    user = make_user()
    client.force_login(user, backend=BACKEND)
    commune = units.communes_of("48")[0][0]
    response = client.post("/tai-khoan/", profile_post(
        id_number="048 195 000 123", date_of_birth="25/03/1995", gender="female",
        commune=commune, street="12 Bạch Đằng"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.id_number == "048195000123" and not user.id_number_verified
    assert user.date_of_birth == date(1995, 3, 25) and user.gender == "female"
    assert user.address == {"province": "48", "commune": commune, "street": "12 Bạch Đằng"}
    assert (user.province_code, user.commune_code, user.street_address) == (
        "48", commune, "12 Bạch Đằng")


def test_profile_with_an_invalid_id_number_keeps_the_other_fields(client):
    user = make_user()
    client.force_login(user, backend=BACKEND)
    response = client.post("/tai-khoan/", profile_post(
        full_name="Lê Thị Hoa Mới", id_number="04809500012", street="34 Trần Phú"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Số căn cước công dân phải gồm đúng 12 chữ số." in page
    assert 'value="Lê Thị Hoa Mới"' in page and 'value="34 Trần Phú"' in page
    assert 'aria-invalid="true"' in page
    user.refresh_from_db()
    assert user.full_name == "Lê Thị Hoa" and user.id_number == "" and user.address == {}

    response = client.post("/tai-khoan/", profile_post(id_number="999095000123"))
    assert "không phải mã tỉnh" in response.content.decode()
    response = client.post("/tai-khoan/", profile_post(id_number="048095000123",
                                                       date_of_birth="1990-01-01"))
    assert "không khớp năm sinh 1990" in response.content.decode()


def test_profile_refuses_another_accounts_id_number(client):
    make_user(username="other", phone="0911111111", id_number="048095000123")
    user = make_user()
    client.force_login(user, backend=BACKEND)
    response = client.post("/tai-khoan/", profile_post(id_number="048095000123"))
    assert "đã gắn với một tài khoản khác" in response.content.decode()


def test_changing_the_phone_needs_a_code(client):
    user = make_user()
    client.force_login(user, backend=BACKEND)
    response = client.post("/tai-khoan/", profile_post(phone="0912 345 678"))
    assert response["Location"] == "/tai-khoan/xac-nhan-lien-lac/"
    user.refresh_from_db()
    assert user.phone == PHONE  # not yet
    response = client.post("/tai-khoan/xac-nhan-lien-lac/", {"code": sms_code("0912345678")})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone == "0912345678" and user.phone_verified


def test_profile_offers_the_portals_province_first(client):
    user = make_user()
    client.force_login(user, backend=BACKEND)
    page = client.get("/tai-khoan/").content.decode()
    assert '<option value="48" selected>' in page
    assert client.post("/tai-khoan/", profile_post()).status_code == 302
    user.refresh_from_db()
    assert user.address == {}  # the preselected province alone is not an address


def test_province_refresh_without_javascript_lists_its_communes(client):
    user = make_user()
    client.force_login(user, backend=BACKEND)
    other = next(code for code, _ in units.provinces() if code != "48")
    response = client.post("/tai-khoan/", profile_post(province=other, street="x", _refresh="1"))
    page = response.content.decode()
    assert response.status_code == 200 and "error-summary" not in page
    first = units.communes_of(other)[0][0]
    assert f'value="{first}"' in page


# --- local registration off -----------------------------------------------------------------

def test_local_registration_off_leaves_vneid_only(client, settings):
    settings.DICHVUCONG_LOCAL_REGISTRATION = "0"
    settings.DICHVUCONG_OIDC_ISSUER = "https://vneid.example.gov.vn"
    settings.DICHVUCONG_OIDC_CLIENT_ID = "dichvucong"
    settings.DICHVUCONG_OIDC_CLIENT_SECRET = "secret"
    page = client.get("/dang-ky/").content.decode()
    assert "Đăng nhập bằng VNeID" in page and "Nghị định 69/2024/NĐ-CP" in page
    assert 'name="password1"' not in page
    register(client)
    assert not SandboxMessage.objects.exists() and not User.objects.filter(phone=PHONE).exists()
    assert client.get("/dang-ky/xac-nhan/").status_code == 302

    page = client.get("/dang-nhap/").content.decode()
    assert "Đăng nhập bằng VNeID" in page and 'href="/dang-ky/"' not in page
    citizen = make_user()
    response = client.post("/dang-nhap/", {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 200 and logged_in_user(client) is None
    assert "Công dân đăng nhập bằng tài khoản định danh điện tử VNeID" in \
        response.content.decode()
    assert citizen.pk
    # Officials keep their internal accounts, and staff the administration site.
    response = client.post("/dang-nhap/", {"username": "motcua.haichau",
                                           "password": "demo-dichvucong"})
    assert response.status_code == 302
    assert logged_in_user(client).username == "motcua.haichau"
    client.post("/dang-xuat/")
    response = client.post("/quan-tri/login/", {"username": "admin",
                                                "password": "demo-dichvucong"})
    assert response.status_code == 302 and logged_in_user(client).username == "admin"


def test_local_registration_defaults(settings, monkeypatch):
    del settings.DICHVUCONG_LOCAL_REGISTRATION
    monkeypatch.delenv("DICHVUCONG_LOCAL_REGISTRATION", raising=False)
    settings.MODE = "production"
    assert conf.local_registration() is False
    settings.MODE = "demo"
    assert conf.local_registration() is True
    monkeypatch.setenv("DICHVUCONG_LOCAL_REGISTRATION", "1")
    settings.MODE = "production"
    assert conf.local_registration() is True
    monkeypatch.setenv("DICHVUCONG_LOCAL_REGISTRATION", "0")
    settings.MODE = "demo"
    assert conf.local_registration() is False


# --- business accounts ----------------------------------------------------------------------

def test_business_account_with_a_second_member(client):
    owner = make_user(username="owner", phone=PHONE)
    member = make_user(username="member", phone="0912345678")
    client.force_login(owner, backend=BACKEND)
    response = client.post("/tai-khoan/doanh-nghiep/", {"name": "Công ty TNHH Hoa Sen",
                                                       "tax_code": "0100047517"})
    assert "sai chữ số kiểm tra" in response.content.decode()
    response = client.post("/tai-khoan/doanh-nghiep/", {"name": "Công ty TNHH Hoa Sen",
                                                       "tax_code": "0100047516"})
    organisation = Organisation.objects.get(tax_code="0100047516")
    assert response["Location"] == f"/tai-khoan/doanh-nghiep/{organisation.pk}/"
    assert organisation.members.get().role == OrganisationRole.OWNER

    url = f"/tai-khoan/doanh-nghiep/{organisation.pk}/"
    response = client.post(url, {"add": "1", "contact": "0999999999"})
    assert "Không có tài khoản nào" in response.content.decode()
    assert client.post(url, {"add": "1", "contact": "0912 345 678"}).status_code == 302
    assert set(organisation.members.values_list("user__username", "role")) == {
        ("owner", "owner"), ("member", "member")}
    response = client.post(url, {"add": "1", "contact": "0912345678"})
    assert "đã là thành viên" in response.content.decode()

    # The member sees the business but cannot add anyone; a stranger does not see it.
    client.force_login(member, backend=BACKEND)
    page = client.get(url).content.decode()
    assert "Công ty TNHH Hoa Sen" in page and 'name="add"' not in page
    client.post(url, {"add": "1", "contact": PHONE})
    assert organisation.members.count() == 2
    client.force_login(User.objects.get(username="congdan"), backend=BACKEND)
    assert client.get(url).status_code == 404


# --- citizen QR -----------------------------------------------------------------------------

def test_citizen_qr_token(client):
    user = make_user(id_number="048095000123", full_name="Lê Thị Hoa")
    token = services.citizen_token(user)
    assert services.resolve_citizen_token(token) == user
    for personal in (PHONE, "048095000123", "Hoa", user.username):
        assert personal not in token

    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert services.resolve_citizen_token(tampered) is None
    assert services.resolve_citizen_token("rác") is None
    pk, rest = token.split(".", 1)
    assert services.resolve_citizen_token(f"{int(pk) + 1}.{rest}") is None

    with mock.patch("time.time", return_value=time.time() - services.QR_MAX_AGE - 5):
        old = services.citizen_token(user)
    assert services.resolve_citizen_token(old) is None

    services.rotate_citizen_qr(user)
    assert services.resolve_citizen_token(token) is None
    assert services.resolve_citizen_token(services.citizen_token(user)) == user

    client.force_login(user, backend=BACKEND)
    response = client.get("/tai-khoan/")
    page = response.content.decode()
    assert "<svg" in page and "Mã QR công dân" in page
    assert "no-store" in response["Cache-Control"]
    client.post("/tai-khoan/", {"rotate_qr": "1"})
    user.refresh_from_db()
    assert user.qr_counter == 2
