"""Machine clients of the API (issue #17 item 1): OAuth 2.0 client credentials for registered
systems, authorization code with PKCE for a citizen's mobile app, scopes, rate limits, rotation,
revocation and the audit trail — all through HTTP, as a client would call them."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from dichvucong.accounts.models import User
from dichvucong.apiclients import auth, services
from dichvucong.apiclients.models import ClientCall
from dichvucong.apiclients.services import Kind
from dichvucong.results.models import Result, SigningState
from tests.test_backoffice import HAI_CHAU, JUSTICE, agency, justice_procedure, make_dossier
from tests.test_rate_limits import counters  # noqa: F401 - the counters' store, both kinds

pytestmark = pytest.mark.django_db
READ_ALL = ["catalog:read", "dossiers:read", "results:read", "monitor:read"]
APP_URI = "https://app.example.vn/callback"


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_response(http: Client, client, secret: str, **fields):
    return http.post("/o/token/", {"grant_type": "client_credentials", **fields},
                     headers=basic(client.application.client_id, secret))


def access_token(http: Client, client, secret: str, **fields) -> str:
    response = token_response(http, client, secret, **fields)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return body["access_token"]


def challenge(response) -> str:
    return response.headers.get("WWW-Authenticate", "")


@pytest.fixture
def system():
    """The one-stop software of Hải Châu ward, registered for its agency."""
    return services.register(name="Phần mềm một cửa phường Hải Châu", kind=Kind.SYSTEM,
                             scopes=READ_ALL, agency=agency(HAI_CHAU))


def test_a_system_reads_only_its_agencys_dossiers_with_the_right_scope():
    client, secret = services.register(name="Phần mềm một cửa phường Hải Châu", kind=Kind.SYSTEM,
                                       scopes=READ_ALL, agency=agency(HAI_CHAU))
    ours = make_dossier("received")
    theirs = make_dossier(where=JUSTICE, procedure=justice_procedure())
    http = Client()
    token = access_token(http, client, secret)

    listed = http.get("/api/v1/dossiers", headers=bearer(token))
    assert listed.status_code == 200
    assert [d["code"] for d in listed.json()] == [ours.code]
    detail = http.get(f"/api/v1/dossiers/{ours.code}", headers=bearer(token))
    assert detail.status_code == 200 and detail.json()["state"] == "received"
    # Another agency's dossier is not found, exactly as for an official of Hải Châu.
    assert http.get(f"/api/v1/dossiers/{theirs.code}", headers=bearer(token)).status_code == 404
    # The monitor: its agency's figures, not another's; its agency's results.
    assert http.get("/api/v1/monitor/figures", headers=bearer(token)).status_code == 200
    other = http.get(f"/api/v1/monitor/figures?agency={theirs.agency_id}", headers=bearer(token))
    assert other.status_code == 403
    assert http.get("/api/v1/results/issued", headers=bearer(token)).json() == []
    assert http.get("/api/v1/catalog/fields", headers=bearer(token)).status_code == 200
    # A system's own token never files or acts as an applicant, whatever its scopes.
    filer, filer_secret = services.register(name="Hệ thống nộp", kind=Kind.SYSTEM,
                                            scopes=["dossiers:file"], agency=agency(HAI_CHAU))
    filing = http.post(f"/api/v1/dossiers/{ours.code}/withdraw", "{}",
                       content_type="application/json",
                       headers=bearer(access_token(http, filer, filer_secret)))
    assert filing.status_code == 403 and filing.json()["error"] == "insufficient_scope"

    # A token asked for one scope cannot use another; a scope never granted cannot be asked.
    narrow = access_token(http, client, secret, scope="catalog:read")
    refused = http.get("/api/v1/dossiers", headers=bearer(narrow))
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in challenge(refused)
    assert 'scope="dossiers:read"' in challenge(refused)
    wider = token_response(http, client, secret, scope="dossiers:file")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"

    # Every call is in the audit trail: client, operation (the route, not the code), outcome.
    calls = list(ClientCall.objects.filter(client=client).values_list("operation", "status",
                                                                      "error"))
    assert ("GET /api/v1/dossiers/<code>", 404, "") in calls
    assert ("GET /api/v1/dossiers", 403, "insufficient_scope") in calls
    assert ("POST /o/token/", 400, "invalid_scope") in calls
    assert ("POST /o/token/", 200, "") in calls
    assert not any(ours.code in op or theirs.code in op for op, *_ in calls)


def test_expired_revoked_and_rotated_credentials_are_refused(system):
    client, secret = system
    http = Client()
    # No credentials: 401 with a bare Bearer challenge (RFC 6750 §3.1).
    anonymous = http.get("/api/v1/dossiers")
    assert anonymous.status_code == 401 and challenge(anonymous) == 'Bearer realm="dichvucong"'
    unknown = http.get("/api/v1/dossiers", headers=bearer("not-a-token"))
    assert unknown.status_code == 401 and 'error="invalid_token"' in challenge(unknown)
    # A public operation takes no token, but a bad one is still refused.
    assert http.get("/api/v1/catalog/fields").status_code == 200
    assert http.get("/api/v1/catalog/fields", headers=bearer("bad")).status_code == 401

    expired = access_token(http, client, secret)
    AccessToken.objects.filter(application=client.application).update(
        expires=timezone.now() - timedelta(seconds=1))
    answer = http.get("/api/v1/dossiers", headers=bearer(expired))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token" and "hết hạn" in answer.json()["detail"]
    assert 'error="invalid_token"' in challenge(answer)

    revoked = access_token(http, client, secret)
    assert http.get("/api/v1/dossiers", headers=bearer(revoked)).status_code == 200
    response = http.post("/o/revoke_token/", {"token": revoked, "token_type_hint": "access_token"},
                         headers=basic(client.application.client_id, secret))
    assert response.status_code == 200
    assert http.get("/api/v1/dossiers", headers=bearer(revoked)).status_code == 401

    # Rotation by the administrator: the new secret shown once, the old one and its tokens dead.
    live = access_token(http, client, secret)
    admin = Client()
    assert admin.login(username="admin", password="demo-dichvucong")
    assert admin.get(f"/quan-tri/apiclients/machineclient/{client.pk}/doi-khoa/").status_code \
        == 405
    page = admin.post(f"/quan-tri/apiclients/machineclient/{client.pk}/doi-khoa/")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    new_secret = page.context["secret"]
    assert new_secret != secret and new_secret in page.content.decode()
    old = token_response(http, client, secret)
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    assert http.get("/api/v1/dossiers", headers=bearer(live)).status_code == 401
    assert http.get("/api/v1/dossiers",
                    headers=bearer(access_token(http, client, new_secret))).status_code == 200
    assert ("POST /o/token/", 401, "invalid_client") in ClientCall.objects.filter(
        client=client).values_list("operation", "status", "error")


@pytest.mark.usefixtures("counters")
def test_over_its_rate_limit_a_client_waits(system):
    """On both counter stores: the database (embedded default) and Redis."""
    client, secret = system
    client.rate_limit = 2
    client.save()
    http = Client()
    token = access_token(http, client, secret)
    for _ in range(2):
        assert http.get("/api/v1/catalog/fields", headers=bearer(token)).status_code == 200
    over = http.get("/api/v1/catalog/fields", headers=bearer(token))
    assert over.status_code == 429 and over.json()["code"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= auth.RATE_WINDOW_SECONDS
    # The limit is the client's: another system is not slowed down.
    other, other_secret = services.register(name="Hệ thống khác", kind=Kind.SYSTEM,
                                            scopes=["catalog:read"])
    other_token = access_token(http, other, other_secret)
    assert http.get("/api/v1/catalog/fields", headers=bearer(other_token)).status_code == 200
    assert ClientCall.objects.filter(client=client, status=429, error="rate_limited").exists()


@pytest.mark.usefixtures("counters")
def test_the_token_endpoint_limits_an_address_before_checking_any_secret(system, settings):
    """Each token request hashes a secret slowly: a flood from one address is refused with 429
    (the right secret too, once over), audited, and another address is not slowed down."""
    client, secret = system
    settings.OAUTH_TOKEN_RATE_LIMIT = 3
    http = Client()
    for _ in range(3):
        assert token_response(http, client, "sai-" + secret).status_code == 401
    over = token_response(http, client, secret)
    assert over.status_code == 429 and over.json()["error"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    revoke = http.post("/o/revoke_token/", {"token": "x"},
                       headers=basic(client.application.client_id, secret))
    assert revoke.status_code == 429
    assert ClientCall.objects.filter(client=client, status=429, error="rate_limited").count() == 2
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert token_response(elsewhere, client, secret).status_code == 200


def test_the_call_log_forgets_calls_older_than_its_retention(system, settings):
    client, _secret = system
    settings.API_CLIENT_CALL_RETENTION_DAYS = 30
    old = ClientCall.objects.create(client=client, operation="GET /api/v1/catalog/fields",
                                    status=200)
    ClientCall.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    recent = ClientCall.objects.create(client=client, operation="GET /api/v1/catalog/fields",
                                       status=200)
    assert services.prune_calls() == 1
    assert list(ClientCall.objects.values_list("pk", flat=True)) == [recent.pk]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_fields(page) -> dict[str, str]:
    """What the consent page's hidden fields post."""
    return {name: value for name, value in page.context["form"].initial.items() if value}


def test_a_citizens_app_gets_a_token_with_pkce_and_sees_only_her_dossiers():
    app, secret = services.register(name="Ứng dụng Dịch vụ công Đà Nẵng", kind=Kind.APP,
                                    scopes=["dossiers:read", "dossiers:file"],
                                    redirect_uris=APP_URI)
    assert secret == ""  # a public client has no secret to keep
    mine = make_dossier()
    someone_elses = make_dossier(citizen="doanhnghiep")
    verifier, challenge_value = pkce_pair()
    query = {"response_type": "code", "client_id": app.application.client_id,
             "redirect_uri": APP_URI, "scope": "dossiers:read", "state": "s-1",
             "code_challenge": challenge_value, "code_challenge_method": "S256"}
    url = "/o/authorize/?" + urlencode(query)

    browser = Client()
    assert browser.get(url).url.startswith(reverse("accounts:login"))  # log in first
    assert browser.login(username="congdan", password="demo-dichvucong")
    page = browser.get(url)
    assert page.status_code == 200 and "Ứng dụng Dịch vụ công Đà Nẵng" in page.content.decode()
    assert "form-action 'self' https://app.example.vn" in page.headers["Content-Security-Policy"]
    # Without PKCE, or with the plain method, no code is given.
    no_pkce = browser.get("/o/authorize/?" + urlencode(
        {k: v for k, v in query.items() if not k.startswith("code_challenge")}))
    assert parse_qs(urlparse(no_pkce.url).query)["error"] == ["invalid_request"]
    plain_url = "/o/authorize/?" + urlencode({**query, "code_challenge": verifier,
                                              "code_challenge_method": "plain"})
    plain = browser.post(plain_url, {**form_fields(browser.get(plain_url)), "allow": "1"})
    assert parse_qs(urlparse(plain.url).query)["error"] == ["invalid_request"]

    fields = form_fields(page)
    allowed = browser.post(url, {**fields, "allow": "1"})
    assert allowed.status_code == 302 and allowed.url.startswith(APP_URI)
    returned = parse_qs(urlparse(allowed.url).query)
    assert returned["state"] == ["s-1"]
    code = returned["code"][0]

    phone = Client()  # the app: no cookie, no secret
    wrong = phone.post("/o/token/", {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": APP_URI,
                                     "client_id": app.application.client_id,
                                     "code_verifier": pkce_pair()[0]})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The code was spent by the failed try (oauthlib invalidates it): authorize again.
    again = browser.post(url, {**fields, "allow": "1"})
    code = parse_qs(urlparse(again.url).query)["code"][0]
    issued = phone.post("/o/token/", {"grant_type": "authorization_code", "code": code,
                                      "redirect_uri": APP_URI,
                                      "client_id": app.application.client_id,
                                      "code_verifier": verifier})
    assert issued.status_code == 200, issued.content
    token = issued.json()["access_token"]
    assert issued.json()["scope"] == "dossiers:read" and issued.json()["refresh_token"]

    listed = phone.get("/api/v1/dossiers", headers=bearer(token))
    assert listed.status_code == 200 and [d["code"] for d in listed.json()] == [mine.code]
    assert phone.get(f"/api/v1/dossiers/{someone_elses.code}",
                     headers=bearer(token)).status_code == 404
    # She authorized reading only: the app cannot withdraw her dossier.
    withdraw = phone.post(f"/api/v1/dossiers/{mine.code}/withdraw", "{}",
                          content_type="application/json", headers=bearer(token))
    assert withdraw.status_code == 403 and withdraw.json()["error"] == "insufficient_scope"
    call = ClientCall.objects.filter(client=app, operation="GET /api/v1/dossiers").get()
    assert call.user.username == "congdan" and call.status == 200
    # Her account closed, the app's token stops working.
    User.objects.filter(username="congdan").update(is_active=False)
    closed = phone.get("/api/v1/dossiers", headers=bearer(token))
    assert closed.status_code == 401 and closed.json()["error"] == "invalid_token"


def test_the_administrator_registers_a_system_and_sees_its_secret_once():
    admin = Client()
    assert admin.login(username="admin", password="demo-dichvucong")
    assert admin.get("/quan-tri/apiclients/machineclient/add/").status_code == 200
    missing = admin.post("/quan-tri/apiclients/machineclient/add/", {
        "name": "Ứng dụng", "kind": "app", "scopes": ["dossiers:read"], "rate_limit": 60})
    assert missing.status_code == 200 and missing.context["form"].errors["redirect_uris"]
    page = admin.post("/quan-tri/apiclients/machineclient/add/", {
        "name": "Nền tảng LGSP", "kind": "system", "agency": agency(HAI_CHAU).pk,
        "scopes": ["catalog:read", "dossiers:read"], "rate_limit": 120})
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    client, secret = page.context["client"], page.context["secret"]
    assert client.scope_list == ["catalog:read", "dossiers:read"] and client.rate_limit == 120
    assert secret not in client.application.client_secret  # only its hash is kept
    change = admin.get(f"/quan-tri/apiclients/machineclient/{client.pk}/change/")
    assert change.status_code == 200 and secret not in change.content.decode()
    http = Client()
    assert http.get("/api/v1/dossiers",
                    headers=bearer(access_token(http, client, secret))).status_code == 200
    # Revoking every token from the change page.
    token = access_token(http, client, secret)
    admin.post(f"/quan-tri/apiclients/machineclient/{client.pk}/thu-hoi/")
    assert http.get("/api/v1/dossiers", headers=bearer(token)).status_code == 401
    # A citizen cannot reach any of it.
    citizen = Client()
    assert citizen.login(username="congdan", password="demo-dichvucong")
    assert citizen.post(f"/quan-tri/apiclients/machineclient/{client.pk}/doi-khoa/").status_code \
        == 302


def test_a_system_receives_its_agencys_results_and_their_pdf(system):
    client, secret = system
    dossier = make_dossier("received")
    signed = Result(number="000001/2026/KQ-test", token=secrets.token_hex(16), year=2026,
                    sequence=1, agency=dossier.agency, dossier=dossier, title="Giấy khai sinh",
                    holder_name="Nguyễn Văn An", issue_date=timezone.localdate(),
                    signing_state=SigningState.DONE,
                    pdf_sha256=hashlib.sha256(b"%PDF-1.7 signed").hexdigest())  # checked on read
    signed.pdf.save("kq.pdf", ContentFile(b"%PDF-1.7 signed"), save=True)
    http = Client()
    token = access_token(http, client, secret)
    listed = http.get("/api/v1/results/issued", headers=bearer(token)).json()
    assert [(r["number"], r["dossier_code"], r["ready"]) for r in listed] == [
        (signed.number, dossier.code, True)]
    pdf = http.get(f"/api/v1/results/issued/{signed.token}/pdf", headers=bearer(token))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 signed"
    assert signed.events.filter(kind="downloaded", actor=None).exists()
    # Another agency's system neither lists nor downloads it.
    other, other_secret = services.register(name="Sở Tư pháp", kind=Kind.SYSTEM,
                                            scopes=["results:read"], agency=agency(JUSTICE))
    theirs = access_token(http, other, other_secret)
    assert http.get("/api/v1/results/issued", headers=bearer(theirs)).json() == []
    assert http.get(f"/api/v1/results/issued/{signed.token}/pdf",
                    headers=bearer(theirs)).status_code == 404


def test_the_token_address_is_the_one_the_document_states():
    assert reverse("apiclients:token") == auth.TOKEN_URL
    assert reverse("apiclients:authorize") == auth.AUTHORIZE_URL
