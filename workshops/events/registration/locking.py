"""The workshop lock: every change that counts a workshop's seats holds its row.

All seats of a workshop (its attendance modes and its breakouts) are counted under this one lock,
taken through the application's one lock helper (``workshops.transactions``): ``BEGIN IMMEDIATE``
on SQLite, ``SELECT … FOR UPDATE`` with a lock timeout on PostgreSQL, retries while the database
is busy, then ``Busy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlmodel import Session

from workshops import transactions
from workshops.events.models import Workshop
from workshops.events.registration.rules import RegistrationError

T = TypeVar("T")


def run_locked(session: Session, workshop_id: int, change: Callable[[Workshop], T]) -> T:
    """Run ``change`` on the locked workshop in one transaction, retrying while the database is busy.

    Everything the change reads is read anew under the lock. Raises ``Busy`` when every attempt met
    a lock, ``RegistrationError`` when the change is refused or the workshop is gone. A change that
    goes through raises the workshop's ``content_version`` in its transaction: its public page shows
    the new seats and details at once.
    """

    def change_and_mark(locked: Workshop) -> T:
        result = change(locked)
        locked.content_version += 1
        return result

    return transactions.run_locked(
        session,
        Workshop,
        workshop_id,
        change_and_mark,
        missing=lambda: RegistrationError("This workshop does not exist any more."),
        lock=locking_enabled(),
        fresh=True,
    )


def locking_enabled() -> bool:
    """Only a test switches the lock off, to show that its concurrency harness sees the race."""
    return current_app.config.get("REGISTRATION_LOCKING", True)
