"""Short write transactions that hold a row's lock, retried while the database is busy.

The one lock helper of the application: registration (the workshop's row), needs (the breakout's)
and use cases (their own) all change data through it. SQLite takes its write lock at the start with
``BEGIN IMMEDIATE`` (see ``db.write_transaction``); PostgreSQL reads the row ``FOR UPDATE`` at READ
COMMITTED, with a lock timeout so that a long wait becomes a retry. Contention that outlasts the
retries raises ``Busy``, which the error pages answer with 409 "please try again", never a 5xx.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, select

from workshops.db import write_transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
Row = TypeVar("Row", bound=SQLModel)

#: How often a change is tried while the database is busy, and the pause before each new try.
ATTEMPTS = 4
BACKOFF_SECONDS = 0.05
#: On PostgreSQL, how long to wait for a row's lock before trying again.
LOCK_TIMEOUT = "5s"

#: What the database says when it is busy rather than broken.
CONTENTION_SIGNS = ("database is locked", "lock timeout", "could not obtain lock", "deadlock", "could not serialize")


class Busy(Exception):
    """The database stayed busy through every retry: the person should try again."""


def is_contention(error: OperationalError) -> bool:
    """Whether a database error means "busy, try again" rather than a fault."""
    message = str(error.orig).lower()
    return any(sign in message for sign in CONTENTION_SIGNS)


def run_write(session: Session, change: Callable[[], T], *, immediate: bool = True, fresh: bool = False) -> T:
    """Run ``change`` in one write transaction, again while the database is busy, then raise ``Busy``.

    ``fresh`` expires everything the session holds first, so that the change reads it all anew
    inside the transaction. ``immediate=False`` only serves the test that shows the race without
    the lock.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_transaction(session, immediate=immediate):
                if fresh:
                    session.expire_all()
                return change()
        except OperationalError as error:
            if not is_contention(error):
                raise
            if attempt == ATTEMPTS:
                log.warning("database busy after %s attempts", attempt)
                raise Busy from error
            time.sleep(BACKOFF_SECONDS * attempt)
    raise Busy  # pragma: no cover - the loop returns or raises


def lock_row(session: Session, model: type[Row], row_id: int, *, lock: bool = True) -> Row | None:
    """Read one row anew under its lock (FOR UPDATE on PostgreSQL; SQLite holds the write lock already)."""
    rows = lock_rows(session, model, [row_id], lock=lock)
    return rows[0] if rows else None


def lock_rows(session: Session, model: type[Row], row_ids: Iterable[int], *, lock: bool = True) -> list[Row]:
    """Read rows anew under their locks, in id order so that two writers cannot deadlock."""
    statement = (
        select(model)
        .where(col(model.id).in_(sorted(set(row_ids))))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
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

    return run_write(session, locked, immediate=lock, fresh=fresh)
