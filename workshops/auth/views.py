"""Public account pages: sign-up, confirmation, log-in, log-out, password reset, profile."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from workshops import security
from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth import bp, devices, services, tokens
from workshops.auth.emails import lookup_email
from workshops.auth.forms import (
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from workshops.auth.models import User
from workshops.auth.passwords import verify_password
from workshops.db import get_session, is_unavailable
from workshops.forms import PostForm
from workshops.http import json_error, wants_json
from workshops.navigation import next_or_home, safe_next
from workshops.programme import queries as programme_queries
from workshops.security import limiter


def _cluster_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in programme_queries.clusters(get_session())]


def _typed_account() -> str:
    """Rate-limit key: the account a form's e-mail names, in its stored form, so each has its own count."""
    return "email:" + lookup_email(request.form.get("email") or "")[:254]


def _mailed(response) -> bool:
    """A sign-up that went through, and so sent an e-mail, is answered by a redirect."""
    return response.status_code == 302


def _profile_from(form) -> services.Profile:
    return services.Profile(
        name=form.name.data.strip(),
        organisation=form.organisation.data.strip(),
        organisation_type=form.organisation_type.data,
        country=form.country.data,
        cluster_id=form.cluster_id.data,
    )


def _start_session(user: User, *, remember: bool = False) -> None:
    """Log a person in on a fresh session, so no one can plant a session id beforehand."""
    session.clear()
    login_user(user, remember=remember)
    services.record_login(user=user)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(security.SIGNUP_PER_ADDRESS, methods=["POST"])
@limiter.limit(
    security.SIGNUP_PER_ACCOUNT,
    methods=["POST"],
    key_func=_typed_account,
    deduct_when=_mailed,
    error_message=security.SIGNUP_PER_ACCOUNT_MESSAGE,
)
def signup():
    """Create an account; always answers "check your e-mail"."""
    if current_user.is_authenticated:
        return redirect(next_or_home(request.args.get("next")))
    form = SignupForm(clusters=_cluster_choices())
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        services.sign_up(
            session=get_session(),
            email=form.email.data,
            password=form.password.data,
            profile=_profile_from(form),
            next_path=safe_next(form.next.data),
        )
        session["check_email"] = lookup_email(form.email.data)
        return redirect(url_for("auth.check_email"))
    return render_template("auth/signup.html", form=form)


@bp.route("/signup/check-email")
def check_email():
    """Tell the person to open the link we sent."""
    return render_template("auth/check_email.html", email=session.get("check_email"))


@bp.route("/signup/resend", methods=["GET", "POST"])
@limiter.limit(security.MAIL_REQUESTS_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.MAIL_REQUESTS_PER_ACCOUNT, methods=["POST"], key_func=_typed_account)
def resend_confirmation():
    """Send a new confirmation link to an unconfirmed account."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(get_session(), form.email.data)
        if user is not None and user.confirmed_at is None:
            services.send_confirmation(user, next_path=safe_next(form.next.data))
        session["check_email"] = lookup_email(form.email.data)
        return redirect(url_for("auth.check_email"))
    return render_template("auth/resend.html", form=form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm an account from its e-mailed link, log the person in and take them back.

    The link shows a button rather than acting on GET: mail scanners open links, and must not
    confirm accounts or receive a logged-in session.
    """
    max_age = current_app.config["CONFIRM_LINK_MAX_AGE"]
    try:
        user, next_path = services.read_confirmation(session=get_session(), token=token, max_age=max_age)
    except tokens.LinkExpired:
        return render_template("auth/link_problem.html", problem="expired", kind="confirm"), 410
    except tokens.LinkInvalid:
        return render_template("auth/link_problem.html", problem="invalid", kind="confirm"), 404
    if user.deleted_at is not None:  # a link sent before the deletion must not bring the account back
        return render_template("auth/link_problem.html", problem="invalid", kind="confirm"), 404
    if user.confirmed_at is not None:
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(next_or_home(next_path))
        return render_template("auth/link_problem.html", problem="used", kind="confirm", next=next_path), 410
    form = PostForm()
    if form.validate_on_submit():
        services.confirm_account(session=get_session(), user=user)
        _start_session(user)
        flash("Your e-mail address is confirmed. Welcome!", "success")
        return redirect(next_or_home(next_path))
    return render_template("auth/confirm.html", form=form, user=user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(security.LOGIN_FAILURES_PER_ADDRESS, methods=["POST"], deduct_when=security.failed_form)
def login():
    """Log in with e-mail and password; wrong passwords pause the account, but not on its owner's devices."""
    if current_user.is_authenticated:
        return redirect(next_or_home(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        attempts = _login_attempts(form.email.data)
        if attempts.paused():  # before the password is checked: a paused account tells nothing about it
            return _login_paused(attempts)
        user = services.authenticate(session=get_session(), email=form.email.data, password=form.password.data)
        if user is None or user.confirmed_at is None:
            # An unconfirmed account is sent a link each time: counted too, so no one can flood its mailbox.
            attempts.failed()
        if user is None:
            form.password.errors.append("The e-mail address or the password is not right.")
        elif user.confirmed_at is None:
            services.send_confirmation(user, next_path=safe_next(form.next.data))
            flash("Please confirm your e-mail address first: we have sent you a new link.", "warning")
        else:
            _start_session(user, remember=form.remember.data)
            return redirect(next_or_home(form.next.data))
    return render_template("auth/login.html", form=form)


def _login_attempts(email: str) -> security.LoginAttempts:
    """Where a log-in try counts: this browser's allowance if it logged in to the account before, else the account's."""
    if request.cookies.get(devices.COOKIE):
        user = services.find_user_by_email(get_session(), email)
        device = devices.device_of(user) if user is not None else None
        if device:
            return security.LoginAttempts.of_device(device)
    return security.LoginAttempts.of_account(lookup_email(email)[:254])


def _login_paused(attempts: security.LoginAttempts):
    """Answer 429: this account's log-ins wait, and its owner can lift the pause with a password reset.

    The same page answers for an address without an account, so the pause reveals none.
    """
    minutes = attempts.minutes_left()
    audit.record(AuditAction.login_throttled, detail=str(attempts.limit))
    wait = {"Retry-After": str(minutes * 60)}
    if wants_json():
        message = f"Too many wrong passwords for this account: try again in {minutes} minutes, or reset the password."
        body, status = json_error(429, message)
        return body, status, wait
    return render_template("auth/login_paused.html", minutes=minutes), 429, wait


#: Said when this device is logged out but the database could not end the person's other sessions.
OTHER_DEVICES_STILL_IN = (
    "You are logged out on this device; we could not log out your other devices, please try again "
    "(log in and out once more)."
)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out, ending every session of the person; this device is logged out whatever the database does."""
    form = PostForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    try:
        ended_everywhere = _end_every_session()
    finally:
        session.clear()
        # Flask-Login deletes the remember-me cookie, and reads it no more in this request.
        session["_remember"] = "clear"
        logout_user()
    if ended_everywhere:
        flash("You are logged out.", "info")
    elif ended_everywhere is False:
        flash(OTHER_DEVICES_STILL_IN, "warning")
    return redirect(url_for("main.index"))


def _end_every_session() -> bool | None:
    """Rotate the person's session token: ``False`` when the database could not store it in time.

    ``None`` when no one was logged in.
    """
    try:
        user = current_user._get_current_object()
    except SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        return False
    if not user.is_authenticated:
        return None
    return services.log_out(session=get_session(), user=user)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(security.MAIL_REQUESTS_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.MAIL_REQUESTS_PER_ACCOUNT, methods=["POST"], key_func=_typed_account)
def forgot_password():
    """Ask for a password-reset link; answers the same whether the address exists."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(session=get_session(), email=form.email.data)
        return render_template("auth/reset_sent.html", email=lookup_email(form.email.data))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link (single use, expiring)."""
    max_age = current_app.config["RESET_LINK_MAX_AGE"]
    try:
        user = services.read_reset(session=get_session(), token=token, max_age=max_age)
    except tokens.LinkExpired:
        return render_template("auth/link_problem.html", problem="expired", kind="reset"), 410
    except tokens.LinkUsed:
        return render_template("auth/link_problem.html", problem="used", kind="reset"), 410
    except tokens.LinkInvalid:
        return render_template("auth/link_problem.html", problem="invalid", kind="reset"), 404
    form = ResetPasswordForm(personal=[user.email, user.name])
    if form.validate_on_submit():
        services.set_password(session=get_session(), user=user, password=form.password.data)
        # The link proved the mailbox: strangers' wrong passwords no longer hold the owner back.
        security.LoginAttempts.of_account(lookup_email(user.email)).lift()
        _start_session(user)
        flash("Your new password is set, and you are logged in.", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    """See and edit one's own details."""
    form = ProfileForm(obj=current_user, clusters=_cluster_choices())
    if form.validate_on_submit():
        services.update_profile(session=get_session(), user=current_user, profile=_profile_from(form))
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile"))
    password_form = ChangePasswordForm(formdata=None, personal=[current_user.email, current_user.name])
    return render_template("auth/profile.html", form=form, password_form=password_form)


@bp.route("/me/password", methods=["POST"])
@login_required
def change_password():
    """Change one's password; other devices are logged out, this one stays in."""
    form = ProfileForm(formdata=None, obj=current_user, clusters=_cluster_choices())
    password_form = ChangePasswordForm(personal=[current_user.email, current_user.name])
    if password_form.validate_on_submit():
        if verify_password(current_user.password_hash, password_form.current_password.data):
            user = current_user._get_current_object()
            services.set_password(session=get_session(), user=user, password=password_form.password.data)
            _start_session(user)
            flash("Your password is changed. Your other devices have been logged out.", "success")
            return redirect(url_for("auth.profile"))
        password_form.current_password.errors.append("This is not your current password.")
    return render_template("auth/profile.html", form=form, password_form=password_form)
