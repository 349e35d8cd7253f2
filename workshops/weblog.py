"""One log line per request to stderr: method, path, status, duration and user id.

Logged values never hold bodies, cookies or query strings (tokens travel there), and CR/LF in them
is escaped so that a crafted path cannot forge a log line.
"""

from __future__ import annotations

import logging
import sys
import time

from flask import Flask, Response, g, request

log = logging.getLogger("workshops.request")


def init_app(app: Flask) -> None:
    """Configure logging to stderr and time every request."""
    _configure_logging(app)
    if not app.config.get("LOG_REQUESTS"):
        return
    app.before_request(_start_timer)
    app.after_request(_log_request)


def escape(value: object) -> str:
    """Make a value safe for a single log line."""
    return str(value).replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _configure_logging(app: Flask) -> None:
    root = logging.getLogger("workshops")
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%SZ"))
    handler.formatter.converter = time.gmtime
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = True


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    # Only name a user already loaded for the request: logging must not cost a query.
    user = g.get("_login_user")
    user_id = user.id if user is not None and user.is_authenticated else "-"
    log.info(
        "%s %s %s %.1fms user=%s",
        request.method,
        escape(loggable_path()),
        response.status_code,
        duration_ms,
        user_id,
    )
    return response


def loggable_path() -> str:
    """The request path with any token from an e-mailed link blanked out."""
    path = request.path
    token = (request.view_args or {}).get("token")
    return path.replace(token, "[token]") if token else path
