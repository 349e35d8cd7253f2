"""The public privacy notice, the organisers' page to publish a new version, and "My data"."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.auth.models import OrganisationType, Role
from workshops.auth.rules import role_required
from workshops.countries import country_name
from workshops.db import get_session
from workshops.downloads import attachment
from workshops.events import queries
from workshops.privacy import bp, consents, data_export
from workshops.privacy.forms import ConsentForm, DownloadForm
from workshops.privacy.models import ConsentKind, PrivacyNotice
from workshops.privacy.services import all_versions, current_notice, publish_notice
from workshops.timeutil import utcnow


class NoticeForm(FlaskForm):
    """Publish a new version of the privacy notice."""

    body = TextAreaField(
        "Privacy notice (Markdown)",
        validators=[DataRequired("Write the notice."), Length(max=50_000)],
        description="Publishing makes a new version; consents given from then on refer to it.",
        render_kw={"rows": 20},
    )


@bp.route("/privacy")
def notice():
    """The current privacy notice, with links to earlier versions."""
    session = get_session()
    return render_template("privacy/notice.html", notice=current_notice(session), versions=all_versions(session))


@bp.route("/privacy/<int:version>")
def notice_version(version: int):
    """One earlier version of the privacy notice."""
    session = get_session()
    notice = session.exec(select(PrivacyNotice).where(PrivacyNotice.version == version)).one_or_none() or abort(404)
    return render_template("privacy/notice.html", notice=notice, versions=all_versions(session))


@bp.route("/manage/privacy", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_notice():
    """Edit and publish the privacy notice."""
    session = get_session()
    current = current_notice(session)
    form = NoticeForm(data={"body": current.body})
    if form.validate_on_submit():
        published = publish_notice(session=session, body=form.body.data, by=current_user)
        flash(f"Version {published.version} of the privacy notice is published.", "success")
        return redirect(url_for("privacy.manage_notice"))
    return render_template("privacy/manage/notice.html", form=form, current=current)


# --- My data ------------------------------------------------------------------------------------


@bp.route("/me/data")
@login_required
def my_data():
    """What the application holds about the person, with their consents and the download."""
    session = get_session()
    data = data_export.gather(session, current_user)
    listing = {line.consent.registration_id: line.consent for line in data.consents if _open_listing(line)}
    return render_template(
        "privacy/my_data.html",
        data=data,
        listing=listing,
        updates=consents.current_updates(session, current_user),
        versions={notice.version for notice in all_versions(session)},
        form=ConsentForm(),
        download_form=DownloadForm(),
        can_delete="auth.delete_account" in current_app.view_functions,
        country_name=country_name,
        type_label=_type_label,
    )


def _type_label(value: str) -> str:
    try:
        return OrganisationType(value).label
    except ValueError:
        return value


def _open_listing(line: consents.ConsentLine) -> bool:
    return line.consent.kind == ConsentKind.listing and line.consent.withdrawn_at is None


@bp.route("/me/data.json", methods=["POST"])
@login_required
def download_my_data():
    """Everything about the person in one JSON file; the download is recorded in the audit log."""
    if not DownloadForm().validate_on_submit():
        abort(400)
    document = data_export.as_json(data_export.gather(get_session(), current_user))
    record(AuditAction.export, target_type="account", target_id=current_user.id, detail="my data")
    return attachment(
        json.dumps(document, ensure_ascii=False, indent=2),
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
    return redirect(url_for("privacy.my_data", _anchor="consents"))


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
    return redirect(url_for("privacy.my_data", _anchor="consents"))


GIVEN = {
    ConsentKind.listing: "Your organisation is now listed among the participating organisations of this workshop.",
    ConsentKind.updates: "We will e-mail you when your needs feed a use case or an open call.",
}
WITHDRAWN = {
    ConsentKind.listing: "Your organisation no longer appears in the list of participating organisations.",
    ConsentKind.updates: "We will no longer e-mail you about what became of your needs.",
}
