"""The needs explorer: every need an organiser or facilitator may read, filtered, searched, exported.

The selection feeds the synthesis: ticked needs go to "Create use case from these" or "Add to use
case". Both are buttons of one form, so that it works without JavaScript (see the template).
"""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
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
    explore,
    export_needs,
    facets,
    state_label,
    urgency_label,
)
from workshops.usecases.models import UseCaseState

#: How much of a statement the list shows.
EXCERPT = 220

#: Where the synthesis buttons lead while the use-case pages are not registered yet (tests of this
#: page run without them). The contract: ``usecases.new`` is a GET taking ``need`` several times;
#: ``usecases.add_needs`` a POST taking ``need`` several times, ``use_case_id`` and the CSRF token.
NEW_USE_CASE_PATH = "/manage/use-cases/new"
ADD_NEEDS_PATH = "/manage/use-cases/add-needs"


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
    targets = queries.use_cases_by_title(session)
    return render_template(
        "usecases/explorer.html",
        filters=filters,
        page=page,
        facets=facets(session, current_user, filters),
        dimensions=DIMENSIONS,
        sorts=SORTS,
        use_cases=[use_case for use_case in targets if rules.may_edit(current_user, use_case)],
        new_use_case_url=_url("usecases.new") or NEW_USE_CASE_PATH,
        add_needs_url=_url("usecases.add_needs") or ADD_NEEDS_PATH,
        merge_url=url_for("needs.merge"),
        **HELPERS,
    )


@bp.route("/manage/needs.csv", methods=["POST"])
@role_required(Role.facilitator)
def explorer_csv():
    """Download the current selection as CSV (POST, as every export here: it is audited)."""
    filters = Filters.from_args(request.args)
    rows = export_needs(get_session(), viewer=current_user, filters=filters)
    return csv_response(header=EXPORT_HEADER, rows=rows, filename=f"needs-{utcnow():%Y-%m-%d}.csv")
