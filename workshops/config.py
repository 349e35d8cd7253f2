"""Configuration: defaults, then ``instance/config.py``, then ``WORKSHOPS_*`` environment variables.

PRODUCT.md lists the keys. This module also refuses to start a production server that is
configured unsafely, because a weak key or the debugger on a public address gives the site away.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Config, Flask

DEVELOPMENT_HOSTS = ["127.0.0.1", "localhost", "::1"]
MIN_SECRET_KEY_LENGTH = 32


class Defaults:
    """Values used when neither the instance file nor the environment sets a key."""

    ENV = "development"
    BASE_URL = "http://127.0.0.1:5000"
    PROGRAMME_NAME = "Workshops"
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "Workshops <no-reply@localhost>"
    #: Send the e-mails of a request from a thread of their own, after the page has answered.
    MAIL_IN_BACKGROUND = True
    #: Messages a process may hold for sending; beyond, a request sends its own on the spot.
    MAIL_QUEUE_SIZE = 1000
    #: Seconds between the tries of a message the mail server refuses for now (4xx, no answer).
    MAIL_RETRY_DELAYS = (2, 10, 30)
    #: Seconds a stopping process waits for its queued messages (below gunicorn's graceful timeout).
    MAIL_DRAIN_SECONDS = 20
    RATELIMIT_STORAGE_URI = "memory://"
    PROXY_FIX_HOPS = 0
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no lost form after lunch
    #: Lifetime of the links sent by e-mail, in seconds.
    CONFIRM_LINK_MAX_AGE = 3 * 24 * 3600
    RESET_LINK_MAX_AGE = 2 * 3600
    #: Lifetime, in seconds, of the cookie that lets a browser where a person logged in keep
    #: logging in while strangers' guesses have paused their account (OWASP "device cookies").
    DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
    #: argon2id parameters; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    #: Months after a workshop ends before ``purge-expired`` deletes its registration details.
    RETENTION_MONTHS = 12
    #: The programme's time zone, for times that belong to no workshop (use-case revisions,
    #: comments, the audit log, notice versions); a workshop's times are shown in its own zone.
    TIMEZONE = "UTC"
    #: Log one line per request to stderr.
    LOG_REQUESTS = True
    #: Database time-outs, in seconds, so that no request hangs on the database (workshops/db.py).
    #: SQLite: how long a statement waits for another connection's write lock; 300 people logging
    #: in or registering at once queue for it in a few seconds.
    DATABASE_BUSY_TIMEOUT = 10
    #: PostgreSQL: the wait for a new connection (libpq counts at least 2).
    DATABASE_CONNECT_TIMEOUT = 3
    #: PostgreSQL: the longest one statement may run; 0 for no limit (a long migration, say).
    DATABASE_STATEMENT_TIMEOUT = 15
    #: The wait for a free connection of the pool when every one is in use.
    DATABASE_POOL_TIMEOUT = 5
    #: The longest a write keeps retrying while the database is busy, lock waits included, before
    #: the person is asked to try again (409): well inside gunicorn's 30-second worker time-out.
    DATABASE_WRITE_DEADLINE = 20
    #: The same for bookkeeping (the last log-in time, an audit entry): it gives up sooner, and
    #: never fails the request.
    DATABASE_BOOKKEEPING_DEADLINE = 3
    #: Seconds a client is asked to wait (``Retry-After``) when the database does not answer (503).
    DATABASE_RETRY_AFTER = 10
    #: Once a request or the health check finds the database away, the next requests of the same
    #: process are answered 503 at once for this many seconds instead of each waiting for it again.
    DATABASE_OUTAGE_HOLD = 2
    #: Bytes of rendered anonymous pages (workshop pages, home, published calls) each process keeps.
    PAGE_CACHE_BYTES = 32 * 1024 * 1024
    #: The whole budget of ``/healthz``: past it the database counts as down (503).
    HEALTH_CHECK_TIMEOUT = 1


def load_config(app: Flask, overrides: dict | None) -> None:
    """Fill ``app.config`` in the documented order and derive the values that depend on others."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("WORKSHOPS")
    if overrides:
        app.config.update(overrides)

    production = app.config["ENV"] == "production"
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'workshops.db'}"
    if not app.config.get("MAIL_OUTBOX"):
        app.config["MAIL_OUTBOX"] = str(instance / "outbox")
    if not app.config.get("SECRET_KEY") and not production:
        app.config["SECRET_KEY"] = _development_secret_key(instance)
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [host.strip() for host in hosts.split(",") if host.strip()]
    if not hosts:
        # In production the public address is the one host we answer to unless told otherwise.
        hosts = [urlsplit(app.config["BASE_URL"]).hostname] if production else list(DEVELOPMENT_HOSTS)
    app.config["TRUSTED_HOSTS"] = hosts or None
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")
    _check_timezone(app.config["TIMEZONE"])
    app.config["SESSION_COOKIE_SECURE"] = production
    app.config["REMEMBER_COOKIE_SECURE"] = production
    if production:
        check_production(app.config)


def configuration(overrides: dict | None = None) -> Config:
    """The configuration ``create_app`` reads, without building the application (for gunicorn's start-up checks)."""
    app = Flask("workshops", instance_relative_config=True)
    load_config(app, overrides)
    return app.config


def check_production(config: dict) -> None:
    """Refuse to serve in production with the debugger on or a missing or short secret key."""
    if config.get("DEBUG"):
        raise RuntimeError("WORKSHOPS_DEBUG must be off in production.")
    key = config.get("SECRET_KEY") or ""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"WORKSHOPS_SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters "
            'in production, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))".'
        )


def _check_timezone(name: str) -> None:
    """Refuse to start with a time zone that does not exist, rather than fail on the first page."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        message = f"WORKSHOPS_TIMEZONE must be an IANA time zone such as Europe/Brussels, not {name!r}."
        raise RuntimeError(message) from error


def _development_secret_key(instance: Path) -> str:
    """Generate a key once into ``instance/`` so that sessions survive a restart of ``make run``."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
