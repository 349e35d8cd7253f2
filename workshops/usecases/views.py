"""The use cases for organisers and facilitators: list, creation from needs, page, editor, review, revisions.

Every handler loads its use case (404 for an unknown or deleted one, except the organisers' view of
a deleted one), checks the role, then calls a service. Forms that fail keep what the person typed.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workshops import http
from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session, max_length
from workshops.events import queries as events_queries
from workshops.markdown import render_markdown
from workshops.pagination import paginate
from workshops.programme import queries as programme_queries
from workshops.security import account_key, limiter
from workshops.usecases import bp, diff, queries, rules
from workshops.usecases import services as use_cases_service
from workshops.usecases.forms import (
    AddNeedsForm,
    BulkStateForm,
    CommentForm,
    PreviewForm,
    StateForm,
    TemplateForm,
    UseCaseForm,
)
from workshops.usecases.models import UseCase, UseCaseRevision, UseCaseState
from workshops.usecases.services import workflow

try:  # the traceability panel is written alongside; until it is there, the page shows none
    from workshops.usecases import traceability
except ImportError:  # pragma: no cover - only while the module is missing
    traceability = None

PER_PAGE = 25
REVISIONS_PER_PAGE = 50
#: Live previews as someone types (the editor asks after half a second without typing).
PREVIEW_PER_ACCOUNT = "60 per minute"
#: What a state change is called once done.
DONE_WORDS = {
    UseCaseState.in_review: "is sent for review",
    UseCaseState.accepted: "is accepted",
    UseCaseState.rejected: "is rejected",
    UseCaseState.draft: "is back to draft",
}
STALE_MESSAGE = (
    "Someone else saved this use case while you were editing it. Their version is shown beside yours: "
    "bring what you need from it into your text, then save again."
)


def _load(use_case_id: int, *, deleted: bool = False) -> UseCase:
    """The use case, or 404; a deleted one only for organisers, and only where ``deleted`` allows it."""
    use_case = get_session().get(UseCase, use_case_id)
    if use_case is None:
        abort(404)
    if use_case.deleted_at is not None and not (deleted and rules.may_delete(current_user)):
        abort(404)
    return use_case


def _ids(values: list[str]) -> list[int]:
    return http.ids(values)


def _form(**kwargs) -> UseCaseForm:
    session = get_session()
    domains = programme_queries.domains(session)
    test_beds = events_queries.test_beds(session)
    return UseCaseForm(domains=domains, test_beds=test_beds, **kwargs)


def _values(form: UseCaseForm) -> use_cases_service.UseCaseInput:
    return use_cases_service.UseCaseInput(
        title=form.title.data,
        summary=form.summary.data,
        domain_id=form.domain_id.data,
        test_bed_id=form.test_bed_id.data,
        owners=form.owners.data,
        owners_may_be_named=bool(form.owners_may_be_named.data),
        trl_min=form.trl_min.data,
        trl_max=form.trl_max.data,
        body=form.body.data or "",
    )


def _previewing(form) -> bool:
    """The "Preview" button was pressed: show the text rendered, save nothing."""
    return request.method == "POST" and bool(form.preview.data)


# --- The list -----------------------------------------------------------------------------------


#: A bulk change, once done and not done, as the flash says it.
BULK_DONE_WORDS = {
    UseCaseState.in_review: "sent for review",
    UseCaseState.accepted: "accepted",
    UseCaseState.rejected: "rejected",
    UseCaseState.draft: "put back to draft",
}
#: How much of a title a bulk change's flash repeats (the flash travels in the session cookie).
FLASHED_TITLE = 80


def _bulk_form(**kwargs) -> BulkStateForm:
    return BulkStateForm(targets=workflow.bulk_targets(current_user), limit=PER_PAGE, **kwargs)


def _list_page(form: BulkStateForm, *, ticked: list[str], status: int = 200):
    """The list as ``?state=``, ``?domain=`` and ``?page=`` ask, ``ticked`` use cases ticked ("all": the page's)."""
    session = get_session()
    state = request.args.get("state", "")
    domain_id = http.number(request.args.get("domain"))
    deleted = state == "deleted" and rules.may_delete(current_user)
    statement = queries.use_case_list(state=state, domain_id=domain_id, deleted=deleted)
    page = paginate(session, statement, per_page=PER_PAGE)
    ids = [u.id for u in page.items]
    #: The filters and page, for the bulk form to come back to this very list.
    here = {"state": state or None, "domain": domain_id, "page": page.number if page.number > 1 else None}
    page_html = render_template(
        "usecases/use_cases.html",
        page=page,
        counts=use_cases_service.need_counts(session, ids),
        domains=programme_queries.domains(session),
        state=state,
        domain_id=domain_id,
        deleted=deleted,
        states=list(UseCaseState),
        bulk_form=form,
        ticked={str(i) for i in ids} if "all" in ticked else set(ticked),
        here=here,
    )
    return page_html, status


@bp.route("/manage/use-cases")
@role_required(Role.facilitator)
def use_cases():
    """Every use case, by latest change, filtered by state and domain; organisers also list deleted ones.

    Ticking use cases and choosing an action moves them all at once (``bulk_change_state``);
    ``?tick=all`` ticks every use case of the page, ``?tick=<id>`` the ones named (so that the page
    works without JavaScript).
    """
    return _list_page(_bulk_form(formdata=None), ticked=request.args.getlist("tick"))


@bp.route("/manage/use-cases/bulk", methods=["POST"])
@role_required(Role.facilitator)
def bulk_change_state():
    """Move the use cases ticked in the list along the review workflow, each as on its own page.

    Each ticked use case that may take the action takes it (its own transaction, revision and audit
    entry); the others stay as they were, and one flash names each with the reason, so nobody is
    left guessing. They stay ticked on the list that follows, ready for another action. An action
    the person's role never allows is 403; a form that does not hold up (nothing ticked, no action,
    no reason for rejecting, ids that are not ids) shows the list again with the ticks and the
    reason kept, and changes nothing.
    """
    form = _bulk_form()
    known = {state.value for state in UseCaseState}
    if form.action.data in known and UseCaseState(form.action.data) not in workflow.bulk_targets(current_user):
        abort(403)
    if not form.validate_on_submit():
        return _list_page(form, ticked=[v for v in form.use_case.data or [] if v != "all"], status=422)
    target = UseCaseState(form.action.data)
    outcome = workflow.change_states(
        session=get_session(),
        use_case_ids=form.ids(),
        actor=current_user,
        to_state=target,
        reason=form.reason.data or "",
    )
    _flash_outcome(outcome, target)
    if target is UseCaseState.in_review:
        _flash_unfinished(outcome.changed)
    kept = [str(refusal.use_case_id) for refusal in outcome.refused if refusal.title]
    return redirect(url_for("usecases.use_cases", **_list_args(), tick=kept or None))


def _list_args() -> dict:
    """The list's filters and page as this request names them (the bulk form's action carries them)."""
    return {
        "state": request.args.get("state") or None,
        "domain": http.number(request.args.get("domain")),
        "page": http.number(request.args.get("page")),
    }


def _flash_outcome(outcome: workflow.BulkOutcome, target: UseCaseState) -> None:
    """One flash for the use cases moved, one naming each refused after its reason (alike reasons together)."""
    done = BULK_DONE_WORDS[target]
    if outcome.changed_titles:
        count = len(outcome.changed_titles)
        names = ", ".join(_quoted(title) for title in outcome.changed_titles)
        flash(f"{count} use case{'s' if count != 1 else ''} {done}: {names}.", "success")
    if outcome.refused:
        by_reason: dict[str, list[str]] = {}
        for refusal in outcome.refused:
            name = _quoted(refusal.title) if refusal.title else f"#{refusal.use_case_id}"
            by_reason.setdefault(refusal.reason, []).append(name)
        count = len(outcome.refused)
        reasons = " ".join(f"{reason.rstrip('.')}: {', '.join(names)}." for reason, names in by_reason.items())
        category = "warning" if outcome.changed_titles else "error"
        flash(f"{count} use case{'s' if count != 1 else ''} not {done}. {reasons}", category)


def _flash_unfinished(sent: list[UseCase]) -> None:
    """After sending use cases for review: which of them still hold template guidance or lack sections."""
    found = use_cases_service.unfinished(get_session(), sent)
    unfinished = [(use_case, found[use_case.id]) for use_case in sent if found.get(use_case.id)]
    if not unfinished:
        return
    named = ", ".join(f"{_quoted(use_case.title)} ({_things(findings)})" for use_case, findings in unfinished[:8])
    more = f" and {len(unfinished) - 8} more" if len(unfinished) > 8 else ""
    flash(f"Still to finish in their text, as each use case's page lists: {named}{more}.", "warning")


def _quoted(title: str) -> str:
    short = title if len(title) <= FLASHED_TITLE else title[: FLASHED_TITLE - 1].rstrip() + "…"
    return f"“{short}”"


# --- Creating -----------------------------------------------------------------------------------


@bp.route("/manage/use-cases/new", methods=["GET", "POST"])
@role_required(Role.facilitator)
def new():
    """A new use case, prefilled from the needs chosen (``?need=1&need=2``), or empty from the template."""
    session = get_session()
    if request.method == "GET":
        ids = _ids(request.args.getlist("need"))
    else:
        form = _form()
        ids = form.need_ids()
    needs = use_cases_service.explorable_needs(session, current_user, ids)
    if len(needs) != len(ids):
        abort(404)
    if request.method == "GET":
        form = _form(obj=use_cases_service.prefill(session, needs))
        form.needs.data = ",".join(str(need.id) for need in needs)
    status = 200
    if not _previewing(form) and form.validate_on_submit():
        try:
            use_case = use_cases_service.create_use_case(
                session=session, author=current_user, values=_values(form), need_ids=ids
            )
        except use_cases_service.UseCaseError as refused:
            form.form_errors.append(str(refused))
        else:
            flash(f"The use case “{use_case.title}” is created.", "success")
            return redirect(url_for("usecases.use_case", use_case_id=use_case.id))
    preview = render_markdown(form.body.data)
    return render_template("usecases/new.html", form=form, needs=needs, preview=preview), status


@bp.route("/manage/use-cases/add-needs", methods=["POST"])
@role_required(Role.facilitator)
def add_needs():
    """Add the needs chosen in the explorer to an existing use case."""
    form = AddNeedsForm()
    if not form.validate_on_submit():
        flash("Choose a use case and the needs to add to it.", "error")
        return redirect(url_for("usecases.use_cases"))
    use_case = _load(form.use_case_id.data)
    ids = list(dict.fromkeys(form.need.data))
    if len(use_cases_service.explorable_needs(get_session(), current_user, ids)) != len(ids):
        abort(404)
    try:
        added = use_cases_service.add_needs(session=get_session(), use_case=use_case, actor=current_user, need_ids=ids)
    except use_cases_service.UseCaseError as refused:
        flash(str(refused), "error")
    else:
        if added:
            flash(f"Added {added} need{'s' if added != 1 else ''} to “{use_case.title}”.", "success")
        else:
            flash(f"These needs already feed “{use_case.title}”.", "info")
    return redirect(url_for("usecases.use_case", use_case_id=use_case.id))


# --- One use case -------------------------------------------------------------------------------


def _page(use_case: UseCase, *, comment_form: CommentForm | None = None, status: int = 200):
    """The use case page: its text, the workflow buttons the viewer may use, where it comes from, comments."""
    session = get_session()
    comments = queries.comments_of(session, use_case)
    latest = queries.latest_revision(session, use_case)
    may_edit = rules.may_edit(current_user, use_case) and use_case.deleted_at is None
    trace = traceability.panel(session, use_case, current_user) if traceability is not None else None
    quoting = use_cases_service.internal_quotations(session, use_case) if use_case.deleted_at is None else []
    findings = use_cases_service.unfinished(session, [use_case])[use_case.id] if use_case.deleted_at is None else []
    accept_own = programme_queries.organisers_accept_own(session)
    page = render_template(
        "usecases/use_case.html",
        use_case=use_case,
        quoting=quoting,
        findings=findings,
        own_acceptance_withheld=_own_acceptance_withheld(use_case, accept_own),
        trace=trace,
        trace_remove=may_edit,
        comments=comments,
        comment_form=comment_form or CommentForm(),
        next_states=rules.next_states(current_user, use_case, organisers_accept_own=accept_own),
        transition_labels=rules.TRANSITION_LABELS,
        latest=latest,
        may_edit=may_edit,
        may_delete=rules.may_delete(current_user),
    )
    return page, status


def _own_acceptance_withheld(use_case: UseCase, accept_own: bool) -> bool:
    """Whether the viewer would be offered to accept this use case now but for having written it (the page says why)."""
    if accept_own or not rules.accepts_own(current_user, use_case):
        return False
    return UseCaseState.accepted in rules.next_states(current_user, use_case, organisers_accept_own=True)


@bp.route("/manage/use-cases/<int:use_case_id>")
@role_required(Role.facilitator)
def use_case(use_case_id: int):
    """A use case: its text, state, workflow, the needs behind it, and comments."""
    return _page(_load(use_case_id, deleted=True))


@bp.route("/manage/use-cases/<int:use_case_id>/edit", methods=["GET", "POST"])
@role_required(Role.facilitator)
def edit(use_case_id: int):
    """Edit a use case with a live preview; a save based on an older version shows both versions."""
    use_case = _load(use_case_id)
    if request.method == "GET" and not rules.may_edit(current_user, use_case):
        abort(403)
    form = _form(obj=use_case if request.method == "GET" else None, editing=True)
    current, differing, status = None, set(), 200
    if not _previewing(form) and form.validate_on_submit():
        try:
            use_cases_service.update_use_case(
                session=get_session(),
                use_case=use_case,
                author=current_user,
                values=_values(form),
                expected_version=http.number(form.version.data),
            )
        except use_cases_service.StaleUseCase as stale:
            current = stale.current
            differing = use_cases_service.differing_fields(current, _values(form))
            form.version.data = str(current.version)  # saving again now replaces it, knowingly
            form.form_errors.append(STALE_MESSAGE)
        except use_cases_service.UseCaseError as refused:
            form.form_errors.append(str(refused))
        else:
            flash("The use case is saved.", "success")
            return redirect(url_for("usecases.use_case", use_case_id=use_case.id))
    preview = render_markdown(form.body.data)
    return render_template(
        "usecases/edit.html", form=form, use_case=use_case, current=current, differing=differing, preview=preview
    ), status


@bp.route("/manage/use-cases/preview", methods=["POST"])
@role_required(Role.facilitator)
@limiter.limit(PREVIEW_PER_ACCOUNT, key_func=account_key)
def preview():
    """The Markdown sent, rendered and sanitised by the one Markdown helper (an HTML fragment)."""
    form = PreviewForm()
    body = (form.body.data or "")[: max_length(UseCase, "body")]
    return Response(str(render_markdown(body)), mimetype="text/html")


@bp.route("/manage/use-cases/<int:use_case_id>/state", methods=["POST"])
@role_required(Role.facilitator)
def change_state(use_case_id: int):
    """Move the use case along the review workflow (send for review, accept, reject, back to draft)."""
    use_case = _load(use_case_id)
    form = StateForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "Choose what to do with the use case.", "error")
        return redirect(url_for("usecases.use_case", use_case_id=use_case.id))
    session = get_session()
    try:
        use_cases_service.change_state(
            session=session,
            use_case=use_case,
            actor=current_user,
            to_state=form.state.data,
            reason=form.reason.data,
        )
    except use_cases_service.OwnAcceptance as refused:
        flash(str(refused), "error")
        return _page(use_case, status=403)
    except use_cases_service.UseCaseError as refused:
        flash(str(refused), "error")
    else:
        done = f"The use case {DONE_WORDS[UseCaseState(use_case.state)]}"
        findings = use_cases_service.unfinished(session, [use_case])[use_case.id]
        if use_case.state == UseCaseState.in_review and findings:
            flash(f"{done}. Its text still has {_things(findings)} to finish: {_listed(findings)}", "warning")
        else:
            flash(f"{done}.", "success")
    return redirect(url_for("usecases.use_case", use_case_id=use_case.id))


#: How many findings a flash lists (it travels in the session cookie); the page lists them all.
FLASHED_FINDINGS = 4


def _things(findings: list) -> str:
    return "1 thing" if len(findings) == 1 else f"{len(findings)} things"


def _listed(findings: list) -> str:
    """The first findings as sentences; the use case's page lists every one."""
    shown = " ".join(finding.sentence for finding in findings[:FLASHED_FINDINGS])
    more = len(findings) - FLASHED_FINDINGS
    return f"{shown} And {more} more, listed on the page." if more > 0 else shown


@bp.route("/manage/use-cases/<int:use_case_id>/comments", methods=["POST"])
@role_required(Role.facilitator)
def comment(use_case_id: int):
    """Add a comment; a refused one is shown again with the text kept."""
    use_case = _load(use_case_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            use_cases_service.add_comment(
                session=get_session(), use_case=use_case, author=current_user, body=form.body.data
            )
        except use_cases_service.UseCaseError as refused:
            form.body.errors = [*form.body.errors, str(refused)]
        else:
            flash("Your comment is added.", "success")
            return redirect(url_for("usecases.use_case", use_case_id=use_case.id, _anchor="comments"))
    return _page(use_case, comment_form=form, status=422)


@bp.route("/manage/use-cases/<int:use_case_id>/needs/<int:need_id>/remove", methods=["POST"])
@role_required(Role.facilitator)
def remove_need(use_case_id: int, need_id: int):
    """Unlink a need from the use case."""
    use_case = _load(use_case_id)
    needs = use_cases_service.explorable_needs(get_session(), current_user, [need_id])
    if not needs:
        abort(404)
    try:
        use_cases_service.remove_need(session=get_session(), use_case=use_case, actor=current_user, need_id=need_id)
    except use_cases_service.UseCaseError as refused:
        flash(str(refused), "error")
    else:
        flash(f"“{needs[0].title}” no longer feeds this use case.", "success")
    return redirect(url_for("usecases.use_case", use_case_id=use_case.id))


@bp.route("/manage/use-cases/<int:use_case_id>/delete", methods=["POST"])
@role_required(Role.organiser)
def delete(use_case_id: int):
    """Delete the use case softly; its page then offers to undo it."""
    use_case = _load(use_case_id)
    use_cases_service.delete_use_case(session=get_session(), use_case=use_case, actor=current_user)
    flash(f"“{use_case.title}” is deleted: it feeds no need and leaves the lists. Undo brings it back.", "success")
    return redirect(url_for("usecases.use_case", use_case_id=use_case.id))


@bp.route("/manage/use-cases/<int:use_case_id>/restore", methods=["POST"])
@role_required(Role.organiser)
def restore(use_case_id: int):
    """Undo the deletion of a use case."""
    use_case = _load(use_case_id, deleted=True)
    use_cases_service.restore_use_case(session=get_session(), use_case=use_case, actor=current_user)
    flash(f"“{use_case.title}” is back.", "success")
    return redirect(url_for("usecases.use_case", use_case_id=use_case.id))


# --- Revisions ----------------------------------------------------------------------------------


@bp.route("/manage/use-cases/<int:use_case_id>/revisions")
@role_required(Role.facilitator)
def revisions(use_case_id: int):
    """Every revision, newest first: who, when, what; two of them can be compared."""
    use_case = _load(use_case_id, deleted=True)
    page = paginate(get_session(), queries.revisions_of(use_case), per_page=REVISIONS_PER_PAGE)
    numbers = [r.number for r in page.items]
    return render_template(
        "usecases/revisions.html",
        use_case=use_case,
        page=page,
        chosen_a=numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else None),
        chosen_b=numbers[0] if numbers else None,
    )


#: The fields compared between two revisions, as people read them.
COMPARED_FIELDS = {
    "title": "Title",
    "state": "State",
    "summary": "Summary",
    "domain": "Domain",
    "test_bed": "Test bed",
    "owners": "Challenge owners",
    "owners_may_be_named": "Owners agreed to be named",
    "trl": "TRL range",
}


def _readable_fields(revision: UseCaseRevision, domains: dict[int, str], test_beds: dict[int, str]) -> dict[str, str]:
    state = UseCaseState(revision.state).label
    if revision.rejected_reason:
        state = f"{state}: {revision.rejected_reason}"
    return {
        "title": revision.title,
        "state": state,
        "summary": revision.summary,
        "domain": domains.get(revision.domain_id, "—") if revision.domain_id else "—",
        "test_bed": test_beds.get(revision.test_bed_id, "—") if revision.test_bed_id else "—",
        "owners": revision.owners,
        "owners_may_be_named": "Yes" if revision.owners_may_be_named else "No",
        "trl": f"{revision.trl_min} to {revision.trl_max}",
    }


@bp.route("/manage/use-cases/<int:use_case_id>/compare")
@role_required(Role.facilitator)
def compare(use_case_id: int):
    """Two revisions side by side: the fields that changed, and the text line by line with changed words."""
    use_case = _load(use_case_id, deleted=True)
    numbers = {http.number(request.args.get("a")), http.number(request.args.get("b"))} - {None}
    if not numbers:
        flash("Choose two revisions to compare.", "warning")
        return redirect(url_for("usecases.revisions", use_case_id=use_case.id))
    session = get_session()
    found = queries.revisions_numbered(session, use_case, numbers)
    if len(found) != len(numbers):
        abort(404)
    older, newer = found[0], found[-1]
    domain_ids = {r.domain_id for r in found} - {None}
    test_bed_ids = {r.test_bed_id for r in found} - {None}
    domains = programme_queries.domain_names(session, domain_ids)
    test_beds = events_queries.test_bed_names(session, test_bed_ids)
    before, after = _readable_fields(older, domains, test_beds), _readable_fields(newer, domains, test_beds)
    full = request.args.get("full") == "1"
    rows = diff.diff_lines(older.body, newer.body)
    return render_template(
        "usecases/compare.html",
        use_case=use_case,
        older=older,
        newer=newer,
        fields=diff.compare_fields(before, after, COMPARED_FIELDS),
        rows=rows if full else diff.with_context(rows),
        body_changed=any(row.kind != diff.SAME for row in rows),
        full=full,
    )


# --- The body template --------------------------------------------------------------------------


@bp.route("/manage/use-case-template", methods=["GET", "POST"])
@role_required(Role.organiser)
def template():
    """Edit the Markdown every new use case starts from, with the same preview as the editor."""
    session = get_session()
    form = TemplateForm(data={"body": use_cases_service.template_body(session)} if request.method == "GET" else None)
    if not _previewing(form) and form.validate_on_submit():
        try:
            use_cases_service.set_template(session=session, body=form.body.data, author=current_user)
        except use_cases_service.UseCaseError as refused:
            form.form_errors.append(str(refused))
        else:
            flash("The template is saved: new use cases start from it.", "success")
            return redirect(url_for("usecases.template"))
    return render_template("usecases/template.html", form=form, preview=render_markdown(form.body.data))
