"""Response headers, the client address behind proxies, and rate limits.

Every HTML page gets a strict Content-Security-Policy (our pages need no inline script or style),
and every dynamic response ``Cache-Control: no-store``, because pages carry personal data or a CSRF
token bound to the session. Rate limits slow down password guessing and mail bombing.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"

#: Limits, as Flask-Limiter strings. Only failed log-ins count against the log-in limits.
LOGIN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
LOGIN_FAILURES_PER_ADDRESS = "50 per 15 minutes"
#: Sign-ups from one client address, every form sent counted before any work is done. A venue's
#: wifi is one address: a room of 300 people signing up in a workshop's first hour, some sending
#: the form two or three times (a refused password, a forgotten field), stays below it; a script
#: creating accounts or mailing strangers is stopped at it.
SIGNUP_PER_ADDRESS = "1000 per hour"
#: Sign-ups of one e-mail address that went through, each of which sent that mailbox an e-mail
#: (a confirmation link, or "you already have an account"); forms refused for a typo do not count.
SIGNUP_PER_ACCOUNT = "3 per hour"
SIGNUP_PER_ACCOUNT_MESSAGE = (
    "This e-mail address has been signed up several times in the last hour, and each time we sent it "
    "an e-mail: look for them in its inbox and spam folder."
)
#: Reset and confirmation links asked for from one client address: a venue's wifi again, where
#: a few dozen people may ask in an hour; each account has its own, lower limit.
MAIL_REQUESTS_PER_ADDRESS = "100 per hour"
MAIL_REQUESTS_PER_ACCOUNT = "5 per hour"
#: Similar-need look-ups as someone types (the form asks after a pause in typing, not at each key).
SIMILAR_PER_ACCOUNT = "120 per minute"

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_app(app: Flask) -> None:
    """Trust the configured number of proxies, add the headers, and start the limiter."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    production = app.config["ENV"] == "production"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Vary", "Cookie")
        return response


def account_key() -> str:
    """Rate-limit key: the account logged in (routes that use it require a log-in)."""
    from flask_login import current_user

    return f"account:{current_user.get_id()}"


def failed_form(response: Response) -> bool:
    """A POST answered by the same form again (200) failed; a redirect means it succeeded."""
    return request.method == "POST" and response.status_code == 200


def password_attempts_limited(account: Callable[[], str]):
    """The limits of a form that checks a password: failed tries per address, and per account.

    ``account`` names the account tried (the e-mail typed, or the person logged in). Only failed
    forms count (``failed_form``), so that a person who types right is never slowed down.
    """

    def decorate(view):
        per_account = limiter.limit(
            LOGIN_FAILURES_PER_ACCOUNT, methods=["POST"], key_func=account, deduct_when=failed_form
        )
        per_address = limiter.limit(LOGIN_FAILURES_PER_ADDRESS, methods=["POST"], deduct_when=failed_form)
        return per_address(per_account(view))

    return decorate
