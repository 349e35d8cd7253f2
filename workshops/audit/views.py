"""Organisers read the audit log, filter it and download it as CSV."""

from __future__ import annotations

from flask import render_template, request

from workshops.audit import bp, reading
from workshops.audit.models import AuditAction
from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.pagination import paginate

PER_PAGE = 100


def _action() -> str:
    return reading.known_action(request.args.get("action", ""))


@bp.route("/manage/audit")
@role_required(Role.organiser)
def manage_audit():
    """The newest events first, filtered by action."""
    action = _action()
    page = paginate(get_session(), reading.entries(action), per_page=PER_PAGE)
    return render_template("audit/manage/audit.html", page=page, action=action, actions=list(AuditAction))


@bp.route("/manage/audit.csv", methods=["POST"])
@role_required(Role.organiser)
def manage_audit_csv():
    """Download the filtered log as CSV (POST: an export is an action, and it is itself audited)."""
    return reading.log_table(session=get_session(), action=_action()).csv()
