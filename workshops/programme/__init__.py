"""Clusters and domains: the structure of the programme."""

from flask import Blueprint, Flask

bp = Blueprint("programme", __name__)


def init_app(app: Flask) -> None:
    """Register the organisers' pages for clusters and domains."""
    from workshops.programme import manage_views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
