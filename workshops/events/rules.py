"""Who may do what with workshops and breakouts: small yes/no functions, also used by templates."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from workshops.auth.models import Role
from workshops.events.models import BreakoutFacilitator


def can_facilitate(user, breakout) -> bool:
    """Organisers, and the facilitators named on this breakout.

    Asked of the database (one primary-key look-up, none when the session holds the row), not of
    the breakout's loaded list of facilitators, so that a facilitator named or removed since that
    list was read counts at once.
    """
    if not (user and user.is_authenticated):
        return False
    if user.has_role(Role.organiser):
        return True
    if not user.has_role(Role.facilitator):
        return False
    session = object_session(breakout)
    if session is None:
        return any(f.id == user.id for f in breakout.facilitators)
    return session.get(BreakoutFacilitator, (breakout.id, user.id)) is not None


def can_see_attendees(user, workshop) -> bool:
    """Organisers, and facilitators of any breakout of the workshop."""
    if not (user and user.is_authenticated):
        return False
    return user.has_role(Role.organiser) or any(can_facilitate(user, b) for b in workshop.breakouts)
