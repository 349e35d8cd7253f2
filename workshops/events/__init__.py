"""Workshops, test beds, breakouts and registration with waiting lists."""

from flask import Blueprint, Flask

bp = Blueprint("events", __name__)


def init_app(app: Flask) -> None:
    """Register the public, organiser and attendance pages."""
    from workshops.events import (  # noqa: F401 - routes register on import
        attendance_views,
        manage_views,
        registration_views,
        views,
    )

    app.register_blueprint(bp)
