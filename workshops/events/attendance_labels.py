"""Registrations and seats in words, for the attendee list, the check-in page and the export."""

from __future__ import annotations

from workshops.countries import country_name
from workshops.events.models import Breakout, BreakoutSeat, Registration, RegistrationState, SeatState, Workshop
from workshops.timeutil import local


def state_label(registration: Registration) -> str:
    """``Confirmed``, ``Waiting list, 3`` or ``Cancelled``."""
    if registration.state == RegistrationState.waitlisted:
        return f"Waiting list, {registration.waitlist_position}"
    return registration.state.capitalize()


def seat_label(seat: BreakoutSeat | None) -> str:
    """A breakout seat in words: ``Seat``, ``Waiting list, 2`` or ``Requested`` (no workshop place yet)."""
    if seat is None:
        return ""
    if seat.state == SeatState.waitlisted:
        return f"Waiting list, {seat.waitlist_position}"
    return "Seat" if seat.state == SeatState.confirmed else "Requested"


def checkin_label(registration: Registration) -> str:
    """``Checked in 09:42`` in the workshop's time zone, or ``Not checked in``."""
    if registration.checked_in_at is None:
        return "Not checked in"
    return f"Checked in {local(registration.checked_in_at, registration.workshop.timezone, '%H:%M')}"


def seat_in(registration: Registration, breakout: Breakout | None) -> BreakoutSeat | None:
    """The registration's seat in ``breakout``, from the seats loaded with it."""
    if breakout is None:
        return None
    return next((seat for seat in registration.seats if seat.breakout_id == breakout.id), None)


def move_targets(workshop: Workshop, registration: Registration, seat: BreakoutSeat) -> list[Breakout]:
    """Breakouts a seat can move to: not already the person's, and clashing with none of their others."""
    others = [s.breakout for s in registration.seats if s is not seat]
    return [
        b
        for b in workshop.breakouts
        if b.id != seat.breakout_id and all(b.id != o.id and not b.clashes_with(o) for o in others)
    ]


LABELS = {
    "state_label": state_label,
    "seat_label": seat_label,
    "checkin_label": checkin_label,
    "seat_in": seat_in,
    "move_targets": move_targets,
    "country_name": country_name,
}
