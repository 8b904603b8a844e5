"""Shared by the payment tests: a procedure with a fee, dossiers that owe it, and the local VNPay
sandbox gateway on a free port."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.models import Procedure
from dichvucong.catalog.services import import_definitions
from dichvucong.dossiers import actions, submission
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.sandbox import MerchantAccount, Sandbox, serve

HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"


def fee_procedure(code: str = "TST.700001", *, amount: int = 20000, online_amount: int = 10000,
                  collect_at: str = "reception") -> Procedure:
    """A ward procedure, fully online, whose fee is reduced online."""
    import_definitions([ProcedureDefinition.model_validate({
        "code": code, "name": f"Thủ tục có lệ phí {code}", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "fees": [{"name": "Lệ phí thử", "amount": amount, "online_amount": online_amount,
                  "collect_at": collect_at}],
        "documents": [{"name": "Tờ khai", "mandatory": False}],
    })])
    return Procedure.objects.select_related("current_version").get(code=code)


def hai_chau() -> Agency:
    return Agency.objects.get(name=HAI_CHAU)


def submitted_dossier(citizen: User, procedure: Procedure | None = None) -> Dossier:
    procedure = procedure or fee_procedure()
    draft = submission.start_draft(procedure, citizen, hai_chau())
    return submission.submit(draft, citizen, {}, "online")


def due_dossier(citizen: User, procedure: Procedure | None = None) -> Dossier:
    """Submitted online and received by Hải Châu's reception officer: the fee is due."""
    dossier = submitted_dossier(citizen, procedure)
    officer = User.objects.get(username="motcua.haichau")
    actions.perform(dossier.pk, Action.receive, officer, LifecycleRole.reception_officer)
    return Dossier.objects.get(pk=dossier.pk)


class Capture:
    """A stand-in merchant IPN endpoint recording what the gateway sends; replies as told."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.replies: list[tuple[int, dict]] = []  # used in order, then RspCode 00
        self.event = threading.Event()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the base class's name
                capture.queries.append(self.path.split("?", 1)[1] if "?" in self.path else "")
                status, body = (capture.replies.pop(0) if capture.replies
                                else (200, {"RspCode": "00", "Message": "Confirm Success"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if status == 200 and body.get("RspCode") in ("00", "02"):
                    capture.event.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ipn"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_sandbox(settings, ipn_url: str, **options) -> tuple[Sandbox, object]:
    sandbox = Sandbox(merchants={settings.VNPAY_TMN_CODE: MerchantAccount(
        settings.VNPAY_TMN_CODE, settings.VNPAY_HASH_SECRET, ipn_url)},
        ipn_interval=options.pop("ipn_interval", 0.1), ipn_timeout=5, **options)
    server = serve(sandbox, port=0, forever=False)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    settings.VNPAY_URL = f"http://127.0.0.1:{server.server_port}/paymentv2/vpcpay.html"
    return sandbox, server


@pytest.fixture
def ipn_capture():
    capture = Capture()
    yield capture
    capture.close()


@pytest.fixture
def vnpay_sandbox(settings, ipn_capture):
    """The sandbox gateway on a free port, sending its IPNs to ``ipn_capture``."""
    sandbox, server = start_sandbox(settings, ipn_capture.url)
    yield sandbox
    server.shutdown()
    server.server_close()
