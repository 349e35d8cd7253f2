"""The workshop lock, and retries while the database is busy.

SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock before the first read. PostgreSQL:
``SELECT … FOR UPDATE`` on the workshop row at READ COMMITTED, with a lock timeout so that a long
wait becomes a retry, then ``Busy`` (answered 409 "please try again", never a 5xx).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from workshops.db import write_transaction
from workshops.events.models import Workshop
from workshops.events.registration.rules import RegistrationError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How often a change is tried when the database is busy, and the pause before each new try.
ATTEMPTS = 4
BACKOFF_SECONDS = 0.05
#: On PostgreSQL, how long to wait for the workshop's lock before trying again.
LOCK_TIMEOUT = "5s"


class Busy(Exception):
    """The database stayed busy through every retry: the person should try again."""


def run_locked(session: Session, workshop_id: int, change: Callable[[Workshop], T]) -> T:
    """Run ``change`` on the locked workshop in one transaction, retrying while the database is busy.

    Raises ``Busy`` when every attempt met a lock, ``RegistrationError`` when the change is refused.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_transaction(session, immediate=locking_enabled()):
                session.expire_all()  # everything the change reads is read under the lock
                workshop = lock_workshop(session, workshop_id)
                return change(workshop)
        except OperationalError as error:
            if not is_contention(error) or attempt == ATTEMPTS:
                if is_contention(error):
                    log.warning("registration busy after %s attempts for workshop %s", attempt, workshop_id)
                    raise Busy from error
                raise
            time.sleep(BACKOFF_SECONDS * attempt)
    raise Busy  # pragma: no cover - the loop returns or raises


def lock_workshop(session: Session, workshop_id: int) -> Workshop:
    """Read the workshop under its lock (FOR UPDATE on PostgreSQL; SQLite holds the write lock already)."""
    statement = select(Workshop).where(Workshop.id == workshop_id)
    if locking_enabled() and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        statement = statement.with_for_update()
    workshop = session.exec(statement).one_or_none()
    if workshop is None:
        raise RegistrationError("This workshop does not exist any more.")
    return workshop


def locking_enabled() -> bool:
    """Only a test switches the lock off, to show that its concurrency harness sees the race."""
    return current_app.config.get("REGISTRATION_LOCKING", True)


def pause_if_unlocked(session: Session) -> None:
    """With the lock off (a test's control run), end the transaction between count and write, and wait.

    This is exactly the mistake the lock prevents: a count read before an unlocked insert.
    """
    if not locking_enabled():
        session.commit()
        time.sleep(float(current_app.config.get("REGISTRATION_RACE_DELAY", 0)))


def is_contention(error: OperationalError) -> bool:
    """Whether a database error means "busy, try again" rather than a fault."""
    message = str(error.orig).lower()
    return any(
        sign in message
        for sign in ("database is locked", "lock timeout", "could not obtain lock", "deadlock", "could not serialize")
    )
