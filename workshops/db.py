"""The database: one engine per application, one session per request, short write transactions.

SQLite needs care to take limited seats without overbooking (see TOOLING.md): the driver's own
transaction handling is switched off so that we issue ``BEGIN`` ourselves, ``DEFERRED`` for reads
and ``IMMEDIATE`` for writes that count before they insert. PostgreSQL locks the counted row with
``SELECT … FOR UPDATE`` at READ COMMITTED instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import CheckConstraint, DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlmodel import Session, SQLModel

#: Deterministic constraint names, so that migrations can drop and alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Create an engine with the per-backend settings the application relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves, see _sqlite_on_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def init_app(app: Flask) -> None:
    """Create the application's engine and close the request's session at teardown."""
    app.extensions["workshops.engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """Return the engine of the current application."""
    return current_app.extensions["workshops.engine"]


def new_session() -> Session:
    """Open a session of one's own (command line, background work); close it when done."""
    return Session(get_engine(), expire_on_commit=False)


def get_session() -> Session:
    """Return the session of the current request, opening it on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def write_transaction(session: Session, *, immediate: bool = True) -> Iterator[Session]:
    """Run a short write transaction that takes the write lock first on SQLite.

    Ends any read transaction the session holds, because the ``IMMEDIATE`` option is only honoured
    when the transaction starts. Commits on success and rolls back on any error. ``immediate=False``
    exists for the test that proves the concurrency harness sees a race when the lock is off.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE" if immediate else "DEFERRED"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def ping(engine: Engine) -> bool:
    """Tell whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


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
