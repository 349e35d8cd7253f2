"""Participants' pages: the workshops, one workshop's agenda, registering, and "My registrations"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workshops.auth.rules import is_organiser
from workshops.db import get_session
from workshops.downloads import attachment
from workshops.events import bp, consents, participation, queries
from workshops.events import registration as reg
from workshops.events.calendar import calendar_file
from workshops.events.forms import BreakoutChoice, ModeForm, RegisterForm
from workshops.events.loaders import own_registration_or_404
from workshops.events.models import RegistrationState, WorkshopState
from workshops.events.rules import breakouts_open_to
from workshops.forms import PostForm
from workshops.privacy.models import ConsentKind
from workshops.privacy.services import current_notice


def _load_workshop(slug: str):
    """A workshop the person may see: drafts only for organisers."""
    workshop = queries.workshop_by_slug(get_session(), slug)
    if workshop is None or (workshop.state == WorkshopState.draft and not is_organiser(current_user)):
        abort(404)
    return workshop


@bp.route("/workshops/")
def workshops():
    """Upcoming workshops, and the past ones below."""
    session = get_session()
    return render_template(
        "events/workshops.html", upcoming=queries.upcoming_workshops(session), past=queries.past_workshops(session)
    )


@bp.route("/workshops/<slug>/")
def workshop(slug: str):
    """One workshop: where and when, its description and its agenda of breakouts."""
    workshop = _load_workshop(slug)
    session = get_session()
    registration = queries.registration_of(session, workshop, current_user)
    return render_template(
        "events/workshop.html",
        workshop=workshop,
        seats_left=queries.seats_left(session, workshop),
        places_left=queries.places_left(session, workshop),
        registration=registration,
        open_breakouts=breakouts_open_to(current_user, workshop, registration),
        closed_because=reg.registration_problem(workshop),
        organisations=queries.listed_organisations(session, workshop),
    )


@bp.route("/workshops/<slug>/register", methods=["GET", "POST"])
@login_required
def register(slug: str):
    """Register: attendance mode, breakouts, requirements and consents."""
    workshop = _load_workshop(slug)
    session = get_session()
    existing = queries.registration_of(session, workshop, current_user)
    if existing is not None and existing.is_active:
        flash("You are already registered for this workshop.", "info")
        return redirect(url_for("events.registration", registration_id=existing.id))
    problem = reg.registration_problem(workshop)
    if problem:
        flash(problem, "warning")
        return redirect(url_for("events.workshop", slug=slug))
    form = RegisterForm(workshop=workshop, seats_left=queries.seats_left(session, workshop))
    notice = current_notice(session)
    status = 200
    if form.validate_on_submit():
        choices = reg.Choices(
            mode=form.mode.data,
            breakout_ids=tuple(form.breakouts.data or ()),
            dietary=form.on_site_answers().get("dietary", ""),
            accessibility=form.accessibility.data,
            consent_listing=form.consent_listing.data,
            consent_updates=form.consent_updates.data,
            privacy_notice_version=notice.version,
        )
        try:
            outcome = participation.register(session=session, workshop=workshop, user=current_user, choices=choices)
        except reg.AlreadyRegistered as already:
            flash(str(already), "info")
            return redirect(url_for("events.registration", registration_id=already.registration.id))
        except reg.RegistrationError as refused:
            form.form_errors.append(str(refused))
        else:
            flash(_standing(outcome.registration), "success")
            return redirect(url_for("events.registration", registration_id=outcome.registration.id))
    return render_template("events/register.html", workshop=workshop, form=form, notice=notice), status


def _standing(registration) -> str:
    if registration.state == RegistrationState.confirmed:
        return "You are registered. A confirmation with a calendar file is on its way to your inbox."
    return (
        f"The workshop is full: you are number {registration.waitlist_position} on the waiting list. "
        "We will write to you as soon as a place is yours."
    )


@bp.route("/me/registrations")
@login_required
def my_registrations():
    """Everything the person registered for: upcoming (soonest first), past (latest first, read-only), cancelled."""
    registrations = queries.registrations_of(get_session(), current_user)
    active = [r for r in registrations if r.is_active]
    return render_template(
        "events/my_registrations.html",
        upcoming=[r for r in active if not reg.has_started(r.workshop)],
        past=sorted(
            (r for r in active if reg.has_started(r.workshop)), key=lambda r: r.workshop.starts_at, reverse=True
        ),
        cancelled=[r for r in registrations if not r.is_active],
    )


@bp.route("/me/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def registration(registration_id: int):
    """One registration: change breakouts, switch mode, withdraw the listing consent, cancel."""
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


def _registration_page(registration, *, form=None, mode_form=None, refused=False, status=200):
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
    return (
        render_template(
            "events/registration.html",
            registration=registration,
            workshop=workshop,
            form=form,
            mode_form=mode_form,
            post_form=PostForm(),
            places_left=queries.places_left(session, workshop),
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


@bp.route("/me/registrations/<int:registration_id>/cancel", methods=["POST"])
@login_required
def cancel(registration_id: int):
    """Cancel one's registration; the seats go to the next in line."""
    registration = own_registration_or_404(registration_id)
    if not PostForm().validate_on_submit():
        abort(400)
    if reg.has_started(registration.workshop):
        return _frozen(registration)
    return _apply(
        lambda: participation.cancel(session=get_session(), registration=registration),
        registration,
        done="Your registration is cancelled.",
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
    """Download the workshop's calendar file with one's breakouts."""
    registration = own_registration_or_404(registration_id)
    cancelled = registration.state == RegistrationState.cancelled
    return attachment(
        calendar_file(registration.workshop, registration, cancel=cancelled),
        filename=f"{registration.workshop.slug}.ics",
        mimetype="text/calendar",
    )
