"""Every table model, imported in one place for Alembic and the test database."""

from workshops.auth.models import User
from workshops.programme.models import Cluster, Domain

__all__ = ["Cluster", "Domain", "User"]
