"""Every table model, imported in one place for Alembic and the test database."""

from workshops.audit.models import AuditEntry
from workshops.auth.models import User
from workshops.programme.models import Cluster, Domain

__all__ = ["AuditEntry", "Cluster", "Domain", "User"]
