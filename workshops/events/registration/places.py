"""Counting, taking and freeing places: the steps every change runs under the workshop lock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from workshops.events.models import (
    AttendanceMode,
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
)
from workshops.timeutil import utcnow


@dataclass
class Outcome:
    """What a change did, for the e-mails that follow the commit."""

    registration: Registration | None = None
    #: Registrations promoted from a workshop waiting list.
    promoted: list[Registration] = field(default_factory=list)
    #: Seats promoted from a breakout waiting list.
    promoted_seats: list[BreakoutSeat] = field(default_factory=list)
    #: The breakouts ``registration`` gave its seat (or waiting-list place) in up: their seats are
    #: gone, and the calendar must still cancel their events, or undo must know them.
    released: list[Breakout] = field(default_factory=list)


def in_mode(session: Session, workshop: Workshop, mode: str, state: RegistrationState) -> int:
    """How many registrations of the attendance mode are in ``state`` (confirmed, or waiting)."""
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(Registration.workshop_id == workshop.id, Registration.mode == mode, Registration.state == state)
    ).one()


def in_breakout(session: Session, breakout: Breakout, state: SeatState) -> int:
    """How many seats of the breakout are in ``state`` (confirmed, or waited for)."""
    return session.exec(
        select(func.count())
        .select_from(BreakoutSeat)
        .where(BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.state == state)
    ).one()


def confirmed_in_mode(session: Session, workshop: Workshop, mode: str) -> int:
    """How many registrations of the attendance mode are confirmed."""
    return in_mode(session, workshop, mode, RegistrationState.confirmed)


def confirmed_in_breakout(session: Session, breakout: Breakout) -> int:
    """How many seats of the breakout are confirmed."""
    return in_breakout(session, breakout, SeatState.confirmed)


def mode_queue(session: Session, workshop: Workshop, mode: str) -> list[Registration]:
    """The mode's waiting list, first in line first."""
    return list(
        session.exec(
            select(Registration)
            .where(
                Registration.workshop_id == workshop.id,
                Registration.mode == mode,
                Registration.state == RegistrationState.waitlisted,
            )
            .order_by(Registration.waitlist_position, Registration.id)
        )
    )


def breakout_queue(session: Session, breakout: Breakout) -> list[BreakoutSeat]:
    """The breakout's waiting list, first in line first."""
    return list(
        session.exec(
            select(BreakoutSeat)
            .where(BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.state == SeatState.waitlisted)
            .order_by(BreakoutSeat.waitlist_position, BreakoutSeat.id)
        )
    )


def has_room(capacity: int | None, taken: int) -> bool:
    """Whether a place is free (``None`` means no limit)."""
    return capacity is None or taken < capacity


def place_in_mode(session: Session, workshop: Workshop, registration: Registration) -> None:
    """Confirm the registration if its mode has room, else put it at the end of that waiting list."""
    taken = confirmed_in_mode(session, workshop, registration.mode)
    if has_room(workshop.capacity(registration.mode), taken):
        registration.state = RegistrationState.confirmed.value
        registration.waitlist_position = None
    else:
        position = (
            in_mode(session, workshop, registration.mode, RegistrationState.waitlisted) + 1
        )  # counted before joining
        registration.state = RegistrationState.waitlisted.value
        registration.waitlist_position = position
    session.add(registration)
    session.flush()


def place_in_breakout(session: Session, seat: BreakoutSeat) -> None:
    """Confirm a seat if the breakout has room, else queue it; a waiting registration only requests."""
    if seat.registration.state != RegistrationState.confirmed:
        seat.state = SeatState.requested.value
        seat.waitlist_position = None
    elif has_room(seat.breakout.capacity, confirmed_in_breakout(session, seat.breakout)):
        seat.state = SeatState.confirmed.value
        seat.waitlist_position = None
    else:
        position = in_breakout(session, seat.breakout, SeatState.waitlisted) + 1  # counted before joining
        seat.state = SeatState.waitlisted.value
        seat.waitlist_position = position
    session.add(seat)
    session.flush()


def revise(registration: Registration) -> None:
    """Record a change the person's calendar events show: their SEQUENCE rises, and ``updated_at``."""
    registration.calendar_sequence = (registration.calendar_sequence or 0) + 1
    registration.updated_at = utcnow()


def renumber(queue: Iterable[Registration | BreakoutSeat]) -> None:
    """Give a waiting list the positions 1, 2, 3… in its order: no gaps."""
    for position, item in enumerate(queue, start=1):
        item.waitlist_position = position


def fill_places(session: Session, workshop: Workshop, outcome: Outcome) -> None:
    """Promote, in order, whoever is first in line wherever a place is free; keep positions gap-free."""
    for mode in (AttendanceMode.on_site, AttendanceMode.online):
        queue = mode_queue(session, workshop, mode)
        taken = confirmed_in_mode(session, workshop, mode)
        while queue and has_room(workshop.capacity(mode), taken):
            registration = queue.pop(0)
            registration.state = RegistrationState.confirmed.value
            registration.waitlist_position = None
            revise(registration)
            taken += 1
            outcome.promoted.append(registration)
            session.flush()
            for seat in registration.seats:
                place_in_breakout(session, seat)
        renumber(queue)
    session.flush()
    for breakout in workshop.breakouts:
        queue = breakout_queue(session, breakout)
        taken = confirmed_in_breakout(session, breakout)
        while queue and has_room(breakout.capacity, taken):
            seat = queue.pop(0)
            seat.state = SeatState.confirmed.value
            seat.waitlist_position = None
            taken += 1
            if seat.registration not in outcome.promoted:
                revise(seat.registration)
                outcome.promoted_seats.append(seat)
        renumber(queue)
    session.flush()


def release_seat(session: Session, seat: BreakoutSeat) -> None:
    """Give up a seat or waiting-list place in a breakout."""
    seat.registration.seats.remove(seat)
    session.delete(seat)
    session.flush()


def reload_registration(session: Session, registration: Registration) -> Registration:
    """The registration as it is now, read under the lock."""
    return session.exec(select(Registration).where(Registration.id == registration.id)).one()


def new_seat(session: Session, registration: Registration, breakout: Breakout) -> BreakoutSeat:
    """A seat not yet placed; ``requested`` is only its state until ``place_in_breakout`` decides."""
    seat = BreakoutSeat(breakout=breakout, state=SeatState.requested.value)
    with session.no_autoflush:
        registration.seats.append(seat)
        session.add(seat)
    return seat
