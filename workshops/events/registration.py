"""Registration: taking seats, waiting lists and promotions, without ever overbooking.

Every change that counts seats runs in one short write transaction that first locks the workshop
(``SELECT … FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite, which takes the database's
write lock before the first read), then counts, then writes. All seats of a workshop, its
attendance modes and its breakouts, are counted under that one lock, so no two changes of the same
workshop interleave. Waiting lists are renumbered in the same transaction, so positions start at 1
and have no gaps, and whoever a freed seat goes to is promoted before the lock is released.

E-mails are sent after the commit: the caller gets the list of what happened and tells people.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.db import write_transaction
from workshops.events.models import (
    AttendanceMode,
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
    WorkshopState,
)
from workshops.timeutil import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How often a change is tried when the database is busy, and the pause before each new try.
ATTEMPTS = 4
BACKOFF_SECONDS = 0.05
#: On PostgreSQL, how long to wait for the workshop's lock before trying again.
LOCK_TIMEOUT = "5s"


class RegistrationError(Exception):
    """A registration change was refused; the message is meant for the person."""


class AlreadyRegistered(RegistrationError):
    """The person already holds a registration for this workshop."""

    def __init__(self, registration: Registration):
        """Keep the existing registration, to lead the person to it."""
        super().__init__("You are already registered for this workshop.")
        self.registration = registration


class Busy(Exception):
    """The database stayed busy through every retry: the person should try again."""


@dataclass
class Outcome:
    """What a change did, for the e-mails that follow the commit."""

    registration: Registration | None = None
    #: Registrations promoted from a workshop waiting list.
    promoted: list[Registration] = field(default_factory=list)
    #: Seats promoted from a breakout waiting list.
    promoted_seats: list[BreakoutSeat] = field(default_factory=list)


# --- The lock and the retries -------------------------------------------------------------------


def run_locked(session: Session, workshop_id: int, change: Callable[[Workshop], T]) -> T:
    """Run ``change`` on the locked workshop in one transaction, retrying while the database is busy.

    Raises ``Busy`` when every attempt met a lock, ``RegistrationError`` when the change is refused.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_transaction(session, immediate=_locking_enabled()):
                session.expire_all()  # everything the change reads is read under the lock
                workshop = _lock_workshop(session, workshop_id)
                return change(workshop)
        except OperationalError as error:
            if not _is_contention(error) or attempt == ATTEMPTS:
                if _is_contention(error):
                    log.warning("registration busy after %s attempts for workshop %s", attempt, workshop_id)
                    raise Busy from error
                raise
            time.sleep(BACKOFF_SECONDS * attempt)
    raise Busy  # pragma: no cover - the loop returns or raises


def _lock_workshop(session: Session, workshop_id: int) -> Workshop:
    statement = select(Workshop).where(Workshop.id == workshop_id)
    if _locking_enabled() and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        statement = statement.with_for_update()
    workshop = session.exec(statement).one_or_none()
    if workshop is None:
        raise RegistrationError("This workshop does not exist any more.")
    return workshop


def _locking_enabled() -> bool:
    """Only a test switches the lock off, to show that its concurrency harness sees the race."""
    return current_app.config.get("REGISTRATION_LOCKING", True)


def _pause_if_unlocked(session: Session) -> None:
    """With the lock off (a test's control run), end the transaction between count and write, and wait.

    This is exactly the mistake the lock prevents: a count read before an unlocked insert.
    """
    if not _locking_enabled():
        session.commit()
        time.sleep(float(current_app.config.get("REGISTRATION_RACE_DELAY", 0)))


def _counted_then_paused(session: Session, breakout: Breakout) -> int:
    taken = _confirmed_in_breakout(session, breakout)
    _pause_if_unlocked(session)
    return taken


def _is_contention(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return any(
        sign in message
        for sign in ("database is locked", "lock timeout", "could not obtain lock", "deadlock", "could not serialize")
    )


# --- Counting -----------------------------------------------------------------------------------


def _confirmed_in_mode(session: Session, workshop: Workshop, mode: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.workshop_id == workshop.id,
            Registration.mode == mode,
            Registration.state == RegistrationState.confirmed,
        )
    ).one()


def _confirmed_in_breakout(session: Session, breakout: Breakout) -> int:
    return session.exec(
        select(func.count())
        .select_from(BreakoutSeat)
        .where(BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.state == SeatState.confirmed)
    ).one()


def _mode_queue(session: Session, workshop: Workshop, mode: str) -> list[Registration]:
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


def _breakout_queue(session: Session, breakout: Breakout) -> list[BreakoutSeat]:
    return list(
        session.exec(
            select(BreakoutSeat)
            .where(BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.state == SeatState.waitlisted)
            .order_by(BreakoutSeat.waitlist_position, BreakoutSeat.id)
        )
    )


def _has_room(capacity: int | None, taken: int) -> bool:
    return capacity is None or taken < capacity


# --- Taking and freeing places ------------------------------------------------------------------


def _place_in_mode(session: Session, workshop: Workshop, registration: Registration) -> None:
    """Confirm the registration if its mode has room, else put it at the end of that waiting list."""
    taken = _confirmed_in_mode(session, workshop, registration.mode)
    _pause_if_unlocked(session)
    if _has_room(workshop.capacity(registration.mode), taken):
        registration.state = RegistrationState.confirmed.value
        registration.waitlist_position = None
    else:
        position = len(_mode_queue(session, workshop, registration.mode)) + 1  # counted before joining
        registration.state = RegistrationState.waitlisted.value
        registration.waitlist_position = position
    session.add(registration)
    session.flush()


def _place_in_breakout(session: Session, seat: BreakoutSeat) -> None:
    """Confirm a seat if the breakout has room, else queue it; a waiting registration only requests."""
    if seat.registration.state != RegistrationState.confirmed:
        seat.state = SeatState.requested.value
        seat.waitlist_position = None
    elif _has_room(seat.breakout.capacity, _counted_then_paused(session, seat.breakout)):
        seat.state = SeatState.confirmed.value
        seat.waitlist_position = None
    else:
        position = len(_breakout_queue(session, seat.breakout)) + 1  # counted before joining
        seat.state = SeatState.waitlisted.value
        seat.waitlist_position = position
    session.add(seat)
    session.flush()


def _renumber(queue: Iterable[Registration | BreakoutSeat]) -> None:
    for position, item in enumerate(queue, start=1):
        item.waitlist_position = position


def _fill_free_places(session: Session, workshop: Workshop, outcome: Outcome) -> None:
    """Promote, in order, whoever is first in line wherever a place is free; keep positions gap-free."""
    for mode in (AttendanceMode.on_site, AttendanceMode.online):
        queue = _mode_queue(session, workshop, mode)
        taken = _confirmed_in_mode(session, workshop, mode)
        while queue and _has_room(workshop.capacity(mode), taken):
            registration = queue.pop(0)
            registration.state = RegistrationState.confirmed.value
            registration.waitlist_position = None
            registration.updated_at = utcnow()
            taken += 1
            outcome.promoted.append(registration)
            session.flush()
            for seat in registration.seats:
                _place_in_breakout(session, seat)
        _renumber(queue)
    session.flush()
    for breakout in workshop.breakouts:
        queue = _breakout_queue(session, breakout)
        taken = _confirmed_in_breakout(session, breakout)
        while queue and _has_room(breakout.capacity, taken):
            seat = queue.pop(0)
            seat.state = SeatState.confirmed.value
            seat.waitlist_position = None
            taken += 1
            if seat.registration not in outcome.promoted:
                outcome.promoted_seats.append(seat)
        _renumber(queue)
    session.flush()


def _release_seat(session: Session, seat: BreakoutSeat) -> None:
    seat.registration.seats.remove(seat)
    session.delete(seat)
    session.flush()


# --- Checks -------------------------------------------------------------------------------------


def registration_problem(workshop: Workshop, *, now=None) -> str | None:
    """Why this workshop does not take registrations now, or ``None`` when it does."""
    now = now or utcnow()
    if workshop.state != WorkshopState.published:
        return (
            "Registration for this workshop is closed."
            if workshop.state == WorkshopState.closed
            else ("This workshop is not open for registration.")
        )
    if workshop.ends_at <= now:
        return "This workshop has already taken place."
    if workshop.registration_opens_at and now < workshop.registration_opens_at:
        return "Registration for this workshop has not opened yet."
    if workshop.registration_closes_at and now >= workshop.registration_closes_at:
        return "Registration for this workshop has closed."
    return None


def _chosen_breakouts(workshop: Workshop, breakout_ids: Iterable[int]) -> list[Breakout]:
    by_id = {b.id: b for b in workshop.breakouts}
    chosen = []
    for breakout_id in dict.fromkeys(breakout_ids):
        if breakout_id not in by_id:
            raise RegistrationError("One of the chosen breakouts is not part of this workshop.")
        chosen.append(by_id[breakout_id])
    for i, first in enumerate(chosen):
        for second in chosen[i + 1 :]:
            if first.clashes_with(second):
                raise RegistrationError(f"“{first.title}” and “{second.title}” take place at the same time.")
    return chosen


def _check_mode(workshop: Workshop, mode: str) -> None:
    if mode not in workshop.modes:
        offered = " or ".join(m.label.lower() for m in workshop.modes)
        raise RegistrationError(f"This workshop can only be attended {offered}.")


# --- What people do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What a person chooses when registering."""

    mode: str
    breakout_ids: tuple[int, ...] = ()
    dietary: str = ""
    accessibility: str = ""
    consent_listing: bool = False
    privacy_notice_version: int = 1


def register(*, session: Session, workshop: Workshop, user: User, choices: Choices) -> Outcome:
    """Register ``user`` with a seat, or a waiting-list place, at the workshop and each chosen breakout.

    Raises ``AlreadyRegistered`` (leading to the existing registration), ``RegistrationError`` with
    the reason, or ``Busy``.
    """

    def change(locked: Workshop) -> Outcome:
        problem = registration_problem(locked)
        if problem:
            raise RegistrationError(problem)
        _check_mode(locked, choices.mode)
        breakouts = _chosen_breakouts(locked, choices.breakout_ids)
        registration = session.exec(
            select(Registration).where(Registration.workshop_id == locked.id, Registration.user_id == user.id)
        ).one_or_none()
        if registration is not None and registration.is_active:
            raise AlreadyRegistered(registration)
        now = utcnow()
        if registration is None:
            registration = Registration(
                workshop_id=locked.id, user_id=user.id, mode=choices.mode, state=RegistrationState.waitlisted.value
            )
        registration.mode = choices.mode
        registration.dietary = choices.dietary
        registration.accessibility = choices.accessibility
        registration.consent_processing_at = now
        registration.consent_listing_at = now if choices.consent_listing else None
        registration.privacy_notice_version = choices.privacy_notice_version
        registration.cancelled_at = None
        registration.checked_in_at = None
        registration.updated_at = now
        _place_in_mode(session, locked, registration)
        for breakout in breakouts:
            _place_in_breakout(session, _new_seat(session, registration, breakout))
        return Outcome(registration=registration)

    try:
        return run_locked(session, workshop.id, change)
    except IntegrityError as error:
        # The same person registering twice at the very same moment: one row wins, the other leads to it.
        session.rollback()
        existing = session.exec(
            select(Registration).where(Registration.workshop_id == workshop.id, Registration.user_id == user.id)
        ).one_or_none()
        if existing is None:
            raise
        raise AlreadyRegistered(existing) from error


def change_breakouts(*, session: Session, registration: Registration, breakout_ids: Iterable[int]) -> Outcome:
    """Replace a registration's breakouts; freed seats go to the next in line."""
    wanted = tuple(breakout_ids)

    def change(locked: Workshop) -> Outcome:
        current = _reload(session, registration)
        if not current.is_active:
            raise RegistrationError("This registration is cancelled.")
        if locked.ends_at <= utcnow():
            raise RegistrationError("This workshop has already taken place.")
        chosen = _chosen_breakouts(locked, wanted)
        chosen_ids = {b.id for b in chosen}
        for seat in list(current.seats):
            if seat.breakout_id not in chosen_ids:
                _release_seat(session, seat)
        kept = {seat.breakout_id for seat in current.seats}
        for breakout in chosen:
            if breakout.id not in kept:
                _place_in_breakout(session, _new_seat(session, current, breakout))
        current.updated_at = utcnow()
        outcome = Outcome(registration=current)
        _fill_free_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def switch_mode(*, session: Session, registration: Registration, mode: str) -> Outcome:
    """Attend the other way (on site or online), if that way has room; the freed place is passed on."""

    def change(locked: Workshop) -> Outcome:
        current = _reload(session, registration)
        if not current.is_active:
            raise RegistrationError("This registration is cancelled.")
        _check_mode(locked, mode)
        if current.mode == mode:
            return Outcome(registration=current)
        if not _has_room(locked.capacity(mode), _confirmed_in_mode(session, locked, mode)):
            raise RegistrationError(f"{AttendanceMode(mode).label} attendance is full; your registration is unchanged.")
        current.mode = mode
        current.state = RegistrationState.confirmed.value
        current.waitlist_position = None
        current.updated_at = utcnow()
        outcome = Outcome(registration=current)
        session.flush()
        for seat in current.seats:
            if seat.state == SeatState.requested:
                _place_in_breakout(session, seat)
        _fill_free_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def cancel(*, session: Session, registration: Registration) -> Outcome:
    """Cancel a registration: its seats are freed and the waiting lists move up."""

    def change(locked: Workshop) -> Outcome:
        current = _reload(session, registration)
        if not current.is_active:
            return Outcome(registration=current)
        for seat in list(current.seats):
            _release_seat(session, seat)
        current.state = RegistrationState.cancelled.value
        current.waitlist_position = None
        current.cancelled_at = current.updated_at = utcnow()
        session.flush()
        outcome = Outcome(registration=current)
        _fill_free_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def fill_free_places(*, session: Session, workshop: Workshop) -> Outcome:
    """Promote whoever a free place is due to, e.g. after organisers raised a capacity."""

    def change(locked: Workshop) -> Outcome:
        outcome = Outcome()
        _fill_free_places(session, locked, outcome)
        return outcome

    return run_locked(session, workshop.id, change)


def _reload(session: Session, registration: Registration) -> Registration:
    """The registration as it is now, read under the lock."""
    return session.exec(select(Registration).where(Registration.id == registration.id)).one()


def _new_seat(session: Session, registration: Registration, breakout: Breakout) -> BreakoutSeat:
    """A seat not yet placed; ``requested`` is only its state until ``_place_in_breakout`` decides."""
    seat = BreakoutSeat(breakout=breakout, state=SeatState.requested.value)
    with session.no_autoflush:
        registration.seats.append(seat)
        session.add(seat)
    return seat
