"""The attendee list, its export and the check-in search, as queries: a fixed number whatever the size.

Filters arrive already checked (``Filters``: a breakout the reader may see, known modes and states,
a bounded search text); what a reader may see of each person is the export's and the page's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.events.models import Breakout, BreakoutSeat, Registration, RegistrationState, SeatState, Workshop


@dataclass(frozen=True)
class Filters:
    """What the attendee list is narrowed to."""

    breakout: Breakout | None
    mode: str
    state: str
    query: str

    def args(self) -> dict[str, object]:
        """The filters as query arguments, leaving out the empty ones."""
        values = {"breakout": self.breakout.id if self.breakout else None, "mode": self.mode, "state": self.state}
        return {key: value for key, value in {**values, "q": self.query}.items() if value}


def matching(statement, query: str):
    """Narrow to names or organisations containing ``query``, case-insensitively, wildcards taken literally."""
    if not query:
        return statement
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return statement.where(
        or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.organisation).like(pattern, escape="\\"))
    )


def _rank(column, order: list[str]):
    return case({value: rank for rank, value in enumerate(order)}, value=column, else_=len(order))


def attendees(workshop: Workshop, filters: Filters, *, with_seats: bool = True):
    """The filtered registrations, people (and seats) loaded with them: a fixed number of queries.

    Seats come by ``selectinload``, which asks in batches of 500: right for a page of 100, not for a
    whole export, which reads them in one query of its own (``seats_of``). Their breakouts are the
    workshop's, which the caller has loaded: a seat finds its own among them, with no query or join.
    """
    statement = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(Registration.workshop_id == workshop.id)
        .options(contains_eager(Registration.user))
    )
    if with_seats:
        statement = statement.options(selectinload(Registration.seats))
    if filters.state:
        statement = statement.where(Registration.state == filters.state)
    else:
        statement = statement.where(Registration.state != RegistrationState.cancelled)
    if filters.mode:
        statement = statement.where(Registration.mode == filters.mode)
    order = []
    if filters.breakout:
        statement = statement.join(
            BreakoutSeat,
            (BreakoutSeat.registration_id == Registration.id) & (BreakoutSeat.breakout_id == filters.breakout.id),
        )
        order = [_rank(BreakoutSeat.state, list(SeatState)), BreakoutSeat.waitlist_position]
    order += [
        _rank(Registration.state, list(RegistrationState)),
        Registration.mode,
        Registration.waitlist_position,
        func.lower(User.name),
        Registration.id,
    ]
    return matching(statement, filters.query).order_by(*order)


def seats_of(session: Session, workshop: Workshop) -> dict[int, list[BreakoutSeat]]:
    """Every seat of the workshop's breakouts, by registration, in one query."""
    seats: dict[int, list[BreakoutSeat]] = {}
    statement = (
        select(BreakoutSeat)
        .join(Breakout)
        .where(Breakout.workshop_id == workshop.id)
        .options(contains_eager(BreakoutSeat.breakout))
        .order_by(Breakout.starts_at, Breakout.id)
    )
    for seat in session.exec(statement):
        seats.setdefault(seat.registration_id, []).append(seat)
    return seats


def search(session: Session, workshop: Workshop, query: str, *, limit: int) -> list[Registration]:
    """Up to ``limit`` registrations (not cancelled) whose person's name or organisation contains ``query``."""
    if not query:
        return []
    statement = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(Registration.workshop_id == workshop.id, Registration.state != RegistrationState.cancelled)
        .options(contains_eager(Registration.user), joinedload(Registration.workshop))
        .order_by(func.lower(User.name), Registration.id)
        .limit(limit)
    )
    return list(session.exec(matching(statement, query)))


def arrivals(session: Session, workshop: Workshop) -> tuple[int, int]:
    """How many confirmed people have checked in, and how many are confirmed."""
    statement = select(func.count(Registration.checked_in_at), func.count()).where(
        Registration.workshop_id == workshop.id, Registration.state == RegistrationState.confirmed
    )
    checked_in, confirmed = session.exec(statement).one()
    return checked_in, confirmed
