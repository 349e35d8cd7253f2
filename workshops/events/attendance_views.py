"""Attendee lists and their CSV export, check-in at the door, and organisers' changes to registrations.

Facilitators see the list of a workshop they facilitate a breakout of, and check people in;
dietary and accessibility requirements and e-mail addresses are for organisers only, on the page
and in the export. Moving, promoting and removing people are organiser overrides.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workshops.auth.models import Role
from workshops.auth.rules import is_organiser, role_required
from workshops.db import get_session
from workshops.events import attendance, bp
from workshops.events.attendance_export import attendee_table
from workshops.events.attendance_forms import CheckInForm, MoveForm, PromoteForm, RemoveForm
from workshops.events.attendance_labels import LABELS, checkin_label, seat_in
from workshops.events.attendance_queries import Filters, arrivals, attendees, search
from workshops.events.attendance_rows import ChangeForms, attendee_rows
from workshops.events.loaders import breakout_of, registration_or_404, workshop_or_404
from workshops.events.models import (
    AttendanceMode,
    Breakout,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
)
from workshops.events.registration import Outcome, RegistrationError
from workshops.events.rules import can_facilitate, can_see_attendees
from workshops.http import json_error, number, wants_json
from workshops.navigation import safe_next
from workshops.pagination import paginate

PER_PAGE = 100
#: Results shown on the check-in page: enough for a common surname, few enough for a phone.
SEARCH_LIMIT = 20
QUERY_MAX = 100


# --- Loading and filtering ------------------------------------------------------------------------


def _facilitated_breakout(workshop: Workshop, breakout_id: int | None) -> Breakout | None:
    """One of the workshop's breakouts that the person facilitates (organisers: any); ``None`` for none."""
    return breakout_of(workshop, breakout_id, visible_if=can_facilitate)


def _filters(workshop: Workshop) -> Filters:
    mode = request.args.get("mode", "")
    state = request.args.get("state", "")
    return Filters(
        breakout=_facilitated_breakout(workshop, number(request.args.get("breakout"))),
        mode=mode if mode in AttendanceMode.__members__ else "",
        state=state if state in RegistrationState.__members__ else "",
        query=request.args.get("q", "").strip()[:QUERY_MAX],
    )


# --- The attendee list and its export -------------------------------------------------------------


@bp.route("/manage/workshops/<int:workshop_id>/attendees")
@role_required(Role.facilitator)
def manage_attendees(workshop_id: int):
    """The attendee list of a workshop or of one breakout, filtered, 100 a page."""
    workshop = workshop_or_404(workshop_id, visible_if=can_see_attendees)
    filters = _filters(workshop)
    page = paginate(get_session(), attendees(workshop, filters), per_page=PER_PAGE)
    changes = ChangeForms(workshop) if is_organiser(current_user) else None
    return render_template(
        "events/attendance/attendees.html",
        workshop=workshop,
        filters=filters,
        page=page,
        rows=attendee_rows(page.items, workshop, filters.breakout, changes),
        changes=changes,
        breakouts=[b for b in workshop.breakouts if can_facilitate(current_user, b)],
        states=list(RegistrationState),
    )


@bp.route("/manage/workshops/<int:workshop_id>/attendees.csv", methods=["POST"])
@role_required(Role.facilitator)
def manage_attendees_csv(workshop_id: int):
    """Download the filtered list as CSV, with only what the reader may see (POST: an export is audited)."""
    workshop = workshop_or_404(workshop_id, visible_if=can_see_attendees)
    table = attendee_table(session=get_session(), workshop=workshop, filters=_filters(workshop), reader=current_user)
    return table.csv()


# --- Check-in at the door -------------------------------------------------------------------------


@bp.route("/manage/workshops/<int:workshop_id>/check-in")
@role_required(Role.facilitator)
def manage_checkin(workshop_id: int):
    """Find a person by name or organisation and check them in with one tap."""
    workshop = workshop_or_404(workshop_id, visible_if=can_see_attendees)
    context = _checkin_search(workshop)
    return render_template(
        "events/attendance/checkin.html", arrivals=arrivals(get_session(), workshop), **context, **LABELS
    )


@bp.route("/manage/workshops/<int:workshop_id>/check-in/results")
@role_required(Role.facilitator)
def manage_checkin_results(workshop_id: int):
    """The check-in page's results alone, for its script to show them as the person types."""
    workshop = workshop_or_404(workshop_id, visible_if=can_see_attendees)
    return render_template("events/attendance/_checkin_results.html", **_checkin_search(workshop), **LABELS)


def _checkin_search(workshop: Workshop) -> dict:
    """The people found for the ``q`` of the request, at most ``SEARCH_LIMIT`` of them."""
    query = request.args.get("q", "").strip()[:QUERY_MAX]
    results = search(get_session(), workshop, query, limit=SEARCH_LIMIT + 1)
    return {
        "workshop": workshop,
        "query": query,
        "results": results[:SEARCH_LIMIT],
        "more": len(results) > SEARCH_LIMIT,
    }


def _door(change: Callable[..., Registration], registration_id: int, done: Callable[[Registration], str]):
    """Check in or undo: JSON for the page's script, else back to the check-in page with the search kept."""
    registration = registration_or_404(registration_id, visible_if=can_see_attendees)
    form = CheckInForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        current = change(session=get_session(), registration=registration, by=current_user)
    except RegistrationError as refused:
        if wants_json():
            return json_error(422, str(refused))
        flash(str(refused), "error")
    else:
        label = checkin_label(current)
        if wants_json():
            at = current.checked_in_at
            return {"checked_in_at": at.isoformat() if at else None, "label": label}
        flash(done(current), "success")
    return redirect(url_for("events.manage_checkin", workshop_id=registration.workshop_id, q=form.q.data or None))


@bp.route("/manage/registrations/<int:registration_id>/check-in", methods=["POST"])
@role_required(Role.facilitator)
def manage_check_in(registration_id: int):
    """Check a confirmed person in."""
    return _door(attendance.check_in, registration_id, lambda r: f"{r.user.name}: {checkin_label(r).lower()}.")


@bp.route("/manage/registrations/<int:registration_id>/undo-check-in", methods=["POST"])
@role_required(Role.facilitator)
def manage_undo_check_in(registration_id: int):
    """Take back a check-in tapped by mistake."""
    return _door(attendance.undo_check_in, registration_id, lambda r: f"The check-in of {r.user.name} is taken back.")


# --- Organisers' overrides ------------------------------------------------------------------------


def _change(service: Callable[..., Outcome], **arguments) -> Outcome | None:
    """Run an organiser's change (the service e-mails after its commit); ``None`` if refused."""
    try:
        return service(session=get_session(), **arguments)
    except RegistrationError as refused:
        flash(str(refused), "error")
        return None


def _back_to_list(registration: Registration, target: str | None):
    """Return to the attendee list the organiser came from (only that workshop's list)."""
    home = url_for("events.manage_attendees", workshop_id=registration.workshop_id)
    back = safe_next(target) or ""
    return redirect(back if back.split("?")[0] == home else home)


def _invalid(form, registration: Registration):
    flash(next(iter(form.errors.values()))[0] if form.errors else "Please try again.", "error")
    return _back_to_list(registration, form.next.data)


@bp.route("/manage/registrations/<int:registration_id>/move", methods=["POST"])
@role_required(Role.organiser)
def manage_move(registration_id: int):
    """Move a person from one breakout to another; a full target puts them on its waiting list."""
    registration = registration_or_404(registration_id, visible_if=can_see_attendees)
    form = MoveForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    source = _facilitated_breakout(registration.workshop, form.from_breakout.data)
    target = _facilitated_breakout(registration.workshop, form.to_breakout.data)
    outcome = _change(
        attendance.move_to_breakout,
        registration=registration,
        from_breakout=source,
        to_breakout=target,
    )
    if outcome:
        flash(_moved(outcome.registration, source, target), "success")
    return _back_to_list(registration, form.next.data)


def _moved(registration: Registration, source: Breakout, target: Breakout) -> str:
    seat = seat_in(registration, target)
    name = registration.user.name
    if seat.state == SeatState.waitlisted:
        return f"“{target.title}” is full: {name} is on its waiting list, at {seat.waitlist_position}."
    if seat.state == SeatState.requested:
        return f"{name} will take a seat in “{target.title}” once their workshop place is confirmed."
    return f"{name} moved from “{source.title}” to “{target.title}”."


@bp.route("/manage/registrations/<int:registration_id>/promote", methods=["POST"])
@role_required(Role.organiser)
def manage_promote(registration_id: int):
    """Confirm a waiting person by hand, even when the place is full (an organiser override)."""
    registration = registration_or_404(registration_id, visible_if=can_see_attendees)
    form = PromoteForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    breakout = _facilitated_breakout(registration.workshop, form.breakout.data)
    outcome = _change(attendance.promote_by_hand, registration=registration, breakout=breakout)
    if outcome:
        where = f"a seat in “{breakout.title}”" if breakout else "a confirmed place"
        flash(f"{outcome.registration.user.name} has {where} (organiser override) and is told by e-mail.", "success")
    return _back_to_list(registration, form.next.data)


@bp.route("/manage/registrations/<int:registration_id>/remove", methods=["POST"])
@role_required(Role.organiser)
def manage_remove(registration_id: int):
    """Remove a person: their registration is cancelled and the waiting lists move up."""
    registration = registration_or_404(registration_id, visible_if=can_see_attendees)
    form = RemoveForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    if not registration.is_active:
        flash(f"The registration of {registration.user.name} is already cancelled.", "error")
        return _back_to_list(registration, form.next.data)
    outcome = _change(attendance.remove, registration=registration)
    if outcome:
        moved_up = _people(len(outcome.promoted) + len(outcome.promoted_seats))
        flash(f"{outcome.registration.user.name} is removed; {moved_up} moved up from a waiting list.", "success")
    return _back_to_list(registration, form.next.data)


def _people(count: int) -> str:
    return "nobody" if count == 0 else ("1 person" if count == 1 else f"{count} people")
