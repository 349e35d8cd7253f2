"""The database: one engine per application, one session per request, short write transactions.

SQLite needs care to take limited seats without overbooking (see TOOLING.md): the driver's own
transaction handling is switched off so that we issue ``BEGIN`` ourselves, ``DEFERRED`` for reads
and ``IMMEDIATE`` for writes, so that a write never has to upgrade a read lock (which SQLite cannot
wait for). PostgreSQL locks the counted row with ``SELECT … FOR UPDATE`` at READ COMMITTED instead.

Nothing here may hang a request: connections, statements, the pool and SQLite's lock all have a
time-out (``DATABASE_*`` in ``config.Defaults``), and the health check has a budget of its own.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import CheckConstraint, DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)

#: Deterministic constraint names, so that migrations can drop and alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Engine settings for callers without an application (migrations from the command line); an
#: application takes its own from ``DATABASE_*`` in ``config.Defaults``. In seconds.
BUSY_TIMEOUT = 10.0
CONNECT_TIMEOUT = 3
POOL_TIMEOUT = 5.0

#: What the database says when it is busy rather than broken.
CONTENTION_SIGNS = ("database is locked", "lock timeout", "could not obtain lock", "deadlock", "could not serialize")
#: Errors that mean the database is away or not answering, rather than a fault in a query.
UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    sa_exc.PendingRollbackError,
)


class Busy(Exception):
    """The database stayed busy through every retry: the person should try again."""


def is_contention(error: BaseException) -> bool:
    """Whether a database error means "busy, try again" rather than a fault."""
    if not isinstance(error, sa_exc.OperationalError):
        return False
    message = str(error.orig).lower()
    return any(sign in message for sign in CONTENTION_SIGNS)


#: SQLite reports a faulty query as an ``OperationalError`` too ("no such table"): these are its outages.
SQLITE_OUTAGE_SIGNS = (
    "locked",
    "locking protocol",
    "busy",
    "unable to open",
    "disk i/o error",
    "disk is full",
    "readonly",
)


class DatabaseAway(sa_exc.SQLAlchemyError):
    """The database was found away a moment ago: the request is answered 503 at once, not after another wait."""


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database is away, locked or not answering in time."""
    if isinstance(error, DatabaseAway):
        return True
    if isinstance(error, sa_exc.OperationalError) and isinstance(error.orig, sqlite3.Error):
        message = str(error.orig).lower()
        return any(sign in message for sign in SQLITE_OUTAGE_SIGNS)
    if isinstance(error, UNAVAILABLE):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def make_engine(
    url: str,
    *,
    busy_timeout: float = BUSY_TIMEOUT,
    connect_timeout: float = CONNECT_TIMEOUT,
    statement_timeout: float | None = None,
    pool_timeout: float = POOL_TIMEOUT,
) -> Engine:
    """Create an engine with the per-backend settings the application relies on.

    ``busy_timeout`` is how long SQLite waits for another connection's lock; ``connect_timeout``
    and ``statement_timeout`` (none or 0: no limit) bound PostgreSQL; ``pool_timeout`` is the wait
    for a free connection of the pool. All in seconds.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout},
            **({} if in_memory else {"pool_timeout": pool_timeout}),
        )
        default_busy_ms = round(busy_timeout * 1000)

        def on_connect(dbapi_connection, record) -> None:
            _sqlite_on_connect(dbapi_connection, busy_ms=default_busy_ms)
            record.info["busy_ms"] = default_busy_ms

        def on_begin(connection) -> None:
            _sqlite_on_begin(connection, default_busy_ms=default_busy_ms)

        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", on_begin)
        return engine
    connect_args = _postgresql_limits(parsed, connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=pool_timeout, connect_args=connect_args
    )


def _postgresql_limits(url, *, connect_timeout: float, statement_timeout: float | None) -> dict:
    """The connection time-out for libpq, and the statement time-out as a server option of every connection."""
    limits: dict = {"connect_timeout": max(1, round(connect_timeout))}
    if statement_timeout:
        options = str(url.query.get("options", ""))
        limits["options"] = f"{options} -c statement_timeout={round(statement_timeout * 1000)}".strip()
    return limits


def _sqlite_on_connect(dbapi_connection, *, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves, see _sqlite_on_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection, *, default_busy_ms: int) -> None:
    """Begin in the mode the transaction asked for, waiting for the lock no longer than it allows.

    A write retried against a deadline asks for a shorter wait (``sqlite_busy_ms``); the next
    transaction on the same connection goes back to the engine's own busy timeout.
    """
    options = connection.get_execution_options()
    busy_ms = options.get("sqlite_busy_ms", default_busy_ms)
    if connection.info.get("busy_ms") != busy_ms:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms)}")
        connection.info["busy_ms"] = busy_ms
    mode = options.get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def init_app(app: Flask) -> None:
    """Create the application's engines and close the request's session at teardown."""
    config = app.config
    url = config["DATABASE_URL"]
    app.extensions["workshops.engine"] = make_engine(
        url,
        busy_timeout=float(config["DATABASE_BUSY_TIMEOUT"]),
        connect_timeout=float(config["DATABASE_CONNECT_TIMEOUT"]),
        statement_timeout=float(config["DATABASE_STATEMENT_TIMEOUT"] or 0),
        pool_timeout=float(config["DATABASE_POOL_TIMEOUT"]),
    )
    app.extensions["workshops.health_engine"] = make_health_engine(url, timeout=float(config["HEALTH_CHECK_TIMEOUT"]))
    app.extensions["workshops.outage"] = Outage(float(config["DATABASE_OUTAGE_HOLD"]))
    app.teardown_appcontext(_close_session)


class Outage:
    """What this process last learnt of the database being away, so that a crowd does not wait for it one by one.

    On SQLite a locked file costs each request SQLite's own ten seconds of retries, and on
    PostgreSQL a stopped server the connection time-out: with every request thread waiting, not
    even the health check would get an answer. Once a request or the health check has found the
    database away, the next requests for ``hold`` seconds are answered 503 without trying; a health
    check always tries, and renews or ends the hold with what it finds.
    """

    def __init__(self, hold: float):
        self.hold = hold
        self._until = 0.0

    def seen(self) -> None:
        """The database was just found away."""
        self._until = time.monotonic() + self.hold

    def ended(self) -> None:
        """The database was just found answering."""
        self._until = 0.0

    def recent(self) -> bool:
        """Whether the database was found away less than ``hold`` seconds ago."""
        return time.monotonic() < self._until


def get_outage() -> Outage:
    """Return the current application's memory of the database being away."""
    return current_app.extensions["workshops.outage"]


def get_engine() -> Engine:
    """Return the engine of the current application."""
    return current_app.extensions["workshops.engine"]


def get_health_engine() -> Engine:
    """Return the current application's engine for the health check (see ``make_health_engine``)."""
    return current_app.extensions["workshops.health_engine"]


def new_session() -> Session:
    """Open a session of one's own (command line, background work); close it when done."""
    return Session(get_engine(), expire_on_commit=False)


def get_session() -> Session:
    """Return the session of the current request, opening it on first use.

    Raises ``DatabaseAway`` while the database was found away moments ago (``Outage``).
    """
    if "db_session" not in g:
        if get_outage().recent():
            raise DatabaseAway("the database was found away moments ago")
        g.db_session = new_session()
    return g.db_session


def release_request_session() -> None:
    """Roll back and close the request's session, even a broken one, without ever raising.

    An error page calls it first: the page then renders without the database, and anything that
    still asks for a session afterwards gets a fresh one. Objects the session held stay readable
    as they were loaded.
    """
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except sa_exc.SQLAlchemyError:
        log.warning("could not close the request's database session; its connection is dropped", exc_info=True)
        with suppress(sa_exc.SQLAlchemyError):
            session.invalidate()


def _close_session(_exc: BaseException | None) -> None:
    release_request_session()


@contextmanager
def write_transaction(
    session: Session, *, immediate: bool = True, busy_timeout: float | None = None
) -> Iterator[Session]:
    """Run a short write transaction that takes the write lock first on SQLite.

    Ends any read transaction the session holds, because the ``IMMEDIATE`` option is only honoured
    when the transaction starts. Commits on success and rolls back on any error; contention (the
    lock still taken after the busy timeout, a lock time-out, a deadlock) is raised as ``Busy``.
    ``busy_timeout`` shortens SQLite's wait for the lock, in seconds (a retry near its deadline).
    ``immediate=False`` exists for the test that proves the concurrency harness sees a race when
    the lock is off.
    """
    options = {"sqlite_begin": "IMMEDIATE" if immediate else "DEFERRED"}
    if busy_timeout is not None:
        options["sqlite_busy_ms"] = max(1, round(busy_timeout * 1000))
    try:
        if session.in_transaction():
            session.commit()
        session.connection(execution_options=options)
        yield session
        session.commit()
    except BaseException as error:
        _roll_back(session)
        if is_contention(error):
            raise Busy from error
        raise


def _roll_back(session: Session) -> None:
    """Roll back; a connection too broken to roll back is dropped instead, so the error that matters surfaces."""
    try:
        session.rollback()
    except sa_exc.SQLAlchemyError:
        log.warning("rollback failed; the connection is dropped", exc_info=True)
        with suppress(sa_exc.SQLAlchemyError):
            session.invalidate()


def make_health_engine(url: str, *, timeout: float) -> Engine:
    """An engine for the health check alone: no pool, and every wait a fraction of ``timeout`` seconds.

    It never waits behind the requests' pool, which may be exhausted when the database is slow. On
    SQLite it opens the file read-write without creating it, with a short busy timeout, and its
    query reads the schema, which needs the file's shared lock: a database locked by another
    process answers "locked" in time. On PostgreSQL libpq waits 2 s at least for a connection, so
    ``database_answers`` stops waiting at ``timeout`` anyway.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        location = Path(parsed.database).resolve().as_uri() + "?mode=rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(location, uri=True, timeout=timeout / 2, check_same_thread=False)

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    if parsed.get_backend_name() == "sqlite":
        return create_engine(url, poolclass=NullPool)
    connect_args = _postgresql_limits(parsed, connect_timeout=timeout, statement_timeout=timeout / 2)
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def ping(engine: Engine) -> bool:
    """Tell whether the database answers a small read (on SQLite, one that needs the file's shared lock)."""
    query = "SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite" else "SELECT 1"
    try:
        with engine.connect() as connection:
            connection.execute(text(query))
    except Exception as error:
        log.warning("the database does not answer: %s", type(error).__name__)
        return False
    return True


#: Health checks still waiting for the database; past this many, the next answers "unavailable" at once.
_HEALTH_CHECKS = threading.BoundedSemaphore(4)


def database_answers(engine: Engine, *, timeout: float) -> bool:
    """Whether the database answers a small read within ``timeout`` seconds.

    The check runs in a thread of its own, so that the answer comes in time even when the server
    hangs rather than refuses; a few checks still hanging make the next ones answer "no" at once.
    """
    if not _HEALTH_CHECKS.acquire(blocking=False):
        return False
    outcome: list[bool] = []

    def check() -> None:
        try:
            outcome.append(ping(engine))
        finally:
            _HEALTH_CHECKS.release()

    worker = threading.Thread(target=check, name="health-check", daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome == [True]


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back time-zone aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Refuse naive times, store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to what SQLite hands back naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(*, nullable: bool = True, default_factory=None, index: bool = False):
    """Declare a UTC timestamp field on a model."""
    from sqlmodel import Field

    kwargs = {"default_factory": default_factory} if default_factory else {"default": None}
    return Field(sa_type=UtcDateTime, nullable=nullable, index=index, **kwargs)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A check constraint that keeps a text column to the stored values PRODUCT.md lists."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def max_length(model: type[SQLModel], field: str) -> int:
    """Return the ``max_length`` declared on a model field, so forms repeat no limit."""
    for constraint in model.model_fields[field].metadata:
        limit = getattr(constraint, "max_length", None)
        if limit is not None:
            return limit
    raise LookupError(f"{model.__name__}.{field} declares no max_length")
