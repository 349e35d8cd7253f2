"""One row per audited event. Never passwords, tokens or free text: ids, actions and short values."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from workshops.db import one_of, utc_field
from workshops.timeutil import utcnow


class AuditAction(StrEnum):
    """The events the audit log records."""

    login_failed = "login_failed"
    login_throttled = "login_throttled"
    role_changed = "role_changed"
    access_denied = "access_denied"
    csrf_failed = "csrf_failed"
    export = "export"
    use_case_state = "use_case_state"
    use_case_deleted = "use_case_deleted"
    use_case_restored = "use_case_restored"
    call_created = "call_created"
    call_edited = "call_edited"
    call_challenges_added = "call_challenges_added"
    call_challenge_moved = "call_challenge_moved"
    call_challenge_removed = "call_challenge_removed"
    call_domain_moved = "call_domain_moved"
    call_published = "call_published"
    call_closed = "call_closed"
    account_deleted = "account_deleted"
    settings_changed = "settings_changed"


class AuditEntry(SQLModel, table=True):
    """An audited event."""

    __tablename__ = "audit_entry"
    __table_args__ = (one_of("action", AuditAction),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(nullable=False, default_factory=utcnow, index=True)
    action: str = Field(max_length=30, index=True)
    #: The person acting, when logged in; kept as a plain id so the entry outlives the account.
    actor_id: int | None = Field(default=None, index=True)
    #: What the action was about, e.g. ``account`` 12.
    target_type: str = Field(default="", max_length=30)
    target_id: int | None = Field(default=None)
    #: Short, escaped facts: a path, a role, an export name. Never free text typed by a person.
    detail: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=45)
