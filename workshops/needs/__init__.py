"""Needs: stated live in breakouts, voted on, merged, and fed into use cases."""

from flask import Blueprint, Flask

bp = Blueprint("needs", __name__)


def init_app(app: Flask) -> None:
    """Register the breakout boards and the capture console."""
    from workshops.needs import my_breakouts_views, need_views, projector, views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
