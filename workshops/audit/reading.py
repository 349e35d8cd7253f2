"""Reading the audit log: the entries of one action (or all), newest first, and their download."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Select
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from workshops.audit.models import AuditAction, AuditEntry
from workshops.audit.services import record
from workshops.auth.models import User
from workshops.downloads import Table

#: The most rows one download holds.
EXPORT_LIMIT = 50_000
#: Times in ISO 8601 with their offset (``2021-11-16T08:30:00+00:00``), as in every download.
HEADER = ["time (UTC)", "action", "actor id", "actor", "target", "target id", "detail", "address"]


def entries(action: str) -> Select:
    """Entries with their actor's name, newest first; ``action`` narrows them when it names one."""
    actor = aliased(User)
    statement = select(AuditEntry, actor.name).outerjoin(actor, actor.id == AuditEntry.actor_id)
    if action in AuditAction.__members__:
        statement = statement.where(AuditEntry.action == action)
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def known_action(action: str) -> str:
    """``action`` if it names an action, else the empty string (all actions)."""
    return action if action in AuditAction.__members__ else ""


def log_table(*, session: Session, action: str) -> Table:
    """The log (of one action, or all) as a table to download; the download is itself recorded."""
    rows = session.exec(entries(action).limit(EXPORT_LIMIT)).all()
    record(AuditAction.export, detail=f"audit log ({known_action(action) or 'all actions'})")
    return Table(
        header=HEADER,
        rows=[
            [
                entry.at.astimezone(UTC).isoformat(timespec="seconds"),
                entry.action,
                entry.actor_id if entry.actor_id is not None else "",
                actor_name or "",
                entry.target_type,
                entry.target_id if entry.target_id is not None else "",
                entry.detail,
                entry.ip,
            ]
            for entry, actor_name in rows
        ],
        filename="audit-log.csv",
    )
