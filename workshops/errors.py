"""Friendly error pages in the site's layout, with no stack trace or SQL in them."""

from __future__ import annotations

import logging
import time
from math import ceil

from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.http import json_error, wants_json
from workshops.security import limiter
from workshops.transactions import Busy
from workshops.weblog import escape, loggable_path

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back, reload the page and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is nothing at this address. It may have moved, or the link may be wrong."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Busy, please try again", "Someone else was changing the same thing. Please try again."),
    410: ("Link no longer valid", "This link has expired or has been used already."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Something went wrong", "An error occurred on our side. It has been logged; please try again."),
}


def init_app(app: Flask) -> None:
    """Render every HTTP error with the site's layout."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(Busy, _busy)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _render(status: int, detail: str | None = None, **context):
    title, message = MESSAGES.get(status, (f"Error {status}", "The request could not be completed."))
    if wants_json():
        return json_error(status, detail or message)
    if request_ctx.url_adapter is None:  # an untrusted Host header: no URL can be built for it
        return Response(f"{title}\n\n{message}\n", status, mimetype="text/plain")
    page = render_template("errors/error.html", status=status, title=title, message=detail or message, **context)
    return page, status


def _busy(error: Busy):
    """409 "please try again", with a button that sends the very same form again: nothing typed is lost.

    Secrets are never written back into the page: a form that held a password is offered as a
    link back to the page instead, to be filled in again.
    """
    resend, again_url = None, None
    if request.method == "POST" and not any(_is_secret(name) for name in request.form):
        resend = [(name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"]
    elif request.method == "POST":
        again_url = request.full_path.rstrip("?")
    return _render(409, resend=resend, resend_url=request.full_path.rstrip("?"), again_url=again_url)


def _is_secret(name: str) -> bool:
    return "password" in name.lower()


def _csrf_error(error: CSRFError):
    log.warning("CSRF failure on %s %s", request.method, escape(loggable_path()))
    audit.record(AuditAction.csrf_failed, detail=f"{request.method} {loggable_path()}")
    return _render(400, "This form has expired or was sent from elsewhere. Reload the page and try again.")


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 403:
        audit.record(AuditAction.access_denied, detail=f"{request.method} {loggable_path()}")
    return _render(error.code)


def _rate_limited(error: RateLimitExceeded):
    limit = limiter.current_limit
    wait = max(1, ceil((limit.reset_at - time.time()) / 60)) if limit else None
    if request.endpoint == "auth.login":
        audit.record(AuditAction.login_throttled, detail=str(error.limit.limit))
    message = (error.description if error.limit.error_message else "You have tried this too often.") + " "
    message += f"Please try again in {wait} minute{'s' if wait != 1 else ''}." if wait else "Please wait a little."
    response, status = _render(429, message)
    return response, status, {"Retry-After": str(wait * 60 if wait else 60)}


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error on %s %s", request.method, escape(loggable_path()))
    return _render(InternalServerError.code)
