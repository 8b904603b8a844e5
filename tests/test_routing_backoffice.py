"""A procedure whose routing has two approval levels, through the back office's pages: the
head of division reviews, the agency's head approves; each step's queue shows the dossier to its
role only, and an official without the step's role is refused (403) and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dichvucong.catalog.models import ProcedureVersion
from dichvucong.dossiers.models import Dossier
from tests import builders
from tests.builders import JUSTICE, user
from tests.test_backoffice import client_for, codes_in, justice_procedure, pdf, post_action, queue

pytestmark = pytest.mark.django_db

TWO_LEVELS = [
    {"name": "Phân công xử lý", "role": "leader", "share": "0.05", "kind": "assign"},
    {"name": "Thẩm định hồ sơ", "role": "specialist", "share": "0.5", "kind": "process"},
    {"name": "Trưởng phòng xem xét, trình ký", "role": "leader", "share": "0.15",
     "kind": "review"},
    {"name": "Giám đốc Sở phê duyệt, ký", "role": "agency_head", "share": "0.2",
     "kind": "approve"},
    {"name": "Trả kết quả", "role": "reception_officer", "share": "0.1", "kind": "issue"},
]


def two_level_dossier() -> Dossier:
    procedure = justice_procedure()
    version = ProcedureVersion.objects.get(pk=procedure.current_version_id)
    # A new publication instant: the parse cache is keyed by it.
    ProcedureVersion.objects.filter(pk=version.pk).update(
        definition={**version.definition, "workflow": TWO_LEVELS},
        published_at=timezone.now() + timedelta(seconds=1))
    dossier = builders.filed(procedure, where=JUSTICE,
                             attach=[("Tờ khai", pdf("to-khai.pdf"))])
    return builders.moved(dossier, "received", unit="sotuphap")


def state_of(dossier: Dossier) -> tuple[str, str]:
    dossier.refresh_from_db()
    return dossier.state, dossier.step_role


def test_two_approval_levels_each_by_its_role_and_the_wrong_role_is_refused():
    dossier = two_level_dossier()
    leader, head = client_for("lanhdao.sotuphap"), client_for("thutruong.sotuphap")
    specialist = client_for("chuyenvien.sotuphap")
    assert state_of(dossier) == ("received", "leader")
    # The agency's head holds no step here: assigning is the leader's.
    assert post_action(head, dossier, "assign",
                       assignee=user("chuyenvien.sotuphap").pk).status_code == 403
    assert post_action(leader, dossier, "assign",
                       assignee=user("chuyenvien.sotuphap").pk).status_code == 302
    assert post_action(specialist, dossier, "examine").status_code == 302
    # Forwarded, the dossier waits for the first level, not for the signature.
    assert state_of(dossier) == ("awaiting_review", "leader")
    page = leader.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'value="review"' in page and 'value="approve"' not in page
    assert dossier.code in codes_in(queue("lanhdao.sotuphap", "xem-xet", q=dossier.code))
    # The review queue is shown where a procedure has a review step, not to every leader.
    assert "hang-doi=xem-xet" in queue("lanhdao.sotuphap")
    assert "hang-doi=xem-xet" not in queue("lanhdao.haichau")
    for wrong, action in ((head, "review"), (specialist, "review"), (leader, "approve")):
        response = post_action(wrong, dossier, action)
        assert response.status_code == 403, action
        assert state_of(dossier) == ("awaiting_review", "leader")
    assert post_action(leader, dossier, "review").status_code == 302
    # The second level is the agency's head's: the leader can neither sign nor refuse it.
    assert state_of(dossier) == ("awaiting_approval", "agency_head")
    # The alert scan measures the routed step, the head's signature, not the first leader's
    # step (by role it took the assignment's).
    from dichvucong.alerts.models import Alert
    from dichvucong.alerts.scan import scan

    dossier.refresh_from_db()
    scan(dossier.due_at)
    assert Alert.objects.get(dossier=dossier, kind="step_near_due").step == \
        "Giám đốc Sở phê duyệt, ký"
    assert not codes_in(queue("lanhdao.sotuphap", "phe-duyet", q=dossier.code))
    assert dossier.code in codes_in(queue("thutruong.sotuphap", "phe-duyet", q=dossier.code))
    assert post_action(leader, dossier, "approve").status_code == 403
    assert post_action(leader, dossier, "refuse", note="Không đủ điều kiện").status_code == 403
    assert state_of(dossier) == ("awaiting_approval", "agency_head")
    page = head.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'value="approve"' in page
    assert post_action(head, dossier, "approve").status_code == 302
    assert state_of(dossier)[0] == "approved"
    decisions = list(dossier.events.filter(action__in=["review", "approve"])
                     .order_by("created_at").values_list("action", "actor__username",
                                                         "actor_role"))
    assert decisions == [("review", "lanhdao.sotuphap", "leader"),
                         ("approve", "thutruong.sotuphap", "agency_head")]
    # Each step's deadline is met by its own decision (the review is not the approval).
    steps = {step.name: step for step in _steps(dossier)}
    assert steps["Trưởng phòng xem xét, trình ký"].done_at is not None
    assert steps["Giám đốc Sở phê duyệt, ký"].done_at is not None
    assert steps["Trả kết quả"].done_at is None


def _steps(dossier: Dossier):
    from dichvucong.backoffice import services
    from dichvucong.dossiers.clock import calendar_for

    now = timezone.now()
    return services.steps(dossier, calendar_for(now, dossier.agency_id), now,
                          list(dossier.events.all()))
