"""Open calls: the organisers' pages to write, compose, publish and export a call, and the public pages.

Organiser pages live under ``/manage/calls`` and need the organiser role. Each handler loads its
call (404), the decorator has checked the role (403), then it calls a service and goes back to the
composition page, anchored to what changed so that keyboard users keep their place. The page's
script moves challenges and domains without a reload: it sends the same forms asking for JSON
(``workshops.http``), and gets back the message to announce and the call's whole order. The public
pages show published and closed calls only: a draft's address answers 404 to everyone there,
organisers included (they read a draft through the preview). Publishing has a page of its own first:
what it will freeze, whom it will e-mail and where the call goes public, or what holds it up
(``workshops.calls.publication``); only the confirmation sent from that page publishes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from workshops import caching
from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.calls import bp, composition, exports, publication, queries, services, text
from workshops.calls.composition import CallError, DomainGroup, OrderChanged, StalePublication
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS, Format
from workshops.calls.forms import MARKDOWN_HINT, AddChallengesForm, CallForm, MoveForm, PublishForm, call_form_data
from workshops.calls.models import SECTIONS, CallState, Challenge, OpenCall
from workshops.calls.queries import PUBLIC_STATES
from workshops.calls.services import FROZEN_MESSAGE, SlugTaken
from workshops.db import get_session
from workshops.downloads import attachment
from workshops.http import json_error, wants_json
from workshops.markdown import render_markdown
from workshops.navigation import external_url
from workshops.pagination import paginate
from workshops.programme.models import Domain
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCaseState
from workshops.usecases.services import template_body

PER_PAGE = 50
#: The call's own sections sit under its title as level-2 headings: their own headings nest below, from level 3.
SECTION_LEVEL = 2


# --- Loading and helpers ------------------------------------------------------------------------


def _call_or_404(call_id: int) -> OpenCall:
    return get_session().get(OpenCall, call_id) or abort(404)


def _public_call_or_404(slug: str) -> OpenCall:
    """A published or closed call; a draft is not there for anyone on the public pages."""
    call = composition.call_by_slug(get_session(), slug)
    if call is None or call.state not in PUBLIC_STATES:
        abort(404)
    return call


def _challenge_or_404(call: OpenCall, challenge_id: int) -> Challenge:
    challenge = get_session().get(Challenge, challenge_id, options=[selectinload(Challenge.use_case)])
    if challenge is None or challenge.call_id != call.id:
        abort(404)
    return challenge


def _composition(call: OpenCall, anchor: str | None = None) -> str:
    return url_for("calls.manage_call", call_id=call.id, _anchor=anchor)


def _challenge_counts(call_ids: list[int]) -> dict[int, int]:
    return queries.challenge_counts(get_session(), call_ids)


def _flash_refusal(error: CallError) -> None:
    flash(str(error), "error")


def _download(format_: Format, source, filename: str):
    return attachment(format_.data(source), filename=filename, mimetype=format_.mimetype)


def _call_page(call: OpenCall, downloads: list[tuple[str, str, str]]) -> dict:
    """What the preview and the public page show: the call text, rendered once, as the exports read it."""
    call_text = exports.read(get_session(), call)
    sections = [
        (field, heading, render_markdown(text.nest_headings(getattr(call, field).strip(), SECTION_LEVEL)))
        for field, heading in SECTIONS.items()
        if getattr(call, field).strip()
    ]
    facts, bodies = {}, {}
    for challenge in call_text.challenges():
        key = challenge.challenge.id
        facts[key] = exports.challenge_facts(call_text, challenge)
        bodies[key] = challenge.nested_html()
    return {
        "call": call,
        "call_text": call_text,
        "sections": sections,
        "facts": facts,
        "bodies": bodies,
        "downloads": downloads,
    }


def _public_status(call: OpenCall, now) -> str:
    """Where a public call stands for someone who wants to apply."""
    if call.state == CallState.closed or now >= call.closes_at:
        return "Closed"
    if now < call.opens_at:
        return "Not open yet"
    return "Open for applications"


# --- The list and the call's details -------------------------------------------------------------


@bp.route("/manage/calls")
@role_required(Role.organiser)
def manage_calls():
    """Every call, the latest first, with its state, dates and number of challenges."""
    page = paginate(get_session(), queries.every_call(), per_page=PER_PAGE)
    return render_template("calls/manage_calls.html", page=page, counts=_challenge_counts([c.id for c in page.items]))


@bp.route("/manage/calls/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def new():
    """Create a call: a draft until published."""
    form = CallForm(session=get_session())
    if form.validate_on_submit():
        try:
            call = services.create_call(get_session(), values=form.values())
        except SlugTaken as taken:
            form.slug.errors.append(str(taken))
        else:
            flash(f"Created “{call.name}”. Add its challenges next.", "success")
            return redirect(_composition(call))
    return render_template("calls/form.html", form=form, call=None, markdown_hint=MARKDOWN_HINT)


@bp.route("/manage/calls/<int:call_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def edit(call_id: int):
    """Change a draft call's name, address, dates and text; a published call's are frozen."""
    call = _call_or_404(call_id)
    if call.state != CallState.draft:
        flash(FROZEN_MESSAGE, "warning")
        return redirect(_composition(call))
    form = CallForm(data=call_form_data(call), session=get_session(), call=call)
    if form.validate_on_submit():
        try:
            services.edit_call(get_session(), call, values=form.values())
        except SlugTaken as taken:
            form.slug.errors.append(str(taken))
        except CallError as error:
            _flash_refusal(error)
            return redirect(_composition(call))
        else:
            flash("Saved the call.", "success")
            return redirect(_composition(call))
    return render_template("calls/form.html", form=form, call=call, markdown_hint=MARKDOWN_HINT)


# --- Composing ----------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>")
@role_required(Role.organiser)
def manage_call(call_id: int):
    """The composition page: challenges by domain in order, adding, moving, publishing, downloads."""
    call = _call_or_404(call_id)
    session = get_session()
    groups = composition.grouped(session, call)
    in_call = {c.challenge.use_case_id for group in groups for c in group.challenges}
    candidates, without_domain = [], []
    if call.state == CallState.draft:
        accepted = queries.accepted_use_cases(session)
        waiting = [u for u in accepted if u.id not in in_call]
        candidates = sorted(
            (u for u in waiting if u.domain is not None), key=lambda u: (u.domain.position, u.domain.name, u.title)
        )
        without_domain = [u for u in waiting if u.domain is None]
    draft = call.state == CallState.draft
    unfinished = publication.unfinished(groups, template_body(session)) if draft else []
    return render_template(
        "calls/manage_call.html",
        call=call,
        groups=groups,
        unfinished={item.text.challenge.id: item for item in unfinished},
        holding_up=sum(len(item.blocking) for item in unfinished),
        published_in=queries.public_calls_of(session, [u.id for u in candidates]) if draft else {},
        challenge_count=len(in_call),
        candidates=candidates,
        without_domain=without_domain,
        add_form=AddChallengesForm(use_cases=[(u.id, u.title) for u in candidates]),
        call_formats=CALL_FORMATS,
        report_formats=REPORT_FORMATS,
        accepted=UseCaseState.accepted.value,
    )


@bp.route("/manage/calls/<int:call_id>/challenges", methods=["POST"])
@role_required(Role.organiser)
def add_challenges(call_id: int):
    """Add the chosen accepted use cases in the order chosen, each after the last challenge of its domain."""
    call = _call_or_404(call_id)
    form = AddChallengesForm()
    if not form.validate_on_submit():
        flash(form.use_case_id.errors[0] if form.use_case_id.errors else "Choose use cases to add.", "error")
        return redirect(_composition(call, "add"))
    try:
        added = services.add_challenges(get_session(), call, use_case_ids=form.chosen_ids())
    except CallError as error:
        _flash_refusal(error)
        return redirect(_composition(call, "add"))
    flash(f"Added {added} {'challenge' if added == 1 else 'challenges'} to the call.", "success")
    return redirect(_composition(call, "challenges"))


@bp.route("/manage/calls/<int:call_id>/challenges/<int:challenge_id>/move", methods=["POST"])
@role_required(Role.organiser)
def move_challenge(call_id: int, challenge_id: int):
    """Move a challenge one place up or down within its domain (a redirect, or JSON for the page's script)."""
    call = _call_or_404(call_id)
    challenge = _challenge_or_404(call, challenge_id)
    title = challenge.use_case.title
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moved = services.move_challenge(
            get_session(), call, challenge_id=challenge.id, step=form.step, seen=form.seen_ids
        )
    except CallError as error:
        return _move_refused(call, error)
    groups = composition.grouped(get_session(), call)
    number = next(c.number for g in groups for c in g.challenges if c.challenge.id == challenge.id)
    if moved:
        message = f"Moved “{title}” {form.direction.data}. It is now challenge {number}."
    else:
        message = f"“{title}” is already {'first' if form.step < 0 else 'last'} in its domain (challenge {number})."
    return _moved(call, groups, message, f"challenge-{challenge.id}")


@bp.route("/manage/calls/<int:call_id>/challenges/<int:challenge_id>/remove", methods=["POST"])
@role_required(Role.organiser)
def remove_challenge(call_id: int, challenge_id: int):
    """Take a challenge out of the call; the use case stays as it is, and may be added again."""
    call = _call_or_404(call_id)
    challenge = _challenge_or_404(call, challenge_id)
    title = challenge.use_case.title
    try:
        services.remove_challenge(get_session(), call, challenge_id=challenge.id)
    except CallError as error:
        _flash_refusal(error)
        return redirect(_composition(call, "challenges"))
    flash(f"Removed “{title}” from the call; the challenges after it moved up.", "success")
    return redirect(_composition(call, "challenges"))


@bp.route("/manage/calls/<int:call_id>/domains/<int:domain_id>/move", methods=["POST"])
@role_required(Role.organiser)
def move_domain(call_id: int, domain_id: int):
    """Move a domain, with all its challenges, one place up or down (a redirect, or JSON for the script)."""
    call = _call_or_404(call_id)
    domain = get_session().get(Domain, domain_id) or abort(404)
    name = domain.name
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moved = services.move_domain(get_session(), call, domain_id=domain.id, step=form.step, seen=form.seen_ids)
    except CallError as error:
        return _move_refused(call, error)
    groups = composition.grouped(get_session(), call)
    number = next(g.number for g in groups if g.domain.id == domain_id)
    if moved:
        message = f"Moved the domain “{name}” {form.direction.data}. It is now domain {number}."
    else:
        message = f"The domain “{name}” is already {'first' if form.step < 0 else 'last'} (domain {number})."
    return _moved(call, groups, message, f"domain-{domain_id}")


def _order(groups: list[DomainGroup]) -> list[dict]:
    """The call's order as the page's script redraws it: each domain's number and its challenges' numbers."""
    return [
        {
            "domain_id": group.domain.id,
            "number": group.number,
            "challenges": [{"id": c.challenge.id, "number": c.number} for c in group.challenges],
        }
        for group in groups
    ]


def _moved(call: OpenCall, groups: list[DomainGroup], message: str, anchor: str):
    """After a move: the message and the new order for the script, else a flash and the page at the item."""
    if wants_json():
        return {"moved": True, "message": message, "order": _order(groups)}
    flash(message, "success")
    return redirect(_composition(call, anchor))


def _move_refused(call: OpenCall, error: CallError):
    """A refused move: for the script, 409 when the order changed meanwhile (422 otherwise) with the order now."""
    if wants_json():
        body, status = json_error(409 if isinstance(error, OrderChanged) else 422, str(error))
        body["order"] = _order(composition.grouped(get_session(), call))
        return body, status
    _flash_refusal(error)
    return redirect(_composition(call, "challenges"))


# --- Publishing ---------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/publish", methods=["GET", "POST"])
@role_required(Role.organiser)
def publish(call_id: int):
    """Say what publishing will do and ask to confirm it (GET); publish as confirmed (POST).

    The page names the challenges to be frozen, the number of people to be e-mailed and the public
    address, or what holds the publication up. A POST without the page's confirmation goes to the
    page (303; 400 for a script); one whose confirmation is out of date shows the page again, with
    what changed (409); a refusal shows it with the reason (422). Nothing is published in these cases.
    """
    call = _call_or_404(call_id)
    if call.state != CallState.draft:
        flash(f"“{call.name}” is {call.state_label.lower()} already.", "info")
        return redirect(_composition(call))
    form = PublishForm()
    if request.method == "GET":
        return _confirmation(call, PublishForm(formdata=None))
    if not form.validate_on_submit():
        if wants_json():
            return json_error(400, form.confirmation.errors[0])
        flash("Publishing freezes the call: check what it will do, then confirm.", "warning")
        return redirect(url_for("calls.publish", call_id=call.id), code=303)
    try:
        told = services.publish(get_session(), call, token=form.confirmation.data)
    except StalePublication as stale:
        return _confirmation(call, PublishForm(formdata=None), refusal=str(stale), status=409)
    except CallError as error:
        return _confirmation(call, PublishForm(formdata=None), refusal=str(error), status=422)
    people = "contributor was" if told == 1 else "contributors were"
    flash(f"Published “{call.name}”: the text of its challenges is frozen, and {told} {people} told.", "success")
    return redirect(_composition(call))


def _confirmation(call: OpenCall, form: PublishForm, *, refusal: str = "", status: int = 200):
    """The publication's confirmation page, as publishing now would go (its token in the form)."""
    session = get_session()
    session.expire_all()  # what a refused attempt read in its own transaction is read again
    call = session.get(OpenCall, call.id)
    preview = publication.preview(session, call)
    form.confirmation.data = preview.token
    page = render_template(
        "calls/publish.html",
        call=call,
        preview=preview,
        form=form,
        refusal=refusal,
        public_url=external_url("calls.public_call", slug=call.slug),
    )
    return page, status


@bp.route("/manage/calls/<int:call_id>/close", methods=["POST"])
@role_required(Role.organiser)
def close(call_id: int):
    """Close a published call; its text and public page stay."""
    call = _call_or_404(call_id)
    try:
        services.close(get_session(), call)
    except CallError as error:
        _flash_refusal(error)
        return redirect(_composition(call))
    flash(f"“{call.name}” is closed. Its public page now says so.", "success")
    return redirect(_composition(call))


# --- Reading and downloading --------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/preview")
@role_required(Role.organiser)
def preview(call_id: int):
    """The whole call text as one page, as the public will read it."""
    call = _call_or_404(call_id)
    downloads = [
        (key, format_.label, url_for("calls.export", call_id=call.id, fmt=key)) for key, format_ in CALL_FORMATS.items()
    ]
    return render_template("calls/preview.html", **_call_page(call, downloads))


@bp.route("/manage/calls/<int:call_id>/export.<fmt>")
@role_required(Role.organiser)
def export(call_id: int, fmt: str):
    """Download the call text in one format (a draft's too, to review it elsewhere)."""
    call = _call_or_404(call_id)
    format_ = CALL_FORMATS.get(fmt) or abort(404)
    return _download(format_, exports.read(get_session(), call), f"{call.slug}.{format_.extension}")


@bp.route("/manage/calls/<int:call_id>/report.<fmt>", endpoint="report")
@role_required(Role.organiser)
def report_download(call_id: int, fmt: str):
    """Download the consultation report: who took part and the needs behind each challenge (organisers only)."""
    call = _call_or_404(call_id)
    format_ = REPORT_FORMATS.get(fmt) or abort(404)
    data = services.consultation_report(get_session(), call, fmt=fmt)
    return _download(format_, data, f"{call.slug}-consultation-report.{format_.extension}")


# --- Public pages -------------------------------------------------------------------------------


@bp.route("/calls/")
def public_calls():
    """The published and closed calls, the latest first."""
    calls = queries.public_calls(get_session())
    now = utcnow()
    return render_template(
        "calls/public_calls.html",
        calls=calls,
        counts=_challenge_counts([c.id for c in calls]),
        statuses={c.id: _public_status(c, now) for c in calls},
    )


@bp.route("/calls/<slug>/")
def public_call(slug: str):
    """A published call's text, with its downloads; its anonymous view kept while it stays as published.

    A published call is frozen: its id, state and publication (with the status the clock gives it)
    name its text, and ``queries.evidence_version`` the evidence counted under each challenge
    (``workshops.caching``).
    """
    call = _public_call_or_404(slug)
    status = _public_status(call, utcnow())

    def render() -> str:
        downloads = [
            (key, format_.label, url_for("calls.public_export", slug=call.slug, fmt=key))
            for key, format_ in CALL_FORMATS.items()
        ]
        return render_template("calls/public_call.html", status=status, **_call_page(call, downloads))

    key = ("call", call.id, call.state, call.published_at, call.updated_at, status)
    return caching.public_page((*key, *queries.evidence_version(get_session())), render)


@bp.route("/calls/<slug>/export.<fmt>")
def public_export(slug: str, fmt: str):
    """Download a published call's text in one format."""
    call = _public_call_or_404(slug)
    format_ = CALL_FORMATS.get(fmt) or abort(404)
    return _download(format_, exports.read(get_session(), call), f"{call.slug}.{format_.extension}")
