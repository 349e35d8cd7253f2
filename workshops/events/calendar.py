"""Calendar files (RFC 5545) for registrants: one event per workshop, in the workshop's time zone.

The UID stays the same for the life of a workshop and SEQUENCE rises whenever its time or place
changes, so calendar programs update the event they already hold; a cancellation is METHOD:CANCEL.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from workshops.events.models import AttendanceMode, Registration, RegistrationState, SeatState, Workshop
from workshops.navigation import external_url
from workshops.timeutil import utcnow


def workshop_uid(workshop: Workshop) -> str:
    """The event's identity in calendars: stable for the workshop."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "workshops"
    return f"workshop-{workshop.id}@{host}"


def calendar_file(workshop: Workshop, registration: Registration | None = None, *, cancel: bool = False) -> bytes:
    """The ``.ics`` of a workshop for one registrant (their breakouts and, if confirmed online, the link)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Workshops//Stakeholder workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "PUBLISH")
    start = workshop.starts_at.astimezone(workshop.zone)
    calendar.add_component(
        Timezone.from_tzinfo(
            workshop.zone, first_date=start.date() - timedelta(days=366), last_date=start.date() + timedelta(days=366)
        )
    )

    event = Event()
    event.add("uid", workshop_uid(workshop))
    event.add("sequence", workshop.calendar_sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", workshop.starts_at.astimezone(workshop.zone))
    event.add("dtend", workshop.ends_at.astimezone(workshop.zone))
    event.add("summary", workshop.title)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("url", external_url("events.workshop", slug=workshop.slug))
    if workshop.venue:
        event.add("location", vText(workshop.venue))
    event.add("description", _description(workshop, registration))
    sender = current_app.config["MAIL_SENDER"]
    organizer = vCalAddress("MAILTO:" + sender.rsplit("<", 1)[-1].rstrip(">"))
    organizer.params["cn"] = vText(current_app.config["PROGRAMME_NAME"])
    event.add("organizer", organizer)
    calendar.add_component(event)
    return calendar.to_ical()


def _description(workshop: Workshop, registration: Registration | None) -> str:
    lines = [workshop.title]
    if registration is not None:
        lines.append(f"Attendance: {AttendanceMode(registration.mode).label.lower()}")
        if (
            registration.mode == AttendanceMode.online
            and registration.state == RegistrationState.confirmed
            and workshop.online_link
        ):
            lines.append(f"Online link: {workshop.online_link}")
        seats = sorted(registration.seats, key=lambda seat: seat.breakout.starts_at)
        if seats:
            lines.append("")
            lines.append("Your breakouts:")
            for seat in seats:
                breakout = seat.breakout
                start = breakout.starts_at.astimezone(workshop.zone)
                end = breakout.ends_at.astimezone(workshop.zone)
                where = f", {breakout.room}" if breakout.room else ""
                note = {SeatState.waitlisted: " (waiting list)", SeatState.requested: " (once your place is confirmed)"}
                lines.append(f"- {start:%H:%M}–{end:%H:%M} {breakout.title}{where}{note.get(seat.state, '')}")
    lines.append("")
    lines.append(external_url("events.my_registrations"))
    return "\n".join(lines)
