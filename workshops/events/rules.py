"""Who may do what with workshops and breakouts: small yes/no functions, also used by templates."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from workshops.auth.models import Role
from workshops.events.models import BreakoutFacilitator, RegistrationState, SeatState


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


def breakouts_open_to(user, workshop, registration) -> set[int]:
    """The ids of the workshop's breakouts whose page (``/b/<code>``) opens for ``user``.

    The same people as the breakout page lets in (``needs.rules.Standing.may_log``): organisers, the
    breakout's facilitators, and confirmed registrants with a confirmed seat in it. Read from what
    the workshop page already loaded (the agenda's facilitators, the person's registration and its
    seats), so that linking the agenda costs no query however many breakouts it has.
    """
    if not (user and user.is_authenticated):
        return set()
    if user.has_role(Role.organiser):
        return {breakout.id for breakout in workshop.breakouts}
    facilitated = set()
    if user.has_role(Role.facilitator):
        facilitated = {b.id for b in workshop.breakouts if any(person.id == user.id for person in b.facilitators)}
    seated = set()
    if registration is not None and registration.state == RegistrationState.confirmed:
        seated = {seat.breakout_id for seat in registration.seats if seat.state == SeatState.confirmed}
    return facilitated | seated
