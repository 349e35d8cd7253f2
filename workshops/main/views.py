"""Home page and health check."""

from __future__ import annotations

from flask import current_app, jsonify, render_template
from sqlmodel import select

from workshops import caching
from workshops.calls.models import CallState, OpenCall
from workshops.db import database_answers, get_health_engine, get_outage, get_session
from workshops.events.queries import upcoming_cards, upcoming_workshops
from workshops.extensions import csrf
from workshops.main import bp

#: Upcoming workshops and open calls on the home page.
UPCOMING = 6
#: The open calls of the home page, closing last first (as ``calls.queries.latest_published``), with
#: only what it shows: a call's five texts are long, and the page is read on every visit.
OPEN_CALLS = (
    select(OpenCall.id, OpenCall.slug, OpenCall.name, OpenCall.closes_at, OpenCall.timezone)
    .where(OpenCall.state == CallState.published)
    .order_by(OpenCall.closes_at.desc(), OpenCall.id.desc())
    .limit(3)
)


@bp.route("/")
def index():
    """Home: what the programme is, upcoming workshops and open calls.

    Its anonymous view is keyed by exactly what its lists show (two short queries): a workshop that
    ends leaves the key as it leaves the list (``workshops.caching``).
    """
    session = get_session()
    calls = session.connection().execute(OPEN_CALLS).all()
    key = ("home", tuple(upcoming_cards(session, limit=UPCOMING)), tuple(map(tuple, calls)))
    return caching.public_page(
        key,
        lambda: render_template("main/index.html", upcoming=upcoming_workshops(session, limit=UPCOMING), calls=calls),
    )


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """Tell a load balancer whether this server and its database answer, within ``HEALTH_CHECK_TIMEOUT``.

    The check has a connection of its own, outside the requests' pool, which may be exhausted
    exactly when the answer matters.
    """
    if database_answers(get_health_engine(), timeout=float(current_app.config["HEALTH_CHECK_TIMEOUT"])):
        get_outage().ended()
        return jsonify(status="ok", database="ok")
    get_outage().seen()
    return jsonify(status="error", database="unavailable"), 503
