"""Recording audit entries, in a transaction of their own so that a failed request keeps its trace."""

from __future__ import annotations

import logging

from flask import g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from workshops.audit.models import AuditAction, AuditEntry
from workshops.db import new_session
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
            user = g.get("_login_user")
            actor_id = user.id if user is not None and user.is_authenticated else None
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
    try:
        with new_session() as session:
            session.add(entry)
            session.commit()
    except SQLAlchemyError:
        log.exception("could not store the audit entry for %s", action.value)
