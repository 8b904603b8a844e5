"""Who may see which monitoring figures, one condition at a time.

* The whole city: an IOC operator (held in any agency), a procedure controller of the city's
  People's Committee (the city's procedure-control office), a superuser.
* One agency: its agency head, procedure controller or leader.
* Everyone, without logging in: the public transparency page (on-time and online rates per
  agency), no dossier behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dichvucong.accounts.models import Role

AGENCY_ROLES = (Role.AGENCY_HEAD, Role.PROCEDURE_CONTROLLER, Role.LEADER)


@dataclass(frozen=True)
class Viewer:
    city: bool
    agency_ids: frozenset[int]

    @property
    def anything(self) -> bool:
        return self.city or bool(self.agency_ids)

    def may_see(self, agency_id: int) -> bool:
        return self.city or agency_id in self.agency_ids

    def limit(self, agency_ids: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """``agency_ids`` (None: all) cut to what the viewer may see."""
        if self.city:
            return agency_ids
        if agency_ids is None:
            return tuple(sorted(self.agency_ids))
        return tuple(a for a in agency_ids if a in self.agency_ids)


NOBODY = Viewer(False, frozenset())


def system_viewer(agency_id: int | None) -> Viewer:
    """A registered system (a machine client): its agency's figures, or the city's for a system
    registered for no agency."""
    return Viewer(agency_id is None, frozenset({agency_id} if agency_id else ()))


def viewer(user) -> Viewer:
    """The user's memberships with the agency's kind and level: one query per request, shared
    with the navigation (``User.held_roles``)."""
    if not getattr(user, "is_authenticated", False):
        return NOBODY
    if user.is_superuser:
        return Viewer(True, frozenset())
    rows = [(role, agency, kind, level) for agency, role, kind, level in user.held_roles()]
    city = any(role == Role.IOC_OPERATOR for role, *_ in rows) or any(
        role == Role.PROCEDURE_CONTROLLER and kind == "peoples_committee" and level == "province"
        for role, _, kind, level in rows)
    own = frozenset(agency for role, agency, *_ in rows if role in AGENCY_ROLES)
    return Viewer(city, own)
