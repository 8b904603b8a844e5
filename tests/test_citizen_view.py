"""What the citizen is told (issue #14, item 14): the rules of ``dossiers.citizen_view``, tested
directly. Through the citizen's doors: ``test_citizen_pages.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from dichvucong.dossiers import citizen_view
from dichvucong.dossiers.lifecycle import Action, State
from dichvucong.dossiers.models import OTHER_EVENT_LABELS
from tests.test_citizen_pages import INTERNAL_NOTE, JARGON

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def event(action: str, minutes: int = 0, note: str = "", role: str = "specialist", **data):
    return SimpleNamespace(action=action, created_at=START + timedelta(minutes=minutes),
                           note=note, data=data, actor_role=role, to_state="examining")


# --- the rules ---------------------------------------------------------------------------------


def test_every_event_kind_is_decided_with_its_reason():
    kinds = {a.value for a in Action} | set(OTHER_EVENT_LABELS)
    assert kinds <= set(citizen_view.EVENTS), kinds - set(citizen_view.EVENTS)
    for kind, rule in citizen_view.EVENTS.items():
        assert rule.why, kind
        assert not any(word in str(rule.label) for word in JARGON), kind
    assert set(citizen_view.STATES) == {s.value for s in State}
    assert not any(word in str(label) for label in citizen_view.STATES.values()
                   for word in JARGON)


def test_internal_steps_merge_into_one_neutral_entry_without_their_notes():
    entries = citizen_view.timeline([
        event("submit", 0, role="applicant"), event("receive", 1, "Đủ hồ sơ", "reception_officer"),
        event("assign", 2, "Giao đồng chí Phương", "leader"), event("examine", 3, INTERNAL_NOTE),
        event("send_back", 4, "Xem lại căn cứ", "leader"), event("examine", 5, INTERNAL_NOTE),
        event("request_supplement", 6, "- Giấy chứng sinh\n- Bản sao CCCD"),
        event("provide_supplement", 7, "Gửi bản rõ hơn", "applicant"),
        event("examine", 8, INTERNAL_NOTE), event("approve", 9, "Đồng ý", "leader"),
    ])
    assert [(e.label, e.note) for e in entries] == [
        ("Đã nộp hồ sơ", ""), ("Hồ sơ đã được tiếp nhận", ""), ("Hồ sơ đang được xử lý", ""),
        ("Cơ quan đề nghị bổ sung hồ sơ", "Giấy chứng sinh; Bản sao CCCD"),
        ("Đã bổ sung hồ sơ", "Gửi bản rõ hơn"), ("Hồ sơ đang được xử lý", "")]
    assert entries[2].at == START + timedelta(minutes=2)  # the run's first step


def test_notes_addressed_to_the_citizen_and_only_those():
    apology = event("apology", note="Chờ kết quả xác minh", role="leader",
                    new_due_at="2026-12-10T17:00:00+07:00")
    [entry] = citizen_view.timeline([apology])
    assert entry.note == "Chờ kết quả xác minh. Ngày hẹn trả kết quả mới: 17:00 10/12/2026"
    for action in ("reject", "refuse", "pause"):
        assert citizen_view.timeline([event(action, note="Lý do X")])[0].note == "Lý do X"
    # The applicant's own words, not an officer's remark when recording it at the counter.
    assert citizen_view.timeline([event("provide_supplement", note="Ghi chú quầy",
                                        role="reception_officer")])[0].note == ""
    # The public lookup shows no note at all; an unknown kind shows nothing.
    assert citizen_view.timeline([event("reject", note="Lý do X")], notes=False)[0].note == ""
    assert citizen_view.timeline([event("internal_audit", note="x")]) == []


@given(st.lists(st.tuples(st.sampled_from(sorted(citizen_view.EVENTS)),
                          st.text(min_size=1, max_size=20)), max_size=12))
def test_a_note_is_shown_only_for_an_event_whose_note_is_for_the_citizen(steps):
    # Officers wrote every note here: an applicant's own note (supplement, withdrawal) is
    # not among them.
    events = [event(action, i, f"«{i}:{text}»") for i, (action, text) in enumerate(steps)]
    shown = " ".join(e.note for e in citizen_view.timeline(events))
    for i, (action, _text) in enumerate(steps):
        rule = citizen_view.EVENTS[action]
        hidden = not rule.note or action in citizen_view.APPLICANT_NOTES
        assert (f"«{i}:" in shown) is (not hidden), (action, shown)


def test_the_status_says_a_digital_result_is_there_to_download():
    assert citizen_view.status("result_ready") == "Đã có kết quả, chờ nhận"
    assert citizen_view.status("result_ready", result_available=True) == \
        "Đã có kết quả — tải về"
    assert citizen_view.status("done", result_available=True) == "Đã có kết quả — tải về"
    assert citizen_view.status("awaiting_approval") == "Đang xử lý"
    assert citizen_view.status("examining", result_available=True) == "Đang xử lý"


def test_notifications_to_the_applicant_follow_the_same_rules():
    """The applicant's messages (notify.dossier_events) go only for events the citizen sees,
    and carry the note only where the citizen's timeline shows it."""
    from dichvucong.notify.dossier_events import APPLICANT_EVENTS
    from dichvucong.notify.texts import EVENTS as TEXTS

    for action, message in APPLICANT_EVENTS.items():
        rule = citizen_view.EVENTS[action]
        assert not rule.internal, action
        spec = TEXTS[message]
        carries_note = any("%(note)s" in str(p) for p in (spec.subject, *spec.paragraphs))
        assert not carries_note or rule.note, action
