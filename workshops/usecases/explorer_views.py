"""The needs explorer: every need an organiser or facilitator may read, filtered, searched, exported.

The selection feeds the synthesis: ticked needs go to "Create use case from these" or "Add to use
case". Both are buttons of one form, so that it works without JavaScript (see the template).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.countries import country_name
from workshops.db import get_session
from workshops.downloads import csv_response
from workshops.timeutil import utcnow
from workshops.usecases import bp, queries, rules
from workshops.usecases.explorer import (
    DIMENSIONS,
    EXPORT_HEADER,
    SORTS,
    Filters,
    active_filters,
    cleared,
    explore,
    export_needs,
    facets,
    state_label,
    urgency_label,
)
from workshops.usecases.models import UseCase, UseCaseState

#: How much of a statement the list shows.
EXCERPT = 220

#: Where the synthesis buttons lead while the use-case pages are not registered yet (tests of this
#: page run without them). The contract: ``usecases.new`` is a GET taking ``need`` several times;
#: ``usecases.add_needs`` a POST taking ``need`` several times, ``use_case_id`` and the CSRF token.
NEW_USE_CASE_PATH = "/manage/use-cases/new"
ADD_NEEDS_PATH = "/manage/use-cases/add-needs"

#: What "Create use case from these" says when nothing is ticked (the page's script says it too).
NOTHING_TICKED = "Tick at least one need to create a use case from it."

#: How the use cases one may add needs to are offered, group by group in this order. Reviewed ones
#: say so in their group's name: adding a need changes a text someone has already judged.
TARGET_GROUPS = {
    UseCaseState.draft: "Drafts",
    UseCaseState.in_review: "In review",
    UseCaseState.accepted: "Accepted: adding needs changes a reviewed use case",
    UseCaseState.rejected: "Rejected: adding needs changes a reviewed use case",
}


@dataclass(frozen=True)
class TargetGroup:
    """Use cases of one state that needs may be added to, the most recently edited first."""

    label: str
    use_cases: list[UseCase]


def _url(endpoint: str, **values) -> str | None:
    """The URL of ``endpoint`` if the application has it, else ``None``."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def use_case_url(use_case_id: int) -> str | None:
    """A use case's page, once that page exists (``None`` before: the title shows without a link)."""
    return _url("usecases.use_case", use_case_id=use_case_id)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a text, cut at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def use_case_state_label(state: str) -> str:
    """A use case's state in lower-case words ("in review")."""
    return UseCaseState(state).label.lower()


def add_targets(use_cases: Iterable[UseCase]) -> list[TargetGroup]:
    """The use cases the person may add needs to (``rules.may_edit``), by state, the latest edited first."""
    editable = [use_case for use_case in use_cases if rules.may_edit(current_user, use_case)]
    editable.sort(key=lambda use_case: (use_case.updated_at, use_case.id), reverse=True)
    groups = [
        TargetGroup(label, [use_case for use_case in editable if use_case.state == state])
        for state, label in TARGET_GROUPS.items()
    ]
    return [group for group in groups if group.use_cases]


HELPERS = {
    "use_case_state_label": use_case_state_label,
    "use_case_url": use_case_url,
    "excerpt": excerpt,
    "country_name": country_name,
    "urgency_label": urgency_label,
    "state_label": state_label,
    "shows_organisation": rules.shows_organisation,
}


@bp.route("/manage/needs")
@role_required(Role.facilitator)
def explorer():
    """Every need the person may read, filtered by facets, searched, sorted and paged."""
    filters = Filters.from_args(request.args)
    session = get_session()
    page = explore(session, current_user, filters, page=filters.page)
    counted = facets(session, current_user, filters)
    return render_template(
        "usecases/explorer.html",
        filters=filters,
        page=page,
        facets=counted,
        chips=active_filters(filters, counted),
        clear_all=cleared(filters),
        dimensions=DIMENSIONS,
        sorts=SORTS,
        target_groups=add_targets(queries.use_cases_by_title(session)),
        nothing_ticked=NOTHING_TICKED,
        add_needs_url=_url("usecases.add_needs") or ADD_NEEDS_PATH,
        merge_url=url_for("needs.merge"),
        **HELPERS,
    )


@bp.route("/manage/needs/create")
@role_required(Role.facilitator)
def explorer_create():
    """Go on from "Create use case from these" to the new use case with the ticked needs; none ticked, back with why.

    The explorer's filters come along in ``filters`` (the button's own value, a query string): a
    refusal goes back to the same page of the same filters. They are parsed again as filters,
    so nothing but the explorer's own arguments ever reaches the address sent back.
    """
    ticked = Filters.from_args(request.args).chosen
    if not ticked:
        flash(NOTHING_TICKED, "error")
        back = Filters.from_query(request.args.get("filters", ""))
        return redirect(url_for("usecases.explorer", **back.args(chosen=())))
    target = _url("usecases.new", need=list(ticked)) or f"{NEW_USE_CASE_PATH}?{urlencode({'need': ticked}, doseq=True)}"
    return redirect(target)


@bp.route("/manage/needs.csv", methods=["POST"])
@role_required(Role.facilitator)
def explorer_csv():
    """Download the current selection as CSV (POST, as every export here: it is audited)."""
    filters = Filters.from_args(request.args)
    rows = export_needs(get_session(), viewer=current_user, filters=filters)
    return csv_response(header=EXPORT_HEADER, rows=rows, filename=f"needs-{utcnow():%Y-%m-%d}.csv")
