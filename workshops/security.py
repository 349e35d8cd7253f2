"""Response headers, the client address behind proxies, and rate limits.

Every HTML page gets a strict Content-Security-Policy (our pages need no inline script or style),
and every dynamic response ``Cache-Control: no-store``, because pages carry personal data or a CSRF
token bound to the session. Rate limits slow down password guessing and mail bombing.

Wrong passwords pause log-ins to an account (``LoginAttempts``), but no stranger can use that to
lock its owner out: a browser where the owner has logged in before keeps an allowance of its own
(a device cookie, see ``workshops.auth.devices``), and a password reset, which proves the mailbox,
lifts the pause. The limits live in Flask-Limiter's storage, which must be shared by every process
of a production server (``check_server_processes``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from math import ceil
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

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
#: Failed log-ins to an account from one browser where it has logged in before: counted apart from
#: the account's, so that a pause caused by strangers' guesses does not reach its owner's devices.
LOGIN_FAILURES_PER_DEVICE = "10 per 15 minutes"
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
    if memory_storage_in_production(app.config):
        log.warning(MEMORY_STORAGE_WARNING)

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
        # A public page's anonymous view sets its own (``workshops.caching``): kept, asked for again each time.
        if request.endpoint != "static" and not g.get("public_page"):
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Vary", "Cookie")
        return response


def account_key() -> str:
    """Rate-limit key: the account logged in (routes that use it require a log-in)."""
    from flask_login import current_user

    return f"account:{current_user.get_id()}"


def failed_form(response: Response) -> bool:
    """A POST answered by the same form again (200, or 422 for refused input) failed; a redirect means it succeeded."""
    return request.method == "POST" and response.status_code in (200, 422)


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


class LoginAttempts:
    """The failed log-ins counted against one account, or against one browser's allowance for it.

    The count is kept in the limiter's storage (``limiter.limiter``), where the decorators keep
    theirs, so that it is shared by every server process and can be cleared when a password reset
    proves the account's owner.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.limit = parse(LOGIN_FAILURES_PER_DEVICE if key.startswith("device:") else LOGIN_FAILURES_PER_ACCOUNT)

    @classmethod
    def of_account(cls, email: str) -> LoginAttempts:
        """The count of an account, by the stored form of its address (or of an address typed)."""
        return cls("email:" + email)

    @classmethod
    def of_device(cls, device: str) -> LoginAttempts:
        """The count of one browser's allowance, by the id its device cookie carries."""
        return cls("device:" + device)

    def _identifiers(self) -> tuple[str, ...]:
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
        return (prefix, "login-failures", self.key) if prefix else ("login-failures", self.key)

    def paused(self) -> bool:
        """Whether another try must wait: the limit of failures is reached."""
        return limiter.enabled and not limiter.limiter.test(self.limit, *self._identifiers())

    def failed(self) -> None:
        """Count one failed try."""
        if limiter.enabled:
            limiter.limiter.hit(self.limit, *self._identifiers())

    def lift(self) -> None:
        """Forget the failures: the next try is allowed at once."""
        limiter.limiter.clear(self.limit, *self._identifiers())

    def minutes_left(self) -> int:
        """Whole minutes, at least one, until the pause ends by itself."""
        reset_at = limiter.limiter.get_window_stats(self.limit, *self._identifiers()).reset_time
        return max(1, ceil((reset_at - time.time()) / 60))


MEMORY_STORAGE_WARNING = (
    "WORKSHOPS_RATELIMIT_STORAGE_URI is memory:// in production: each server process counts log-in "
    "attempts and mail requests on its own, so with several processes or servers every limit is "
    "multiplied by their number. Set it to a shared store, e.g. redis://127.0.0.1:6379/0."
)


def memory_storage_in_production(config: Mapping) -> bool:
    """Whether a production configuration keeps rate limits in each process's own memory."""
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    return config.get("ENV") == "production" and urlsplit(storage).scheme == "memory"


def check_server_processes(config: Mapping, workers: int) -> None:
    """Refuse to serve production from several processes that each keep their own rate limits.

    gunicorn's start-up hook (``gunicorn.conf.py``) calls it with the number of workers it is
    about to start (``-w``, ``--workers`` or ``WEB_CONCURRENCY``); raises ``RuntimeError``.
    """
    if workers > 1 and memory_storage_in_production(config):
        raise RuntimeError(
            f"Refusing to start {workers} worker processes with WORKSHOPS_RATELIMIT_STORAGE_URI=memory:// "
            f"in production: each would count log-in attempts on its own, so every rate limit would be "
            f"{workers} times the configured one. Set WORKSHOPS_RATELIMIT_STORAGE_URI to a shared store "
            "(e.g. redis://127.0.0.1:6379/0), or run one worker (-w 1, WEB_CONCURRENCY=1)."
        )
