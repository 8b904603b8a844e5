"""Issue #17 item 5: signed webhooks to registered systems.

The receiver here is an agency's endpoint written from the documentation: a small HTTP server
in a thread whose only check is the ``verify`` snippet read from docs/webhooks.md. It verifies
every delivery the worker sends and refuses a tampered body, a tampered timestamp and a stale
one. The worker is run the way huey runs it (``worker.deliver_due``); the tests' transactions
never commit, so the after-commit kick is not what delivers here."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.db import transaction
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.apiclients import services
from dichvucong.apiclients.scopes import CATALOG_READ, DOSSIERS_READ
from dichvucong.apiclients.services import Kind
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.payments.models import DossierFee
from dichvucong.payments.services import record_cash
from dichvucong.webhooks import events, outbox, signing, worker
from dichvucong.webhooks.checks import webhook_checks
from dichvucong.webhooks.models import Delivery, DeliveryState, Subscription
from tests import builders
from tests.builders import HAI_CHAU, JUSTICE, agency
from tests.payments_support import due_dossier
from tests.test_api_clients import access_token, bearer
from tests.test_backoffice import client_for, justice_procedure, make_dossier
from tests.test_nationalsync import drive_through_the_back_office

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"


def documented_verify():
    """The ``verify`` function of the documentation's Python snippet, as a reader copies it."""
    snippet = re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


class Receiver:
    """Receiving endpoints, one path per subscription: each request is checked with the
    documented snippet under that path's secret; answers 400 when it does not verify, else the
    next planned answer (a status, or "hang": no answer until ``release``), else 204."""

    def __init__(self) -> None:
        self.verify = documented_verify()
        self.secrets: dict[str, str] = {}
        self.received: list[dict] = []
        self.plan: list = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = receiver.verify(receiver.secrets.get(self.path, ""),
                                           self.headers.get(signing.HEADER, ""), body)
                answer = receiver.plan.pop(0) if verified and receiver.plan else 204
                receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "verified": verified,
                                          "answer": answer if verified else 400})
                if answer == "hang":
                    receiver.release.wait(10)
                    return
                self.send_response(answer if verified else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def at(self, path: str) -> list[dict]:
        return [r for r in self.received if r["path"] == path]

    def post(self, path: str, body: bytes, header: str) -> int:
        return requests.post(self.url(path), data=body, timeout=5,
                             headers={signing.HEADER: header}).status_code


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


def subscribe(receiver: Receiver, path: str, where: str = HAI_CHAU, *, events=(),
              scopes=(DOSSIERS_READ,), active: bool = True) -> Subscription:
    client, secret = services.register(name=f"Hệ thống {path}", kind=Kind.SYSTEM,
                                       scopes=list(scopes), agency=agency(where))
    subscription = Subscription.objects.create(client=client, url=receiver.url(path),
                                               events=" ".join(events), active=active,
                                               secret=signing.new_secret())
    receiver.secrets[path] = subscription.secret
    subscription.client_secret = secret  # to get the system's own token
    return subscription


def bodies(received: list[dict]) -> list[dict]:
    return [json.loads(r["body"]) for r in received]


def test_events_arrive_signed_in_order_and_only_to_systems_that_may_see_them(
        receiver, monkeypatch, caplog):
    ours = subscribe(receiver, "/hai-chau")
    subscribe(receiver, "/ket-qua", events=["dossier.result"])
    subscribe(receiver, "/so-tu-phap", JUSTICE)
    subscribe(receiver, "/khong-pham-vi", scopes=[CATALOG_READ])
    subscribe(receiver, "/tam-dung", active=False)
    dossier = make_dossier("submitted")
    drive_through_the_back_office(dossier)
    paid = due_dossier(User.objects.get(username="congdan"))
    record_cash(paid, User.objects.get(username="motcua.haichau"),
                DossierFee.objects.get(dossier=paid).amount)
    theirs = make_dossier(where=JUSTICE, procedure=justice_procedure())

    report = worker.deliver_due()
    assert report.retried == report.failed == 0
    assert report.delivered == Delivery.objects.count() == len(receiver.received)
    assert all(r["verified"] and r["answer"] == 204 for r in receiver.received)

    sent = bodies(receiver.at("/hai-chau"))
    dossier.refresh_from_db()
    paid.refresh_from_db()
    for_dossier = [b for b in sent if b["dossier"]["code"] == dossier.code]
    assert [b["type"] for b in for_dossier] == [
        "dossier.filed", "dossier.received", "dossier.step", "dossier.step", "dossier.step",
        "dossier.result", "dossier.step", "dossier.step"]
    assert [b["event"]["to_state"] for b in for_dossier] == [
        e.to_state for e in dossier.events.all()]
    assert for_dossier[1]["event"]["label"] == "Tiếp nhận"
    assert for_dossier[1]["dossier"]["agency_code"] == agency(HAI_CHAU).code
    assert [b["type"] for b in sent if b["dossier"]["code"] == paid.code][-1] == "dossier.paid"
    assert len(sent) == dossier.events.count() + paid.events.count()
    for request, body in zip(receiver.at("/hai-chau"), sent, strict=True):
        assert request["headers"]["X-DVC-Delivery"] == body["id"]
        assert request["headers"]["X-DVC-Event"] == body["type"]
    # Only the result, to the subscription that asked for it; the other agency's system gets
    # its own dossier's events only; without dossiers:read or paused: nothing.
    assert [(b["type"], b["dossier"]["code"]) for b in bodies(receiver.at("/ket-qua"))] == [
        ("dossier.result", dossier.code)]
    assert {b["dossier"]["code"] for b in bodies(receiver.at("/so-tu-phap"))} == {theirs.code}
    assert receiver.at("/khong-pham-vi") == receiver.at("/tam-dung") == []
    assert set(Delivery.objects.values_list("state", "response_status", "attempts")) == {
        (DeliveryState.DELIVERED, 204, 1)}
    assert worker.deliver_due().handled == 0  # nothing is sent twice
    assert outbox.record_event(dossier.events.last()) == []  # an event recorded twice: once

    # Tampering, checked by the documented snippet: the body, the timestamp, a stale signature.
    request = next(r for r in receiver.at("/hai-chau")
                   if json.loads(r["body"])["type"] == "dossier.received")
    body, header = request["body"], request["headers"][signing.HEADER]
    stamp = int(re.match(r"t=(\d+),", header).group(1))
    assert receiver.post("/hai-chau", body.replace(b'"received"', b'"rejected"'), header) == 400
    assert receiver.post("/hai-chau", body, header.replace(f"t={stamp}", f"t={stamp + 1}")) == 400
    now = int(time.time())
    assert receiver.post("/hai-chau", body, signing.signature(ours.secret, now, body)) == 204
    assert receiver.post("/hai-chau", body, signing.signature(ours.secret, now - 600, body)) == 400
    assert receiver.post("/hai-chau", body, signing.signature("whsec_other", now, body)) == 400

    # A change that rolls back leaves no delivery; a broken one never blocks the change.
    count = Delivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.perform(paid.pk, Action.assign, User.objects.get(username="lanhdao.haichau"),
                        LifecycleRole.leader)
        raise RuntimeError
    assert Delivery.objects.count() == count

    def broken(*args):
        raise ValueError("broken")

    monkeypatch.setattr(events, "payload", broken)
    actions.perform(paid.pk, Action.assign, User.objects.get(username="lanhdao.haichau"),
                    LifecycleRole.leader)
    builders.derive()
    paid.refresh_from_db()
    assert paid.state == "examining" and Delivery.objects.count() == count
    assert "pipeline: step webhooks failed" in caplog.text


def test_failures_are_retried_with_backoff_then_delivered_and_the_operator_resends(
        receiver, settings, admin_client):
    settings.WEBHOOK_TIMEOUT = 0.3
    settings.WEBHOOK_BACKOFF_SECONDS = 60
    subscription = subscribe(receiver, "/hai-chau")
    dossier = make_dossier("received")  # filed and received: two deliveries
    receiver.plan = [500, "hang", 503]

    def due_now():  # the backoff has passed
        Delivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())

    report = worker.deliver_due()
    first, second = Delivery.objects.filter(subscription=subscription)
    assert report.retried == 1 and report.delivered == 0
    assert (first.state, first.attempts, first.response_status) == (DeliveryState.PENDING, 1, 500)
    assert first.last_error == "Địa chỉ nhận trả lời HTTP 500"
    assert 30 <= (first.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert second.attempts == 0  # held back behind the dossier's earlier event
    page = admin_client.get(f"/quan-tri/webhooks/delivery/?subscription__id__exact="
                            f"{subscription.pk}").content.decode()
    assert "Địa chỉ nhận trả lời HTTP 500" in page and dossier.code in page

    due_now()
    assert worker.deliver_due().retried == 1  # no answer within WEBHOOK_TIMEOUT
    first.refresh_from_db()
    assert (first.attempts, first.response_status) == (2, None)
    assert "Timeout" in first.last_error
    receiver.release.set()
    due_now()
    assert worker.deliver_due().retried == 1  # 503
    due_now()
    report = worker.deliver_due()
    assert report.delivered == 2 and report.retried == 0
    first.refresh_from_db()
    assert (first.state, first.attempts, first.response_status) == (
        DeliveryState.DELIVERED, 4, 204)
    attempts = receiver.at("/hai-chau")
    assert [r["answer"] for r in attempts] == [500, "hang", 503, 204, 204]
    assert all(r["verified"] for r in attempts)
    assert {r["body"] for r in attempts[:4]} == {attempts[0]["body"]}  # same bytes each time
    assert [json.loads(r["body"])["type"] for r in attempts[3:]] == [
        "dossier.filed", "dossier.received"]

    # Out of attempts: failed, listed for the operator, resent from the list.
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.plan = [500]
    actions.perform(dossier.pk, Action.assign, User.objects.get(username="lanhdao.haichau"),
                    LifecycleRole.leader)
    builders.derive()
    assert worker.deliver_due().failed == 1
    failed = Delivery.objects.get(state=DeliveryState.FAILED)
    assert failed.next_attempt_at is None
    page = admin_client.get("/quan-tri/webhooks/delivery/?state=failed").content.decode()
    assert dossier.code in page and "Gửi lỗi" in page
    response = admin_client.post("/quan-tri/webhooks/delivery/", {
        "action": "resend", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    assert worker.deliver_due().delivered == 1
    failed.refresh_from_db()
    assert (failed.state, failed.response_status) == (DeliveryState.DELIVERED, 204)
    assert json.loads(receiver.received[-1]["body"])["id"] == failed.key

    # The receiving system's operator reads its own log and asks for a resend with its token.
    http = Client()
    token = access_token(http, subscription.client, subscription.client_secret)
    log = http.get("/api/v1/webhooks/deliveries", headers=bearer(token)).json()
    assert [(d["id"], d["state"], d["response_status"], d["attempts"]) for d in log] == [
        (failed.key, "delivered", 204, 1), (second.key, "delivered", 204, 1),
        (first.key, "delivered", 204, 4)]
    assert log[2]["event_type"] == "dossier.filed" and log[2]["dossier_code"] == dossier.code
    resent = http.post(f"/api/v1/webhooks/deliveries/{first.key}/resend", headers=bearer(token))
    assert resent.status_code == 202 and resent.json()["state"] == "pending"
    pending = http.get("/api/v1/webhooks/deliveries?state=pending", headers=bearer(token))
    assert [d["id"] for d in pending.json()] == [first.key]
    assert http.post(f"/api/v1/webhooks/deliveries/{first.key}/resend",
                     headers=bearer(token)).status_code == 409  # already waiting
    assert worker.deliver_due().delivered == 1
    assert json.loads(receiver.received[-1]["body"])["id"] == first.key
    # Another system finds nothing of this one's; a person's session is not a system.
    other = subscribe(receiver, "/khac", JUSTICE)
    other_token = access_token(http, other.client, other.client_secret)
    assert http.get("/api/v1/webhooks/deliveries", headers=bearer(other_token)).json() == []
    assert http.post(f"/api/v1/webhooks/deliveries/{first.key}/resend",
                     headers=bearer(other_token)).status_code == 404
    assert client_for("motcua.haichau").get("/api/v1/webhooks/deliveries").status_code == 401
    # The log is for staff with the permission.
    assert client_for("motcua.haichau").get("/quan-tri/webhooks/delivery/").status_code == 302


def test_an_administrator_subscribes_a_system_and_sees_its_secret_once(
        receiver, admin_client, settings, django_capture_on_commit_callbacks):
    system, _ = services.register(name="Phần mềm một cửa phường Hải Châu", kind=Kind.SYSTEM,
                                  scopes=[DOSSIERS_READ], agency=agency(HAI_CHAU))
    citywide, _ = services.register(name="Hệ thống cấp thành phố", kind=Kind.SYSTEM,
                                    scopes=[DOSSIERS_READ])
    form = {"url": receiver.url("/moi"), "event_types": ["dossier.received"], "active": "on"}
    refused = admin_client.post("/quan-tri/webhooks/subscription/add/",
                                {**form, "client": citywide.pk})
    assert refused.status_code == 200 and not Subscription.objects.exists()  # sees no dossier
    response = admin_client.post("/quan-tri/webhooks/subscription/add/",
                                 {**form, "client": system.pk})
    subscription = Subscription.objects.get()
    assert subscription.secret.startswith("whsec_") and subscription.events == "dossier.received"
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    change = admin_client.get(f"/quan-tri/webhooks/subscription/{subscription.pk}/change/")
    assert change.status_code == 200 and subscription.secret not in change.content.decode()
    old = subscription.secret
    rotated = admin_client.post(f"/quan-tri/webhooks/subscription/{subscription.pk}/doi-khoa/")
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in rotated.content.decode()
    assert admin_client.get(
        f"/quan-tri/webhooks/subscription/{subscription.pk}/doi-khoa/").status_code == 405

    receiver.secrets["/moi"] = subscription.secret
    with django_capture_on_commit_callbacks(execute=True):  # the commit kicks the worker
        make_dossier("received")
    [request] = receiver.at("/moi")
    assert request["verified"] and json.loads(request["body"])["type"] == "dossier.received"

    settings.WEBHOOK_TIMEOUT, settings.WEBHOOK_LEASE_SECONDS = 40, 60
    assert [w.id for w in webhook_checks(None)] == ["dichvucong.webhooks.W001"]
    settings.WEBHOOK_LEASE_SECONDS = 80
    assert webhook_checks(None) == []
