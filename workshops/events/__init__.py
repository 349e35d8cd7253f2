"""Workshops, test beds, breakouts and registration with waiting lists."""

from flask import Blueprint, Flask

bp = Blueprint("events", __name__)


def init_app(app: Flask) -> None:
    """Register the public, organiser and attendance pages."""
    from workshops.events import attendance_views, manage_views, views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
