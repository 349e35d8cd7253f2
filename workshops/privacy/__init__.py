"""The privacy notice: versioned, edited by organisers, referred to by every consent."""

from flask import Blueprint, Flask

bp = Blueprint("privacy", __name__)


def init_app(app: Flask) -> None:
    """Register the notice pages."""
    from workshops.privacy import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
