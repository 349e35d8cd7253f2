"""The attendee list as a table to download, with only what the reader may see; each download is audited.

E-mail addresses are for organisers, dietary and accessibility requirements for those allowed to
see them (``auth.rules``); check-in times are in the workshop's zone, named in the column.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.auth.models import User
from workshops.auth.rules import can_see_requirements, is_organiser
from workshops.countries import country_name
from workshops.downloads import Table
from workshops.events.attendance_labels import seat_label
from workshops.events.attendance_queries import Filters, attendees, seats_of
from workshops.events.models import Breakout, BreakoutSeat, Registration, Workshop
from workshops.timeutil import local

#: The most rows one download holds.
EXPORT_LIMIT = 50_000


def attendee_table(*, session: Session, workshop: Workshop, filters: Filters, reader: User) -> Table:
    """The filtered attendee list as the reader may download it, recorded in the audit log."""
    registrations = session.exec(attendees(workshop, filters, with_seats=False).limit(EXPORT_LIMIT)).all()
    header, rows = _table(workshop, registrations, filters.breakout, seats_of(session, workshop), reader=reader)
    record(
        AuditAction.export, target_type="workshop", target_id=workshop.id, detail=f"attendees of workshop {workshop.id}"
    )
    name = f"attendees-{workshop.slug}" + (f"-{filters.breakout.title}" if filters.breakout else "")
    return Table(header=header, rows=rows, filename=f"{name}.csv")


def _table(
    workshop: Workshop,
    registrations: Iterable[Registration],
    breakout: Breakout | None,
    seats: dict[int, list[BreakoutSeat]],
    *,
    reader: User,
) -> tuple[list[str], list[list[object]]]:
    emails, requirements = is_organiser(reader), can_see_requirements(reader)
    header = ["name"] + (["email"] if emails else []) + ["organisation", "organisation type"]
    header += ["country", "country name", "mode"]
    header += ["state", "waiting list position", "breakouts"] + (["breakout", "breakout seat"] if breakout else [])
    header += [f"checked in ({workshop.timezone})"] + (["dietary", "accessibility"] if requirements else [])
    rows = []
    for registration in registrations:
        user, own = registration.user, seats.get(registration.id, [])
        seat = next((s for s in own if breakout and s.breakout_id == breakout.id), None)
        row = [user.name] + ([user.email] if emails else []) + [user.organisation, user.organisation_type]
        row += [user.country, country_name(user.country), registration.mode]
        row += [registration.state, registration.waitlist_position or ""]
        row += ["; ".join(f"{s.breakout.title} ({seat_label(s).lower()})" for s in own)]
        row += [breakout.title, seat_label(seat)] if breakout else []
        row += [local(registration.checked_in_at, workshop.zone, "%Y-%m-%d %H:%M")]
        row += [registration.dietary, registration.accessibility] if requirements else []
        rows.append(row)
    return header, rows
