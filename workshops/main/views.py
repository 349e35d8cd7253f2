"""Home page and health check."""

from __future__ import annotations

from flask import current_app, jsonify, render_template

from workshops.calls.queries import latest_published
from workshops.db import database_answers, get_health_engine, get_outage, get_session
from workshops.events.queries import upcoming_workshops
from workshops.extensions import csrf
from workshops.main import bp


@bp.route("/")
def index():
    """Home: what the programme is, upcoming workshops and open calls."""
    session = get_session()
    calls = latest_published(session, limit=3)
    return render_template("main/index.html", upcoming=upcoming_workshops(session, limit=6), calls=calls)


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
