"""The transactional outbox: written with the change that causes it, once per dedupe key, for
the channels each recipient chose, in their language; dossier events become messages."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts.models import User
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.notify import texts
from dichvucong.notify.models import Notification, NotificationChannel, Preference, Status
from dichvucong.notify.outbox import enqueue, enqueue_many
from tests import builders
from tests.test_backoffice import make_dossier, user

pytestmark = pytest.mark.django_db


def citizen(phone="0905000111", email="an@example.vn", username="notify-citizen") -> User:
    return User.objects.create(username=username, full_name="Nguyễn Văn An", phone=phone,
                               email=email)


def test_defaults_inbox_plus_sms_and_email_as_the_account_has_them():
    both = citizen()
    rows = enqueue(event="received", context={"code": "X-1"}, dedupe_key="k1", user=both)
    assert sorted(r.channel for r in rows) == ["email", "inapp", "sms"]
    phone_only = citizen(email="", username="phone-only", phone="0905000222")
    rows = enqueue(event="received", context={"code": "X-1"}, dedupe_key="k2", user=phone_only)
    assert sorted(r.channel for r in rows) == ["inapp", "sms"]
    inapp = next(r for r in rows if r.channel == "inapp")
    assert inapp.status == Status.SENT and inapp.read_at is None
    assert all(r.status == Status.PENDING for r in rows if r.channel != "inapp")


def test_preferences_choose_channels_and_language():
    person = citizen()
    Preference.objects.create(user=person, email=False, phone="zalo", language="en")
    rows = enqueue(event="received", context={"code": "X-2", "due": "17:00 01/12/2026"},
                   dedupe_key="k3", user=person)
    assert sorted(r.channel for r in rows) == ["inapp", "zalo"]
    assert rows[0].language == "en"
    assert rows[0].subject == "Dossier X-2 has been received"
    Preference.objects.filter(user=person).update(phone="none")
    person.refresh_from_db()
    rows = enqueue(event="received", context={"code": "X-3"}, dedupe_key="k4", user=person)
    assert [r.channel for r in rows] == ["inapp"]


def test_same_dedupe_key_twice_gives_one_notification():
    person = citizen()
    first = enqueue(event="fee_due", context={"code": "X", "amount": 50000, "reference": "R1"},
                    dedupe_key="fee:1", user=person)
    again = enqueue(event="fee_due", context={"code": "X", "amount": 50000, "reference": "R1"},
                    dedupe_key="fee:1", user=person)
    assert len(first) == 3 and again == []
    assert Notification.objects.filter(dedupe_key="fee:1").count() == 3
    assert "50.000 đ" in first[0].subject


def test_many_at_once_write_what_one_at_a_time_would_and_once():
    # The alert scan's batch: the same rows as ``enqueue`` (channels by preference, language,
    # texts), the same dedupe key never written twice.
    person = citizen()
    other = citizen(email="", username="other", phone="0905000333")
    Preference.objects.create(user=other, language="en")
    context = {"code": "X", "amount": 50000, "reference": "R1"}
    one = enqueue(event="fee_due", context=context, dedupe_key="one", user=other)
    messages = [{"event": "fee_due", "context": context, "dedupe_key": f"many:{u.pk}", "user": u}
                for u in (person, other)]
    assert enqueue_many(messages) == 5
    enqueue_many([*messages, {**messages[1], "dedupe_key": "one"}])
    written = Notification.objects.filter(dedupe_key__startswith="many:")
    assert sorted(written.values_list("user__username", "channel")) == [
        ("notify-citizen", "email"), ("notify-citizen", "inapp"), ("notify-citizen", "sms"),
        ("other", "inapp"), ("other", "sms")]
    fields = ("channel", "language", "subject", "body", "short_text", "status", "to")
    assert ({tuple(getattr(r, f) for f in fields) for r in written.filter(user=other)}
            == {tuple(getattr(r, f) for f in fields) for r in one})
    assert Notification.objects.filter(dedupe_key="one").count() == 2


def test_an_unknown_event_writes_nothing():
    with pytest.raises(KeyError):
        enqueue(event="no-such-event", context={}, dedupe_key="k", user=citizen())
    assert not Notification.objects.exists()


def test_a_change_that_rolls_back_leaves_no_notification():
    dossier = make_dossier("submitted")
    officer = user("motcua.haichau")
    before = Notification.objects.count()

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        actions.perform(dossier.pk, Action.receive, officer, LifecycleRole.reception_officer)
        builders.derive()
        assert Notification.objects.count() > before  # written after the change …
        raise Crash  # … and the process fails before the commit
    assert Notification.objects.count() == before
    dossier.refresh_from_db()
    assert dossier.state == "submitted"


def test_dossier_events_become_messages_for_the_applicant():
    dossier = make_dossier("received")
    applicant = dossier.applicant
    events = {n.event for n in Notification.objects.filter(dossier=dossier, user=applicant)}
    assert {"submitted", "received"} <= events
    received = Notification.objects.get(dossier=dossier, event="received", channel="inapp")
    assert dossier.code in received.subject and received.link == f"/ho-so/{dossier.code}/"
    assert "Hẹn trả kết quả" in received.body
    # The same event saved again (a replay) adds nothing: the key is the event's id.
    event = DossierEvent.objects.filter(dossier=dossier, action="receive").get()
    from dichvucong.notify.dossier_events import notify_for_event

    assert notify_for_event(event) == []


def test_supplement_request_carries_what_is_missing_and_payments_events_map():
    dossier = make_dossier("processing_supplement")
    note = Notification.objects.get(dossier=dossier, event="supplement_requested",
                                    channel="inapp")
    assert "Giấy chứng sinh" in note.body
    DossierEvent.objects.create(dossier=dossier, action="fee_requested", to_state=dossier.state,
                                actor_role="system", data={"amount": 30000, "reference": "P9"})
    builders.derive()
    fee = Notification.objects.get(dossier=dossier, event="fee_due", channel="inapp")
    assert "30.000 đ" in fee.subject and "P9" in fee.body
    DossierEvent.objects.create(dossier=dossier, action="payment_confirmed",
                                to_state=dossier.state, actor_role="system",
                                data={"amount": 30000, "reference": "P9"})
    builders.derive()
    assert Notification.objects.filter(dossier=dossier, event="payment_confirmed").exists()


def test_walk_in_applicant_without_account_gets_sms_at_the_dossiers_number():
    dossier = make_dossier("submitted")
    Dossier.objects.filter(pk=dossier.pk).update(applicant=None, applicant_phone="0905999888",
                                                 applicant_email="")
    actions.perform(dossier.pk, Action.receive, user("motcua.haichau"),
                    LifecycleRole.reception_officer)
    builders.derive()
    rows = Notification.objects.filter(dossier=dossier, event="received")
    assert [(r.channel, r.to) for r in rows] == [("sms", "0905999888")]


def test_every_event_renders_in_both_languages_and_sms_fits_one_segment():
    context = {"code": "000.00.12.H17-261123-0012", "procedure": "Đăng ký khai sinh " * 5,
               "agency": "Ủy ban nhân dân phường Hải Châu", "name": "Nguyễn Văn An",
               "at": "08:00 23/11/2026", "due": "17:00 30/11/2026", "new_due": "17:00 04/12/2026",
               "note": "Thiếu giấy chứng sinh", "amount": 1500000, "reference": "DVC26112300001",
               "step": "Thẩm định"}
    for event in texts.EVENTS:
        for language in ("vi", "en"):
            rendered = texts.render(event, context, language)
            assert rendered.subject and rendered.paragraphs, (event, language)
            assert "%(" not in rendered.subject + rendered.body + rendered.sms
            assert len(rendered.sms) <= texts.SMS_MAX_ASCII
            assert rendered.sms.isascii(), (event, rendered.sms)
            for key, value in rendered.template_data.items():
                assert len(value) <= texts.ZNS_LIMITS[key]
    vi = texts.render("received", context, "vi")
    assert vi.sms.startswith("Ho so 000.00.12.H17-261123-0012 da duoc tiep nhan")
    assert texts.render("received", context, "en").subject.startswith("Dossier ")


def test_fold_keeps_every_vietnamese_letter_readable():
    folded = texts.fold("Đường Hải Châu, phường Thạc Gián: ỹ ự ằ Ơ")
    assert folded == "Duong Hai Chau, phuong Thac Gian: y u a O"
    assert texts.sms_text("Hồ sơ đã xong", unicode=True) == "Hồ sơ đã xong"


def test_alert_texts_for_officials_use_the_outbox():
    official = user("chuyenvien.haichau")
    rows = enqueue(event="alert.overdue", context={"code": "X-9", "due": "17:00 01/12/2026"},
                   dedupe_key="alert:overdue:X-9", user=official, channels=["inapp"])
    assert [r.channel for r in rows] == [NotificationChannel.INAPP]
    assert "quá hạn" in rows[0].subject


@given(st.text(max_size=400))
def test_any_text_becomes_one_ascii_sms_segment(text):
    sms = texts.sms_text(text, unicode=False)
    assert sms.isascii() and len(sms) <= texts.SMS_MAX_ASCII
    assert texts.fold(sms) == sms  # folding is idempotent
    assert len(texts.sms_text(text, unicode=True)) <= texts.SMS_MAX_UNICODE


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộ"
               "ớờởỡợúùủũụứừửữựýỳỷỹỵ ", max_size=200))
def test_folding_vietnamese_keeps_one_letter_per_letter(text):
    folded = texts.fold(text)
    assert len(folded) == len(text) and folded.isascii()


def test_the_officer_who_asked_for_a_supplement_hears_of_the_answer():
    dossier = make_dossier("reception_supplement")
    actions.perform(dossier.pk, Action.provide_supplement, dossier.applicant,
                    LifecycleRole.applicant)
    builders.derive()
    officer = user("motcua.haichau")
    note = Notification.objects.get(dossier=dossier, event="supplement_provided", user=officer)
    assert note.channel == "inapp" and note.link == f"/mot-cua/ho-so/{dossier.code}/"
