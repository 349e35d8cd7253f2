"""The day-before reminder: each confirmed registrant of tomorrow's workshops is e-mailed once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from workshops.events import notifications
from workshops.events.models import BreakoutSeat, Registration, RegistrationState, Workshop, WorkshopState
from workshops.timeutil import utcnow


def tomorrows_workshops(session: Session, *, now=None) -> list[Workshop]:
    """Published or closed workshops that start tomorrow in their own time zone."""
    now = now or utcnow()
    candidates = session.exec(
        select(Workshop).where(
            Workshop.state.in_((WorkshopState.published.value, WorkshopState.closed.value)),
            Workshop.starts_at > now,
            Workshop.starts_at < now + timedelta(hours=50),
        )
    )
    return [
        w
        for w in candidates
        if w.starts_at.astimezone(w.zone).date() == (now.astimezone(w.zone).date() + timedelta(days=1))
    ]


def send_reminders(*, session: Session, now=None) -> int:
    """Remind every confirmed registrant of tomorrow's workshops who has not been reminded; return how many.

    Each registration is claimed with a conditional update before its e-mail goes out, so that two
    runs at once, or a second run, never send a reminder twice.
    """
    sent = 0
    for workshop in tomorrows_workshops(session, now=now):
        registrations = session.exec(
            select(Registration)
            .where(
                Registration.workshop_id == workshop.id,
                Registration.state == RegistrationState.confirmed,
                Registration.reminder_sent_at.is_(None),
            )
            .options(
                selectinload(Registration.user), selectinload(Registration.seats).selectinload(BreakoutSeat.breakout)
            )
        ).all()
        for registration in registrations:
            claimed = session.execute(
                update(Registration)
                .where(Registration.id == registration.id, Registration.reminder_sent_at.is_(None))
                .values(reminder_sent_at=utcnow())
            )
            session.commit()
            if claimed.rowcount == 1:
                notifications.reminder(registration)
                sent += 1
    return sent
