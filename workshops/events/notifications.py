"""E-mails about registrations, sent after the change is committed (never inside its transaction)."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.events.calendar import Method, calendar_file, left_breakouts_file
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
from workshops.transactions import run_write

log = logging.getLogger(__name__)
ICS_TYPE = "text/calendar"


def _ics(workshop: Workshop, registration: Registration, *, cancel: bool, released=()) -> list[tuple[str, str, bytes]]:
    """The calendar attachments: the organiser's REQUEST (or CANCEL) of the person's events.

    An update that left breakouts carries a second file, the CANCEL of those breakouts' events,
    since one iTIP message has one method.
    """
    if cancel:
        return [
            (
                "cancelled.ics",
                _type(Method.cancel),
                calendar_file(workshop, registration, method=Method.cancel, released=released),
            )
        ]
    attachments = [
        ("workshop.ics", _type(Method.request), calendar_file(workshop, registration, method=Method.request))
    ]
    if released:
        attachments.append(
            ("breakouts-left.ics", _type(Method.cancel), left_breakouts_file(workshop, registration, released))
        )
    return attachments


def _type(method: Method) -> str:
    """The attachment's type: the iTIP method (RFC 6047), and UTF-8 so that names like "Technopôle" survive."""
    return f"{ICS_TYPE}; charset=utf-8; method={method.value}"


def _send(
    registration: Registration,
    *,
    subject: str,
    template: str,
    ics: bool = False,
    cancel: bool = False,
    released=(),
    **context,
):
    workshop = registration.workshop
    user = registration.user
    attachments = _ics(workshop, registration, cancel=cancel, released=released) if ics else []
    context.setdefault("released", list(released))
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
    _send(
        outcome.registration,
        subject="Your registration is updated",
        template="registration_updated",
        ics=True,
        released=outcome.released,
    )
    promoted(outcome)


def cancelled(outcome: Outcome) -> None:
    """Confirm a cancellation (the calendar file cancels the workshop's and breakouts' events); tell who moved up."""
    _send(
        outcome.registration,
        subject="Your registration is cancelled",
        template="registration_cancelled",
        ics=True,
        cancel=True,
        released=outcome.released,
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

    def keep() -> None:
        session.add(message)

    run_write(session, keep)  # before any e-mail: a busy database (409) has sent nothing yet
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
