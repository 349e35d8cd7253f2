"""Participants' pages: the workshops, one workshop's agenda, registering, and "My registrations".

One registration's own page and its changes are in ``registration_views``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from workshops import caching
from workshops.auth.rules import is_organiser
from workshops.db import get_session
from workshops.events import bp, participation, queries
from workshops.events import registration as reg
from workshops.events.forms import RegisterForm
from workshops.events.models import RegistrationState, WorkshopState
from workshops.events.rules import breakouts_open_to
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
    """One workshop: where and when, its description and its agenda of breakouts.

    Its anonymous view is the same for everyone while the workshop's ``content_version`` and what the
    clock decides stay the same: one short query answers it (``workshops.caching``).
    """
    stamp = queries.workshop_stamp(get_session(), slug)
    if stamp is None or stamp.state == WorkshopState.draft:
        return _workshop_page(slug)  # a draft is for organisers only, never shared
    key = ("workshop", stamp.id, stamp.content_version, stamp.cluster_name, reg.registration_problem(stamp))
    return caching.public_page(key, lambda: _workshop_page(slug))


def _workshop_page(slug: str) -> str:
    """The workshop page rendered for the person asking (or for every anonymous visitor)."""
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
