"""Recording audit entries, in a transaction of their own so that a failed request keeps its trace.

An entry is bookkeeping (``transactions.write_aside``): a busy or absent database never fails the
request that is audited, and the log line is written first, whatever the database does.
"""

from __future__ import annotations

import logging

from flask import g, has_request_context, request
from sqlalchemy import inspect

from workshops.audit.models import AuditAction, AuditEntry
from workshops.transactions import write_aside
from workshops.weblog import escape

log = logging.getLogger("workshops.audit")
DETAIL_MAX = 300


def record(
    action: AuditAction,
    *,
    actor_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    detail: str = "",
) -> None:
    """Store an audit entry and log it; a failure to store is logged, never raised."""
    detail = escape(detail)[:DETAIL_MAX]
    ip = ""
    if has_request_context():
        ip = (request.remote_addr or "")[:45]
        if actor_id is None:
            actor_id = _logged_in_id()
    log.info(
        "%s actor=%s target=%s:%s detail=%s ip=%s",
        action.value,
        actor_id if actor_id is not None else "-",
        target_type or "-",
        target_id if target_id is not None else "-",
        detail or "-",
        ip or "-",
    )
    entry = AuditEntry(
        action=action.value,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        ip=ip,
    )
    write_aside(lambda session: session.add(entry), what=f"the audit entry for {action.value}")


def _logged_in_id() -> int | None:
    """The id of the person this request has loaded already, read without the database.

    The row may have been expired by a rollback, and the database may be what failed: its
    identity is known all the same.
    """
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return None
    state = inspect(user, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return user.id
