"""The attendee list's rows, worked out in Python before the template writes them.

A page of the list shows 100 people, and an organiser's page gives each of them several forms
(promote, give a seat, move, remove). Asked of the template, every label, address and choice of
breakouts was a function call per row and per form, which made the page slow under load. Here
what every row shares (the hidden fields, the forms' addresses, the breakouts' labels) is made once
a page, and the choices of breakouts to move a seat to once per set of seats; the template only
writes the values out.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from workshops.auth.models import organisation_type_label
from workshops.countries import country_name
from workshops.events.attendance_labels import move_targets, seat_in, seat_label, state_label
from workshops.events.models import Breakout, BreakoutSeat, Registration, Workshop
from workshops.http import MAX_ID
from workshops.timeutil import local

_OPTION = Markup('<option value="{}">{}</option>')


@dataclass(frozen=True)
class SeatChanges:
    """One of a person's breakout seats, as the organiser's change forms show it."""

    seat: BreakoutSeat
    #: The breakout's title, escaped once a page: each form writes it again.
    title: Markup
    label: str
    #: The ``<option>``s of the breakouts the seat can move to; empty when there is none.
    moves: Markup


@dataclass(frozen=True)
class AttendeeRow:
    """One person on the list: their registration and what the row writes of it."""

    registration: Registration
    #: The person's name, escaped once: the row's buttons all write it again for screen readers.
    name: Markup
    organisation: str
    state: str
    #: The seat in the breakout the list is narrowed to, and its label.
    seat: BreakoutSeat | None
    seat_label: str
    checked_in: str
    #: The seats with their change forms, by start (organisers only; empty otherwise).
    seats: list[SeatChanges]
    promote_url: str = ""
    move_url: str = ""
    remove_url: str = ""


class ChangeForms:
    """What the change forms of every row of one page share: hidden fields, addresses, breakouts' labels."""

    def __init__(self, workshop: Workshop) -> None:
        self.workshop = workshop
        self.hidden = Markup(
            '<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="next" value="{}">'
        ).format(generate_csrf(), request.full_path)
        # Each address with a stand-in id, made a format string: url_for once a page, not once a form.
        self.promote, self.move, self.remove = (
            url_for(endpoint, registration_id=MAX_ID).replace(str(MAX_ID), "{}")
            for endpoint in ("events.manage_promote", "events.manage_move", "events.manage_remove")
        )
        self._order = {b.id: index for index, b in enumerate(workshop.breakouts)}
        self._titles = {b.id: escape(b.title) for b in workshop.breakouts}
        self._labels = {b.id: f"{local(b.starts_at, workshop.timezone, '%H:%M')} {b.title}" for b in workshop.breakouts}
        self._options: dict[tuple[int, tuple[int, ...]], Markup] = {}

    def seats(self, registration: Registration) -> list[SeatChanges]:
        """The person's seats by the breakouts' start, each with the breakouts it can move to."""
        seats = sorted(registration.seats, key=lambda seat: self._order[seat.breakout_id])
        held = tuple(sorted(seat.breakout_id for seat in seats))
        return [
            SeatChanges(seat, self._titles[seat.breakout_id], seat_label(seat), self._moves(registration, seat, held))
            for seat in seats
        ]

    def _moves(self, registration: Registration, seat: BreakoutSeat, held: tuple[int, ...]) -> Markup:
        """The ``<option>``s of ``move_targets``, worked out once for everyone holding the same seats."""
        key = (seat.breakout_id, held)
        if key not in self._options:
            targets = move_targets(self.workshop, registration, seat)
            self._options[key] = Markup("").join(_OPTION.format(b.id, self._labels[b.id]) for b in targets)
        return self._options[key]


def attendee_rows(
    registrations: list[Registration], workshop: Workshop, breakout: Breakout | None, changes: ChangeForms | None
) -> list[AttendeeRow]:
    """The rows of one page of the list; with ``changes`` (organisers), each row's change forms too."""
    rows = []
    for registration in registrations:
        person = registration.user
        organisation = organisation_type_label(person.organisation_type, short=True)
        if person.country:
            organisation += f" · {country_name(person.country)}"
        seat = seat_in(registration, breakout)
        at = registration.checked_in_at
        rows.append(
            AttendeeRow(
                registration=registration,
                name=escape(person.name),
                organisation=organisation,
                state=state_label(registration),
                seat=seat,
                seat_label=seat_label(seat),
                checked_in=local(at, workshop.timezone, "%d %b, %H:%M") if at else "",
                seats=changes.seats(registration) if changes and registration.is_active else [],
                promote_url=changes.promote.format(registration.id) if changes else "",
                move_url=changes.move.format(registration.id) if changes else "",
                remove_url=changes.remove.format(registration.id) if changes else "",
            )
        )
    return rows
