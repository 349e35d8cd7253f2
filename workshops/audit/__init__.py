"""The audit log: who did what and when, for the security-relevant events organisers review."""

from flask import Blueprint, Flask

bp = Blueprint("audit", __name__)


def init_app(app: Flask) -> None:
    """Register the organisers' audit page."""
    from workshops.audit import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
