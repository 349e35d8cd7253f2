"""The events domain's part of deleting a person: their future places given up, their details blanked."""

from __future__ import annotations

from sqlmodel import Session, select

from workshops.events import notifications
from workshops.events import registration as reg
from workshops.events.models import Registration, RegistrationState, Workshop, content_changed
from workshops.timeutil import utcnow


def future_registrations(session: Session, user_id: int) -> list[Registration]:
    """The person's places at workshops not yet over: confirmed or waiting."""
    return list(
        session.exec(
            select(Registration)
            .join(Workshop, Workshop.id == Registration.workshop_id)
            .where(
                Registration.user_id == user_id,
                Registration.state != RegistrationState.cancelled,
                Workshop.ends_at > utcnow(),
            )
            .order_by(Registration.id)
        )
    )


def cancel_future_registrations(*, session: Session, user_id: int, tell_person: bool = True) -> tuple[int, int]:
    """Cancel each future registration, telling the person and whoever moves up; return the counts.

    Each cancellation runs in its own short transaction under the workshop's lock (``reg.cancel``),
    so the caller must hold none. ``tell_person=False`` once the address is blanked: only whoever
    moves up is told then.
    """
    cancelled = promoted = 0
    for registration in future_registrations(session, user_id):
        outcome = reg.cancel(session=session, registration=registration)
        cancelled += 1
        promoted += len(outcome.promoted) + len(outcome.promoted_seats)
        # Sent after cancel() committed, with the address still on the account: the person's
        # calendar event is cancelled, and whoever got the place is told, as for any cancellation.
        if tell_person:
            notifications.cancelled(outcome)
        else:
            notifications.promoted(outcome)
    return cancelled, promoted


def blank_registration_details(*, session: Session, user_id: int) -> None:
    """Inside the caller's transaction: the person's requirements and listing go from every registration."""
    for registration in session.exec(select(Registration).where(Registration.user_id == user_id)):
        registration.dietary = ""
        registration.accessibility = ""
        registration.consent_listing_at = None
        session.add(registration)
    session.execute(content_changed(select(Registration.workshop_id).where(Registration.user_id == user_id)))
