"""The public front: home page and health check."""

from flask import Blueprint, Flask

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    """Register the front pages."""
    from workshops.main import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
