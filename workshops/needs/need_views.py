"""One need: its page, its editing (with the conflict view), merging needs, and similar needs."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import IntegerField
from wtforms.validators import AnyOf, InputRequired

from workshops import http
from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.events.models import Breakout
from workshops.events.rules import can_facilitate
from workshops.forms import Form
from workshops.needs import bp, erasure, merging, queries, suggestions
from workshops.needs import rules as need_rules
from workshops.needs import services as needs
from workshops.needs.forms import EditForm, MergeForm
from workshops.needs.loaders import breakout_by_code_or_404, need_or_404
from workshops.needs.models import URGENCY_WORDS, Need, NeedState, Sensitivity
from workshops.needs.views import _test_beds, _values
from workshops.needs.votes import votes_left
from workshops.security import SIMILAR_PER_ACCOUNT, account_key, limiter

#: How much of each suggested need's statement the form shows.
EXCERPT = 240


def _readable(need_id: int) -> Need:
    return need_or_404(need_id, visible_if=lambda need: need_rules.may_read(get_session(), current_user, need))


@bp.route("/needs/<int:need_id>")
@login_required
def need(need_id: int):
    """A need in full: what it became (merged into another, dismissed), or the needs it merges."""
    need = _readable(need_id)
    session = get_session()
    originals = queries.originals_of(session, need)
    originals = [o for o in originals if need_rules.may_read(session, current_user, o)]
    votes = queries.vote_count(session, need)
    merged_into = session.get(Need, need.merged_into_id) if need.merged_into_id else None
    if merged_into is not None and not need_rules.may_read(session, current_user, merged_into):
        merged_into = None
    return render_template(
        "needs/need.html",
        need=need,
        originals=originals,
        merged_into=merged_into,
        votes=votes,
        may_edit=need_rules.may_edit(session, current_user, need),
        urgency_words=URGENCY_WORDS,
        facilitates=can_facilitate(current_user, need.breakout),
    )


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id: int):
    """Change a need; a save based on an older version is refused with both versions shown."""
    need = _readable(need_id)
    session = get_session()
    if not need_rules.may_edit(session, current_user, need):
        abort(403)
    form = EditForm(
        obj=need if request.method == "GET" else None, breakout=need.breakout, test_beds=_test_beds(need.breakout)
    )
    if request.method == "GET":
        form.version.data = str(need.version)
    current = None
    if form.validate_on_submit():
        values = _values(form)
        values.domain_id, values.country = need.domain_id, need.country
        try:
            needs.edit_need(session=session, need=need, values=values, expected_version=http.number(form.version.data))
        except needs.StaleNeed as stale:
            current = stale.current
            form.version.data = str(current.version)  # saving again now replaces it, knowingly
            form.form_errors.append(
                "Someone else saved this need while you were editing it. Their version is shown beside yours: "
                "bring what you need from it into your text, then save again."
            )
        except needs.NeedError as refused:
            form.form_errors.append(str(refused))
        else:
            flash("The need is saved.", "success")
            return redirect(url_for("needs.need", need_id=need.id))
    return render_template(
        "needs/edit.html",
        need=need,
        form=form,
        current=current,
        urgency_words=URGENCY_WORDS,
        similar_url=url_for("needs.similar", code=need.breakout.code, exclude=need.id),
    )


def _chosen(ids: list[int], *, strict: bool = True) -> list[Need]:
    """The needs of ``ids`` that the person may read; any other is a 404, or left out with a message."""
    session = get_session()
    found = queries.needs_by_id(session, ids)
    chosen = [found[i] for i in ids if i in found and need_rules.may_read(session, current_user, found[i])]
    if len(chosen) != len(ids):
        if strict:
            abort(404)
        kept = {n.id for n in chosen}
        missing = ", ".join(f"#{i}" for i in ids if i not in kept)
        flash(f"There is no need {missing} that you may merge.", "warning")
    return chosen


def _ids(values: list[str]) -> list[int]:
    return http.ids(values)


@bp.route("/manage/needs/merge", methods=["GET", "POST"])
@role_required(Role.facilitator)
def merge():
    """Merge needs into one: the originals side by side, where it lives, and the new need prefilled from them.

    The needs may come from several breakouts (ticked in the explorer, or added by number); the
    merged need then lives on the board the person chooses (``into``), by default the first need's.
    """
    source = request.values.get("back", "")
    if request.method == "POST":
        chosen = _chosen(_ids(request.form.get("needs", "").split(",")))
        if not chosen:  # the form always names the needs: it was cut short
            abort(400)
    else:
        ticked = _chosen(_ids(request.args.getlist("need")))
        typed = request.args.get("add", "").replace(",", " ").replace("#", " ").split()
        chosen = list({n.id: n for n in ticked + _chosen(_ids(typed), strict=False)}.values())
    if request.method == "GET" and (refusal := _unmergeable(chosen, source)):
        flash(refusal, "warning")
        return redirect(_back(chosen, source, request.args.get("breakout", "")))
    session = get_session()
    if not need_rules.may_merge(session, current_user, chosen):
        abort(403)
    boards = list({need.breakout_id: need.breakout for need in chosen}.values())
    target = _board(boards, request.values.get("into", ""))
    if request.method == "POST":
        form = MergeForm(breakout=target, test_beds=_test_beds(target))
    else:
        form = MergeForm(obj=merging.merged_values(chosen), breakout=target, test_beds=_test_beds(target))
        form.needs.data = ",".join(str(n.id) for n in chosen)
        form.into.data, form.back.data = str(target.id), source
    if form.validate_on_submit():
        values = _values(form)
        # The domain of the board it lives on; a breakout without one keeps its need's.
        values.domain_id = target.domain_id or next(n.domain_id for n in chosen if n.breakout_id == target.id)
        values.country = merging.merged_values(chosen).country
        try:
            merged = merging.merge_needs(
                session=session, originals=chosen, values=values, author=current_user, breakout_id=target.id
            )
        except needs.NeedError as refused:
            form.form_errors.append(str(refused))
        else:
            flash(f"{len(chosen)} needs merged into “{merged.title}”.", "success")
            if source == "explorer":  # back to the explorer, the merged need ticked for a use case
                return redirect(url_for("usecases.explorer", need=merged.id))
            return redirect(url_for("needs.manage_capture", breakout_id=merged.breakout_id))
    return render_template("needs/merge.html", form=form, chosen=chosen, target=target, boards=boards, source=source)


def _unmergeable(chosen: list[Need], source: str = "") -> str | None:
    """Why these needs cannot be merged, said before anyone edits the merged need; ``None`` if they can."""
    if len(chosen) < 2 and source == "console":
        ticked = "none is ticked" if not chosen else "only one is ticked"
        return f"Tick at least two needs on the board to merge them: {ticked}."
    if len(chosen) < 2:
        return "Choose at least two needs to merge: tick them on the board or in the needs explorer."
    done = [need for need in chosen if need.state != NeedState.open]
    if done:
        numbers = ", ".join(f"#{need.id} “{need.title}”" for need in done)
        return f"Only open needs can be merged, and {numbers} {'is' if len(done) == 1 else 'are'} not open any more."
    return None


def _board(boards: list[Breakout], asked: str) -> Breakout:
    """The board the merged need goes on: the one asked for among the originals', else the first need's."""
    return next((breakout for breakout in boards if str(breakout.id) == asked.strip()), boards[0])


def _back(chosen: list[Need], source: str = "", breakout: str = "") -> str:
    """Where a refused merge sends the person back to: where they chose the needs.

    From the capture console (``back=console``) that is the console of ``breakout``, even with no
    need ticked; the console checks that the person facilitates it, so the number gives nothing away.
    """
    if source == "explorer":
        return url_for("usecases.explorer", need=[need.id for need in chosen])
    if source == "console" and re.fullmatch(r"[0-9]{1,9}", breakout):
        return url_for("needs.manage_capture", breakout_id=int(breakout))
    if chosen:
        return url_for("needs.manage_capture", breakout_id=chosen[0].breakout_id)
    return url_for("usecases.explorer")


@bp.route("/b/<code>/similar")
@login_required
@limiter.limit(SIMILAR_PER_ACCOUNT, key_func=account_key)
def similar(code: str):
    """Up to five needs like the one being typed, among those the person may read (JSON for the form)."""
    breakout, standing = breakout_by_code_or_404(code)
    if not standing.may_log:
        abort(403)
    limit = {"title": 160, "statement": 1000, "context": 2000}
    text = {name: request.args.get(name, "")[:size] for name, size in limit.items()}
    exclude = tuple(http.ids(request.args.getlist("exclude")))
    session = get_session()
    found = suggestions.similar_needs(session, current_user, **text, exclude=exclude)
    if not found:  # most look-ups while typing: no vote to offer, so no query about votes
        return {"suggestions": []}
    voted = queries.voted_for(session, current_user, (n.id for n in found))
    return {
        "suggestions": [_suggestion(n, breakout, standing, voted) for n in found],
        "votes_left": votes_left(session, current_user, breakout),
    }


def _votable(need: Need, breakout: Breakout, standing: need_rules.Standing) -> bool:
    """Whether the vote route would take this person's vote for the need, so that the form may offer it.

    A need of this breakout's board, open, not their own (a vote "instead" of their own need makes no
    sense), on a board they see and that is not closed. The vote limit is left to the vote route,
    which says why it refuses.
    """
    return (
        need.breakout_id == breakout.id
        and need.state == NeedState.open
        and need.stated_by_id != current_user.id
        and standing.sees_board
        and (need.sensitivity != Sensitivity.internal or standing.sees_internal)
        and breakout.locked_at is None
    )


def _suggestion(need: Need, breakout: Breakout, standing: need_rules.Standing, voted: set[int]) -> dict:
    """A similar need as the form lists it; where it was stated when that is another breakout; whether to vote."""
    here = need.breakout_id == breakout.id
    statement = need.statement[:EXCERPT] + ("…" if len(need.statement) > EXCERPT else "")
    votable = _votable(need, breakout, standing)
    return {
        "id": need.id,
        "title": need.title,
        "statement": statement,
        "where": "this breakout" if here else f"{need.breakout.title} · {need.breakout.workshop.title}",
        "same_board": here,
        "url": url_for("needs.need", need_id=need.id),
        "mine": need.stated_by_id == current_user.id,
        "votable": votable,
        "voted": need.id in voted,
        "vote_url": url_for("needs.vote", need_id=need.id) if votable else None,
    }


class KeepForm(Form):
    """Keep an internal need beyond its workshop's retention period (1), or stop keeping it (0)."""

    keep = IntegerField(validators=[InputRequired(), AnyOf([0, 1])])


@bp.route("/manage/needs/<int:need_id>/keep", methods=["POST"])
@role_required(Role.organiser)
def keep(need_id: int):
    """An organiser keeps an internal need when its workshop's registration details are purged, or stops."""
    need = need_or_404(need_id)
    form = KeepForm()
    if not form.validate_on_submit():
        abort(400)
    if need.sensitivity != Sensitivity.internal:
        flash("Only internal needs are deleted after the retention period: this one stays anyway.", "info")
    else:
        erasure.keep_need(session=get_session(), need=need, keep=bool(form.keep.data))
        if form.keep.data:
            flash("The need is kept beyond the retention period of its workshop.", "success")
        else:
            flash("The need is no longer kept: it goes with its workshop's registration details.", "success")
    return redirect(url_for("needs.need", need_id=need.id))
