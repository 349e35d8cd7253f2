"""Open calls: accepted use cases published as numbered challenges, and their exports."""

from flask import Blueprint, Flask

bp = Blueprint("calls", __name__)


def init_app(app: Flask) -> None:
    """Register the organisers' call pages and the public call pages."""
    from workshops.calls import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
