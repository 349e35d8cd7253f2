"""One's own registration: its page, and each change a participant makes to it.

Breakouts, attendance mode, requirements, the listing consent, the calendar file, and cancelling:
a page first says what happens to the seats and asks to confirm; for ``UNDO_PERIOD`` afterwards the
registration page offers to take it back. Undo registers again through the registration service,
with the breakouts the cancellation released, which this browser's session remembers (the seats
themselves are gone): a signed cookie, so any application server can answer.

Every view loads the person's own registration or answers 404, refuses a change once the workshop
has started (the read-only page, 403), and relies on the application-wide CSRF check for POSTs.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_required

from workshops.db import get_session
from workshops.downloads import attachment
from workshops.events import bp, consents, participation, queries
from workshops.events import registration as reg
from workshops.events.calendar import Method, calendar_file
from workshops.events.forms import BreakoutChoice, ModeForm, RequirementsForm
from workshops.events.loaders import own_registration_or_404
from workshops.events.models import RegistrationState, SeatState
from workshops.forms import PostForm
from workshops.privacy.models import ConsentKind

#: The session key under which the breakouts of one's latest cancellation wait for an undo.
UNDO_KEY = "undo_cancel"


@bp.route("/me/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def registration(registration_id: int):
    """One registration: change breakouts, switch mode, correct requirements, withdraw the listing consent, cancel."""
    registration = own_registration_or_404(registration_id)
    if request.method == "POST" and reg.has_started(registration.workshop):
        return _frozen(registration)
    session = get_session()
    workshop = registration.workshop
    form = BreakoutChoice(workshop=workshop, seats_left=queries.seats_left(session, workshop), held=_held(registration))
    if request.method == "GET":
        form.breakouts.data = [seat.breakout_id for seat in registration.seats]
    elif form.validate_on_submit():
        return _apply(
            lambda: participation.change_breakouts(
                session=session, registration=registration, breakout_ids=form.breakouts.data
            ),
            registration,
            done="Your breakouts are changed. An updated calendar file is on its way.",
        )
    return _registration_page(registration, form=form)


def _frozen(registration):
    """Refuse a change of a started workshop's registration before reading the form: the page, read-only, with 403."""
    return _registration_page(registration, refused=True, status=403)


def _registration_page(registration, *, form=None, mode_form=None, requirements_form=None, refused=False, status=200):
    workshop = registration.workshop
    session = get_session()
    if reg.has_started(workshop):
        return render_template(
            "events/registration.html",
            registration=registration,
            workshop=workshop,
            frozen=reg.frozen_message(workshop),
            refused=refused,
            post_form=PostForm(),
            places_left=queries.places_left(session, workshop),
        ), status
    form = form or BreakoutChoice(
        formdata=None,
        workshop=workshop,
        seats_left=queries.seats_left(session, workshop),
        held=_held(registration),
        data={"breakouts": [seat.breakout_id for seat in registration.seats]},
    )
    mode_form = mode_form or ModeForm(
        formdata=None, workshop=workshop, current_mode=registration.mode, data={"mode": registration.mode}
    )
    requirements_closed = reg.requirements_problem(workshop)
    if requirements_form is None and not requirements_closed:
        requirements_form = RequirementsForm(
            formdata=None,
            mode=registration.mode,
            data={"dietary": registration.dietary, "accessibility": registration.accessibility},
        )
    return (
        render_template(
            "events/registration.html",
            registration=registration,
            workshop=workshop,
            form=form,
            mode_form=mode_form,
            requirements_form=requirements_form,
            requirements_closed=requirements_closed,
            post_form=PostForm(),
            places_left=queries.places_left(session, workshop),
            undo=_undo_offer(registration),
        ),
        status,
    )


def _held(registration) -> dict[int, str]:
    """How the person stands in each breakout they chose, for the labels of the choices."""
    words = {"confirmed": "your seat", "requested": "requested"}
    return {
        seat.breakout_id: words.get(seat.state, f"you are number {seat.waitlist_position} on the waiting list")
        for seat in registration.seats
    }


def _apply(change, registration, *, done: str):
    """Run a change of one's own registration (its service e-mails); a clear message if refused."""
    try:
        change()
    except reg.RegistrationError as refused:
        flash(str(refused), "error")
    else:
        flash(done, "success")
    return redirect(url_for("events.registration", registration_id=registration.id))


@bp.route("/me/registrations/<int:registration_id>/mode", methods=["POST"])
@login_required
def switch_mode(registration_id: int):
    """Attend on site instead of online, or the other way round."""
    registration = own_registration_or_404(registration_id)
    if reg.has_started(registration.workshop):
        return _frozen(registration)
    form = ModeForm(workshop=registration.workshop, current_mode=registration.mode)
    if not form.validate_on_submit():
        return _registration_page(registration, mode_form=form)
    return _apply(
        lambda: participation.switch_mode(
            session=get_session(),
            registration=registration,
            mode=form.mode.data,
            dietary=form.on_site_answers().get("dietary", ""),
        ),
        registration,
        done="Your attendance mode is changed. An updated calendar file is on its way.",
    )


@bp.route("/me/registrations/<int:registration_id>/requirements", methods=["POST"])
@login_required
def change_requirements(registration_id: int):
    """Correct one's dietary (on site) and accessibility requirements, until registration closes."""
    registration = own_registration_or_404(registration_id)
    if reg.has_started(registration.workshop):
        return _frozen(registration)
    if not registration.is_active:
        return redirect(url_for("events.registration", registration_id=registration.id))
    form = RequirementsForm(mode=registration.mode)
    if not form.validate_on_submit():
        return _registration_page(registration, requirements_form=form)
    try:
        participation.change_requirements(session=get_session(), registration=registration, **form.answers())
    except reg.RegistrationError as refused:
        # Registration closed meanwhile: the page says so and still holds what was typed.
        form.form_errors.append(str(refused))
        return _registration_page(registration, requirements_form=form, status=403)
    flash("Your requirements are saved. Only the organisers see them.", "success")
    return redirect(url_for("events.registration", registration_id=registration.id, _anchor="requirements"))


@bp.route("/me/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(registration_id: int):
    """Cancel one's registration: a page says what happens to the seats, and the button there cancels."""
    registration = own_registration_or_404(registration_id)
    if reg.has_started(registration.workshop):
        return _frozen(registration)
    if not registration.is_active:
        return redirect(url_for("events.registration", registration_id=registration.id))
    form = PostForm()
    if request.method == "GET":
        return render_template(
            "events/cancel.html",
            registration=registration,
            workshop=registration.workshop,
            form=form,
            reopens=reg.registration_problem(registration.workshop) is None,
            undo_minutes=_undo_minutes(),
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = participation.cancel(session=get_session(), registration=registration)
    except reg.RegistrationError as refused:
        flash(str(refused), "error")
    else:
        cookie_session[UNDO_KEY] = {"registration": registration.id, "breakouts": [b.id for b in outcome.released]}
        flash(
            "Your registration is cancelled. A calendar file that removes it from your calendar is on its way.",
            "success",
        )
    return redirect(url_for("events.registration", registration_id=registration.id))


def _undo_minutes() -> int:
    return int(reg.UNDO_PERIOD.total_seconds() // 60)


def _remembered_breakouts(registration) -> list[int] | None:
    """The breakouts this browser's latest cancellation released, if it was this registration's."""
    memory = cookie_session.get(UNDO_KEY)
    if not isinstance(memory, dict) or memory.get("registration") != registration.id:
        return None
    return [int(b) for b in memory.get("breakouts", [])]


def _undo_offer(registration) -> dict | None:
    """What the page's Undo would restore, and until when; ``None`` when there is no undo to offer."""
    if registration.is_active:
        return None
    remembered = _remembered_breakouts(registration)
    if remembered is None or reg.undo_problem(registration):
        return None
    return {
        "until": registration.cancelled_at + reg.UNDO_PERIOD,
        "minutes": _undo_minutes(),
        "breakouts": [b for b in registration.workshop.breakouts if b.id in remembered],
    }


@bp.route("/me/registrations/<int:registration_id>/undo", methods=["POST"])
@login_required
def undo_cancel(registration_id: int):
    """Take a cancellation back within minutes: register again as before, where the places are still free."""
    registration = own_registration_or_404(registration_id)
    if reg.has_started(registration.workshop):
        return _frozen(registration)
    back = redirect(url_for("events.registration", registration_id=registration.id))
    if registration.is_active:
        return back
    remembered = _remembered_breakouts(registration)
    problem = reg.undo_problem(registration)
    if remembered is None and not problem:
        problem = (
            "This cancellation can only be undone from the browser it was made in. "
            "Register again from the workshop's page while registration is open, if places remain."
        )
    if problem:
        flash(problem, "error")
        return back
    try:
        outcome = participation.register_again(
            session=get_session(), registration=registration, breakout_ids=remembered
        )
    except reg.RegistrationError as refused:
        flash(str(refused), "error")
        return back
    cookie_session.pop(UNDO_KEY, None)
    flash(*_restored(outcome, remembered))
    return back


def _restored(outcome, wanted: list[int]) -> tuple[str, str]:
    """What undo gave back, and plainly what it could not, with the category of the message."""
    registration = outcome.registration
    short = []
    if registration.state == RegistrationState.waitlisted:
        short.append(
            f"your place at the workshop had gone to the next in line: you are number "
            f"{registration.waitlist_position} on its waiting list, and your breakouts wait with you"
        )
    seats = sorted(registration.seats, key=lambda seat: (seat.breakout.starts_at, seat.breakout_id))
    for seat in seats:
        if seat.state == SeatState.waitlisted:
            short.append(
                f"your seat in “{seat.breakout.title}” had gone: you are number {seat.waitlist_position} "
                "on its waiting list"
            )
    gone = len(set(wanted) - {seat.breakout_id for seat in seats})
    if gone:
        short.append(
            "a breakout you had chosen no longer exists"
            if gone == 1
            else f"{gone} breakouts you had chosen no longer exist"
        )
    if not short:
        return (
            "Your registration is back as it was, with your seats. A confirmation with a calendar file is on its way.",
            "success",
        )
    return (
        "Your registration is back, but not all of it: " + "; ".join(short) + ". We will write to you as soon as "
        "a place is yours.",
        "warning",
    )


@bp.route("/me/registrations/<int:registration_id>/listing", methods=["POST"])
@login_required
def withdraw_listing(registration_id: int):
    """Withdraw the consent to appear in the public list of organisations, in one step."""
    registration = own_registration_or_404(registration_id)
    if not PostForm().validate_on_submit():
        abort(400)
    consents.withdraw(session=get_session(), user=current_user, kind=ConsentKind.listing, registration=registration)
    flash("Your organisation will no longer appear in public lists for this workshop.", "success")
    return redirect(url_for("events.registration", registration_id=registration.id))


@bp.route("/me/registrations/<int:registration_id>/calendar.ics")
@login_required
def calendar(registration_id: int):
    """Download the workshop's calendar file with one's breakouts (a cancellation once cancelled)."""
    registration = own_registration_or_404(registration_id)
    cancelled = registration.state == RegistrationState.cancelled
    return attachment(
        calendar_file(registration.workshop, registration, method=Method.cancel if cancelled else Method.publish),
        filename=f"{registration.workshop.slug}.ics",
        mimetype="text/calendar",
    )
