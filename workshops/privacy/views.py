"""The public privacy notice, the organisers' page to publish a new version, and "My data"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.privacy import bp
from workshops.privacy.forms import NoticeForm
from workshops.privacy.services import all_versions, current_notice, notice_of_version, publish_notice


@bp.route("/privacy")
def notice():
    """The current privacy notice, with links to earlier versions."""
    session = get_session()
    return render_template("privacy/notice.html", notice=current_notice(session), versions=all_versions(session))


@bp.route("/privacy/<int:version>")
def notice_version(version: int):
    """One earlier version of the privacy notice."""
    session = get_session()
    notice = notice_of_version(session, version) or abort(404)
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
