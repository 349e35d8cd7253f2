"""Organiser screens for accounts: find people, set their role, delete an account on request."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workshops.auth import bp, queries, services
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
    page = paginate(get_session(), queries.people(query=query, role=role), per_page=PER_PAGE)
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
