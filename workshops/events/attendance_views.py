"""Attendee lists and their CSV export, check-in at the door, and organisers' changes to registrations.

Facilitators see the list of a workshop they facilitate a breakout of, and check people in;
dietary and accessibility requirements and e-mail addresses are for organisers only, on the page
and in the export. Moving, promoting and removing people are organiser overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, or_
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlmodel import select

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.auth.models import Role, User
from workshops.auth.rules import can_see_requirements, is_organiser, role_required
from workshops.countries import country_name
from workshops.db import get_session
from workshops.downloads import csv_response
from workshops.events import attendance, bp, notifications
from workshops.events.attendance_forms import CheckInForm, MoveForm, PromoteForm, RemoveForm
from workshops.events.models import (
    AttendanceMode,
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
)
from workshops.events.registration import Outcome, RegistrationError
from workshops.events.rules import can_facilitate, can_see_attendees
from workshops.http import json_error, wants_json
from workshops.navigation import safe_next
from workshops.pagination import paginate
from workshops.timeutil import local

PER_PAGE = 100
EXPORT_LIMIT = 50_000
#: Results shown on the check-in page: enough for a common surname, few enough for a phone.
SEARCH_LIMIT = 20
QUERY_MAX = 100


# --- Loading and filtering ------------------------------------------------------------------------


def _workshop_or_404(workshop_id: int) -> Workshop:
    """The workshop, with its breakouts and their facilitators, if the person may see its attendees."""
    statement = (
        select(Workshop)
        .where(Workshop.id == workshop_id)
        .options(selectinload(Workshop.breakouts).selectinload(Breakout.facilitators))
    )
    workshop = get_session().exec(statement).one_or_none()
    if workshop is None or not can_see_attendees(current_user, workshop):
        abort(404)
    return workshop


def _registration_or_404(registration_id: int) -> Registration:
    """A registration of a workshop whose attendees the person may see."""
    registration = get_session().get(Registration, registration_id) or abort(404)
    _workshop_or_404(registration.workshop_id)
    return registration


def _breakout_or_404(workshop: Workshop, breakout_id: int | None) -> Breakout | None:
    """One of the workshop's breakouts that the person facilitates (organisers: any); ``None`` for none."""
    if breakout_id is None:
        return None
    breakout = next((b for b in workshop.breakouts if b.id == breakout_id), None)
    if breakout is None or not can_facilitate(current_user, breakout):
        abort(404)
    return breakout


@dataclass(frozen=True)
class Filters:
    """What the attendee list is narrowed to."""

    breakout: Breakout | None
    mode: str
    state: str
    query: str

    def args(self) -> dict[str, object]:
        """The filters as query arguments, leaving out the empty ones."""
        values = {"breakout": self.breakout.id if self.breakout else None, "mode": self.mode, "state": self.state}
        return {key: value for key, value in {**values, "q": self.query}.items() if value}


def _filters(workshop: Workshop) -> Filters:
    mode = request.args.get("mode", "")
    state = request.args.get("state", "")
    return Filters(
        breakout=_breakout_or_404(workshop, request.args.get("breakout", type=int)),
        mode=mode if mode in AttendanceMode.__members__ else "",
        state=state if state in RegistrationState.__members__ else "",
        query=request.args.get("q", "").strip()[:QUERY_MAX],
    )


def _matching(statement, query: str):
    """Narrow to names or organisations containing ``query``, case-insensitively, wildcards taken literally."""
    if not query:
        return statement
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return statement.where(
        or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.organisation).like(pattern, escape="\\"))
    )


def _rank(column, order: list[str]):
    return case({value: rank for rank, value in enumerate(order)}, value=column, else_=len(order))


def _attendees(workshop: Workshop, filters: Filters, *, with_seats: bool = True):
    """The filtered registrations, people (and seats) loaded with them: a fixed number of queries.

    Seats come by ``selectinload``, which asks in batches of 500: right for a page of 100, not for a
    whole export, which reads them in one query of its own (``_seats_of``).
    """
    statement = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(Registration.workshop_id == workshop.id)
        .options(contains_eager(Registration.user))
    )
    if with_seats:
        statement = statement.options(selectinload(Registration.seats).joinedload(BreakoutSeat.breakout))
    if filters.state:
        statement = statement.where(Registration.state == filters.state)
    else:
        statement = statement.where(Registration.state != RegistrationState.cancelled)
    if filters.mode:
        statement = statement.where(Registration.mode == filters.mode)
    order = []
    if filters.breakout:
        statement = statement.join(
            BreakoutSeat,
            (BreakoutSeat.registration_id == Registration.id) & (BreakoutSeat.breakout_id == filters.breakout.id),
        )
        order = [_rank(BreakoutSeat.state, list(SeatState)), BreakoutSeat.waitlist_position]
    order += [
        _rank(Registration.state, list(RegistrationState)),
        Registration.mode,
        Registration.waitlist_position,
        func.lower(User.name),
        Registration.id,
    ]
    return _matching(statement, filters.query).order_by(*order)


# --- Words for states -----------------------------------------------------------------------------


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


# --- The attendee list and its export -------------------------------------------------------------


@bp.route("/manage/workshops/<int:workshop_id>/attendees")
@role_required(Role.facilitator)
def manage_attendees(workshop_id: int):
    """The attendee list of a workshop or of one breakout, filtered, 100 a page."""
    workshop = _workshop_or_404(workshop_id)
    filters = _filters(workshop)
    page = paginate(get_session(), _attendees(workshop, filters), per_page=PER_PAGE)
    return render_template(
        "events/attendance/attendees.html",
        workshop=workshop,
        filters=filters,
        page=page,
        breakouts=[b for b in workshop.breakouts if can_facilitate(current_user, b)],
        states=list(RegistrationState),
        **LABELS,
    )


@bp.route("/manage/workshops/<int:workshop_id>/attendees.csv", methods=["POST"])
@role_required(Role.facilitator)
def manage_attendees_csv(workshop_id: int):
    """Download the filtered list as CSV, with only what the reader may see (POST: an export is audited)."""
    workshop = _workshop_or_404(workshop_id)
    filters = _filters(workshop)
    registrations = get_session().exec(_attendees(workshop, filters, with_seats=False).limit(EXPORT_LIMIT)).all()
    detail = f"attendees of workshop {workshop.id}"
    record(AuditAction.export, target_type="workshop", target_id=workshop.id, detail=detail)
    header, rows = _table(workshop, registrations, filters.breakout, _seats_of(workshop))
    name = f"attendees-{workshop.slug}" + (f"-{filters.breakout.title}" if filters.breakout else "")
    return csv_response(header=header, rows=rows, filename=f"{name}.csv")


def _seats_of(workshop: Workshop) -> dict[int, list[BreakoutSeat]]:
    """Every seat of the workshop's breakouts, by registration, in one query."""
    seats: dict[int, list[BreakoutSeat]] = {}
    statement = (
        select(BreakoutSeat)
        .join(Breakout)
        .where(Breakout.workshop_id == workshop.id)
        .options(contains_eager(BreakoutSeat.breakout))
        .order_by(Breakout.starts_at, Breakout.id)
    )
    for seat in get_session().exec(statement):
        seats.setdefault(seat.registration_id, []).append(seat)
    return seats


def _table(
    workshop: Workshop, registrations, breakout: Breakout | None, seats: dict[int, list[BreakoutSeat]]
) -> tuple[list[str], list[list[object]]]:
    """The export's columns and rows; e-mail addresses and requirements only for organisers."""
    emails, requirements = is_organiser(current_user), can_see_requirements(current_user)
    header = ["name"] + (["email"] if emails else []) + ["organisation", "organisation type", "country", "mode"]
    header += ["state", "waiting list position", "breakouts"] + (["breakout", "breakout seat"] if breakout else [])
    header += [f"checked in ({workshop.timezone})"] + (["dietary", "accessibility"] if requirements else [])
    rows = []
    for registration in registrations:
        user, own = registration.user, seats.get(registration.id, [])
        seat = next((s for s in own if breakout and s.breakout_id == breakout.id), None)
        row = [user.name] + ([user.email] if emails else []) + [user.organisation, user.organisation_type]
        row += [user.country, registration.mode, registration.state, registration.waitlist_position or ""]
        row += ["; ".join(f"{s.breakout.title} ({seat_label(s).lower()})" for s in own)]
        row += [breakout.title, seat_label(seat)] if breakout else []
        row += [local(registration.checked_in_at, workshop.zone, "%Y-%m-%d %H:%M")]
        row += [registration.dietary, registration.accessibility] if requirements else []
        rows.append(row)
    return header, rows


# --- Check-in at the door -------------------------------------------------------------------------


def _search(workshop: Workshop, query: str) -> list[Registration]:
    """Registrations (not cancelled) whose person's name or organisation contains ``query``, by name."""
    if not query:
        return []
    statement = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(Registration.workshop_id == workshop.id, Registration.state != RegistrationState.cancelled)
        .options(contains_eager(Registration.user), joinedload(Registration.workshop))
        .order_by(func.lower(User.name), Registration.id)
        .limit(SEARCH_LIMIT + 1)
    )
    return list(get_session().exec(_matching(statement, query)))


def _arrivals(workshop: Workshop) -> tuple[int, int]:
    """How many confirmed people have checked in, and how many are confirmed."""
    statement = select(func.count(Registration.checked_in_at), func.count()).where(
        Registration.workshop_id == workshop.id, Registration.state == RegistrationState.confirmed
    )
    checked_in, confirmed = get_session().exec(statement).one()
    return checked_in, confirmed


@bp.route("/manage/workshops/<int:workshop_id>/check-in")
@role_required(Role.facilitator)
def manage_checkin(workshop_id: int):
    """Find a person by name or organisation and check them in with one tap."""
    workshop = _workshop_or_404(workshop_id)
    context = _checkin_search(workshop)
    return render_template("events/attendance/checkin.html", arrivals=_arrivals(workshop), **context, **LABELS)


@bp.route("/manage/workshops/<int:workshop_id>/check-in/results")
@role_required(Role.facilitator)
def manage_checkin_results(workshop_id: int):
    """The check-in page's results alone, for its script to show them as the person types."""
    workshop = _workshop_or_404(workshop_id)
    return render_template("events/attendance/_checkin_results.html", **_checkin_search(workshop), **LABELS)


def _checkin_search(workshop: Workshop) -> dict:
    """The people found for the ``q`` of the request, at most ``SEARCH_LIMIT`` of them."""
    query = request.args.get("q", "").strip()[:QUERY_MAX]
    results = _search(workshop, query)
    return {
        "workshop": workshop,
        "query": query,
        "results": results[:SEARCH_LIMIT],
        "more": len(results) > SEARCH_LIMIT,
    }


def _door(change: Callable[..., Registration], registration_id: int, done: Callable[[Registration], str]):
    """Check in or undo: JSON for the page's script, else back to the check-in page with the search kept."""
    registration = _registration_or_404(registration_id)
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


def _change(service: Callable[..., Outcome], notify: Callable[[Outcome], None], **arguments) -> Outcome | None:
    """Run an organiser's change under the workshop lock and e-mail after the commit; ``None`` if refused."""
    try:
        outcome = service(session=get_session(), **arguments)
    except RegistrationError as refused:
        flash(str(refused), "error")
        return None
    notify(outcome)
    return outcome


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
    registration = _registration_or_404(registration_id)
    form = MoveForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    source = _breakout_or_404(registration.workshop, form.from_breakout.data)
    target = _breakout_or_404(registration.workshop, form.to_breakout.data)
    outcome = _change(
        attendance.move_to_breakout,
        notifications.updated,
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
    registration = _registration_or_404(registration_id)
    form = PromoteForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    breakout = _breakout_or_404(registration.workshop, form.breakout.data)
    outcome = _change(attendance.promote_by_hand, notifications.promoted, registration=registration, breakout=breakout)
    if outcome:
        where = f"a seat in “{breakout.title}”" if breakout else "a confirmed place"
        flash(f"{outcome.registration.user.name} has {where} (organiser override) and is told by e-mail.", "success")
    return _back_to_list(registration, form.next.data)


@bp.route("/manage/registrations/<int:registration_id>/remove", methods=["POST"])
@role_required(Role.organiser)
def manage_remove(registration_id: int):
    """Remove a person: their registration is cancelled and the waiting lists move up."""
    registration = _registration_or_404(registration_id)
    form = RemoveForm()
    if not form.validate_on_submit():
        return _invalid(form, registration)
    if not registration.is_active:
        flash(f"The registration of {registration.user.name} is already cancelled.", "error")
        return _back_to_list(registration, form.next.data)
    outcome = _change(attendance.remove, notifications.cancelled, registration=registration)
    if outcome:
        moved_up = _people(len(outcome.promoted) + len(outcome.promoted_seats))
        flash(f"{outcome.registration.user.name} is removed; {moved_up} moved up from a waiting list.", "success")
    return _back_to_list(registration, form.next.data)


def _people(count: int) -> str:
    return "nobody" if count == 0 else ("1 person" if count == 1 else f"{count} people")
