"""Dossiers for the tests, built in one place and in two ways:

* :func:`filed` and :func:`moved`: through the platform's own writers
  (``submission.start_draft``, ``actions.perform``) by the demo accounts
  (``devdata/accounts.py``), so the events, codes and clock are the lifecycle's own;
* :func:`row`: a ``Dossier`` row written as given, no event, for tests that need exact instants
  or states the lifecycle would not give in one step (slips, ratings, the monitoring fixture).

Each keyword not named below is written on the dossier as given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import actions, submission
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier
from dichvucong.pipeline import worker as pipeline

HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"
JUSTICE = "Sở Tư pháp"
BIRTH = "1.001193"  # Đăng ký khai sinh: the procedure a builder files unless told
UNITS = {HAI_CHAU: "haichau", JUSTICE: "sotuphap"}  # the demo officials' username suffixes

# The path from "submitted" to each state, as (action, acting user, role, note).
PATHS = {
    "submitted": [],
    "received": [("receive", "motcua", LifecycleRole.reception_officer, "")],
    "examining": [("receive", "motcua", LifecycleRole.reception_officer, ""),
                  ("assign", "lanhdao", LifecycleRole.leader, "")],
}
PATHS["awaiting_approval"] = PATHS["examining"] + [
    ("examine", "chuyenvien", LifecycleRole.specialist, "")]
PATHS["approved"] = PATHS["awaiting_approval"] + [("approve", "lanhdao", LifecycleRole.leader, "")]
PATHS["result_ready"] = PATHS["approved"] + [("issue_result", "chuyenvien",
                                              LifecycleRole.specialist, "")]
PATHS["processing_supplement"] = PATHS["examining"] + [
    ("request_supplement", "chuyenvien", LifecycleRole.specialist, "- Giấy chứng sinh")]
PATHS["reception_supplement"] = [
    ("request_supplement", "motcua", LifecycleRole.reception_officer, "- Tờ khai")]
PATHS["paused"] = PATHS["examining"] + [("pause", "lanhdao", LifecycleRole.leader, "Chờ xác minh")]


def user(username: str) -> User:
    return User.objects.get(username=username)


def agency(name: str = HAI_CHAU) -> Agency:
    return Agency.objects.get(name=name)


def procedure(code: str = BIRTH) -> Procedure:
    return Procedure.objects.select_related("current_version").get(code=code)


def filed(procedure_: Procedure | None = None, *, where: str | Agency = HAI_CHAU,
          citizen: str | User = "congdan", now: datetime | None = None,
          attach: Iterable[tuple[str, UploadedFile]] = (), **fields) -> Dossier:
    """Drafted by ``citizen`` for ``where``, ``fields`` written on the draft, each (requirement,
    upload) of ``attach`` attached, then submitted (at ``now``)."""
    procedure_ = procedure_ or procedure()
    citizen = user(citizen) if isinstance(citizen, str) else citizen
    where = agency(where) if isinstance(where, str) else where
    draft = submission.start_draft(procedure_, citizen, where)
    if fields:
        Dossier.objects.filter(pk=draft.pk).update(**fields)
    for requirement, upload in attach:
        submission.attach(draft, requirement, upload, citizen)
    actions.perform(draft.pk, Action.submit, citizen, LifecycleRole.applicant, now=now)
    derive()
    return Dossier.objects.get(pk=draft.pk)


def moved(dossier: Dossier, state: str, *, unit: str = "haichau", now: datetime | None = None,
          assignee: str | None = None) -> Dossier:
    """A submitted dossier moved along ``PATHS[state]`` by the demo officials of ``unit``; on
    assignment the specialist (or ``assignee``) is written as its assignee."""
    for action, who, role, note in PATHS[state]:
        actions.perform(dossier.pk, action, user(f"{who}.{unit}"), role, note, now=now)
        if action == "assign":
            Dossier.objects.filter(pk=dossier.pk).update(
                assignee=user(assignee or f"chuyenvien.{unit}"))
    derive()
    return Dossier.objects.get(pk=dossier.pk)


def derive() -> None:
    """What the pipeline's worker derives from the changes so far (facts, data store,
    notifications, sync records, webhooks), as once the worker has run: the tests' transactions
    never commit, so it is never kicked."""
    pipeline.drain()


def row(**fields) -> Dossier:
    """A dossier row as given; unless given: the birth registration's current version, Hải
    Châu's committee, the demo citizen as applicant."""
    if "procedure" not in fields:
        fields["procedure"] = procedure()
    fields.setdefault("procedure_version", fields["procedure"].current_version)
    if "agency" not in fields:
        fields["agency"] = agency()
    if "applicant" not in fields:
        fields["applicant"] = user("congdan")
    return Dossier.objects.create(**fields)


def own_world(code: str, name: str, agency_code: str, agency_name: str,
              slug: str) -> tuple[Agency, Procedure]:
    """A commune agency and a one-document procedure of its own, for the transactional tests
    (the flush after each empties the demo catalogue, so they cannot rely on it)."""
    from dichvucong.catalog.definition import ProcedureDefinition
    from dichvucong.catalog.services import import_definitions

    made, _ = Agency.objects.get_or_create(
        code=agency_code, defaults={"name": agency_name, "slug": slug,
                                    "kind": "commune_committee", "level": "commune"})
    import_definitions([ProcedureDefinition.model_validate({
        "code": code, "name": name, "field": "Thử nghiệm", "levels": ["commune"],
        "online_mode": "full", "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Tờ khai", "mandatory": True}],
    })])
    return made, Procedure.objects.get(code=code)
