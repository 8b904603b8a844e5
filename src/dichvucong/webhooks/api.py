"""The delivery log for the receiving system itself (/api/v1/webhooks…): its operator, who has
no account in /quan-tri/, reads what was sent to its subscriptions (state, its own status code,
attempts, the next try, the last error) and asks for a resend, with the system's own token
(client credentials, ``dossiers:read``). Nothing of another system's is found."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import DOSSIERS_READ
from dichvucong.core.apidoc import Problem
from dichvucong.webhooks import outbox
from dichvucong.webhooks.models import Delivery, DeliveryState

router = Router(tags=["webhooks"])
SYSTEM = [OAuth2(DOSSIERS_READ)]


class DeliveryOut(Schema):
    id: str  # the body's ``id`` and the X-DVC-Delivery header
    seq: int  # for paging (``before``)
    subscription: int
    url: str
    event_type: str
    dossier_code: str
    state: str
    response_status: int | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


def _out(row: Delivery) -> dict:
    return {"id": row.key, "seq": row.pk, "subscription": row.subscription_id,
            "url": row.subscription.url, "event_type": row.event_type,
            "dossier_code": row.dossier.code or "", "state": row.state,
            "response_status": row.response_status, "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at, "last_error": row.last_error,
            "created_at": row.created_at, "delivered_at": row.delivered_at}


def _own(request):
    call = system_call(request)
    if call is None:
        raise HttpError(403, "Chỉ hệ thống kết nối (mã truy cập client credentials) xem được "
                             "nhật ký gửi webhook của mình.")
    return (Delivery.objects.filter(subscription__client=call.client)
            .select_related("subscription", "dossier"))


@router.get("/deliveries", response={200: list[DeliveryOut], 403: Problem}, auth=SYSTEM,
            summary="The system's webhook deliveries, newest first")
def list_deliveries(request, state: DeliveryState | None = None, before: int | None = None,
                    limit: int = 50):
    """Keyset pagination: ``before`` is the ``seq`` of the last delivery of the previous page."""
    qs = _own(request).order_by("-id")
    if state is not None:
        qs = qs.filter(state=state)
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [_out(row) for row in qs[:max(1, min(limit, 200))]]


@router.post("/deliveries/{key}/resend", response={202: DeliveryOut, 403: Problem,
                                                   404: Problem, 409: Problem},
             auth=SYSTEM, summary="Send a failed or delivered delivery again")
def resend_delivery(request, key: str):
    """The same body and ``id``, due now; one still waiting for its turn is left as it is."""
    row = get_object_or_404(_own(request), key=key)
    with transaction.atomic():
        if not outbox.resend([row.pk]):
            raise HttpError(409, "Lượt gửi này đang chờ gửi.")
    row.refresh_from_db()
    return Status(202, _out(row))
