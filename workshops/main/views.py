"""Home page and health check."""

from __future__ import annotations

from flask import jsonify, render_template

from workshops.calls.queries import latest_published
from workshops.db import get_engine, get_session, ping
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
    """Tell a load balancer whether this server and its database answer."""
    if ping(get_engine()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unavailable"), 503
