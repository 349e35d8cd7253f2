"""Organiser screens for accounts: find people, set their role, delete an account on request."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload
from sqlmodel import select

from workshops.auth import bp, services
from workshops.auth.forms import RoleForm
from workshops.auth.models import Role, User
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.navigation import safe_next
from workshops.pagination import paginate

PER_PAGE = 50


@bp.route("/manage/users")
@role_required(Role.organiser)
def manage_users():
    """List accounts, find them by name, e-mail or organisation, filter by role."""
    query = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    statement = select(User).options(selectinload(User.cluster))
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(User.name).like(pattern),
                User.email.like(pattern),
                func.lower(User.organisation).like(pattern),
            )
        )
    if role in Role.__members__:
        statement = statement.where(User.role == role)
    page = paginate(get_session(), statement.order_by(User.name, User.id), per_page=PER_PAGE)
    return render_template(
        "auth/manage/users.html", page=page, query=query, role=role, roles=list(Role), role_form=RoleForm()
    )


@bp.route("/manage/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.organiser)
def manage_set_role(user_id: int):
    """Give a person the participant, facilitator or organiser role."""
    user = get_session().get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_role(session=get_session(), user=user, role=Role(form.role.data), by=current_user)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        flash(f"{user.name} is now {form.role.data}.", "success")
    back = safe_next(form.next.data) or ""
    return redirect(back if back.startswith(url_for("auth.manage_users")) else url_for("auth.manage_users"))
