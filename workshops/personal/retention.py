"""The retention purge: after a workshop's retention period, its registration details go and counts stay.

``purge-expired`` purges each workshop past its period (``events.retention``) in one transaction
under the workshop's lock: the events domain writes the attendance counts and deletes the
registrations, seats and their consents; the needs domain deletes the ``internal`` needs no
organiser keeps (with their votes), after the use cases let go of them. Before the period ends
nothing is touched; a purged workshop is never purged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from workshops.events import registration, retention
from workshops.events.models import Workshop
from workshops.needs import erasure
from workshops.usecases.services import unlink_needs


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
    for workshop in retention.expired_workshops(session, now=now, default_months=default_months):
        if dry_run:
            done.append(_summary(session, workshop, default_months))
            continue

        def change(locked: Workshop) -> Purged | None:
            if locked.purged_at is not None or retention.purge_due_at(locked, default_months) > now:
                return None  # another run was first, or an organiser lengthened the period meanwhile
            summary = _summary(session, locked, default_months)
            needs = list(session.exec(erasure.unkept_internal_needs(locked.id)).all())
            unlink_needs(session=session, need_ids=needs)
            erasure.delete_needs(session=session, need_ids=needs)
            retention.delete_registration_details(session=session, workshop=locked, now=now)
            session.expire_all()  # the bulk deletes bypassed the objects the session holds
            return summary

        summary = registration.run_locked(session, workshop.id, change)
        if summary is not None:
            done.append(summary)
    return done


def _summary(session: Session, workshop: Workshop, default_months: int) -> Purged:
    attendance = retention.attendance(session, workshop.id)
    return Purged(
        workshop_id=workshop.id,
        title=workshop.title,
        due_at=retention.purge_due_at(workshop, default_months),
        registrations=retention.count_registrations(session, workshop.id),
        internal_needs=erasure.count_unkept_internal_needs(session, workshop.id),
        attendance_rows=len(attendance),
        participants=sum(attendance.values()),
    )
