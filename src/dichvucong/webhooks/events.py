"""Which dossier events a system may subscribe to, and the JSON each delivery carries.

Five types, from the dossier's events (``DossierEvent.action``): ``dossier.filed`` (filed online
or entered at the counter), ``dossier.received`` (the reception officer accepted it),
``dossier.result`` (the result was issued), ``dossier.paid`` (the fee was paid), and
``dossier.step`` for every other processing step (assignment, supplement requests, refusal,
return, closing, …). The body names the dossier by its code and carries the step as the API's
history shows it (``/api/v1/dossiers/{code}``): no applicant data, which the system reads
through the API with its token if it needs it.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dichvucong.dossiers.lifecycle import Action
from dichvucong.payments.services import PAYMENT_CONFIRMED


class EventType(StrEnum):
    FILED = "dossier.filed"
    RECEIVED = "dossier.received"
    STEP = "dossier.step"
    RESULT = "dossier.result"
    PAID = "dossier.paid"


LABELS = {
    EventType.FILED: _("Hồ sơ được nộp"),
    EventType.RECEIVED: _("Hồ sơ được tiếp nhận"),
    EventType.STEP: _("Bước xử lý hồ sơ"),
    EventType.RESULT: _("Kết quả được ban hành"),
    EventType.PAID: _("Phí, lệ phí đã nộp"),
}

_BY_ACTION = {
    Action.submit: EventType.FILED,
    Action.enter_walk_in: EventType.FILED,
    Action.receive: EventType.RECEIVED,
    Action.issue_result: EventType.RESULT,
    PAYMENT_CONFIRMED: EventType.PAID,
}


def event_type(event) -> EventType:
    return _BY_ACTION.get(event.action, EventType.STEP)


def payload(event, kind: EventType, key: str) -> dict:
    """The delivery's body. The dossier's code may still be empty (the API numbers a dossier
    after its filing event): the worker fills it in before the first attempt."""
    dossier = event.dossier
    with translation.override("vi"):
        label = event.get_action_label()
    return {
        "id": key,
        "type": kind.value,
        "created_at": event.created_at.isoformat(),
        "dossier": {"code": dossier.code or "", "procedure_code": dossier.procedure.code,
                    "agency_code": dossier.agency.code, "state": event.to_state,
                    "fee_amount": dossier.fee_amount},
        "event": {"action": event.action, "label": label, "from_state": event.from_state,
                  "to_state": event.to_state, "at": event.created_at.isoformat(),
                  "note": event.note},
    }
