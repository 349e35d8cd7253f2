"""Friendly error pages in the site's layout, with no stack trace or SQL in them.

An error page never needs the database, which may be what failed: the request's session is rolled
back and closed first, and the layout shows the person as this request already knew them
(``auth.loader.freeze_current_user``). Should the page fail to render all the same, a plain one
goes out instead; the security headers are added to either (``security``).
"""

from __future__ import annotations

import functools
import logging
import time
from math import ceil

from flask import Flask, Response, current_app, g, render_template, request
from flask.globals import request_ctx
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import PendingRollbackError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth.loader import freeze_current_user
from workshops.db import get_outage, is_unavailable, release_request_session
from workshops.http import json_error, wants_json
from workshops.security import limiter
from workshops.transactions import Busy
from workshops.weblog import escape, loggable_path

log = logging.getLogger(__name__)

UNAVAILABLE = 503
#: 503s that say nothing of the database itself: a session left broken by an earlier error, a pool
#: full of busy connections. They are not remembered as an outage (``db.Outage``).
SESSION_OR_POOL = (PendingRollbackError, PoolTimeout)
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
    UNAVAILABLE: ("Please try again in a moment", "The database is not answering; please try again in a moment."),
}


def init_app(app: Flask) -> None:
    """Render every HTTP error with the site's layout."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(Busy, _busy)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _render(status: int, detail: str | None = None, *, look_up_user: bool = False, **context) -> tuple:
    """The error page, or its JSON for scripts, rendered without the database.

    ``look_up_user`` lets a refusal (4xx) find who is logged in, when nothing failed in the
    database and the request had not needed the person yet; a failure to do so only makes the
    layout show what a visitor sees.
    """
    title, message = MESSAGES.get(status, (f"Error {status}", "The request could not be completed."))
    _forget_the_database(look_up_user=look_up_user)
    if wants_json():
        return json_error(status, detail or message)
    if request_ctx.url_adapter is None:  # an untrusted Host header: no URL can be built for it
        return _plain(status, title, detail or message)
    try:
        page = render_template("errors/error.html", status=status, title=title, message=detail or message, **context)
    except Exception:
        log.exception("the error page for %s could not be rendered; a plain one is sent", status)
        return _plain(status, title, detail or message)
    return page, status


def _forget_the_database(*, look_up_user: bool) -> None:
    if look_up_user and "_login_user" not in g:
        try:
            current_user._get_current_object()
        except SQLAlchemyError as error:
            log.warning("the error page shows no one: the person could not be loaded (%s)", type(error).__name__)
    release_request_session()
    freeze_current_user()


def _plain(status: int, title: str, message: str) -> tuple[Response, int]:
    return Response(f"{title}\n\n{message}\n", status, mimetype="text/plain"), status


def _kept_form() -> dict:
    """What a refused request sent, offered again so that nothing typed is lost.

    A form is sent again as it was, from hidden fields. Secrets are never written back into the
    page: a form that held a password is sent again without it, which opens the form filled in
    with everything else, for the person to type only the password again. A page asked for is
    offered as a link to try again.
    """
    address = request.full_path.rstrip("?")
    if request.method != "POST":
        return {"resend": None, "again_url": address}
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"]
    kept = [(name, value) for name, value in fields if not _is_secret(name)]
    return {"resend": kept, "resend_url": address, "refill": len(kept) < len(fields)}


def _is_secret(name: str) -> bool:
    return "password" in name.lower() or name in _password_fields()


@functools.cache
def _password_fields() -> frozenset[str]:
    """The names of every password field of the site's forms (a repeated password is one too)."""
    names, forms = set(), [FlaskForm]
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        for name, value in vars(form).items():
            if isinstance(value, UnboundField) and issubclass(value.field_class, PasswordField):
                names.add(name)
    return frozenset(names)


def _busy(error: Busy):
    """409 "please try again", with a button that sends the very same form again."""
    return _render(409, look_up_user=True, **_kept_form())


def _database_error(error: SQLAlchemyError):
    """503 "the database is not answering" with ``Retry-After`` when it is away, locked or slow; else a 500."""
    if not is_unavailable(error):
        return _unexpected_error(error)
    cause = getattr(error, "orig", None) or error
    if not isinstance(error, SESSION_OR_POOL):
        get_outage().seen()
    log.warning("database unavailable on %s %s: %s", request.method, escape(loggable_path()), type(cause).__name__)
    retry_after = int(current_app.config["DATABASE_RETRY_AFTER"])
    response, status = _render(UNAVAILABLE, **_kept_form())
    return response, status, {"Retry-After": str(retry_after)}


def _csrf_error(error: CSRFError):
    log.warning("CSRF failure on %s %s", request.method, escape(loggable_path()))
    audit.record(AuditAction.csrf_failed, detail=f"{request.method} {loggable_path()}")
    return _render(
        400, "This form has expired or was sent from elsewhere. Reload the page and try again.", look_up_user=True
    )


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 403:
        audit.record(AuditAction.access_denied, detail=f"{request.method} {loggable_path()}")
    return _render(error.code, look_up_user=error.code < InternalServerError.code)


def _rate_limited(error: RateLimitExceeded):
    limit = limiter.current_limit
    wait = max(1, ceil((limit.reset_at - time.time()) / 60)) if limit else None
    if request.endpoint == "auth.login":
        audit.record(AuditAction.login_throttled, detail=str(error.limit.limit))
    message = (error.description if error.limit.error_message else "You have tried this too often.") + " "
    message += f"Please try again in {wait} minute{'s' if wait != 1 else ''}." if wait else "Please wait a little."
    response, status = _render(429, message, look_up_user=True)
    return response, status, {"Retry-After": str(wait * 60 if wait else 60)}


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error on %s %s", request.method, escape(loggable_path()))
    return _render(InternalServerError.code)
