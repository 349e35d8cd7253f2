"""Device cookies (OWASP): a browser where a person has logged in keeps log-in attempts of its own.

Wrong passwords typed for an account pause log-ins to it (``security.LoginAttempts``). Anyone who
knows an address could type them, so a browser that has logged in to the account before, and holds
the signed cookie it was then given, is not held by that pause: its tries count against its own
allowance (``LOGIN_FAILURES_PER_DEVICE``) instead. The cookie is HttpOnly, SameSite=Lax, Secure in
production, sent only to the log-in page, and given again (with a new browser id, so with a fresh
allowance) at every log-in: by password, confirmation link, reset link or password change.
"""

from __future__ import annotations

from flask import Response, current_app, g, has_request_context, request, url_for
from flask_login import user_logged_in

from workshops.auth import bp, tokens
from workshops.auth.models import User

COOKIE = "login_device"


def device_of(user: User) -> str | None:
    """The id of this browser's allowance for ``user``, if it holds a valid device cookie for them."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return tokens.read_device_token(
        token,
        user_id=user.id,
        password_hash=user.password_hash,
        max_age=current_app.config["DEVICE_COOKIE_MAX_AGE"],
    )


@user_logged_in.connect
def _remember_this_browser(_app, user: User, **_extra) -> None:
    """Whenever someone logs in, this browser is to get a device cookie for the account."""
    if has_request_context():
        g.device_cookie = tokens.make_device_token(user_id=user.id, password_hash=user.password_hash)


@bp.after_app_request
def _set_device_cookie(response: Response) -> Response:
    """Give the browser the device cookie of a log-in made while answering this request."""
    token = g.pop("device_cookie", None)
    if token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=current_app.config["DEVICE_COOKIE_MAX_AGE"],
            path=url_for("auth.login"),
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response
