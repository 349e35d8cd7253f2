"""The retention period of a workshop, and the events domain's part of the purge after it.

A workshop keeps its registrations (attendance mode, requirements, check-in times, consents to be
listed) for ``retention_months`` calendar months after it ends (``None``: the configured
``RETENTION_MONTHS``). The purge (``workshops.personal.retention``) then writes how many confirmed
participants it had by type of organisation and country (``WorkshopAttendance``, which the
consultation report reads instead), deletes its registrations with their breakout seats and the
consents logged for them, and marks it purged.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from workshops.auth.models import User
from workshops.events.models import (
    BreakoutSeat,
    Registration,
    RegistrationState,
    Workshop,
    WorkshopAttendance,
)
from workshops.privacy.models import Consent
from workshops.timeutil import utcnow

#: The shortest period the set-up form accepts: nothing ending later than this ago can be due.
MIN_MONTHS = 1


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months later; a day the month lacks becomes its last.

    31 January + 1 month is 28 (or 29) February; 31 March + 1 month is 30 April.
    """
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def retention_months(workshop: Workshop, default_months: int) -> int:
    """The workshop's own period, or the configured one."""
    return workshop.retention_months or default_months


def purge_due_at(workshop: Workshop, default_months: int) -> datetime:
    """When the workshop's registration details are (or were) due for deletion."""
    return add_months(workshop.ends_at, retention_months(workshop, default_months))


def expired_workshops(session: Session, *, now: datetime, default_months: int) -> list[Workshop]:
    """Workshops not yet purged whose retention period has ended at ``now``, the oldest first."""
    candidates = session.exec(
        select(Workshop)
        .where(Workshop.purged_at.is_(None), Workshop.ends_at <= now - timedelta(days=28 * MIN_MONTHS))
        .order_by(Workshop.ends_at, Workshop.id)
    ).all()
    return [w for w in candidates if purge_due_at(w, default_months) <= now]


def attendance(session: Session, workshop_id: int) -> Counter[tuple[str, str]]:
    """Confirmed participants by the organisation type and country of their accounts."""
    rows = session.exec(
        select(User.organisation_type, User.country, func.count())
        .join(Registration, col(Registration.user_id) == User.id)
        .where(Registration.workshop_id == workshop_id, Registration.state == RegistrationState.confirmed)
        .group_by(User.organisation_type, User.country)
    ).all()
    counts: Counter[tuple[str, str]] = Counter()
    for organisation_type, country, participants in rows:
        counts[(organisation_type, (country or "").upper())] += participants
    return counts


def registration_ids(workshop_id: int):
    """The ids of the workshop's registrations (a query to count or delete by)."""
    return select(Registration.id).where(Registration.workshop_id == workshop_id)


def count_registrations(session: Session, workshop_id: int) -> int:
    """How many registrations the workshop holds, in any state."""
    return session.exec(select(func.count()).select_from(registration_ids(workshop_id).subquery())).one()


def delete_registration_details(*, session: Session, workshop: Workshop, now: datetime) -> None:
    """Inside the caller's transaction: counts in, registration details out, the workshop marked purged."""
    counts = attendance(session, workshop.id)
    session.execute(delete(WorkshopAttendance).where(WorkshopAttendance.workshop_id == workshop.id))
    session.add_all(
        WorkshopAttendance(workshop_id=workshop.id, organisation_type=kind, country=country, participants=n)
        for (kind, country), n in sorted(counts.items())
    )
    session.flush()
    # Bulk deletes: the database's cascades would do the seats, votes and links too; saying so here
    # keeps the purge complete whatever a future migration does to them.
    registrations = registration_ids(workshop.id)
    session.execute(delete(Consent).where(col(Consent.registration_id).in_(registrations)))
    session.execute(delete(BreakoutSeat).where(col(BreakoutSeat.registration_id).in_(registrations)))
    session.execute(delete(Registration).where(Registration.workshop_id == workshop.id))
    workshop.purged_at = now
    workshop.updated_at = utcnow()
    session.add(workshop)
    session.flush()
