"""Who may do what on a breakout's board and with one need: small yes/no answers, also for templates.

A person's standing on a breakout (facilitates it, attends it, and whether its board is open to
attendees) decides what they see and may do there; organisers stand as facilitators everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from workshops.auth.models import Role, User
from workshops.events.models import (
    BoardVisibility,
    Breakout,
    BreakoutFacilitator,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
)
from workshops.events.rules import can_facilitate
from workshops.needs.models import Need, NeedState, Sensitivity, Vote


def attends(session: Session, user: User, breakout: Breakout) -> bool:
    """Confirmed registrants of the workshop who hold a confirmed seat in the breakout."""
    if not user.is_authenticated:
        return False
    seat = session.exec(
        select(BreakoutSeat.id)
        .join(Registration)
        .where(
            BreakoutSeat.breakout_id == breakout.id,
            BreakoutSeat.state == SeatState.confirmed,
            Registration.user_id == user.id,
            Registration.state == RegistrationState.confirmed,
        )
    ).first()
    return seat is not None


@dataclass(frozen=True)
class Standing:
    """What one person may do on one breakout's board."""

    facilitates: bool
    attends: bool
    visibility: str

    @property
    def sees_board(self) -> bool:
        """Facilitators always; attendees when the board is open to them."""
        return self.facilitates or (self.attends and self.visibility == BoardVisibility.attendees)

    @property
    def may_log(self) -> bool:
        """Attendees log their own needs; facilitators capture for anyone."""
        return self.facilitates or self.attends

    @property
    def sees_internal(self) -> bool:
        """``internal`` needs are for the breakout's facilitators and organisers only."""
        return self.facilitates


def standing(session: Session, user: User, breakout: Breakout) -> Standing:
    """Work out, in at most two queries, what ``user`` may do on the breakout's board."""
    return Standing(
        facilitates=can_facilitate(user, breakout),
        attends=attends(session, user, breakout),
        visibility=breakout.board_visibility,
    )


@dataclass(frozen=True)
class Place:
    """A breakout as one person finds it at its short link: the breakout, their standing, the votes they gave."""

    breakout: Breakout
    standing: Standing
    #: Votes the person has given in this breakout (``votes.left`` makes the "votes left" of it).
    votes_used: int


# Built once: building a statement costs more than running it, and the board's poll asks this every second.
_PLACE = select(
    Breakout,
    select(BreakoutFacilitator.user_id)
    .where(BreakoutFacilitator.breakout_id == Breakout.id, BreakoutFacilitator.user_id == bindparam("user_id"))
    .exists(),
    select(BreakoutSeat.id)
    .join(Registration, Registration.id == BreakoutSeat.registration_id)
    .where(
        BreakoutSeat.breakout_id == Breakout.id,
        BreakoutSeat.state == SeatState.confirmed.value,
        Registration.user_id == bindparam("user_id"),
        Registration.state == RegistrationState.confirmed.value,
    )
    .exists(),
    select(func.count(Vote.id))
    .where(Vote.breakout_id == Breakout.id, Vote.user_id == bindparam("user_id"))
    .scalar_subquery(),
).where(Breakout.code == bindparam("code"))


def place(session: Session, user: User, code: str) -> Place | None:
    """The breakout of a short link and the person's standing there, read anew in one query (``None``: no such link).

    Read on every request, never kept: a facilitator named or removed, a seat given or cancelled,
    the board closed to attendees count at the person's next request. Facilitating is decided as
    ``can_facilitate`` decides it: organisers everywhere, facilitators where they are named.
    """
    row = session.exec(_PLACE, params={"code": code, "user_id": user.id}).first()
    if row is None:
        return None
    breakout, named, seated, votes_used = row
    facilitates = user.has_role(Role.organiser) or (bool(named) and user.has_role(Role.facilitator))
    standing = Standing(facilitates=facilitates, attends=bool(seated), visibility=breakout.board_visibility)
    return Place(breakout=breakout, standing=standing, votes_used=votes_used)


def may_read(session: Session, user: User, need: Need) -> bool:
    """Whether a person may open a need's page (anyone else gets a 404).

    Its author always; whoever sees its board (``internal`` ones: its facilitators and organisers);
    facilitators of other breakouts too, as they get it among the similar needs, unless it is
    ``internal``.
    """
    if not user.is_authenticated:
        return False
    if need.stated_by_id == user.id:
        return True
    place = standing(session, user, need.breakout)
    if need.sensitivity == Sensitivity.internal:
        return place.sees_internal
    return place.sees_board or user.has_role(Role.facilitator)


def may_edit(session: Session, user: User, need: Need) -> bool:
    """Its facilitators and organisers; its author while it is open and the breakout is not closed."""
    if can_facilitate(user, need.breakout):
        return True
    return need.stated_by_id == user.id and need.state == NeedState.open and need.breakout.locked_at is None


def may_merge(session: Session, user: User, originals: list[Need]) -> bool:
    """Organisers, or a facilitator of every breakout involved."""
    breakouts = {need.breakout_id: need.breakout for need in originals}
    return all(can_facilitate(user, breakout) for breakout in breakouts.values())
