"""The retention period: after it, a workshop's registration details are deleted and only counts stay.

A workshop keeps its registrations (attendance mode, requirements, check-in times, consents to be
listed) for ``retention_months`` calendar months after it ends (``None``: the configured
``RETENTION_MONTHS``). ``purge-expired`` then, in one transaction per workshop, writes how many
confirmed participants it had by type of organisation and country (``WorkshopAttendance``, which
the consultation report reads instead), deletes its registrations with their breakout seats and
the consents logged for them, deletes the ``internal`` needs of its breakouts that no organiser
keeps, and marks it purged. Before the period ends nothing is touched; a purged workshop is never
purged again.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from workshops.auth.models import User
from workshops.events import registration
from workshops.events.models import (
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    Workshop,
    WorkshopAttendance,
)
from workshops.needs.models import Need, Sensitivity, Vote
from workshops.privacy.models import Consent
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCaseNeed

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


@dataclass(frozen=True)
class Purged:
    """What purging one workshop deleted (or, in a dry run, would delete)."""

    workshop_id: int
    title: str
    due_at: datetime
    registrations: int
    internal_needs: int
    #: Rows of counts kept for the consultation report (type of organisation × country).
    attendance_rows: int
    participants: int


def purge(*, session: Session, now: datetime, default_months: int, dry_run: bool = False) -> list[Purged]:
    """Delete the registration details of every workshop past its retention period; say what went.

    Each workshop is purged in its own transaction, under the workshop's lock, and only if it is
    still due then: running twice, or twice at once, deletes nothing more. ``dry_run`` counts what
    would go and changes nothing.
    """
    done = []
    for workshop in expired_workshops(session, now=now, default_months=default_months):
        if dry_run:
            done.append(_summary(session, workshop, default_months))
            continue

        def change(locked: Workshop) -> Purged | None:
            if locked.purged_at is not None or purge_due_at(locked, default_months) > now:
                return None  # another run was first, or an organiser lengthened the period meanwhile
            summary = _summary(session, locked, default_months)
            _delete_details(session, locked, now)
            return summary

        summary = registration.run_locked(session, workshop.id, change)
        if summary is not None:
            done.append(summary)
    return done


def _attendance(session: Session, workshop_id: int) -> Counter[tuple[str, str]]:
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


def _registration_ids(workshop_id: int):
    return select(Registration.id).where(Registration.workshop_id == workshop_id)


def _internal_needs(workshop_id: int):
    """The ids of the workshop's internal needs that no organiser keeps."""
    return (
        select(Need.id)
        .join(Breakout, col(Breakout.id) == Need.breakout_id)
        .where(Breakout.workshop_id == workshop_id, Need.sensitivity == Sensitivity.internal, Need.kept_at.is_(None))
    )


def _count(session: Session, ids) -> int:
    return session.exec(select(func.count()).select_from(ids.subquery())).one()


def _summary(session: Session, workshop: Workshop, default_months: int) -> Purged:
    attendance = _attendance(session, workshop.id)
    return Purged(
        workshop_id=workshop.id,
        title=workshop.title,
        due_at=purge_due_at(workshop, default_months),
        registrations=_count(session, _registration_ids(workshop.id)),
        internal_needs=_count(session, _internal_needs(workshop.id)),
        attendance_rows=len(attendance),
        participants=sum(attendance.values()),
    )


def _delete_details(session: Session, workshop: Workshop, now: datetime) -> None:
    """Inside the caller's transaction: counts in, registration details and unkept internal needs out."""
    attendance = _attendance(session, workshop.id)
    session.execute(delete(WorkshopAttendance).where(WorkshopAttendance.workshop_id == workshop.id))
    session.add_all(
        WorkshopAttendance(workshop_id=workshop.id, organisation_type=kind, country=country, participants=n)
        for (kind, country), n in sorted(attendance.items())
    )
    session.flush()
    # Bulk deletes: the database's cascades would do the seats, votes and links too; saying so here
    # keeps the purge complete whatever a future migration does to them.
    registrations = _registration_ids(workshop.id)
    session.execute(delete(Consent).where(col(Consent.registration_id).in_(registrations)))
    session.execute(delete(BreakoutSeat).where(col(BreakoutSeat.registration_id).in_(registrations)))
    session.execute(delete(Registration).where(Registration.workshop_id == workshop.id))
    needs = list(session.exec(_internal_needs(workshop.id)).all())
    if needs:
        session.execute(delete(Vote).where(col(Vote.need_id).in_(needs)))
        session.execute(delete(UseCaseNeed).where(col(UseCaseNeed.need_id).in_(needs)))
        session.execute(Need.__table__.update().where(col(Need.merged_into_id).in_(needs)).values(merged_into_id=None))
        session.execute(delete(Need).where(col(Need.id).in_(needs)))
    workshop.purged_at = now
    workshop.updated_at = utcnow()
    session.add(workshop)
    session.flush()
    session.expire_all()  # the bulk deletes bypassed the objects the session holds


def keep_need(*, session: Session, need: Need, keep: bool) -> None:
    """An organiser keeps an internal need beyond its workshop's retention period, or stops keeping it."""
    need.kept_at = utcnow() if keep else None
    session.add(need)
    session.commit()
