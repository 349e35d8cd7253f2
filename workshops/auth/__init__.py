"""Accounts: sign-up, confirmation, log-in and log-out, passwords, profile and roles."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Register the account pages and the session loader."""
    from workshops.auth import loader, manage_views, views  # noqa: F401 - routes register on import
    from workshops.auth.models import organisation_type_label

    app.register_blueprint(bp)
    app.add_template_global(organisation_type_label)
