"""A person's own data across domains: "My data" with its download and consents, and deleting an account."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask import session as browser
from flask_login import current_user, login_required, logout_user

from workshops import security
from workshops.auth.deletion import DeletionReason, may_delete
from workshops.auth.models import Role, User
from workshops.auth.passwords import verify_password
from workshops.auth.rules import role_required
from workshops.auth.services import AccountError
from workshops.countries import country_name
from workshops.db import get_session
from workshops.downloads import attachment
from workshops.events import consents, queries
from workshops.forms import PostForm
from workshops.needs.merging import merged_successors
from workshops.needs.services import needs_of
from workshops.personal import bp, data_export, deletion
from workshops.personal.forms import ConsentForm, DeleteAccountForm, ManageDeleteUserForm
from workshops.privacy.models import ConsentKind
from workshops.privacy.services import all_versions, current_notice
from workshops.timeutil import utcnow
from workshops.usecases import traceability


@bp.route("/me/data")
@login_required
def my_data():
    """What the application holds about the person, with their consents and the download."""
    session = get_session()
    data = data_export.gather(session, current_user)
    listing = {line.consent.registration_id: line.consent for line in data.consents if _open_listing(line)}
    return render_template(
        "personal/my_data.html",
        data=data,
        listing=listing,
        updates=consents.current_updates(session, current_user),
        versions={notice.version for notice in all_versions(session)},
        form=ConsentForm(),
        download_form=PostForm(),
        can_delete="personal.delete_account" in current_app.view_functions,
        country_name=country_name,
    )


def _open_listing(line: consents.ConsentLine) -> bool:
    return line.consent.kind == ConsentKind.listing and line.consent.withdrawn_at is None


@bp.route("/me/data.json", methods=["POST"])
@login_required
def download_my_data():
    """Everything about the person in one JSON file; the download is recorded in the audit log."""
    if not PostForm().validate_on_submit():
        abort(400)
    return attachment(
        data_export.download(session=get_session(), user=current_user),
        filename=f"my-data-{utcnow():%Y-%m-%d}.json",
        mimetype="application/json; charset=utf-8",
    )


def _consent_change() -> tuple[ConsentForm, object]:
    """The submitted consent form and the person's own registration it names (404 for anyone else's)."""
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    registration = None
    if form.registration_id.data is not None:
        registration = queries.own_registration(get_session(), form.registration_id.data, current_user) or abort(404)
    return form, registration


@bp.route("/me/consents/give", methods=["POST"])
@login_required
def consent_give():
    """Give an optional consent in one step, under the current notice."""
    form, registration = _consent_change()
    if not form.kind.data:
        abort(400)
    session = get_session()
    try:
        consents.give(
            session=session,
            user=current_user,
            kind=form.kind.data,
            notice_version=current_notice(session).version,
            registration=registration,
        )
    except consents.ConsentNotFound:
        abort(404)
    except consents.ConsentError as refused:
        flash(str(refused), "error")
    else:
        flash(GIVEN[form.kind.data], "success")
    return redirect(url_for("personal.my_data", _anchor="consents"))


@bp.route("/me/consents/withdraw", methods=["POST"])
@login_required
def consent_withdraw():
    """Withdraw an optional consent in one step: by its id, or by its kind (and registration)."""
    form, registration = _consent_change()
    if form.consent_id.data is None and not form.kind.data:
        abort(400)
    try:
        withdrawn = consents.withdraw(
            session=get_session(),
            user=current_user,
            consent_id=form.consent_id.data,
            kind=form.kind.data or None,
            registration=registration,
        )
    except consents.ConsentNotFound:
        abort(404)
    except consents.ConsentError as refused:
        flash(str(refused), "error")
    else:
        kind = withdrawn[0].kind if withdrawn else form.kind.data
        flash(WITHDRAWN.get(kind, "Your consent is withdrawn."), "success")
    return redirect(url_for("personal.my_data", _anchor="consents"))


GIVEN = {
    ConsentKind.listing: "Your organisation is now listed among the participating organisations of this workshop.",
    ConsentKind.updates: "We will e-mail you when your needs feed a use case or an open call.",
}
WITHDRAWN = {
    ConsentKind.listing: "Your organisation no longer appears in the list of participating organisations.",
    ConsentKind.updates: "We will no longer e-mail you about what became of your needs.",
}


@bp.route("/me/delete", methods=["GET", "POST"])
@security.password_attempts_limited(security.account_key)
@login_required
def delete_account():
    """Delete one's own account after re-entering the password; then log out."""
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    problem = may_delete(session=get_session(), user=user)
    if form.validate_on_submit() and not problem:
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append("This is not your password. Your account is unchanged.")
        else:
            try:
                deletion.delete_account(session=get_session(), user=user, by=user)
            except AccountError as error:
                problem = str(error)
            else:
                logout_user()
                browser.clear()
                flash("Your account is deleted.", "success")
                return redirect(url_for("main.index"))
    return render_template("personal/delete_account.html", form=form, problem=problem)


@bp.route("/manage/users/<int:user_id>/delete", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_delete_user(user_id: int):
    """Delete a person's account on their request, after a confirmation step; recorded in the audit log."""
    user = get_session().get(User, user_id) or abort(404)
    form = ManageDeleteUserForm()
    problem = may_delete(session=get_session(), user=user)
    if form.validate_on_submit() and not problem:
        name = user.name
        try:
            deletion.delete_account(
                session=get_session(), user=user, by=current_user, reason=DeletionReason(form.reason.data)
            )
        except AccountError as error:
            problem = str(error)
        else:
            flash(f"The account of {name} is deleted.", "success")
            return redirect(url_for("auth.manage_users"))
    return render_template("personal/manage/delete_user.html", person=user, form=form, problem=problem)


@bp.route("/me/needs")
@login_required
def my_needs():
    """What became of each need the person stated: on the board, merged, dismissed, or part of use cases."""
    mine = needs_of(get_session(), current_user)
    successors = merged_successors(get_session(), mine)
    fed_by_id = traceability.use_cases_fed(get_session(), {i for ids in successors.values() for i in ids})
    fed = {
        need.id: list({u.id: u for i in successors[need.id] for u in fed_by_id.get(i, [])}.values()) for need in mine
    }
    return render_template("personal/my_needs.html", needs=mine, fed=fed)
