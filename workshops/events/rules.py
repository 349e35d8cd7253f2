"""Who may do what with workshops and breakouts: small yes/no functions, also used by templates."""

from __future__ import annotations

from workshops.auth.models import Role


def can_facilitate(user, breakout) -> bool:
    """Organisers, and the facilitators named on this breakout."""
    if not (user and user.is_authenticated):
        return False
    if user.has_role(Role.organiser):
        return True
    return user.has_role(Role.facilitator) and any(f.id == user.id for f in breakout.facilitators)


def can_see_attendees(user, workshop) -> bool:
    """Organisers, and facilitators of any breakout of the workshop."""
    if not (user and user.is_authenticated):
        return False
    return user.has_role(Role.organiser) or any(can_facilitate(user, b) for b in workshop.breakouts)
