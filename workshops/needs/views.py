"""A breakout's page (its short link): the need form, the live board, votes; and the capture console."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as browser
from flask_login import current_user, login_required

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.events import queries as events_queries
from workshops.events.models import Breakout, TestBed
from workshops.events.rules import can_facilitate
from workshops.forms import PostForm
from workshops.http import json_error, wants_json
from workshops.needs import bp, queries, speakers, votes
from workshops.needs import rules as need_rules
from workshops.needs import services as needs
from workshops.needs.forms import BoardSettingsForm, DismissForm, NeedForm, SpeakerFields
from workshops.needs.loaders import breakout_by_code_or_404, need_or_404, place_or_404
from workshops.needs.models import Need


def _saved(need: Need, created: bool, message: str, redirect_to: str):
    """After a need is stored: a redirect for a form, JSON for the script (the same answer for a repeat)."""
    if wants_json():
        return {"saved": True, "created": created, "id": need.id, "title": need.title, "message": message}, 201
    flash(message if created else "This need was already saved.", "success")
    return redirect(redirect_to)


def _refused(form):
    """A form refused by the script's request: the errors by field, and those of the form as a whole."""
    errors = {name: list(messages) for name, messages in form.errors.items() if name}
    form_errors = list(form.form_errors)
    message = " ".join(form_errors) or "Check the fields marked: the need is not saved yet."
    return json_error(422, message, errors=errors, form_errors=form_errors)


def _sort() -> str:
    sort = request.args.get("sort", "newest")
    return sort if sort in queries.SORTS else "newest"


def _etag(breakout: Breakout, standing, sort: str) -> str:
    """The board's version as this person sees it: a 304 never stands for another person's view, or for an old one.

    ``board_version`` rises with every change of the board, its settings, its closing and every vote
    (the person's own among them, and so their votes left); facilitating, which shows internal needs
    and the tools, is read anew each time and named here; the sort is the poll's own.
    """
    return f'"b{breakout.id}-v{breakout.board_version}-{sort}-u{current_user.id}-{int(standing.facilitates)}"'


#: A need id no need has: the board's addresses are built with it once, then take each need's id in its place.
_ANY_NEED = 9_876_543_210
_BOARD_ENDPOINTS = {
    "need": "needs.need",
    "vote": "needs.vote",
    "unvote": "needs.unvote",
    "dismiss": "needs.manage_dismiss",
}


@bp.app_template_global()
def board_links() -> dict[str, str]:
    """The addresses of a need's page and of its board actions, ``{}`` standing for the need's id (``_board.html``)."""
    return {
        name: url_for(endpoint, need_id=_ANY_NEED).replace(str(_ANY_NEED), "{}")
        for name, endpoint in _BOARD_ENDPOINTS.items()
    }


def _test_beds(breakout: Breakout) -> list[TestBed]:
    domain_id = breakout.domain_id or (breakout.test_bed.domain_id if breakout.test_bed else None)
    return events_queries.test_beds_in_domain(get_session(), domain_id)


def _need_form(breakout: Breakout, form_class=NeedForm, **kwargs):
    form = form_class(breakout=breakout, test_beds=_test_beds(breakout), **kwargs)
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        form.test_bed_id.data = breakout.test_bed_id
        if not isinstance(form, SpeakerFields):  # the console never credits the facilitator by default
            form.organisation.data = current_user.organisation
            form.organisation_type.data = current_user.organisation_type
    return form


def _values(form) -> needs.NeedInput:
    return needs.NeedInput(
        title=form.title.data,
        statement=form.statement.data,
        context=form.context.data,
        desired_outcome=form.desired_outcome.data,
        affected=form.affected.data,
        constraints=form.constraints.data,
        urgency=form.urgency.data,
        domain_id=form.domain_id,
        test_bed_id=form.test_bed_id.data,
        organisation=form.organisation.data,
        organisation_type=form.organisation_type.data,
        tags=form.tags.data,
        sensitivity=form.sensitivity.data,
    )


@bp.route("/b/<code>", methods=["GET", "POST"])
@login_required
def breakout(code: str):
    """The breakout's page: the need form and, for those who may see it, the live board."""
    breakout, standing = breakout_by_code_or_404(code)
    if not standing.may_log:
        return render_template("needs/not_attending.html", breakout=breakout), 403
    form = _need_form(breakout)
    if form.validate_on_submit():
        values = _values(form)
        values.country = current_user.country
        try:
            need, created = needs.log_need(
                session=get_session(),
                breakout=breakout,
                values=values,
                author=current_user,
                idempotency_key=form.idempotency_key.data or None,
            )
        except needs.NeedError as refused:
            form.form_errors.append(str(refused))
        else:
            message = f"Your need “{need.title}” is saved."
            return _saved(need, created, message, url_for("needs.breakout", code=code))
    if request.method == "POST" and wants_json():
        return _refused(form)
    own = queries.own_needs(get_session(), breakout, current_user)
    return _page("needs/breakout.html", breakout, standing, form=form, own=own)


def _page(template: str, breakout: Breakout, standing, **context):
    sort = _sort()
    entries = (
        queries.board(get_session(), breakout, current_user, sort, internal=standing.sees_internal)
        if standing.sees_board
        else []
    )
    return render_template(
        template,
        breakout=breakout,
        workshop=breakout.workshop,
        standing=standing,
        entries=entries,
        sort=sort,
        etag=_etag(breakout, standing, sort),
        votes_left=votes.votes_left(get_session(), current_user, breakout),
        post_form=PostForm(),
        similar_url=url_for("needs.similar", code=breakout.code),
        **context,
    )


@bp.route("/b/<code>/board")
@login_required
def board(code: str):
    """The board's list alone, for the page to poll: 304 and no body while nothing changed.

    The person and one query (the breakout, their standing, their votes) decide a 304; only a
    changed board costs the needs' query and the rendering.
    """
    place = place_or_404(code)
    breakout, standing = place.breakout, place.standing
    if not standing.sees_board:
        abort(403)
    sort = _sort()
    etag = _etag(breakout, standing, sort)
    if etag in request.headers.get("If-None-Match", ""):
        return "", 304, {"ETag": etag}
    entries = queries.board(get_session(), breakout, current_user, sort, internal=standing.sees_internal)
    html = render_template(
        "needs/_board.html",
        breakout=breakout,
        standing=standing,
        entries=entries,
        votes_left=votes.left(breakout, place.votes_used),
        post_form=PostForm(),
    )
    return html, 200, {"ETag": etag}


def _need_on_board(need_id: int) -> tuple[Need, Breakout]:
    need = need_or_404(need_id, visible_if=_on_the_board)
    return need, need.breakout


def _on_the_board(need: Need) -> bool:
    standing = need_rules.standing(get_session(), current_user, need.breakout)
    return standing.sees_board and (need.sensitivity != "internal" or standing.sees_internal)


def _after_vote(breakout: Breakout, refused: needs.NeedError | None = None):
    """The script gets 204, or the refusal in JSON; a form goes back to the board, or to the page's top.

    A refused vote sends the page to its top, where the flashed refusal is shown: anchored at the
    board, the person would never read why nothing changed.
    """
    if refused is not None:
        if wants_json():
            return json_error(422, str(refused))
        flash(str(refused), "warning")
        return redirect(url_for("needs.breakout", code=breakout.code))
    if wants_json():
        return "", 204
    return redirect(url_for("needs.breakout", code=breakout.code, _anchor="board"))


@bp.route("/needs/<int:need_id>/vote", methods=["POST"])
@login_required
def vote(need_id: int):
    """Give a vote to a need."""
    need, breakout = _need_on_board(need_id)
    try:
        votes.vote(session=get_session(), need=need, user=current_user)
    except needs.NeedError as refused:
        return _after_vote(breakout, refused)
    return _after_vote(breakout)


@bp.route("/needs/<int:need_id>/unvote", methods=["POST"])
@login_required
def unvote(need_id: int):
    """Take one's vote back."""
    need, breakout = _need_on_board(need_id)
    try:
        votes.unvote(session=get_session(), need=need, user=current_user)
    except needs.NeedError as refused:
        return _after_vote(breakout, refused)
    return _after_vote(breakout)


def _facilitated(breakout_id: int) -> Breakout:
    breakout = get_session().get(Breakout, breakout_id)
    if breakout is None or not can_facilitate(current_user, breakout):
        abort(404)
    return breakout


@bp.route("/manage/breakouts/<int:breakout_id>/capture", methods=["GET", "POST"])
@role_required(Role.facilitator)
def manage_capture(breakout_id: int):
    """The facilitator's console: capture needs for speakers, keyboard first, beside the board."""
    breakout = _facilitated(breakout_id)
    session = get_session()
    standing = need_rules.standing(session, current_user, breakout)
    attendees = queries.attendees_of(session, breakout)
    form = _need_form(breakout, SpeakerFields, attendees=attendees)
    if request.method == "GET":
        _recall_speaker(form, breakout)
    if form.validate_on_submit():
        try:
            need, created = needs.log_need(
                session=session,
                breakout=breakout,
                values=_captured_values(form),
                author=current_user,
                speaker=form.choice.attendee,
                speaker_name="" if form.choice.attendee else form.speaker.data,
                idempotency_key=form.idempotency_key.data or None,
            )
        except needs.NeedError as refused:
            form.form_errors.append(str(refused))
        else:
            _remember_speaker(form, breakout)
            return _saved(
                need, created, f"Captured: {need.title}", url_for("needs.manage_capture", breakout_id=breakout.id)
            )
    if request.method == "POST" and wants_json():
        return _refused(form)
    _show_attendee_details(form)
    return _page(
        "needs/capture.html",
        breakout,
        standing,
        form=form,
        speakers=speakers.speaker_options(attendees),
        credited=_credited(form),
        dismissed=queries.dismissed_needs(session, breakout),
        settings=BoardSettingsForm(obj=breakout, formdata=None),
    )


def _captured_values(form: SpeakerFields) -> needs.NeedInput:
    """What the console sends: an outsider's organisation as typed (an attendee's is their own, see log_need)."""
    values = _values(form)
    values.organisation_type = form.organisation_type.data or speakers.UNKNOWN_TYPE
    values.country = form.country.data or ""
    return values


def _credited(form: SpeakerFields) -> str:
    """The "Credited to" line for the form as shown; the page's script keeps it up to date."""
    return speakers.credit_line(
        form.speaker.data or "",
        form.choice,
        organisation=form.organisation.data or "",
        organisation_type=form.organisation_type.data or "",
        country=form.country.data or "",
    )


def _remember_speaker(form: SpeakerFields, breakout: Breakout) -> None:
    """The console keeps the speaker for the next need (people say several things in a row)."""
    outsider = form.choice.attendee is None
    browser["last_speaker"] = {
        "breakout": breakout.id,
        "name": form.speaker.data,
        "attendee_id": "" if outsider else str(form.choice.attendee.id),
        "organisation": form.organisation.data if outsider else "",
        "organisation_type": form.organisation_type.data if outsider else "",
        "country": form.country.data if outsider else "",
    }


def _recall_speaker(form: SpeakerFields, breakout: Breakout) -> None:
    """The last speaker of this breakout in the form; an attendee with their own details, never the facilitator's."""
    last = browser.get("last_speaker", {})
    if last.get("breakout") != breakout.id:
        return
    form.speaker.data, form.attendee_id.data = last.get("name", ""), last.get("attendee_id", "")
    form.choice = speakers.choose_speaker(form.speaker.data, form.attendee_id.data, form.attendees)
    if form.choice.problem:  # the attendee left the breakout since: the name alone decides now
        form.choice = speakers.choose_speaker(form.speaker.data, "", form.attendees)
    form.attendee_id.data = str(form.choice.attendee.id) if form.choice.attendee else ""
    if form.choice.attendee is None:
        form.organisation.data = last.get("organisation", "")
        form.organisation_type.data = last.get("organisation_type", "")
        form.country.data = last.get("country", "")


def _show_attendee_details(form: SpeakerFields) -> None:
    """An attendee's own organisation, type and country in the fields, as they will be stored."""
    person = form.choice.attendee
    if person is not None:
        form.organisation.data, form.organisation_type.data, form.country.data = (
            person.organisation,
            person.organisation_type,
            person.country,
        )


@bp.route("/manage/breakouts/<int:breakout_id>/board", methods=["POST"])
@role_required(Role.facilitator)
def manage_board(breakout_id: int):
    """Set who sees the board and how many votes each attendee has."""
    breakout = _facilitated(breakout_id)
    settings = BoardSettingsForm()
    if settings.validate_on_submit():
        needs.set_board(
            session=get_session(),
            breakout=breakout,
            visibility=settings.board_visibility.data,
            votes_per_person=settings.votes_per_person.data,
        )
        flash("The board settings are saved.", "success")
    else:
        problems = "; ".join(message for messages in settings.errors.values() for message in messages)
        flash(f"The board settings were not saved: {problems}", "error")
    return redirect(url_for("needs.manage_capture", breakout_id=breakout.id, _anchor="board-settings"))


@bp.route("/manage/breakouts/<int:breakout_id>/lock", methods=["POST"])
@role_required(Role.facilitator)
def manage_lock(breakout_id: int):
    """Close the breakout when it ends: no new needs, edits or votes."""
    breakout = _facilitated(breakout_id)
    if not PostForm().validate_on_submit():
        abort(400)
    needs.lock_breakout(session=get_session(), breakout=breakout)
    flash("The breakout is closed: no new needs or votes.", "success")
    return redirect(url_for("needs.manage_capture", breakout_id=breakout.id))


@bp.route("/manage/breakouts/<int:breakout_id>/unlock", methods=["POST"])
@role_required(Role.facilitator)
def manage_unlock(breakout_id: int):
    """Open a closed breakout again."""
    breakout = _facilitated(breakout_id)
    if not PostForm().validate_on_submit():
        abort(400)
    needs.unlock_breakout(session=get_session(), breakout=breakout)
    flash("The breakout is open again.", "success")
    return redirect(url_for("needs.manage_capture", breakout_id=breakout.id))


def _facilitated_need(need_id: int) -> Need:
    return need_or_404(need_id, visible_if=lambda need: can_facilitate(current_user, need.breakout))


@bp.route("/manage/needs/<int:need_id>/dismiss", methods=["POST"])
@role_required(Role.facilitator)
def manage_dismiss(need_id: int):
    """Set a need aside, with the reason its author will read."""
    need = _facilitated_need(need_id)
    form = DismissForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "Say why the need is dismissed.", "error")
    else:
        try:
            needs.dismiss_need(session=get_session(), need=need, reason=form.reason.data)
        except needs.NeedError as refused:
            flash(str(refused), "error")
        else:
            flash(f"Dismissed: {need.title}", "success")
    return redirect(url_for("needs.manage_capture", breakout_id=need.breakout_id))


@bp.route("/manage/needs/<int:need_id>/reopen", methods=["POST"])
@role_required(Role.facilitator)
def manage_reopen(need_id: int):
    """Put a dismissed need back on the board."""
    need = _facilitated_need(need_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        needs.reopen_need(session=get_session(), need=need)
    except needs.NeedError as refused:
        flash(str(refused), "error")
    return redirect(url_for("needs.manage_capture", breakout_id=need.breakout_id))
