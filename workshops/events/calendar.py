"""Calendar files (RFC 5545) for registrants: the workshop and each chosen breakout, in the workshop's zone.

Each event keeps one UID for life (``workshop-<id>@host``, ``breakout-<id>@host``) and a SEQUENCE
that rises with every change of the workshop (its ``calendar_sequence``: time or place) and of the
registration (its own: breakouts, attendance mode, a promotion, cancelling), so that calendar
programs replace the events they hold instead of ignoring the update.

E-mails carry iTIP messages (RFC 5546) with the programme as organiser: ``METHOD:REQUEST`` for a
registration and each update, ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` on every event for a
cancellation (of the registration, of the workshop, or of the breakouts a person left). A file
downloaded from the registration page is ``METHOD:PUBLISH``.

LOCATION is where the person goes: the venue (with the breakout's room) on site; online, the
meeting link once their place is confirmed (a breakout's own online room, if it has one), and
"Online" before, since the link is for confirmed participants only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from workshops.events.models import (
    AttendanceMode,
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
)
from workshops.navigation import external_url
from workshops.timeutil import utcnow


class Method(StrEnum):
    """What a calendar file asks of the calendar program that opens it (RFC 5546)."""

    #: A copy to keep (a download); not an invitation.
    publish = "PUBLISH"
    #: The organiser's invitation or update: add these events, or replace them.
    request = "REQUEST"
    #: The organiser's cancellation: these events are off.
    cancel = "CANCEL"


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "workshops"


def workshop_uid(workshop: Workshop) -> str:
    """The workshop event's identity in calendars: stable for the workshop."""
    return f"workshop-{workshop.id}@{_host()}"


def breakout_uid(breakout: Breakout) -> str:
    """A breakout event's identity in calendars: stable for the breakout."""
    return f"breakout-{breakout.id}@{_host()}"


def sequence(workshop: Workshop, registration: Registration) -> int:
    """The SEQUENCE of a registrant's events: it rises with each change of the workshop or of the registration."""
    return workshop.calendar_sequence + (registration.calendar_sequence or 0)


def calendar_file(
    workshop: Workshop,
    registration: Registration,
    *,
    method: Method = Method.publish,
    released: Iterable[Breakout] = (),
) -> bytes:
    """The registrant's ``.ics``: the workshop's event and one per chosen breakout.

    With ``Method.cancel`` every event is cancelled: the workshop's, the breakouts the registration
    still holds and ``released``, the breakouts whose seats a cancellation has just given up.
    """
    seats = sorted(registration.seats, key=lambda seat: (seat.breakout.starts_at, seat.breakout_id))
    if method is Method.cancel:
        breakouts = _distinct([seat.breakout for seat in seats] + list(released))
        events = [_workshop_event(workshop, registration, cancelled=True)]
        events += [_breakout_event(workshop, registration, breakout, None, cancelled=True) for breakout in breakouts]
    else:
        events = [_workshop_event(workshop, registration)]
        events += [_breakout_event(workshop, registration, seat.breakout, seat) for seat in seats]
    return _calendar(workshop, registration, method, events)


def left_breakouts_file(workshop: Workshop, registration: Registration, breakouts: Iterable[Breakout]) -> bytes:
    """``METHOD:CANCEL`` for the events of breakouts a person left, while their workshop event stays.

    A separate file, since an iTIP REQUEST cannot cancel (RFC 5546, 3.2.2): it goes beside the
    update.
    """
    events = [
        _breakout_event(workshop, registration, breakout, None, cancelled=True) for breakout in _distinct(breakouts)
    ]
    return _calendar(workshop, registration, Method.cancel, events)


def _distinct(breakouts: Iterable[Breakout]) -> list[Breakout]:
    return list({breakout.id: breakout for breakout in breakouts}.values())


def _calendar(workshop: Workshop, registration: Registration, method: Method, events: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Workshops//Stakeholder workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method.value)
    start = workshop.starts_at.astimezone(workshop.zone)
    calendar.add_component(
        Timezone.from_tzinfo(
            workshop.zone, first_date=start.date() - timedelta(days=366), last_date=start.date() + timedelta(days=366)
        )
    )
    stamp = utcnow()
    for event in events:
        event.add("sequence", sequence(workshop, registration))
        event.add("dtstamp", stamp)
        event.add("organizer", _organizer())
        if method is not Method.publish:  # an invitation names whom it invites (RFC 5546, 3.2)
            event.add("attendee", _attendee(registration, method))
        calendar.add_component(event)
    return calendar.to_ical()


def _workshop_event(workshop: Workshop, registration: Registration, *, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", workshop_uid(workshop))
    event.add("dtstart", workshop.starts_at.astimezone(workshop.zone))
    event.add("dtend", workshop.ends_at.astimezone(workshop.zone))
    event.add("summary", workshop.title)
    event.add("status", _status(registration, None, cancelled))
    event.add("url", external_url("events.workshop", slug=workshop.slug))
    location = _workshop_location(workshop, registration)
    if location:
        event.add("location", vText(location))
    event.add("description", _description(workshop, registration))
    return event


def _breakout_event(
    workshop: Workshop, registration: Registration, breakout: Breakout, seat: BreakoutSeat | None, *, cancelled=False
) -> Event:
    event = Event()
    event.add("uid", breakout_uid(breakout))
    event.add("dtstart", breakout.starts_at.astimezone(workshop.zone))
    event.add("dtend", breakout.ends_at.astimezone(workshop.zone))
    event.add("summary", breakout.title)
    event.add("status", _status(registration, seat, cancelled))
    event.add("related-to", workshop_uid(workshop), parameters={"RELTYPE": "PARENT"})
    seated = _seated(registration, seat)
    event.add(
        "url",
        external_url("needs.breakout", code=breakout.code)
        if seated
        else external_url("events.workshop", slug=workshop.slug),
    )
    location = _breakout_location(workshop, registration, breakout, seated)
    if location:
        event.add("location", vText(location))
    lines = [f"A breakout of {workshop.title}."]
    if seat is not None and seat.state == SeatState.waitlisted:
        lines.append(
            f"You are number {seat.waitlist_position} on its waiting list: we will write when a seat is yours."
        )
    elif seat is not None and not seated:
        lines.append("Your seat is held for you once your place at the workshop is confirmed.")
    lines += ["", external_url("events.my_registrations")]
    event.add("description", "\n".join(lines))
    return event


def _seated(registration: Registration, seat: BreakoutSeat | None) -> bool:
    """A confirmed seat of a confirmed registration: the person may come in."""
    return seat is not None and seat.state == SeatState.confirmed and registration.state == RegistrationState.confirmed


def _status(registration: Registration, seat: BreakoutSeat | None, cancelled: bool) -> str:
    """CANCELLED when cancelled; CONFIRMED for a place (and seat) that is the person's; TENTATIVE while waiting."""
    if cancelled or registration.state == RegistrationState.cancelled:
        return "CANCELLED"
    if registration.state != RegistrationState.confirmed or (seat is not None and not _seated(registration, seat)):
        return "TENTATIVE"
    return "CONFIRMED"


def _online_link_for(workshop: Workshop, registration: Registration) -> str:
    """The workshop's meeting link, only for a confirmed online participant."""
    if registration.mode == AttendanceMode.online and registration.state == RegistrationState.confirmed:
        return workshop.online_link
    return ""


def _workshop_location(workshop: Workshop, registration: Registration) -> str:
    if registration.mode == AttendanceMode.on_site:
        return workshop.venue
    return _online_link_for(workshop, registration) or "Online"


def _breakout_location(workshop: Workshop, registration: Registration, breakout: Breakout, seated: bool) -> str:
    if registration.mode == AttendanceMode.on_site:
        return ", ".join(part for part in (breakout.room, workshop.venue) if part)
    if seated and breakout.online_room:
        return breakout.online_room
    return _online_link_for(workshop, registration) or "Online"


def _organizer() -> vCalAddress:
    sender = current_app.config["MAIL_SENDER"]
    organizer = vCalAddress("MAILTO:" + sender.rsplit("<", 1)[-1].rstrip(">"))
    organizer.params["cn"] = vText(current_app.config["PROGRAMME_NAME"])
    return organizer


def _attendee(registration: Registration, method: Method) -> vCalAddress:
    """The registrant, who registered themselves: nothing to answer (RSVP=FALSE)."""
    user = registration.user
    attendee = vCalAddress("MAILTO:" + user.email)
    # A parameter value cannot hold a double quote (RFC 5545, 3.1): drop any from the name.
    attendee.params["cn"] = vText((user.name or user.email).replace('"', ""))
    attendee.params["role"] = "REQ-PARTICIPANT"
    if method is Method.request:
        attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    return attendee


def _description(workshop: Workshop, registration: Registration) -> str:
    lines = [workshop.title, f"Attendance: {AttendanceMode(registration.mode).label.lower()}"]
    if registration.state == RegistrationState.waitlisted:
        lines.append(f"You are number {registration.waitlist_position} on the waiting list.")
    link = _online_link_for(workshop, registration)
    if link:
        lines.append(f"Online link: {link}")
    seats = sorted(registration.seats, key=lambda seat: seat.breakout.starts_at)
    if seats:
        lines += ["", "Your breakouts:"]
        note = {SeatState.waitlisted: " (waiting list)", SeatState.requested: " (once your place is confirmed)"}
        for seat in seats:
            breakout = seat.breakout
            start = breakout.starts_at.astimezone(workshop.zone)
            end = breakout.ends_at.astimezone(workshop.zone)
            where = f", {breakout.room}" if breakout.room else ""
            lines.append(f"- {start:%H:%M}–{end:%H:%M} {breakout.title}{where}{note.get(seat.state, '')}")
    lines += ["", external_url("events.my_registrations")]
    return "\n".join(lines)
