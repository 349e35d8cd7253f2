"""Organiser pages of the events domain: test beds, workshops, breakouts, and messages to registrants."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.events import bp, notifications, queries, retention, services
from workshops.events.loaders import breakout_or_404, workshop_or_404
from workshops.events.manage_forms import (
    BreakoutForm,
    CancelWorkshopForm,
    MessageForm,
    TestBedForm,
    WorkshopForm,
    breakout_form_data,
    new_breakout_data,
    workshop_form_data,
)
from workshops.events.models import TestBed, Workshop
from workshops.pagination import paginate
from workshops.programme import queries as programme_queries

PER_PAGE = 50


# --- Loading and choices ------------------------------------------------------------------------


def _domains() -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in programme_queries.domains(get_session())]


def _clusters() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in programme_queries.clusters(get_session())]


def _test_beds() -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in queries.test_beds(get_session())]


def _breakout_form(workshop: Workshop, **kwargs) -> BreakoutForm:
    return BreakoutForm(
        workshop=workshop,
        test_beds=_test_beds(),
        domains=_domains(),
        facilitators=services.facilitator_choices(get_session()),
        **kwargs,
    )


def _overview(workshop_id: int) -> str:
    return url_for("events.manage_workshop", workshop_id=workshop_id)


# --- Test beds ----------------------------------------------------------------------------------


@bp.route("/manage/test-beds")
@role_required(Role.organiser)
def manage_test_beds():
    """List the test beds with their domains."""
    page = paginate(get_session(), queries.test_beds_with_domains(), per_page=PER_PAGE)
    return render_template("events/manage/test_beds.html", page=page)


@bp.route("/manage/test-beds/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_test_bed_new():
    """Add a test bed."""
    form = TestBedForm(session=get_session(), domains=_domains())
    return _save_test_bed(form, None) or render_template("events/manage/test_bed_form.html", form=form, test_bed=None)


@bp.route("/manage/test-beds/<int:test_bed_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_test_bed_edit(test_bed_id: int):
    """Change a test bed."""
    test_bed = get_session().get(TestBed, test_bed_id) or abort(404)
    form = TestBedForm(obj=test_bed, session=get_session(), domains=_domains(), test_bed=test_bed)
    return _save_test_bed(form, test_bed) or render_template(
        "events/manage/test_bed_form.html", form=form, test_bed=test_bed
    )


def _save_test_bed(form: TestBedForm, test_bed: TestBed | None):
    """Store a valid form and go back to the list; ``None`` to show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        test_bed = services.save_test_bed(session=get_session(), test_bed=test_bed, values=form.values())
    except services.SetupError as error:
        form.name.errors.append(str(error))
        return None
    flash(f"Saved the test bed “{test_bed.name}”.", "success")
    return redirect(url_for("events.manage_test_beds"))


# --- Workshops ----------------------------------------------------------------------------------


@bp.route("/manage/workshops")
@role_required(Role.organiser)
def manage_workshops():
    """List every workshop, the latest first, with its live counts."""
    page = paginate(get_session(), queries.every_workshop(), per_page=PER_PAGE)
    counts = services.workshop_counts(session=get_session(), workshop_ids=[w.id for w in page.items])
    return render_template("events/manage/workshops.html", page=page, counts=counts)


@bp.route("/manage/workshops/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_workshop_new():
    """Create a workshop (a draft until published)."""
    form = WorkshopForm(session=get_session(), clusters=_clusters())
    if form.validate_on_submit():
        try:
            workshop = services.create_workshop(session=get_session(), values=form.values())
        except services.SetupError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(f"Created “{workshop.title}”. Add its breakouts next.", "success")
            return redirect(_overview(workshop.id))
    return render_template("events/manage/workshop_form.html", form=form, workshop=None)


@bp.route("/manage/workshops/<int:workshop_id>")
@role_required(Role.organiser)
def manage_workshop(workshop_id: int):
    """A workshop's overview: details, live counts, breakouts, actions and the messages sent."""
    workshop = workshop_or_404(workshop_id, setup=True)
    return _render_overview(workshop, CancelWorkshopForm())


def _render_overview(workshop: Workshop, cancel_form: CancelWorkshopForm):
    session = get_session()
    return render_template(
        "events/manage/workshop.html",
        workshop=workshop,
        counts=services.workshop_counts(session=session, workshop_ids=[workshop.id])[workshop.id],
        breakout_counts=services.breakout_counts(session=session, workshop=workshop),
        messages=services.sent_messages(session=session, workshop=workshop),
        cancel_form=cancel_form,
        purge_due_at=retention.purge_due_at(workshop, current_app.config["RETENTION_MONTHS"]),
    )


@bp.route("/manage/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_workshop_edit(workshop_id: int):
    """Change a workshop; registrants hear of a new time or place, and freed places are filled."""
    workshop = workshop_or_404(workshop_id, setup=True)
    form = WorkshopForm(
        data=workshop_form_data(workshop), session=get_session(), clusters=_clusters(), workshop=workshop
    )
    if form.validate_on_submit():
        try:
            update = services.update_workshop(
                session=get_session(),
                workshop=workshop,
                values=form.values(),
                move_breakouts=form.move_breakouts_wanted,
            )
        except services.SetupError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            _flash_update(update)
            return redirect(_overview(workshop.id))
    return render_template("events/manage/workshop_form.html", form=form, workshop=workshop)


def _flash_update(update: services.WorkshopUpdate) -> None:
    flash("Saved the workshop.", "success")
    if update.changed:
        people = "registrant was" if update.told == 1 else "registrants were"
        flash(f"The {update.changed} changed: {update.told} {people} told, with an updated calendar file.", "info")
    if update.promoted:
        who = "person" if update.promoted == 1 else "people"
        flash(f"{update.promoted} {who} moved up from a waiting list.", "info")


@bp.route("/manage/workshops/<int:workshop_id>/close", methods=["POST"])
@role_required(Role.organiser)
def manage_workshop_close(workshop_id: int):
    """Close registration: the workshop takes no new registrations."""
    workshop = workshop_or_404(workshop_id, setup=True)
    closed = services.close_registration(session=get_session(), workshop=workshop)
    flash("Registration is closed." if closed else "Registration was closed already.", "success" if closed else "info")
    return redirect(_overview(workshop.id))


@bp.route("/manage/workshops/<int:workshop_id>/copy", methods=["POST"])
@role_required(Role.organiser)
def manage_workshop_copy(workshop_id: int):
    """Start the next workshop as a copy of this one, and open it for editing."""
    workshop = workshop_or_404(workshop_id, setup=True)
    copy = services.copy_workshop(session=get_session(), workshop=workshop)
    flash(f"This is a draft copy with {len(workshop.breakouts)} breakouts. Set its dates, then its breakouts.", "info")
    return redirect(url_for("events.manage_workshop_edit", workshop_id=copy.id))


@bp.route("/manage/workshops/<int:workshop_id>/cancel", methods=["POST"])
@role_required(Role.organiser)
def manage_workshop_cancel(workshop_id: int):
    """Cancel a workshop: every registration is cancelled and every registrant told."""
    workshop = workshop_or_404(workshop_id, setup=True)
    form = CancelWorkshopForm()
    if not form.validate_on_submit():
        return _render_overview(workshop, form)
    told = services.cancel_workshop(session=get_session(), workshop=workshop)
    flash(f"The workshop is cancelled; {told} {'registrant was' if told == 1 else 'registrants were'} told.", "success")
    return redirect(_overview(workshop.id))


@bp.route("/manage/workshops/<int:workshop_id>/message", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_workshop_message(workshop_id: int):
    """Write to the registrants of a workshop, or of one of its breakouts."""
    workshop = workshop_or_404(workshop_id, setup=True)
    breakouts = {b.id: b for b in workshop.breakouts}
    form = MessageForm(breakouts=[(b.id, f"Registrants of the breakout “{b.title}”") for b in workshop.breakouts])
    if form.validate_on_submit():
        message = notifications.write_to_registrants(
            get_session(),
            workshop=workshop,
            breakout=breakouts.get(form.audience.data),
            subject=form.subject.data,
            body=form.body.data,
            sender=current_user,
        )
        count = message.recipient_count
        flash(f"Sent “{message.subject}” to {count} {'person' if count == 1 else 'people'}.", "success")
        return redirect(_overview(workshop.id))
    return render_template("events/manage/message.html", form=form, workshop=workshop)


# --- Breakouts ----------------------------------------------------------------------------------


@bp.route("/manage/workshops/<int:workshop_id>/breakouts/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_breakout_new(workshop_id: int):
    """Add a breakout to a workshop."""
    workshop = workshop_or_404(workshop_id, setup=True)
    form = _breakout_form(workshop, data=new_breakout_data(workshop))
    if form.validate_on_submit():
        breakout = services.create_breakout(
            session=get_session(),
            workshop=workshop,
            values=form.values(),
            facilitator_ids=form.facilitator_ids.data,
        )
        flash(f"Added the breakout “{breakout.title}”.", "success")
        return redirect(_overview(workshop.id))
    return render_template("events/manage/breakout_form.html", form=form, workshop=workshop, breakout=None)


@bp.route("/manage/breakouts/<int:breakout_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_breakout_edit(breakout_id: int):
    """Change a breakout; when its capacity grows, its waiting list moves up."""
    breakout = breakout_or_404(breakout_id)
    workshop = breakout.workshop
    form = _breakout_form(workshop, data=breakout_form_data(breakout), breakout=breakout)
    if form.validate_on_submit():
        promoted = services.update_breakout(
            session=get_session(),
            breakout=breakout,
            values=form.values(),
            facilitator_ids=form.facilitator_ids.data,
        )
        flash(f"Saved the breakout “{form.title.data}”.", "success")
        if promoted:
            flash(f"{promoted} {'person' if promoted == 1 else 'people'} moved up from the waiting list.", "info")
        return redirect(_overview(workshop.id))
    seats = services.breakout_counts(session=get_session(), workshop=workshop).get(breakout.id, services.Counts())
    return render_template(
        "events/manage/breakout_form.html",
        form=form,
        workshop=workshop,
        breakout=breakout,
        seats=seats,
    )


@bp.route("/manage/breakouts/<int:breakout_id>/delete", methods=["POST"])
@role_required(Role.organiser)
def manage_breakout_delete(breakout_id: int):
    """Delete a breakout, with its seats and waiting list."""
    breakout = breakout_or_404(breakout_id)
    workshop_id, title = breakout.workshop_id, breakout.title
    services.delete_breakout(session=get_session(), breakout=breakout)
    flash(f"Deleted the breakout “{title}”.", "success")
    return redirect(_overview(workshop_id))
