"""The OpenAPI document at /api/v1/openapi.json tells the truth about the API (issue #14 item 8).

Schemathesis reads the document from the app and sends every operation generated requests, valid
and invalid, through the WSGI application (in the test's transaction); each answer must not be a
server error, must have a documented status code and content type, must match the documented
schema, invalid requests must be refused and valid ones accepted. Bounded: a fixed number of
examples per operation and a fixed seed, so each run sends the same requests.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.utils import timezone
from schemathesis.config import SchemathesisConfig

from dichvucong.api import api

pytestmark = pytest.mark.django_db

# Who calls each part of the API: the role that may use it, so that calls get past the login.
CALLER_BY_TAG = {"alerts": "ioc", "monitor": "ioc"}
CALLER = "congdan"
AGENT_PATH = "/api/v1/consents/requests"  # an agent asks a citizen for consent
CSRF_TOKEN = "k" * 32  # a CSRF secret, sent as the cookie and the header alike

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # valid data: not refused as invalid
CONFIG_DICT = {
    "seed": 20261207,
    "generation": {
        "max-examples": 12,
        "deterministic": True,
        # The session cookie is ours (a real login, below), not a generated one.
        "with-security-parameters": False,
        "database": "none",
    },
    "phases": {"stateful": {"enabled": False}},
    "operations": [
        # Rules the document cannot state, refused after validation although each parameter is
        # valid alone: a period ending before it starts (422), a confirmation code other than
        # the one sent to the citizen's phone (400). Every other check still applies to them.
        {"include-path-regex": "^/api/v1/monitor/(figures|breakdown|index766|public)$",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}},
        {"include-path": "/api/v1/consents/requests/{request_id}/confirm",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}},
    ],
}
CONFIG = SchemathesisConfig.from_dict(CONFIG_DICT)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application(),
                                        config=CONFIG)


def token_scope(operation) -> str | None:
    """The scope an operation takes an access token with (``OAuth2`` in its security)."""
    for requirement in operation.definition.raw.get("security", []):
        if requirement.get("OAuth2"):
            return requirement["OAuth2"][0]
    return None


# The same checks again with access tokens instead of the session (issue #17), on the operations
# a machine client may call; fewer examples: the operations' own logic was exercised above. The
# catalogue's are left out: open to anyone, they run the same code with a token.
BEARER_CONFIG = SchemathesisConfig.from_dict(
    {**CONFIG_DICT, "generation": {**CONFIG_DICT["generation"], "max-examples": 5}})
bearer_schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=BEARER_CONFIG,
).exclude(lambda ctx: token_scope(ctx.operation) in (None, "catalog:read"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.status_code_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schemathesis.specs.openapi.checks.response_schema_conformance,
    schemathesis.specs.openapi.checks.negative_data_rejection,
    schemathesis.specs.openapi.checks.positive_data_acceptance,
]

_sessions: dict[str, str] = {}


def session_cookie(username: str) -> str:
    """A real session of ``username`` (made by the login, in the test's transaction)."""
    if username not in _sessions:
        client = Client()
        assert client.login(username=username, password="demo-dichvucong")
        _sessions[username] = client.cookies["sessionid"].value
    return _sessions[username]


_tokens: dict[str, str] = {}


def _issuer(scope: str) -> dict[str, str]:
    """A deposit's token is a registered clinic's, so the calls reach the deposit's checks."""
    if scope != "documents:issue":
        return {}
    from dichvucong.results import pki

    return {"issuer_type": "health",
            "issuer_certificate": pki.pem(pki.create_authority("Clinic CA").certificate)}


def access_token(scope: str) -> str:
    """A live access token for ``scope``: to file, one a citizen (congdan) gave her app; to
    read, one of the Hải Châu ward's registered system (its agency's dossiers and figures)."""
    if scope not in _tokens:
        from oauth2_provider.models import AccessToken

        from dichvucong.accounts.models import User
        from dichvucong.agencies.models import Agency
        from dichvucong.apiclients import services

        person = scope == "dossiers:file"
        client, _ = services.register(
            name=f"schemathesis {scope}", kind=services.Kind.APP if person
            else services.Kind.SYSTEM, scopes=[scope], redirect_uris="https://app.example.vn/cb"
            if person else "", agency=None if person
            else Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu"),
            **_issuer(scope))
        raw = secrets.token_urlsafe(30)
        AccessToken.objects.create(
            token=raw, application=client.application, scope=scope,
            user=User.objects.get(username="congdan") if person else None,
            expires=timezone.now() + timedelta(hours=1))
        _tokens[scope] = raw
    return _tokens[scope]


@pytest.fixture(autouse=True)
def _in_the_tests_transaction():
    """Requests go straight to the WSGI application: as Django's test client does, keep the end
    of a request from closing the test's database connection (and its transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    _sessions.clear()  # each test's sessions are rolled back with its transaction
    _tokens.clear()
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        _sessions.clear()
        _tokens.clear()


@schema.parametrize()
def test_every_operation_conforms_to_the_openapi_document(case):
    tags = case.operation.tags or []
    username = next((CALLER_BY_TAG[t] for t in tags if t in CALLER_BY_TAG), CALLER)
    if case.operation.path == AGENT_PATH:
        username = "daily.buudien"
    cookies = {"csrftoken": CSRF_TOKEN}
    if case.operation.definition.raw.get("security"):
        cookies["sessionid"] = session_cookie(username)
    # identity: the WSGI test client does not undo GZipMiddleware's compression.
    case.call_and_validate(checks=CHECKS, cookies=cookies,
                           headers={"X-CSRFToken": CSRF_TOKEN, "Accept-Encoding": "identity"})


@bearer_schema.parametrize()
def test_every_operation_a_machine_client_calls_conforms_with_a_token(case):
    token = access_token(token_scope(case.operation))
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {token}",
                                                   "Accept-Encoding": "identity"})


def test_the_document_states_each_operations_security():
    """The session cookie everywhere a login is needed; OAuth 2.0 (client credentials and
    authorization code) with one scope where a machine client may call."""
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    schemes = document["components"]["securitySchemes"]
    assert schemes["SessionAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}
    flows = schemes["OAuth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert flows["authorizationCode"]["authorizationUrl"] == "/o/authorize/"
    assert set(flows["clientCredentials"]["scopes"]) == {
        "catalog:read", "dossiers:file", "dossiers:read", "results:read", "monitor:read",
        "documents:issue", "handovers:answer"}
    paths = document["paths"]
    assert paths["/api/v1/issuers/documents"]["post"]["security"] == [
        {"OAuth2": ["documents:issue"]}]
    assert paths["/api/v1/dossiers"]["get"]["security"] == [
        {"OAuth2": ["dossiers:read"]}, {"SessionAuth": []}]
    assert paths["/api/v1/dossiers"]["post"]["security"] == [
        {"OAuth2": ["dossiers:file"]}, {"SessionAuth": []}]
    assert paths["/api/v1/catalog/fields"]["get"]["security"] == [{"OAuth2": ["catalog:read"]},
                                                                   {}]
    assert {"OAuth2": ["monitor:read"]} in paths["/api/v1/monitor/figures"]["get"]["security"]
    assert {"OAuth2": ["results:read"]} in paths["/api/v1/results/issued"]["get"]["security"]
    assert "security" not in paths["/api/v1/monitor/public"]["get"]
    assert paths["/api/v1/store/documents"]["get"]["security"] == [{"SessionAuth": []}]
    limited = paths["/api/v1/dossiers"]["get"]["responses"]
    assert "Retry-After" in limited[429]["headers"]
    assert limited[403]["content"]["application/json"]["schema"]["$ref"].endswith("OAuthProblem")


def test_no_two_schemas_share_a_name(monkeypatch):
    """ninja names each component after its class and keeps the last one of a name: two classes
    of one name (the monitor's and the ratings' IndicatorOut) documented one with the other's
    fields. Record every definition the document generator adds and compare."""
    from ninja.openapi.schema import OpenAPISchema

    seen: dict[str, dict] = {}
    clashes: set[str] = set()
    add = OpenAPISchema.add_schema_definitions

    def recording(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if seen.setdefault(name, definition) != definition:
                clashes.add(name)
        add(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", recording)
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    assert seen and not clashes, f"schemas sharing a name: {sorted(clashes)}"
    indicators = document["paths"]["/api/v1/ratings/indicators"]["get"]["responses"][200]
    reference = indicators["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    questionnaire = document["components"]["schemas"][reference]
    item = questionnaire["properties"]["indicators"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][item]["properties"]) == {
        "number", "title", "levels"}


@pytest.mark.parametrize("depth", [500, 100_000])
def test_deeply_nested_json_is_refused_by_every_operation_with_a_json_body(client, depth):
    """Issue #14 item 6, on the ninja API: JSON nested deeper than the decoder (or the
    validator) goes is a 400 or 422 with the problem schema, never a 500."""
    assert client.login(username="congdan", password="demo-dichvucong")
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    nested = "[" * depth + "]" * depth
    bodies = [nested, '{"note": ' + nested + "}", '{"a": ' * depth + "1" + "}" * depth]
    called = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "application/json" not in operation.get("requestBody", {}).get("content", {}):
                continue
            url = path.replace("{", "").replace("}", "")  # any value for a path parameter
            for body in bodies:
                response = getattr(client, method)(url, body, content_type="application/json")
                # Deeper than the decoder goes: not JSON it can read (400). Within its reach: the
                # operation's own answer (422 for a body of the wrong shape, or 404 for the path
                # when the nesting sits in a property the body's schema ignores).
                expected = (400,) if depth > 10_000 else (404, 422)
                assert response.status_code in expected, (method, path, response.content[:200])
                assert "detail" in response.json()
                called += 1
    assert called >= 8 * len(bodies)
