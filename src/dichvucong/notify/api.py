"""The inbox and notification choices in the JSON API (/api/v1/notifications…), for the
citizen's app: the same rules as the pages (one's own messages only; session login with its
CSRF token)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import StrictBool

from dichvucong.notify import inbox
from dichvucong.notify.models import Preference
from dichvucong.notify.preferences import preference_of

router = Router(tags=["notifications"], auth=django_auth)


class NotificationOut(Schema):
    id: int
    event: str
    subject: str
    body: str
    link: str
    dossier_code: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    items: list[NotificationOut]
    unread: int
    older: int | None  # pass as ``before`` for the next page


class ReadOut(Schema):
    changed: int


class PreferenceIO(Schema):
    email: StrictBool  # true or false, not 0 or "yes"
    phone: Literal["sms", "zalo", "none"]  # zalo: SMS when Zalo cannot deliver
    language: Literal["vi", "en"]


@router.get("", response=InboxOut, summary="Hộp thư: thông báo của tôi (mới nhất trước)")
def list_inbox(request, before: int | None = None):
    rows, older = inbox.messages_for(request.user.pk, before)
    items = [NotificationOut(id=r.pk, event=r.event, subject=r.subject, body=r.body,
                             link=r.link, dossier_code=r.dossier.code if r.dossier else None,
                             created_at=r.created_at, read_at=r.read_at) for r in rows]
    return InboxOut(items=items, unread=inbox.unread_count(request.user.pk),
                    older=rows[-1].pk if older and rows else None)


@router.post("/read", response=ReadOut, summary="Đánh dấu tất cả là đã đọc")
def read_all(request):
    return ReadOut(changed=inbox.mark_read(request.user.pk))


@router.post("/{notification_id}/read", response=ReadOut, summary="Đánh dấu một thông báo đã đọc")
def read_one(request, notification_id: int):
    return ReadOut(changed=inbox.mark_read(request.user.pk, notification_id))


@router.get("/preferences", response=PreferenceIO, summary="Cách nhận thông báo")
def get_preferences(request):
    pref = preference_of(request.user)
    return PreferenceIO(email=pref.email, phone=pref.phone, language=pref.language)


@router.put("/preferences", response=PreferenceIO, summary="Đổi cách nhận thông báo")
def put_preferences(request, payload: PreferenceIO):
    if payload.phone not in Preference.Phone.values:
        raise HttpError(422, "phone: sms, zalo hoặc none")
    if payload.language not in ("vi", "en"):
        raise HttpError(422, "language: vi hoặc en")
    pref = preference_of(request.user)
    pref.email, pref.phone, pref.language = payload.email, payload.phone, payload.language
    pref.save()
    return payload
