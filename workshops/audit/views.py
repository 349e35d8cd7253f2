"""Organisers read the audit log, filter it and download it as CSV."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy.orm import aliased
from sqlmodel import select

from workshops.audit import bp
from workshops.audit.models import AuditAction, AuditEntry
from workshops.audit.services import record
from workshops.auth.models import Role, User
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.downloads import csv_response
from workshops.pagination import paginate

PER_PAGE = 100
EXPORT_LIMIT = 50_000


def _filtered():
    actor = aliased(User)
    statement = select(AuditEntry, actor.name).outerjoin(actor, actor.id == AuditEntry.actor_id)
    action = request.args.get("action", "")
    if action in AuditAction.__members__:
        statement = statement.where(AuditEntry.action == action)
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), action


@bp.route("/manage/audit")
@role_required(Role.organiser)
def manage_audit():
    """The newest events first, filtered by action."""
    statement, action = _filtered()
    page = paginate(get_session(), statement, per_page=PER_PAGE)
    return render_template("audit/manage/audit.html", page=page, action=action, actions=list(AuditAction))


@bp.route("/manage/audit.csv", methods=["POST"])
@role_required(Role.organiser)
def manage_audit_csv():
    """Download the filtered log as CSV (POST: an export is an action, and it is itself audited)."""
    statement, action = _filtered()
    rows = get_session().exec(statement.limit(EXPORT_LIMIT)).all()
    record(AuditAction.export, detail=f"audit log ({action or 'all actions'})")
    return csv_response(
        header=["time (UTC)", "action", "actor id", "actor", "target", "target id", "detail", "address"],
        rows=(
            [
                entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.action,
                entry.actor_id if entry.actor_id is not None else "",
                actor_name or "",
                entry.target_type,
                entry.target_id if entry.target_id is not None else "",
                entry.detail,
                entry.ip,
            ]
            for entry, actor_name in rows
        ),
        filename="audit-log.csv",
    )
