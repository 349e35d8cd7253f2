"""What crosses domains about one person: deleting an account, the retention purge, "My data".

The top floor of the package: each domain erases, purges or exports its own rows, and this package
calls them in order, so that no domain has to reach above itself for a person's data.
"""

from flask import Blueprint, Flask

bp = Blueprint("personal", __name__)


def init_app(app: Flask) -> None:
    """Register "My data", the consent buttons and deleting an account."""
    from workshops.personal import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
