"""Passkeys (issue #21 item 1, ``accounts/passkeys.py``) through HTTP, with a software
authenticator that signs like a real one: register, then the login's second step with it; a
replayed answer (its counter not growing) and an answer to another challenge are refused; a
credential of another account is unknown; removing one asks for re-authentication first. The
browser walk with Chromium's virtual authenticator: ``browser/test_passkeys_browser.py``."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from dichvucong.accounts import twofactor
from dichvucong.accounts.models import Passkey
from tests.test_two_factor import logged_in, official

pytestmark = pytest.mark.django_db
ORIGIN, RP_ID = "http://testserver", "testserver"
FLAGS = AuthenticatorData.FLAG


class SoftAuthenticator:
    """One credential on an ES256 key, answering as a browser would pass it on (base64url)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def _client_data(self, kind: str, options: dict) -> CollectedClientData:
        return CollectedClientData.create(
            type=kind, challenge=websafe_decode(options["publicKey"]["challenge"]),
            origin=ORIGIN)

    def create(self, options: dict) -> dict:
        client_data = self._client_data("webauthn.create", options)
        credential = AttestedCredentialData.create(
            Aaguid.NONE, self.credential_id, ES256.from_cryptography_key(self.key.public_key()))
        auth_data = AuthenticatorData.create(hashlib.sha256(RP_ID.encode()).digest(),
                                             FLAGS.UP | FLAGS.UV | FLAGS.AT, self.counter,
                                             bytes(credential))
        attestation = AttestationObject.create("none", auth_data, {})
        return self._answer({"clientDataJSON": websafe_encode(bytes(client_data)),
                             "attestationObject": websafe_encode(bytes(attestation))})

    def get(self, options: dict, counter: int | None = None) -> dict:
        self.counter = self.counter + 1 if counter is None else counter
        client_data = self._client_data("webauthn.get", options)
        auth_data = AuthenticatorData.create(hashlib.sha256(RP_ID.encode()).digest(),
                                             FLAGS.UP | FLAGS.UV, self.counter)
        signature = self.key.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
        return self._answer({"clientDataJSON": websafe_encode(bytes(client_data)),
                             "authenticatorData": websafe_encode(bytes(auth_data)),
                             "signature": websafe_encode(signature), "userHandle": None})

    def _answer(self, response: dict) -> dict:
        raw = websafe_encode(self.credential_id)
        return {"id": raw, "rawId": raw, "type": "public-key", "response": response,
                "clientExtensionResults": {}}


def post_json(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def register(client: Client, key: SoftAuthenticator, name: str = "Máy tính cơ quan"):
    options = post_json(client, "/tai-khoan/khoa-truy-cap/dang-ky/tuy-chon/").json()
    assert options["publicKey"]["rp"]["id"] == RP_ID
    return post_json(client, "/tai-khoan/khoa-truy-cap/dang-ky/",
                     {"credential": key.create(options), "name": name})


def login_options(client: Client) -> dict:
    response = post_json(client, "/dang-nhap/khoa-truy-cap/tuy-chon/")
    assert response.status_code == 200, response.content
    return response.json()


def answer(client: Client, credential: dict, next_url: str = "/mot-cua/"):
    return post_json(client, "/dang-nhap/khoa-truy-cap/",
                     {"credential": credential, "next": next_url})


@pytest.fixture
def enrolled(settings):
    """An official (two-factor required) with a passkey; a second account with its own."""
    settings.TWO_FACTOR_FOR_OFFICIALS = False  # to register without the app first
    user, key = official(), SoftAuthenticator()
    client = logged_in(user)
    response = register(client, key)
    assert response.status_code == 200, response.content
    assert response.json() == {"redirect": "/tai-khoan/khoa-truy-cap/"}
    page = client.get("/tai-khoan/khoa-truy-cap/").content.decode()
    assert "Máy tính cơ quan" in page and page.count("<code>") == 10  # recovery codes, once
    assert client.get("/tai-khoan/khoa-truy-cap/").content.decode().count("<code>") == 0
    other, other_key = official("chuyenvien.khac"), SoftAuthenticator()
    assert register(logged_in(other), other_key).status_code == 200
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    return user, key, other_key


def test_a_passkey_is_the_second_step_and_a_replay_or_stale_answer_is_refused(enrolled):
    user, key, other_key = enrolled
    passkey = Passkey.objects.get(user=user)
    assert passkey.public_key and passkey.sign_count == 0 and passkey.last_used_at is None
    client = logged_in(user)  # the password alone opens nothing
    assert client.get("/mot-cua/")["Location"].startswith("/dang-nhap/ma-xac-thuc/")
    assert "Dùng khóa truy cập (passkey)" in client.get("/dang-nhap/ma-xac-thuc/").content.decode()

    options = login_options(client)
    assert [c["id"] for c in options["publicKey"]["allowCredentials"]] == [
        passkey.credential_id]  # only this account's own
    stale = key.get(options)
    assert answer(client, other_key.get(options)).status_code == 400  # another's credential
    assert answer(client, stale).status_code == 400  # the challenge is gone: answered once
    options = login_options(client)
    good = key.get(options)
    response = answer(client, good)
    assert response.status_code == 200 and response.json() == {"redirect": "/mot-cua/"}
    assert client.get("/mot-cua/").status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 2 and passkey.last_used_at is not None

    second = logged_in(user)
    assert answer(second, good).status_code == 400  # replayed whole: a challenge never asked
    for counter in (2, 1):  # signed for the new challenge but the counter did not grow
        refused = answer(second, key.get(login_options(second), counter=counter))
        assert refused.status_code == 400
        assert "không xác thực được" in refused.json()["error"]
    assert second.get("/mot-cua/")["Location"].startswith("/dang-nhap/ma-xac-thuc/")
    assert answer(second, key.get(login_options(second), counter=3)).status_code == 200
    assert second.get("/mot-cua/").status_code == 200


def test_removing_or_adding_a_passkey_asks_to_re_authenticate_and_a_passkey_does(enrolled):
    user, key, _other_key = enrolled
    client = logged_in(user)
    assert answer(client, key.get(login_options(client))).status_code == 200
    passkey = Passkey.objects.get(user=user)
    session = client.session
    session[twofactor.VERIFIED_AT] = 0  # verified long ago
    session.save()
    asked = client.post("/tai-khoan/khoa-truy-cap/", {"action": "remove", "passkey": passkey.pk})
    page = asked.content.decode()
    assert asked.status_code == 200 and "Xác nhận lại danh tính" in page
    assert 'data-then-submit="reauth-form"' in page and Passkey.objects.filter(pk=passkey.pk)
    assert answer(client, key.get(login_options(client)), "").status_code == 200
    removed = client.post("/tai-khoan/khoa-truy-cap/", {"action": "remove", "passkey": passkey.pk})
    assert removed["Location"] == "/tai-khoan/khoa-truy-cap/"
    assert not Passkey.objects.filter(user=user).exists()
    assert client.get("/mot-cua/").status_code == 200  # just verified: the session goes on
    session = client.session
    session[twofactor.VERIFIED_AT] = 0  # adding one asks the same
    session.save()
    assert "Xác nhận lại danh tính" in client.get("/tai-khoan/khoa-truy-cap/").content.decode()
    assert post_json(client, "/tai-khoan/khoa-truy-cap/dang-ky/tuy-chon/").status_code == 403
