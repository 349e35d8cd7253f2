"""Short write transactions that hold a row's lock, retried while the database is busy.

The one lock helper of the application: every write a request makes goes through ``run_write``
(or ``run_locked`` for a row's lock). SQLite takes its write lock at the start with ``BEGIN
IMMEDIATE`` (see ``db.write_transaction``), because a transaction that read first cannot wait to
upgrade its lock; PostgreSQL reads the row ``FOR UPDATE`` at READ COMMITTED, with a lock timeout so
that a long wait becomes a retry. Retries stop at a deadline (``DATABASE_WRITE_DEADLINE``) well
inside gunicorn's time-out; contention that outlasts them raises ``Busy``, which the error pages
answer with 409 "please try again", never a 5xx.

Bookkeeping (the time of the last log-in, a password hash's upgrade, an audit entry) goes through
``write_aside`` instead: its own short transaction, whose failure is logged and never fails the
request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from workshops.db import BUSY_TIMEOUT, Busy, is_contention, new_session, write_transaction

__all__ = ["Busy", "is_contention", "lock_row", "lock_rows", "run_locked", "run_write", "write_aside"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Row = TypeVar("Row", bound=SQLModel)

#: How often a change is tried while the database is busy, and the pause before each new try.
ATTEMPTS = 4
BACKOFF_SECONDS = 0.05
#: On PostgreSQL, the longest wait for a row's lock before trying again, in seconds.
LOCK_TIMEOUT = 5.0
#: Deadlines when no application is there to configure them (``config.Defaults`` has the same).
WRITE_DEADLINE = 20.0
BOOKKEEPING_DEADLINE = 3.0
#: Where ``run_write`` leaves its deadline for ``lock_rows`` (``Session.info``).
DEADLINE_KEY = "workshops.write_deadline"


def _configured(key: str, default: float) -> float:
    if has_app_context():
        return float(current_app.config.get(key, default))
    return default


def run_write(
    session: Session,
    change: Callable[[], T],
    *,
    immediate: bool = True,
    fresh: bool = False,
    deadline: float | None = None,
) -> T:
    """Run ``change`` in one write transaction, again while the database is busy, then raise ``Busy``.

    Every try and every wait for a lock ends by ``deadline`` seconds from now (by default
    ``DATABASE_WRITE_DEADLINE``), so that a request is answered before the server gives up on it.
    ``fresh`` expires everything the session holds first, so that the change reads it all anew
    inside the transaction. ``immediate=False`` only serves the test that shows the race without
    the lock.
    """
    budget = deadline if deadline is not None else _configured("DATABASE_WRITE_DEADLINE", WRITE_DEADLINE)
    started = time.monotonic()
    ends_at = started + budget
    for attempt in range(1, ATTEMPTS + 1):
        remaining = ends_at - time.monotonic()
        session.info[DEADLINE_KEY] = ends_at
        try:
            with write_transaction(session, immediate=immediate, busy_timeout=_busy_wait(session, remaining)):
                if fresh:
                    session.expire_all()
                return change()
        except Busy:
            pause = BACKOFF_SECONDS * attempt
            if attempt == ATTEMPTS or time.monotonic() + pause >= ends_at:
                log.warning("database busy after %s attempts in %.1f s", attempt, time.monotonic() - started)
                raise
            time.sleep(pause)
        finally:
            session.info.pop(DEADLINE_KEY, None)
    raise Busy  # pragma: no cover - the loop returns or raises


def _busy_wait(session: Session, remaining: float) -> float | None:
    """SQLite's wait for the write lock in this try: its busy timeout, or less when the deadline is nearer."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    configured = _configured("DATABASE_BUSY_TIMEOUT", BUSY_TIMEOUT)
    return max(0.001, min(configured, remaining))


def write_aside(change: Callable[[Session], object], *, what: str, deadline: float | None = None) -> bool:
    """Bookkeeping: run ``change`` in a short write transaction of its own; tell whether it was stored.

    A busy or absent database is logged and swallowed, and the request's own session is never
    touched, so the page the person asked for is answered all the same. ``deadline`` defaults to
    ``DATABASE_BOOKKEEPING_DEADLINE``.
    """
    budget = deadline if deadline is not None else _configured("DATABASE_BOOKKEEPING_DEADLINE", BOOKKEEPING_DEADLINE)
    try:
        with new_session() as session:
            run_write(session, lambda: change(session), deadline=budget)
    except (Busy, SQLAlchemyError) as error:
        log.warning("could not store %s: %s", what, type(error).__name__)
        return False
    return True


def lock_row(session: Session, model: type[Row], row_id: int, *, lock: bool = True) -> Row | None:
    """Read one row anew under its lock (FOR UPDATE on PostgreSQL; SQLite holds the write lock already)."""
    rows = lock_rows(session, model, [row_id], lock=lock)
    return rows[0] if rows else None


def lock_rows(session: Session, model: type[Row], row_ids: Iterable[int], *, lock: bool = True) -> list[Row]:
    """Read rows anew under their locks, in id order so that two writers cannot deadlock.

    On PostgreSQL the wait for the locks ends at the lock timeout, or sooner at the deadline of the
    ``run_write`` around it; the time-out is contention, which ``run_write`` retries.
    """
    statement = (
        select(model)
        .where(col(model.id).in_(sorted(set(row_ids))))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        wait = LOCK_TIMEOUT
        ends_at = session.info.get(DEADLINE_KEY)
        if ends_at is not None:
            wait = max(0.001, min(wait, ends_at - time.monotonic()))
        session.execute(text(f"SET LOCAL lock_timeout = '{max(1, round(wait * 1000))}ms'"))
        statement = statement.with_for_update()
    return list(session.exec(statement))


def run_locked(
    session: Session,
    model: type[Row],
    row_id: int,
    change: Callable[[Row], T],
    *,
    missing: Callable[[], Exception],
    lock: bool = True,
    fresh: bool = False,
    deadline: float | None = None,
) -> T:
    """Run ``change`` on the row read under its lock, in one write transaction retried while busy.

    ``missing`` makes the error raised when the row is gone (deleted meanwhile). ``lock=False``
    only serves the test that shows the race without the lock.
    """

    def locked() -> T:
        row = lock_row(session, model, row_id, lock=lock)
        if row is None:
            raise missing()
        return change(row)

    return run_write(session, locked, immediate=lock, fresh=fresh, deadline=deadline)
