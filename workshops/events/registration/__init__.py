"""Registration: taking seats, waiting lists and promotions, without ever overbooking.

Every change that counts seats runs in one short write transaction that first locks the workshop
(``SELECT … FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite, which takes the database's
write lock before the first read), then counts, then writes. All seats of a workshop, its
attendance modes and its breakouts, are counted under that one lock, so no two changes of the same
workshop interleave. Waiting lists are renumbered in the same transaction, so positions start at 1
and have no gaps, and whoever a freed seat goes to is promoted before the lock is released.

E-mails are sent after the commit: the caller gets the list of what happened and tells people.
"""

from workshops.events.registration.changes import (
    Choices,
    cancel,
    cancel_own,
    change_breakouts,
    change_requirements,
    fill_free_places,
    register,
    register_again,
    switch_mode,
)
from workshops.events.registration.locking import run_locked
from workshops.events.registration.places import Outcome
from workshops.events.registration.rules import (
    UNDO_PERIOD,
    AlreadyRegistered,
    RegistrationError,
    RegistrationFrozen,
    check_changeable,
    frozen_message,
    has_started,
    registration_problem,
    requirements_problem,
    undo_problem,
)
from workshops.transactions import Busy

__all__ = [
    "UNDO_PERIOD",
    "AlreadyRegistered",
    "Busy",
    "Choices",
    "Outcome",
    "RegistrationError",
    "RegistrationFrozen",
    "cancel",
    "cancel_own",
    "change_breakouts",
    "change_requirements",
    "check_changeable",
    "fill_free_places",
    "frozen_message",
    "has_started",
    "register",
    "register_again",
    "registration_problem",
    "requirements_problem",
    "run_locked",
    "switch_mode",
    "undo_problem",
]
