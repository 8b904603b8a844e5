"""Who may see and act on which dossiers: one indexed condition in each query.

- A citizen or business: the dossiers whose applicant they are (filed by them or for them).
- A service agent or digital team member: only the dossiers they filed for a citizen under that
  citizen's consent, while the consent stands and they still hold the role (``consented``).
- An official (reception officer, specialist, leader, procedure controller, agency head): the
  dossiers received by an agency where they hold that role.
- An official of an agency a dossier was handed to (liên thông): only the handovers to that
  agency (``agency_handovers``), never the dossier's workspace; an agency that never held a
  dossier sees nothing of it.
"""

from __future__ import annotations

from django.db.models import Exists, F, Q, QuerySet

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.dossiers.lifecycle import LifecycleRole
from dichvucong.dossiers.models import Dossier, Handover

OFFICIAL_ROLES = (
    Role.RECEPTION_OFFICER, Role.SPECIALIST, Role.LEADER,
    Role.PROCEDURE_CONTROLLER, Role.AGENCY_HEAD,
)
# Account roles that act in the lifecycle, by the lifecycle role they act as.
ACTING_ROLES = {
    Role.RECEPTION_OFFICER: LifecycleRole.reception_officer,
    Role.SPECIALIST: LifecycleRole.specialist,
    Role.LEADER: LifecycleRole.leader,
    # The agency's head acts only in the steps a procedure's routing gives the role (approving
    # at the second level, say); the default path gives it none.
    Role.AGENCY_HEAD: LifecycleRole.agency_head,
}


# The *1022 hotline operator files for a caller with the same consent (hotline/).
AGENT_ROLES = (Role.SERVICE_AGENT, Role.DIGITAL_TEAM, Role.HOTLINE_OPERATOR)


def own_dossiers(user: User) -> QuerySet[Dossier]:
    """The applicant's own dossiers (also those an agent filed for them)."""
    return Dossier.objects.filter(applicant=user)


def consented(user: User) -> Q:
    """The dossiers an agent may see and act on: every condition must hold."""
    holds_agent_role = Exists(Membership.objects.filter(user=user,
                                                        role__in=AGENT_ROLES))
    return (
        Q(submitted_by=user)  # the agent filed it
        & Q(consent__agent=user)  # under a consent given to this agent
        & Q(consent__citizen=F("applicant"))  # by the dossier's own applicant
        & Q(consent__revoked_at__isnull=True)  # that the citizen has not revoked
        & Q(holds_agent_role)  # and the agent still holds an agent role
    )


def agent_dossiers(user: User) -> QuerySet[Dossier]:
    """The dossiers ``user`` filed for citizens and may still follow."""
    return Dossier.objects.filter(consented(user))


def followed_dossiers(user: User) -> QuerySet[Dossier]:
    """What the dossier pages and API show ``user``: their own, and those they follow as agent.
    Without an agent role (most citizens) ``consented`` holds for no dossier: the query is the
    own dossiers' alone (the roles are read once per request, ``User.held_roles``)."""
    if follows_own_only(user):
        return own_dossiers(user)
    return Dossier.objects.filter(Q(applicant=user) | consented(user))


def follows_own_only(user: User) -> bool:
    """``followed_dossiers`` is ``own_dossiers``: ``user`` holds no agent role."""
    return not any(role in AGENT_ROLES for _agency, role, *_ in user.held_roles())


def is_agent_for(user: User, dossier: Dossier) -> bool:
    """``user`` acts on ``dossier`` as the citizen's consented agent."""
    return (dossier.submitted_by_id == user.pk
            and dossier.applicant_id != user.pk
            and Dossier.objects.filter(pk=dossier.pk).filter(consented(user)).exists())


def system_dossiers(agency_id: int | None) -> QuerySet[Dossier]:
    """What a registered system (a machine client) of ``agency_id`` sees: what the agency's
    officials see. A system registered for no agency sees no dossier."""
    if agency_id is None:
        return Dossier.objects.none()
    return Dossier.objects.filter(agency_id=agency_id)


def agency_dossiers(user: User, roles=OFFICIAL_ROLES) -> QuerySet[Dossier]:
    agencies = user.memberships.filter(role__in=roles).values("agency_id")
    return Dossier.objects.filter(agency_id__in=agencies)


def handover_roles(user: User, agency_id: int) -> set[str]:
    """The official roles ``user`` holds in ``agency_id``."""
    return {role for agency, role, *_ in user.held_roles()
            if agency == agency_id and role in OFFICIAL_ROLES}


def agency_handovers(user: User) -> QuerySet[Handover]:
    """The handovers to the agencies where ``user`` is an official, open or answered."""
    agencies = user.memberships.filter(role__in=OFFICIAL_ROLES).values("agency_id")
    return Handover.objects.filter(to_agency_id__in=agencies)


def lifecycle_roles(user: User, dossier: Dossier) -> set[LifecycleRole]:
    """The lifecycle roles ``user`` holds for ``dossier``."""
    held = set()
    if dossier.applicant_id == user.pk or is_agent_for(user, dossier):
        held.add(LifecycleRole.applicant)
    # The roles read once per request (``User.held_roles``), shared with the navigation.
    held |= {ACTING_ROLES[role] for agency, role, *_ in user.held_roles()
             if agency == dossier.agency_id and role in ACTING_ROLES}
    return held
