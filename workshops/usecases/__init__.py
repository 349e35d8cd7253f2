"""Use cases: needs synthesised into the challenges of an open call, reviewed, with full traceability."""

from flask import Blueprint, Flask

bp = Blueprint("usecases", __name__)


def init_app(app: Flask) -> None:
    """Register the needs explorer and the use-case pages."""
    from workshops.usecases import (
        explorer_views,  # noqa: F401 - routes register on import
        views,  # noqa: F401
    )

    app.register_blueprint(bp)
