"""The dossier lifecycle rules (dichvucong.dossiers.lifecycle): no database, no Django.

The expected outcomes are written out here by hand, from the domain rules (docs/architecture.md
«Domain rules and their sources»), and never read back from
the module's table: a test that reuses the table it checks cannot fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections import deque
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

os.environ.setdefault("DICHVUCONG_MODE", "test")

from dichvucong.dossiers.lifecycle import (  # noqa: E402
    ACCOUNT_ROLES,
    Action,
    ClockEffect,
    LifecycleRole,
    State,
    TransitionError,
    allowed_actions,
    check,
    national_status,
)

S, A, R, C = State, Action, LifecycleRole, ClockEffect

NOTE = "Thiếu bản sao CCCD của người được ủy quyền."

# --- the expected table, by hand ----------------------------------------------------------------

APPLICANT_SIDE = frozenset({R.applicant, R.system})  # system: relayed from the National Portal
# A supplement handed in at the counter is recorded by the reception officer.
SUPPLEMENT_SIDE = APPLICANT_SIDE | {R.reception_officer}
BEFORE_RECEPTION = [S.submitted, S.reception_supplement]
RECEIVED_NOT_FINISHED = [
    S.received,
    S.examining,
    S.awaiting_review,
    S.awaiting_approval,
    S.approved,
    S.transferred,
    S.processing_supplement,
]

# (state, action) → (target, roles allowed, note required, clock effect). Everything else fails.
EXPECTED: dict[tuple[State, Action], tuple[State, frozenset[LifecycleRole], bool, ClockEffect]] = {
    (S.draft, A.submit): (S.submitted, APPLICANT_SIDE, False, C.none),
    (S.draft, A.enter_walk_in): (S.received, frozenset({R.reception_officer}), False, C.start),
    (S.submitted, A.receive): (S.received, frozenset({R.reception_officer}), False, C.start),
    (S.submitted, A.reject): (S.rejected, frozenset({R.reception_officer}), True, C.end),
    (S.submitted, A.request_supplement): (
        S.reception_supplement,
        frozenset({R.reception_officer}),
        True,
        C.none,
    ),
    (S.reception_supplement, A.provide_supplement): (S.submitted, SUPPLEMENT_SIDE, False, C.none),
    (S.received, A.assign): (S.examining, frozenset({R.leader}), False, C.none),
    (S.examining, A.examine): (S.awaiting_approval, frozenset({R.specialist}), False, C.none),
    (S.examining, A.request_supplement): (
        S.processing_supplement,
        frozenset({R.specialist}),
        True,
        C.pause,
    ),
    (S.processing_supplement, A.provide_supplement): (S.examining, SUPPLEMENT_SIDE, False,
                                                      C.resume),
    (S.examining, A.transfer): (S.transferred, frozenset({R.specialist}), False, C.none),
    (S.transferred, A.take_back): (
        S.examining,
        frozenset({R.specialist, R.system}),
        False,
        C.none,
    ),
    (S.awaiting_approval, A.send_back): (S.examining, frozenset({R.leader}), True, C.none),
    # The first of two approval levels (reached only on a routing with a review step).
    (S.awaiting_review, A.review): (S.awaiting_approval, frozenset({R.leader}), False, C.none),
    (S.awaiting_review, A.send_back): (S.examining, frozenset({R.leader}), True, C.none),
    (S.awaiting_approval, A.approve): (S.approved, frozenset({R.leader}), False, C.none),
    (S.awaiting_approval, A.refuse): (S.refused, frozenset({R.leader}), True, C.end),
    (S.approved, A.issue_result): (
        S.result_ready,
        frozenset({R.specialist, R.system}),
        False,
        C.end,
    ),
    (S.paused, A.resume): (S.examining, frozenset({R.leader}), True, C.resume),
    # Overdue or not, the result goes back: there is no lateness input at all.
    (S.result_ready, A.return_result): (
        S.returned,
        frozenset({R.reception_officer, R.system}),
        False,
        C.none,
    ),
    (S.returned, A.close): (S.done, frozenset({R.reception_officer, R.system}), False, C.none),
}
for _state in BEFORE_RECEPTION + RECEIVED_NOT_FINISHED:
    EXPECTED[(_state, A.withdraw)] = (S.withdrawn, APPLICANT_SIDE, False, C.end)
for _state in RECEIVED_NOT_FINISHED:
    EXPECTED[(_state, A.pause)] = (S.paused, frozenset({R.leader}), True, C.end)

MATRIX = list(product(State, Action, LifecycleRole))
ENDS = {S.done, S.rejected, S.refused, S.withdrawn, S.paused}


def _id(case: tuple[State, Action, LifecycleRole]) -> str:
    return "-".join(case)


def test_matrix_size():
    assert len(MATRIX) == len(State) * len(Action) * len(LifecycleRole) == 17 * 20 * 6
    allowed = sum(role in roles for (_, _), (_, roles, _, _) in EXPECTED.items()
                  for role in LifecycleRole)
    assert allowed == 55  # the other 1,985 combinations must all be refused


@pytest.mark.parametrize("case", MATRIX, ids=_id)
def test_every_state_action_role(case):
    state, action, role = case
    buttons_before = allowed_actions(state, list(LifecycleRole))
    expected = EXPECTED.get((state, action))
    if expected is not None and role in expected[1]:
        target, _, needs_note, clock = expected
        result = check(state, action, role, NOTE)
        assert (result.source, result.action, result.role) == (state, action, role)
        assert result.target == target
        assert result.clock == clock
        assert result.transition.requires_note == needs_note
        if not needs_note:
            assert check(state, action, role).target == target
        return
    code = "not_allowed_from_state" if expected is None else "role_not_allowed"
    with pytest.raises(TransitionError) as raised:
        check(state, action, role, NOTE)
    error = raised.value
    assert error.code == code
    assert (error.state, error.action, error.role) == (state, action, role)
    assert f"«{action.label}»" in error.message
    assert f"«{state.label}»" in error.message
    if code == "role_not_allowed":
        assert role.label in error.message
    # A refused action changes nothing.
    assert allowed_actions(state, list(LifecycleRole)) == buttons_before


NOTED = [(s, a, r) for (s, a), (_, roles, needs, _) in EXPECTED.items() if needs for r in roles]


def test_notes_required_exactly_where_the_rules_say():
    noted = {(s, a) for s, a, _ in NOTED}
    assert noted == {
        (S.submitted, A.reject),  # reason on Mẫu 03
        (S.submitted, A.request_supplement),  # what is missing, all at once (Mẫu 02)
        (S.examining, A.request_supplement),
        (S.awaiting_approval, A.refuse),  # legal reason
        (S.awaiting_approval, A.send_back),
        (S.awaiting_review, A.send_back),
        (S.paused, A.resume),
        *((s, A.pause) for s in RECEIVED_NOT_FINISHED),  # reason on Mẫu 05
    }


@pytest.mark.parametrize("case", NOTED, ids=_id)
@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_missing_note_is_refused(case, note):
    state, action, role = case
    with pytest.raises(TransitionError) as raised:
        check(state, action, role, note)
    assert raised.value.code == "note_required"
    assert raised.value.message.startswith("Cần ghi ")
    assert f"«{action.label}»" in raised.value.message
    assert check(state, action, role, NOTE).target == EXPECTED[(state, action)][0]


def test_message_wording():
    with pytest.raises(TransitionError) as raised:
        check(S.received, A.approve, R.leader)
    assert raised.value.message == "Không thể «Phê duyệt» hồ sơ đang ở trạng thái «Đã tiếp nhận»."
    assert str(raised.value) == raised.value.message
    with pytest.raises(TransitionError) as raised:
        check(S.awaiting_approval, A.approve, R.specialist)
    assert raised.value.message == (
        "Chuyên viên không được «Phê duyệt» hồ sơ đang ở trạng thái «Chờ phê duyệt»."
    )


@pytest.mark.parametrize(
    ("state", "action", "role", "code"),
    [
        ("received", "approvee", "leader", "unknown_action"),
        ("receivedd", "approve", "leader", "unknown_state"),
        ("received", "assign", "clerk", "unknown_role"),
        ("receivedd", "approvee", "clerk", "unknown_action"),  # the action is checked first
    ],
)
def test_unknown_names(state, action, role, code):
    with pytest.raises(TransitionError) as raised:
        check(state, action, role)
    assert raised.value.code == code
    assert raised.value.message.startswith("Không có ")


def test_plain_strings_are_accepted():
    result = check("received", "assign", "leader")
    assert result.target is S.examining


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_per_role(state):
    for role in LifecycleRole:
        expected = [a for a in Action if role in EXPECTED.get((state, a), (None, ()))[1]]
        assert allowed_actions(state, [role]) == expected
        assert allowed_actions(state, role) == expected  # one role, not its letters
    everyone = [a for a in Action if (state, a) in EXPECTED]
    assert allowed_actions(state, list(LifecycleRole)) == everyone
    assert allowed_actions(state, []) == []


def test_allowed_actions_rejects_unknown_role():
    with pytest.raises(TransitionError) as raised:
        allowed_actions(S.received, ["leader", "clerk"])
    assert raised.value.code == "unknown_role"


def test_account_roles():
    assert ACCOUNT_ROLES["service_agent"] is R.applicant
    assert ACCOUNT_ROLES["digital_team"] is R.applicant
    assert "ioc_operator" not in ACCOUNT_ROLES


# --- national status codes ----------------------------------------------------------------------

NATIONAL = {
    S.draft: None,
    S.submitted: 1,
    S.reception_supplement: 5,
    S.received: 2,
    S.rejected: 3,
    S.examining: 4,
    S.awaiting_review: 4,
    S.awaiting_approval: 4,
    S.approved: 4,
    S.transferred: 4,
    S.processing_supplement: 5,
    S.refused: 8,
    S.result_ready: 9,
    S.returned: 10,
    S.done: 10,
    S.withdrawn: 7,
    S.paused: 8,
}


@pytest.mark.parametrize("state", list(State))
def test_national_status(state):
    code = national_status(state)
    assert code == NATIONAL[state]
    assert code is None if state is S.draft else code in range(1, 11)
    paying = national_status(state, awaiting_payment=True)
    if state in {S.received, S.examining, S.awaiting_review, S.awaiting_approval, S.approved,
                 S.transferred}:
        assert paying == 6
    else:
        assert paying == code  # a supplement, a stop or a result is not a payment request


def test_national_codes_all_reachable():
    codes = {national_status(s) for s in State}
    codes.add(national_status(S.examining, awaiting_payment=True))
    assert codes == {None, *range(1, 11)}


# --- labels -------------------------------------------------------------------------------------

_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
VIETNAMESE_MARKED = {
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    for tone in _TONES
} - set("aeiouyAEIOUY") | {"đ", "Đ"}


LABELLED = [*State, *Action, *LifecycleRole]


@pytest.mark.parametrize("member", LABELLED, ids=lambda m: f"{type(m).__name__}.{m}")
def test_vietnamese_label(member):
    label = member.label
    assert label.strip() == label != ""
    assert unicodedata.normalize("NFC", label) == label  # precomposed, as the fonts and search want
    letters = [ch for ch in label if ch.isalpha()]
    assert all(ch.isascii() or ch in VIETNAMESE_MARKED for ch in letters), label
    assert any(ch in VIETNAMESE_MARKED for ch in letters), label


@pytest.mark.parametrize("enum", [State, Action, LifecycleRole])
def test_labels_are_distinct(enum):
    labels = [m.label for m in enum]
    assert len(set(labels)) == len(labels)


# --- walks --------------------------------------------------------------------------------------


def _moves(state):
    """Every (action, role, target, clock) open from ``state``, through the public functions."""
    moves = []
    for action in allowed_actions(state, list(LifecycleRole)):
        for role in LifecycleRole:
            if action in allowed_actions(state, [role]):
                result = check(state, action, role, NOTE)
                moves.append((action, role, result.target, result.clock))
    return moves


def _reachable(start):
    seen, queue = {start}, deque([start])
    while queue:
        for *_, target, _clock in _moves(queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


WALK_IN = check(S.draft, A.enter_walk_in, R.reception_officer)
ONLINE = check(S.draft, A.submit, R.applicant)


@pytest.mark.parametrize("start", [ONLINE.target, WALK_IN.target])
def test_every_reachable_state_can_end(start):
    for state in _reachable(start):
        assert _reachable(state) & ENDS, f"{state} can never end"


def test_final_states_have_no_way_out():
    for state in (S.done, S.rejected, S.refused, S.withdrawn):
        assert allowed_actions(state, list(LifecycleRole)) == []
    # a stop lifted by a decision
    assert allowed_actions(S.paused, list(LifecycleRole)) == [A.resume]


def test_walk_in_skips_reception():
    assert WALK_IN.target is S.received
    assert WALK_IN.clock is C.start
    assert _reachable(WALK_IN.target).isdisjoint({S.submitted, S.reception_supplement, S.rejected})


@st.composite
def walks(draw):
    """A random run of allowed actions from a submitted online dossier or a walk-in one."""
    first = draw(st.sampled_from([ONLINE, WALK_IN]))
    steps = [(None, first.target, first.clock)]
    state = first.target
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        moves = _moves(state)
        if not moves:
            break
        action, role, target, clock = draw(st.sampled_from(moves))
        # The same move through check(), with a note only where one is needed.
        result = check(state, action, role, NOTE if EXPECTED[(state, action)][2] else "")
        assert (result.target, result.clock) == (target, clock)
        steps.append((action, target, clock))
        state = target
    return steps


CAN_END = {s for s in State if _reachable(s) & ENDS}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walks())
def test_random_walks(steps):
    states = [state for _, state, _ in steps]
    codes = [national_status(state) for state in states]
    assert None not in codes  # never back to a draft

    # Every state on the way still has a way to end.
    assert set(states) <= CAN_END

    for before, after in zip(codes, codes[1:], strict=False):
        # Once processed (9) or returned (10), a dossier only moves forward: 9 → 10 → 10.
        if before >= 9:
            assert after >= before
        # The code only goes down when a supplement is answered (5 → 1 or 4) or a stop is
        # lifted (8 → 4).
        if after < before:
            assert before in (5, 8)
            assert (before, after) in {(5, 1), (5, 4), (8, 4)}
    # Once received, a dossier is never "newly submitted" (1) or "not received" (3) again.
    if 2 in codes or 4 in codes:
        first_received = min(i for i, c in enumerate(codes) if c in (2, 4))
        assert {1, 3}.isdisjoint(codes[first_received:])

    # The processing clock runs exactly while the national code says received or in processing.
    clock = "idle"
    for (_, state, effect), code in zip(steps, codes, strict=True):
        if effect is C.start:
            assert clock == "idle"
            clock = "running"
        elif effect is C.pause:
            assert clock == "running"
            clock = "paused"
        elif effect is C.resume:
            assert clock in ("paused", "ended")
            clock = "running"
        elif effect is C.end:
            assert clock != "ended"
            clock = "ended"
        assert (clock == "running") == (code in (2, 4)), (state, clock)


def test_no_django_import():
    code = (
        "import sys, dichvucong.dossiers.lifecycle; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
