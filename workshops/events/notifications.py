"""E-mails about registrations, sent after the change is committed (never inside its transaction)."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.events.calendar import calendar_file
from workshops.events.models import (
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    Workshop,
    WorkshopMessage,
)
from workshops.events.registration import Outcome
from workshops.mail import send_mail
from workshops.navigation import external_url

log = logging.getLogger(__name__)
ICS_TYPE = "text/calendar"


def _ics(workshop: Workshop, registration: Registration | None, *, cancel: bool = False) -> tuple[str, str, bytes]:
    name = "cancelled.ics" if cancel else "workshop.ics"
    return (
        name,
        ICS_TYPE + ("; method=CANCEL" if cancel else "; method=PUBLISH"),
        calendar_file(workshop, registration, cancel=cancel),
    )


def _send(
    registration: Registration, *, subject: str, template: str, ics: bool = False, cancel: bool = False, **context
):
    workshop = registration.workshop
    user = registration.user
    attachments = [_ics(workshop, registration, cancel=cancel)] if ics else []
    send_mail(
        to=user.email,
        subject=f"{subject}: {workshop.title}",
        template=f"events/{template}",
        attachments=attachments,
        name=user.name,
        workshop=workshop,
        registration=registration,
        my_registrations=external_url("events.my_registrations"),
        workshop_url=external_url("events.workshop", slug=workshop.slug),
        **context,
    )


def registered(outcome: Outcome) -> None:
    """Tell a person who just registered where they stand: confirmed (with the calendar file) or waiting."""
    registration = outcome.registration
    if registration.state == RegistrationState.confirmed:
        _send(registration, subject="Your registration", template="registration_confirmed", ics=True)
    else:
        _send(registration, subject="You are on the waiting list", template="registration_waitlisted")
    promoted(outcome)


def updated(outcome: Outcome) -> None:
    """Tell a person their changed registration, with the updated calendar file, and anyone it promoted."""
    _send(outcome.registration, subject="Your registration is updated", template="registration_updated", ics=True)
    promoted(outcome)


def cancelled(outcome: Outcome) -> None:
    """Confirm a cancellation (the calendar file removes the event), and tell whoever moved up."""
    _send(
        outcome.registration,
        subject="Your registration is cancelled",
        template="registration_cancelled",
        ics=True,
        cancel=True,
    )
    promoted(outcome)


def promoted(outcome: Outcome) -> None:
    """Tell everyone promoted by a change that the place, or the breakout seat, is now theirs."""
    for registration in outcome.promoted:
        _send(registration, subject="A place is yours", template="promoted", ics=True)
    for seat in outcome.promoted_seats:
        _send(
            seat.registration,
            subject="A breakout seat is yours",
            template="seat_promoted",
            ics=True,
            breakout=seat.breakout,
        )


def _active_registrations(session: Session, workshop: Workshop, breakout: Breakout | None = None):
    statement = select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.state != RegistrationState.cancelled
    )
    if breakout is not None:
        statement = statement.join(BreakoutSeat).where(BreakoutSeat.breakout_id == breakout.id)
    return list(session.exec(statement.order_by(Registration.id)))


def workshop_changed(session: Session, workshop: Workshop, *, what: str) -> int:
    """Send every registrant the changed time or place with an updated calendar file; return how many."""
    registrations = _active_registrations(session, workshop)
    for registration in registrations:
        _send(registration, subject="Changed", template="workshop_changed", ics=True, what=what)
    return len(registrations)


def workshop_cancelled(session: Session, workshop: Workshop) -> int:
    """Tell every registrant the workshop is cancelled; their calendar event is cancelled too."""
    registrations = _active_registrations(session, workshop)
    for registration in registrations:
        _send(registration, subject="Cancelled", template="workshop_cancelled", ics=True, cancel=True)
    return len(registrations)


def write_to_registrants(
    session: Session, *, workshop: Workshop, breakout: Breakout | None, subject: str, body: str, sender: User
) -> WorkshopMessage:
    """Keep the message for organisers, then e-mail it to the registrants of a workshop (or of one breakout)."""
    registrations = _active_registrations(session, workshop, breakout)
    recipients = [(registration.user.email, registration.user.name) for registration in registrations]
    workshop_url = external_url("events.workshop", slug=workshop.slug)
    message = WorkshopMessage(
        workshop_id=workshop.id,
        breakout_id=breakout.id if breakout else None,
        subject=subject,
        body=body,
        sent_by_id=sender.id,
        recipient_count=len(registrations),
    )
    session.add(message)
    session.commit()
    for email, name in recipients:
        send_mail(
            to=email,
            subject=subject,
            template="events/organiser_message",
            name=name,
            workshop=workshop,
            body=body,
            workshop_url=workshop_url,
        )
    log.info("message to %s registrants of workshop %s", len(registrations), workshop.id)
    return message


def reminder(registration: Registration) -> None:
    """The day-before reminder, with the calendar file."""
    _send(registration, subject="Tomorrow", template="reminder", ics=True)
