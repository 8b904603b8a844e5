"""The agency's internal path as procedure data (workflow/routing.py:AgencyPath, the kinds of
catalog/definition.py:WorkflowStep, lifecycle.check with a path): no database.

Expected roles are written here by hand from the rule «only the step's role acts in the state
that is its step», never read back from the module's tables."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

os.environ.setdefault("DICHVUCONG_MODE", "test")

from dichvucong.catalog.definition import ProcedureDefinition, WorkflowStep, path_problems  # noqa: E402
from dichvucong.dossiers.lifecycle import (  # noqa: E402
    Action,
    LifecycleRole,
    State,
    TransitionError,
    allowed_actions,
    check,
)
from dichvucong.workflow.routing import (  # noqa: E402
    DEFAULT_PATH,
    AgencyPath,
    agency_path,
    route,
    step_for,
)

S, A, R = State, Action, LifecycleRole

# The step of each routed state and what its role does there, by hand.
STEP_OF = {S.received: "assign", S.examining: "process", S.awaiting_review: "review",
           S.awaiting_approval: "approve"}
STEP_ACTIONS = {
    S.received: {A.assign},
    S.examining: {A.examine, A.request_supplement, A.transfer},
    S.awaiting_review: {A.review, A.send_back},
    S.awaiting_approval: {A.approve, A.send_back, A.refuse},
}
OFFICIALS = [R.reception_officer, R.specialist, R.leader, R.agency_head]

paths = st.builds(
    AgencyPath,
    assign=st.sampled_from(["leader", "agency_head"]),
    process=st.sampled_from(["specialist", "leader"]),
    review=st.sampled_from([None, "leader", "agency_head"]),
    approve=st.sampled_from(["leader", "agency_head"]),
)


def _role_of(path: AgencyPath, state: State) -> str | None:
    return getattr(path, STEP_OF[state])


def _step(name, role, share, kind=None, agency=None) -> WorkflowStep:
    return WorkflowStep(name=name, role=role, share=Decimal(share), kind=kind, agency=agency)


def test_the_default_path_is_the_lifecycle_of_before():
    assert AgencyPath(assign="leader", process="specialist", review=None,
                                      approve="leader") == DEFAULT_PATH
    assert DEFAULT_PATH.approval_levels == 1
    # A definition without a workflow, or whose steps name no kind, keeps it.
    assert agency_path([]) == DEFAULT_PATH
    assert agency_path([_step("Thẩm định", "specialist", "0.5"),
                        _step("Ký", "leader", "0.5")]) == DEFAULT_PATH
    assert check(S.examining, A.examine, R.specialist).target == S.awaiting_approval
    with pytest.raises(TransitionError):
        check(S.awaiting_approval, A.approve, R.agency_head)


@given(paths)
def test_only_the_steps_role_acts_in_its_state(path):
    for state, actions in STEP_ACTIONS.items():
        role = _role_of(path, state)
        if role is None:  # one approval level: no review state to act in
            continue
        for action in actions:
            for official in OFFICIALS:
                if official.value == role:
                    assert check(state, action, official, "ý kiến", path).source == state
                else:
                    with pytest.raises(TransitionError) as refused:
                        check(state, action, official, "ý kiến", path)
                    assert refused.value.code == "role_not_allowed"
        held = [R(role)]
        assert actions <= set(allowed_actions(state, held, path))


@given(paths)
def test_the_examined_dossier_goes_through_each_approval_level(path):
    """The walk from examination to approval takes exactly ``approval_levels`` decisions, each
    by its own role."""
    state, decisions = S.examining, []
    state = check(state, A.examine, R(path.process), path=path).target
    while state != S.approved:
        role = R(_role_of(path, state))
        action = A.review if state == S.awaiting_review else A.approve
        decisions.append((action, role))
        state = check(state, action, role, path=path).target
    expected = [(A.approve, R(path.approve))]
    if path.review is not None:
        expected.insert(0, (A.review, R(path.review)))
    assert decisions == expected
    assert path.approval_levels == len(expected)


@given(paths)
def test_steps_outside_the_path_keep_the_lifecycles_roles(path):
    # Reception, stopping, issuing and returning are not the path's: the table's roles stay.
    assert check(S.submitted, A.receive, R.reception_officer, path=path).target == S.received
    assert check(S.examining, A.pause, R.leader, "lý do", path).target == S.paused
    assert check(S.approved, A.issue_result, R.specialist, path=path).target == S.result_ready
    with pytest.raises(TransitionError):
        check(S.examining, A.pause, R.agency_head, "lý do", path)


def test_the_path_read_from_the_steps():
    steps = [
        _step("Phân công", "agency_head", "0.05", "assign"),
        _step("Thẩm định", "specialist", "0.5", "process"),
        _step("Xác nhận của công an", "specialist", "0.15", agency="000.00.01.H17"),
        _step("Trưởng phòng xem xét", "leader", "0.1", "review"),
        _step("Giám đốc ký", "agency_head", "0.1", "approve"),
        _step("Trả kết quả", "reception_officer", "0.1", "issue"),
    ]
    path = agency_path(steps)
    assert path == AgencyPath(assign="agency_head", process="specialist", review="leader",
                              approve="agency_head")
    assert path.approval_levels == 2
    assert path_problems(steps) == []
    # The ledger's step of each state is the step of that kind (two leaders' steps apart).
    routed = route((s.name, s.role, s.share, s.agency, s.parallel, s.kind) for s in steps)
    assert step_for(routed, "awaiting_review").name == "Trưởng phòng xem xét"
    assert step_for(routed, "awaiting_approval").name == "Giám đốc ký"
    assert step_for(routed, "received").name == "Phân công"
    assert step_for(routed, "transferred", "000.00.01.H17").name == "Xác nhận của công an"
    # Without kinds, the role still finds the step, as before.
    plain = route([("Thẩm định", "specialist", "0.6", None), ("Ký", "leader", "0.4", None)])
    assert step_for(plain, "awaiting_approval").name == "Ký"


@pytest.mark.parametrize(("steps", "problem"), [
    ([("Xem xét", "leader", "0.5", "review", None)], "cần bước phê duyệt"),
    ([("Ký", "leader", "0.5", "approve", None), ("Xem xét", "leader", "0.5", "review", None)],
     "phải đứng trước"),
    ([("Ký", "leader", "0.5", "approve", None), ("Ký lại", "leader", "0.5", "approve", None)],
     "đã có ở bước 1"),
    ([("Ký", "specialist", "1", "approve", None)], "vai trò 'specialist'"),
    ([("Phân công", "reception_officer", "1", "assign", None)], "vai trò 'reception_officer'"),
    ([("Công an", "specialist", "1", "process", "000.00.01.H17")], "cơ quan khác"),
])
def test_a_path_that_cannot_be_followed_is_refused(steps, problem):
    workflow = [_step(*row) for row in steps]
    found = path_problems(workflow)
    assert found and problem in found[0]
    data = {"code": "DNG.000001", "name": "Thủ tục thử", "field": "Hộ tịch", "levels": ["province"],
            "workflow": [s.model_dump(mode="json") for s in workflow]}
    total = sum(Decimal(row[2]) for row in steps)
    if total == 1:
        with pytest.raises(ValidationError, match="quy trình xử lý"):
            ProcedureDefinition.model_validate(data)


def test_the_schema_names_the_step_kinds():
    schema = ProcedureDefinition.model_json_schema()
    kinds = schema["$defs"]["StepKind"]["enum"]
    assert kinds == ["assign", "process", "review", "approve", "issue"]
