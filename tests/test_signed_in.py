"""The fixed cost of a signed-in request (issue #19): the session and the user with their roles
read by queries composed once (``core.prepared``), with Django's rules exactly: a deactivated
account, a changed password or an expired session loses access at the next request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from dichvucong.accounts.backends import PhoneEmailUsernameBackend
from dichvucong.accounts.models import Membership, User
from dichvucong.core.prepared import Prepared
from dichvucong.core.sessions.db import SessionStore

pytestmark = pytest.mark.django_db


def test_the_user_and_the_roles_they_hold_are_one_query(django_assert_num_queries):
    official = User.objects.get(username="motcua.haichau")
    held = sorted(official.memberships.values_list("agency_id", "role", "agency__kind",
                                                   "agency__level"))
    assert held
    backend = PhoneEmailUsernameBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(official.pk)
        assert sorted(user.held_roles()) == held
        assert user.is_official
    citizen = User.objects.get(username="congdan")
    with django_assert_num_queries(1):
        assert backend.get_user(citizen.pk).held_roles() == []
    assert backend.get_user(10**9) is None


def test_the_user_is_read_as_the_orm_reads_them():
    citizen = User.objects.get(username="congdan")
    User.objects.filter(pk=citizen.pk).update(
        address={"province": "48", "commune": "20194", "street": "12 Bạch Đằng"},
        date_of_birth=date(1990, 5, 17), last_login=timezone.now())
    read = PhoneEmailUsernameBackend().get_user(citizen.pk)
    expected = User.objects.get(pk=citizen.pk)
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    assert read.commune_code == "20194" and timezone.is_aware(read.last_login)
    assert not read._state.adding and read.is_authenticated


def test_a_wrong_placeholder_is_refused_before_any_query():
    with pytest.raises(ImproperlyConfigured):
        Prepared(lambda: User.objects.filter(date_joined=timezone.now()), timezone.now())
    wrong = Prepared(lambda: User.objects.filter(pk=0), 0, "?")
    with pytest.raises(ImproperlyConfigured):  # the SQL takes (0,), not (0, "?")
        wrong.rows(1, "congdan")


def test_a_signed_in_api_read_reads_the_session_and_the_user_once(client,
                                                                   django_assert_num_queries):
    client.force_login(User.objects.get(username="congdan"))
    client.get("/api/v1/dossiers")
    # The session, the user with their roles, the dossiers (none here: no results to look for).
    with django_assert_num_queries(3):
        assert client.get("/api/v1/dossiers").status_code == 200


def _dossiers_status(client) -> int:
    return client.get("/api/v1/dossiers").status_code


def test_a_deactivated_account_loses_its_session_at_once(client):
    citizen = User.objects.get(username="congdan")
    client.force_login(citizen)
    assert _dossiers_status(client) == 200
    User.objects.filter(pk=citizen.pk).update(is_active=False)  # no signal, no save()
    assert _dossiers_status(client) == 401


def test_a_password_changed_elsewhere_ends_the_other_sessions(client):
    citizen = User.objects.get(username="congdan")
    client.force_login(citizen)
    assert _dossiers_status(client) == 200
    citizen.set_password("một mật khẩu mới 2026")
    User.objects.filter(pk=citizen.pk).update(password=citizen.password)
    assert _dossiers_status(client) == 401


def test_an_expired_session_is_not_read(client):
    client.force_login(User.objects.get(username="congdan"))
    key = client.cookies["sessionid"].value
    assert SessionStore(key).load()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    assert SessionStore(key).load() == {}
    assert _dossiers_status(client) == 401


def test_a_role_granted_shows_at_the_next_request(client):
    """Nothing about the user is kept between requests: a role granted (or taken) counts at
    once."""
    citizen = User.objects.get(username="congdan")
    client.force_login(citizen)
    assert client.get("/mot-cua/").status_code in (302, 403)
    official = User.objects.get(username="motcua.haichau").memberships.first()
    Membership.objects.create(user=citizen, agency=official.agency, role=official.role)
    assert client.get("/mot-cua/").status_code == 200


def test_a_public_answer_to_a_signed_in_citizen_reads_no_user(client, django_assert_num_queries):
    """The catalogue's JSON is the same for everyone: a session owing no second factor says so
    itself, and nothing reads the user (issue #19)."""
    client.force_login(User.objects.get(username="congdan"))
    assert client.get("/api/v1/catalog/procedures").status_code == 200
    with django_assert_num_queries(1):  # the session
        assert client.get("/api/v1/catalog/procedures").status_code == 200
    # A session that still owes its second factor is stopped as before, public or not.
    session = client.session
    session["dichvucong_second_factor"] = "owed"
    session.save()
    refused = client.get("/api/v1/catalog/procedures")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"


def test_a_verified_session_keeps_its_device_and_loses_it_with_the_device(client):
    """The device that verified the session is read afresh at each request (django-otp's
    rule, the query composed once): deleted, the session owes its code again."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    official = User.objects.get(username="motcua.haichau")
    device = TOTPDevice.objects.create(user=official, name="Ứng dụng", confirmed=True)
    client.force_login(official)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.get("/api/v1/dossiers")
    assert response.status_code == 200 and response.wsgi_request.user.otp_device == device
    device.delete()
    refused = client.get("/api/v1/dossiers")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"
    assert DEVICE_ID_SESSION_KEY not in client.session
