"""What people and organisers do to registrations, each in one locked transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.events import consents
from workshops.events.models import AttendanceMode, Registration, RegistrationState, SeatState, Workshop
from workshops.events.registration.locking import run_locked
from workshops.events.registration.places import (
    Outcome,
    confirmed_in_mode,
    fill_places,
    has_room,
    new_seat,
    place_in_breakout,
    place_in_mode,
    release_seat,
    reload_registration,
    revise,
)
from workshops.events.registration.rules import (
    AlreadyRegistered,
    RegistrationError,
    check_changeable,
    check_mode,
    check_requirements_changeable,
    chosen_breakouts,
    keep_on_site_only,
    registration_problem,
)
from workshops.privacy.models import ConsentKind
from workshops.timeutil import utcnow


@dataclass(frozen=True)
class Choices:
    """What a person chooses when registering."""

    mode: str
    breakout_ids: tuple[int, ...] = ()
    dietary: str = ""
    accessibility: str = ""
    consent_listing: bool = False
    consent_updates: bool = False
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
        check_mode(locked, choices.mode)
        breakouts = chosen_breakouts(locked, choices.breakout_ids)
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
        else:
            revise(registration)  # registering again: the cancelled calendar events come back, higher in SEQUENCE
        registration.mode = choices.mode
        keep_on_site_only(registration, choices.mode, {"dietary": choices.dietary})
        registration.accessibility = choices.accessibility
        registration.consent_processing_at = now
        registration.consent_listing_at = now if choices.consent_listing else None
        registration.privacy_notice_version = choices.privacy_notice_version
        registration.cancelled_at = None
        registration.checked_in_at = None
        registration.updated_at = now
        place_in_mode(session, locked, registration)
        for breakout in breakouts:
            place_in_breakout(session, new_seat(session, registration, breakout))
        _record_consents(session, user, registration, choices)
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


def _record_consents(session: Session, user: User, registration: Registration, choices: Choices) -> None:
    """Log the consents given on the form, with the notice's version, in the registration's transaction."""
    session.flush()  # the registration's id
    given = [ConsentKind.processing] + [ConsentKind.listing] * choices.consent_listing
    for kind in given:
        consents.record(
            session=session,
            user=user,
            kind=kind,
            notice_version=choices.privacy_notice_version,
            registration=registration,
        )
    if choices.consent_updates and consents.current_updates(session, user) is None:
        consents.record(
            session=session, user=user, kind=ConsentKind.updates, notice_version=choices.privacy_notice_version
        )


def change_breakouts(*, session: Session, registration: Registration, breakout_ids: Iterable[int]) -> Outcome:
    """Replace a registration's breakouts; freed seats go to the next in line."""
    wanted = tuple(breakout_ids)

    def change(locked: Workshop) -> Outcome:
        current = reload_registration(session, registration)
        if not current.is_active:
            raise RegistrationError("This registration is cancelled.")
        check_changeable(locked)
        chosen = chosen_breakouts(locked, wanted)
        chosen_ids = {b.id for b in chosen}
        outcome = Outcome(registration=current)
        for seat in list(current.seats):
            if seat.breakout_id not in chosen_ids:
                outcome.released.append(seat.breakout)
                release_seat(session, seat)
        kept = {seat.breakout_id for seat in current.seats}
        for breakout in chosen:
            if breakout.id not in kept:
                place_in_breakout(session, new_seat(session, current, breakout))
        revise(current)
        fill_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def change_requirements(
    *, session: Session, registration: Registration, dietary: str = "", accessibility: str = ""
) -> Outcome:
    """Replace the requirements given at registration; dietary ones are kept only for on-site attendance.

    Refused once registration has closed (``rules.check_requirements_changeable``). The calendar
    does not show requirements, so the SEQUENCE stays.
    """

    def change(locked: Workshop) -> Outcome:
        current = reload_registration(session, registration)
        if not current.is_active:
            raise RegistrationError("This registration is cancelled.")
        check_requirements_changeable(locked)
        keep_on_site_only(current, current.mode, {"dietary": dietary})
        current.accessibility = accessibility
        current.updated_at = utcnow()
        return Outcome(registration=current)

    return run_locked(session, registration.workshop_id, change)


def switch_mode(*, session: Session, registration: Registration, mode: str, dietary: str = "") -> Outcome:
    """Attend the other way (on site or online), if that way has room; the freed place is passed on.

    Going online empties the answers only the venue needed (``rules.ON_SITE_ONLY``); coming on site
    stores the ``dietary`` requirements given with the switch.
    """

    def change(locked: Workshop) -> Outcome:
        current = reload_registration(session, registration)
        if not current.is_active:
            raise RegistrationError("This registration is cancelled.")
        check_changeable(locked)
        check_mode(locked, mode)
        if current.mode == mode:
            return Outcome(registration=current)
        if not has_room(locked.capacity(mode), confirmed_in_mode(session, locked, mode)):
            raise RegistrationError(f"{AttendanceMode(mode).label} attendance is full; your registration is unchanged.")
        current.mode = mode
        keep_on_site_only(current, mode, {"dietary": dietary})
        current.state = RegistrationState.confirmed.value
        current.waitlist_position = None
        revise(current)
        outcome = Outcome(registration=current)
        session.flush()
        for seat in current.seats:
            if seat.state == SeatState.requested:
                place_in_breakout(session, seat)
        fill_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def cancel_own(*, session: Session, registration: Registration) -> Outcome:
    """A participant cancels their own registration: refused once the workshop has started."""
    return _cancel(session, registration, participant=True)


def cancel(*, session: Session, registration: Registration) -> Outcome:
    """Cancel a registration: its seats are freed and the waiting lists move up.

    The organisers' and the application's own cancellation (removing a person, cancelling a
    workshop, deleting an account), allowed at any time; a participant's goes through ``cancel_own``.
    """
    return _cancel(session, registration, participant=False)


def _cancel(session: Session, registration: Registration, *, participant: bool) -> Outcome:
    def change(locked: Workshop) -> Outcome:
        current = reload_registration(session, registration)
        if not current.is_active:
            return Outcome(registration=current)
        if participant:
            check_changeable(locked)
        outcome = Outcome(registration=current)
        for seat in list(current.seats):
            outcome.released.append(seat.breakout)
            release_seat(session, seat)
        current.state = RegistrationState.cancelled.value
        current.waitlist_position = None
        revise(current)
        current.cancelled_at = current.updated_at
        session.flush()
        fill_places(session, locked, outcome)
        return outcome

    return run_locked(session, registration.workshop_id, change)


def register_again(*, session: Session, registration: Registration, breakout_ids: Iterable[int]) -> Outcome:
    """Undo a cancellation: register again as before, through ``register``, like anyone registering.

    The same attendance mode, the ``breakout_ids`` the cancellation released, the same
    requirements and listing consent, the notice version agreed to. Not a revert: places are taken
    anew under the lock, so a seat given to the next in line meanwhile stays theirs, and the person
    joins the waiting list as any registration would. Breakouts deleted since are left out.
    Refused, like every change of one's own, once the workshop has started.
    """
    workshop = registration.workshop
    check_changeable(workshop)
    offered = {breakout.id for breakout in workshop.breakouts}
    choices = Choices(
        mode=registration.mode,
        breakout_ids=tuple(b for b in dict.fromkeys(breakout_ids) if b in offered),
        dietary=registration.dietary,
        accessibility=registration.accessibility,
        consent_listing=registration.consent_listing_at is not None,
        privacy_notice_version=registration.privacy_notice_version,
    )
    return register(session=session, workshop=workshop, user=registration.user, choices=choices)


def fill_free_places(*, session: Session, workshop: Workshop) -> Outcome:
    """Promote whoever a free place is due to, e.g. after organisers raised a capacity."""

    def change(locked: Workshop) -> Outcome:
        outcome = Outcome()
        fill_places(session, locked, outcome)
        return outcome

    return run_locked(session, workshop.id, change)
