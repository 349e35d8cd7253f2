"""What every change of a use case shares: its errors, the form's values, one locked write, a revision.

Every change that a person may want to look back on adds a revision: a full copy of the use case
numbered by its version after the save, with what the change did in words. The version column is
SQLAlchemy's version counter, so a save based on an older version is refused (optimistic locking):
the editor says so and shows both texts, and nobody's work is replaced silently. Each change runs
in one short write transaction holding the use case (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE``
on PostgreSQL), retried a few times while the database is busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TypeVar

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.auth.models import User
from workshops.db import max_length
from workshops.markdown import RENDERER, render_markdown
from workshops.transactions import run_locked, run_write
from workshops.usecases import rules
from workshops.usecases.models import (
    UseCase,
    UseCaseRevision,
    UseCaseState,
)

T = TypeVar("T")


class UseCaseError(Exception):
    """A change was refused; the message is meant for the person."""


class StaleUseCase(Exception):
    """Someone else saved the use case since this person loaded it."""

    def __init__(self, current: UseCase):
        """Keep the version now stored, to show it beside the person's own."""
        super().__init__("Someone else saved this use case while you were editing it.")
        self.current = current


@dataclass
class UseCaseInput:
    """What the use-case form gives, already validated."""

    title: str
    summary: str = ""
    domain_id: int | None = None
    test_bed_id: int | None = None
    owners: str = ""
    owners_may_be_named: bool = False
    trl_min: int = 4
    trl_max: int = 7
    body: str = ""


EDITED_FIELDS = tuple(item.name for item in fields(UseCaseInput))
#: Every field a revision copies.
SNAPSHOT_FIELDS = (*EDITED_FIELDS, "state", "rejected_reason")
#: How a revision names the fields an edit changed.
FIELD_WORDS = {
    "title": "title",
    "summary": "summary",
    "domain_id": "domain",
    "test_bed_id": "test bed",
    "owners": "owners",
    "owners_may_be_named": "owners' agreement",
    "trl_min": "TRL range",
    "trl_max": "TRL range",
    "body": "text",
}


def write(session: Session, change: Callable[[], T]) -> T:
    """Run ``change`` in one write transaction, again while the database is busy, then give up with ``Busy``."""
    return run_write(session, change)


def locked(session: Session, use_case_id: int, change: Callable[[UseCase], T]) -> T:
    """Run ``change`` on the use case read under its lock; a concurrent save slipping through is a conflict."""
    try:
        return run_locked(
            session,
            UseCase,
            use_case_id,
            change,
            missing=lambda: UseCaseError("This use case does not exist any more."),
        )
    except StaleDataError as error:  # a save without the lock slipped between our read and our write
        session.rollback()
        raise StaleUseCase(session.get(UseCase, use_case_id, populate_existing=True)) from error


def revise(session: Session, use_case: UseCase, author: User | None, change: str) -> UseCaseRevision:
    """Store the use case as this save leaves it, its body's HTML with it; the flush raises its version first."""
    session.flush()
    revision = UseCaseRevision(
        use_case_id=use_case.id,
        number=use_case.version,
        author_id=author.id if author is not None else None,
        change=change[: max_length(UseCaseRevision, "change")],
        **{name: getattr(use_case, name) for name in SNAPSHOT_FIELDS},
        body_html=str(render_markdown(use_case.body)),
        rendered_with=RENDERER,
    )
    session.add(revision)
    session.flush()
    return revision


def refuse_if_deleted(use_case: UseCase) -> None:
    """A deleted use case takes no change until it is restored."""
    if use_case.deleted_at is not None:
        raise UseCaseError("This use case was deleted.")


def refuse_unless_editable(actor: User, use_case: UseCase) -> None:
    """Only those the rules let edit this use case in its state may change it."""
    refuse_if_deleted(use_case)
    if not rules.may_edit(actor, use_case):
        state = UseCaseState(use_case.state).label.lower()
        raise UseCaseError(f"This use case is {state} now: only organisers change it.")


def audit_event(action: AuditAction, use_case_id: int, actor: User, detail: str) -> None:
    """Record a use-case event in the audit log."""
    record(action, actor_id=actor.id, target_type="use_case", target_id=use_case_id, detail=detail)
