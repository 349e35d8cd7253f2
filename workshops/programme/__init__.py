"""Clusters, domains and settings: the structure of the programme."""

from flask import Blueprint, Flask

bp = Blueprint("programme", __name__)


def init_app(app: Flask) -> None:
    """Register the organisers' pages, and hand the programme's default zone to the time helpers."""
    from workshops.db import get_session
    from workshops.programme import manage_views, queries  # noqa: F401 - routes register on import
    from workshops.timeutil import set_programme_timezone

    app.register_blueprint(bp)
    set_programme_timezone(app, lambda: queries.programme_timezone(get_session()))
