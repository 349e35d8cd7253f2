"""What organisers and facilitators do to registrations at and before the door.

Check-in marks that a person arrived. Moving a person between breakouts, promoting a waiting person
by hand and removing a person are organiser overrides; they change seats, so each runs under the
workshop's lock (``registration.run_locked``) with the same helpers as a person's own changes, and
the waiting lists stay gap-free. Each sends its e-mails after the commit: to the person changed,
and to whoever moved up.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from workshops.auth.models import User
from workshops.events import notifications
from workshops.events.models import Breakout, BreakoutSeat, Registration, RegistrationState, SeatState, Workshop
from workshops.events.registration import Outcome, RegistrationError, cancel, run_locked
from workshops.events.registration.places import (
    fill_places,
    new_seat,
    place_in_breakout,
    release_seat,
    reload_registration,
    revise,
)
from workshops.timeutil import utcnow

log = logging.getLogger(__name__)


def check_in(*, session: Session, registration: Registration, by: User) -> Registration:
    """Mark a confirmed person as arrived; a second tap keeps the first time.

    Raises ``RegistrationError`` for a cancelled or still waiting registration (a waiting person
    needs a place first: an organiser can promote them by hand), ``Busy`` when the database is.
    """

    def change(_locked: Workshop) -> Registration:
        current = reload_registration(session, registration)
        if current.state != RegistrationState.confirmed:
            raise RegistrationError(_not_confirmed(current))
        if current.checked_in_at is None:
            current.checked_in_at = current.updated_at = utcnow()
            session.flush()
            log.info("registration %s checked in by %s", current.id, by.id)
        return current

    return run_locked(session, registration.workshop_id, change)


def undo_check_in(*, session: Session, registration: Registration, by: User) -> Registration:
    """Take back a check-in tapped by mistake."""

    def change(_locked: Workshop) -> Registration:
        current = reload_registration(session, registration)
        if current.checked_in_at is not None:
            current.checked_in_at = None
            current.updated_at = utcnow()
            session.flush()
            log.info("registration %s check-in undone by %s", current.id, by.id)
        return current

    return run_locked(session, registration.workshop_id, change)


def move_to_breakout(
    *, session: Session, registration: Registration, from_breakout: Breakout, to_breakout: Breakout
) -> Outcome:
    """Move a person's seat (or waiting-list place) from one breakout to another of the same workshop.

    The target must not clash with the person's other breakouts. A full target puts the person at
    the end of its waiting list; the seat they leave goes to the next in line.
    """
    from_id, to_id = from_breakout.id, to_breakout.id

    def change(locked: Workshop) -> Outcome:
        current = _active(session, registration)
        target = next((b for b in locked.breakouts if b.id == to_id), None)
        leaving = next((s for s in current.seats if s.breakout_id == from_id), None)
        if target is None:
            raise RegistrationError("That breakout is not part of this workshop.")
        if leaving is None:
            raise RegistrationError(f"{current.user.name} has no place in that breakout any more.")
        if from_id == to_id or any(s.breakout_id == to_id for s in current.seats):
            raise RegistrationError(f"{current.user.name} already has a place in “{target.title}”.")
        for seat in current.seats:
            if seat is not leaving and seat.breakout.clashes_with(target):
                raise RegistrationError(
                    f"“{target.title}” takes place at the same time as “{seat.breakout.title}”, "
                    f"where {current.user.name} has a place."
                )
        outcome = Outcome(registration=current, released=[leaving.breakout])
        release_seat(session, leaving)
        place_in_breakout(session, new_seat(session, current, target))
        revise(current)
        fill_places(session, locked, outcome)
        return outcome

    outcome = run_locked(session, registration.workshop_id, change)
    notifications.updated(outcome)
    return outcome


def promote_by_hand(*, session: Session, registration: Registration, breakout: Breakout | None = None) -> Outcome:
    """Confirm a waiting person by hand, even when the place is full (an organiser override).

    Without ``breakout`` the person leaves the workshop's waiting list and their requested breakout
    seats are then placed as usual; with it, they get a seat in that breakout. The person is in the
    outcome's ``promoted`` (or ``promoted_seats``), and the waiting lists they left are renumbered.
    """
    breakout_id = breakout.id if breakout is not None else None

    def change(locked: Workshop) -> Outcome:
        current = _active(session, registration)
        outcome = Outcome(registration=current)
        if breakout_id is None:
            _promote_place(session, current, outcome)
        else:
            _promote_seat(current, breakout_id, outcome)
        session.flush()
        fill_places(session, locked, outcome)  # renumbers the queues the person left
        return outcome

    outcome = run_locked(session, registration.workshop_id, change)
    notifications.promoted(outcome)
    return outcome


def remove(*, session: Session, registration: Registration) -> Outcome:
    """Remove a person: cancel their registration, so that their seats go to whoever waits next."""
    outcome = cancel(session=session, registration=registration)
    notifications.cancelled(outcome)
    return outcome


def _active(session: Session, registration: Registration) -> Registration:
    current = reload_registration(session, registration)
    if not current.is_active:
        raise RegistrationError(f"The registration of {current.user.name} is cancelled.")
    return current


def _promote_place(session: Session, current: Registration, outcome: Outcome) -> None:
    if current.state != RegistrationState.waitlisted:
        raise RegistrationError(f"{current.user.name} already has a confirmed place.")
    current.state = RegistrationState.confirmed.value
    current.waitlist_position = None
    revise(current)
    outcome.promoted.append(current)
    session.flush()
    for seat in current.seats:
        place_in_breakout(session, seat)


def _promote_seat(current: Registration, breakout_id: int, outcome: Outcome) -> None:
    seat: BreakoutSeat | None = next((s for s in current.seats if s.breakout_id == breakout_id), None)
    if seat is None:
        raise RegistrationError(f"{current.user.name} has no place in that breakout.")
    if current.state != RegistrationState.confirmed:
        raise RegistrationError(f"{current.user.name} is on the workshop's waiting list: promote their place first.")
    if seat.state != SeatState.waitlisted:
        raise RegistrationError(f"{current.user.name} already has a seat in “{seat.breakout.title}”.")
    seat.state = SeatState.confirmed.value
    seat.waitlist_position = None
    revise(current)
    outcome.promoted_seats.append(seat)


def _not_confirmed(registration: Registration) -> str:
    name = registration.user.name
    if registration.state == RegistrationState.cancelled:
        return f"The registration of {name} is cancelled."
    return f"{name} is on the waiting list: an organiser can promote them by hand from the attendee list."
