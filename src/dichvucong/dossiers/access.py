"""Who may see and act on which dossiers: one indexed condition in each query.

- A citizen or business: dossiers they filed or that were filed for them.
- A service agent or digital team member: the dossiers they filed for someone (with consent).
- An official (reception officer, specialist, leader, procedure controller, agency head): the
  dossiers received by an agency where they hold that role.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dichvucong.accounts.models import Role as AccountRole
from dichvucong.accounts.models import User
from dichvucong.dossiers.lifecycle import Role
from dichvucong.dossiers.models import Dossier

OFFICIAL_ROLES = (
    AccountRole.RECEPTION_OFFICER, AccountRole.SPECIALIST, AccountRole.LEADER,
    AccountRole.PROCEDURE_CONTROLLER, AccountRole.AGENCY_HEAD,
)
# Account roles that act in the lifecycle, by the lifecycle role they act as.
ACTING_ROLES = {
    AccountRole.RECEPTION_OFFICER: Role.reception_officer,
    AccountRole.SPECIALIST: Role.specialist,
    AccountRole.LEADER: Role.leader,
}


def own_dossiers(user: User) -> QuerySet[Dossier]:
    return Dossier.objects.filter(Q(applicant=user) | Q(submitted_by=user))


def agency_dossiers(user: User, roles=OFFICIAL_ROLES) -> QuerySet[Dossier]:
    agencies = user.memberships.filter(role__in=roles).values("agency_id")
    return Dossier.objects.filter(agency_id__in=agencies)


def lifecycle_roles(user: User, dossier: Dossier) -> set[Role]:
    """The lifecycle roles ``user`` holds for ``dossier``."""
    held = set()
    if dossier.applicant_id == user.pk or dossier.submitted_by_id == user.pk:
        held.add(Role.applicant)
    account_roles = user.memberships.filter(agency_id=dossier.agency_id).values_list("role",
                                                                                     flat=True)
    held |= {ACTING_ROLES[r] for r in account_roles if r in ACTING_ROLES}
    return held
