"""Logging, editing, dismissing and reopening needs, and the board settings, under the breakout's lock.

Every change of a board raises its breakout's ``board_version`` in the same transaction, so that a
board polling with that number as its ETag learns of any change by one cheap read. Votes are
counted under a lock on the breakout (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE`` on
PostgreSQL), so that nobody gets more votes than the breakout allows by clicking fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import (
    BoardVisibility,
    Breakout,
)
from workshops.needs import similarity
from workshops.needs.models import Need, NeedState
from workshops.timeutil import utcnow
from workshops.transactions import run_locked

T = TypeVar("T")


class NeedError(Exception):
    """A change was refused; the message is meant for the person."""


class StaleNeed(Exception):
    """Someone else saved the need since this person loaded it."""

    def __init__(self, current: Need):
        """Keep the version now stored, to show it beside the person's own."""
        super().__init__("Someone else changed this need while you were editing it.")
        self.current = current


# --- The breakout lock --------------------------------------------------------------------------


def with_breakout_locked(session: Session, breakout_id: int, change: Callable[[Breakout], T]) -> T:
    """Run ``change`` in one write transaction holding the breakout, and raise its board version."""

    def changed(breakout: Breakout) -> T:
        result = change(breakout)
        raise_board_versions(session, [breakout_id])
        return result

    return run_locked(session, Breakout, breakout_id, changed, missing=_breakout_gone)


def _breakout_gone() -> NeedError:
    return NeedError("This breakout does not exist any more.")


def raise_board_versions(session: Session, breakout_ids: list[int]) -> None:
    """Tell every board polling these breakouts that something changed."""
    session.execute(
        update(Breakout).where(col(Breakout.id).in_(breakout_ids)).values(board_version=Breakout.board_version + 1)
    )


def refuse_if_locked(breakout: Breakout) -> None:
    """Refuse any change of a closed breakout's needs."""
    if breakout.locked_at is not None:
        raise NeedError("This breakout is closed: its needs can no longer be changed.")


# --- Needs --------------------------------------------------------------------------------------


@dataclass
class NeedInput:
    """What a need form gives, already validated."""

    title: str
    statement: str
    context: str = ""
    desired_outcome: str = ""
    affected: str = ""
    constraints: str = ""
    urgency: int = 3
    domain_id: int | None = None
    test_bed_id: int | None = None
    organisation: str = ""
    organisation_type: str = "other"
    country: str = ""
    tags: str = ""
    sensitivity: str = "public"


def log_need(
    *,
    session: Session,
    breakout: Breakout,
    values: NeedInput,
    author: User,
    speaker: User | None = None,
    speaker_name: str = "",
    idempotency_key: str | None = None,
) -> tuple[Need, bool]:
    """Store a need stated in the breakout; return it, and whether it is new.

    A facilitator capturing for someone names the speaker (an attendee's account, or a free name);
    otherwise the author stated it. A need captured for an attendee counts for the attendee's own
    organisation, type and country, whatever ``values`` says: the facilitator's form never decides
    whom a need is credited to. The same ``idempotency_key`` sent again (a form re-sent after the
    connection dropped) returns the need stored the first time instead of a second one; a key is
    the author's own in one breakout, so the same key sent by anyone else stores their own need and
    reveals nothing of the first.
    """
    idempotency_key = scoped_key(author, breakout, idempotency_key) if idempotency_key else None
    if idempotency_key:
        existing = _by_key(session, idempotency_key)
        if existing is not None:
            return existing, False
    capturing = speaker is not None or bool(speaker_name)
    if speaker is not None:
        values = credited_to(values, speaker)
    vector = similarity.represent(values.title, values.statement, values.context)  # before the lock: ~50 ms

    def change(locked: Breakout) -> Need:
        refuse_if_locked(locked)
        need = Need(
            breakout_id=locked.id,
            stated_by_id=(speaker.id if speaker else None) if capturing else author.id,
            stated_by_name=speaker_name if capturing and speaker is None else "",
            captured_by_id=author.id if capturing else None,
            idempotency_key=idempotency_key or None,
            similarity_vector=vector,
            **vars(values),
        )
        session.add(need)
        session.flush()
        return need

    try:
        return with_breakout_locked(session, breakout.id, change), True
    except IntegrityError:
        session.rollback()
        existing = _by_key(session, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False


def credited_to(values: NeedInput, speaker: User) -> NeedInput:
    """``values`` with the organisation, type and country of the person who stated the need."""
    return replace(
        values,
        organisation=speaker.organisation,
        organisation_type=speaker.organisation_type,
        country=speaker.country,
    )


def scoped_key(author: User, breakout: Breakout, key: str) -> str:
    """The stored form of a page's idempotency key: its author's and breakout's own, 64 characters whatever was sent."""
    return hashlib.sha256(f"{author.id}:{breakout.id}:{key}".encode()).hexdigest()


def _by_key(session: Session, key: str) -> Need | None:
    return session.exec(select(Need).where(Need.idempotency_key == key)).one_or_none()


def edit_need(*, session: Session, need: Need, values: NeedInput, expected_version: int) -> Need:
    """Save changes to a need, unless someone else saved it since ``expected_version`` was read."""
    vector = similarity.represent(values.title, values.statement, values.context)

    def change(locked: Breakout) -> Need:
        refuse_if_locked(locked)
        current = session.exec(select(Need).where(Need.id == need.id)).one()
        if current.version != expected_version:
            raise StaleNeed(current)
        for item in fields(NeedInput):
            setattr(current, item.name, getattr(values, item.name))
        current.similarity_vector = vector
        current.updated_at = utcnow()
        session.flush()
        return current

    try:
        return with_breakout_locked(session, need.breakout_id, change)
    except StaleDataError as error:  # a concurrent save slipped between our read and our write
        session.rollback()
        raise StaleNeed(session.get(Need, need.id)) from error


# --- The breakout's end -------------------------------------------------------------------------


def lock_breakout(*, session: Session, breakout: Breakout) -> None:
    """Close the breakout: no new needs, edits or votes."""

    def change(locked: Breakout) -> None:
        locked.locked_at = locked.locked_at or utcnow()

    with_breakout_locked(session, breakout.id, change)


def unlock_breakout(*, session: Session, breakout: Breakout) -> None:
    """Open a locked breakout again."""

    def change(locked: Breakout) -> None:
        locked.locked_at = None

    with_breakout_locked(session, breakout.id, change)


# --- Dismissing -----------------------------------------------------------------------------------


def dismiss_need(*, session: Session, need: Need, reason: str) -> None:
    """Set a need aside with the reason its author will read; it leaves the board and gives back its votes."""
    if not reason.strip():
        raise NeedError("Say why the need is dismissed: its author will read it.")

    def change(locked: Breakout) -> None:
        current = session.get(Need, need.id)
        if current.state != NeedState.open:
            raise NeedError("Only an open need can be dismissed.")
        current.state = NeedState.dismissed.value
        current.dismissed_reason = reason.strip()
        current.updated_at = utcnow()
        for ballot in list(current.votes):
            session.delete(ballot)
        session.flush()

    with_breakout_locked(session, need.breakout_id, change)


def reopen_need(*, session: Session, need: Need) -> None:
    """Put a dismissed need back on the board."""

    def change(locked: Breakout) -> None:
        current = session.get(Need, need.id)
        if current.state != NeedState.dismissed:
            raise NeedError("Only a dismissed need can be reopened.")
        current.state = NeedState.open.value
        current.dismissed_reason = ""
        current.updated_at = utcnow()
        session.flush()

    with_breakout_locked(session, need.breakout_id, change)


def needs_of(session: Session, user: User) -> list[Need]:
    """The needs a person stated or that were captured for them, newest first, with their breakouts."""
    return list(
        session.exec(
            select(Need)
            .where(Need.stated_by_id == user.id)
            .order_by(Need.created_at.desc(), Need.id.desc())
            .options(selectinload(Need.breakout).selectinload(Breakout.workshop))
        )
    )


def set_board(*, session: Session, breakout: Breakout, visibility: str, votes_per_person: int) -> None:
    """Change who sees the board and how many votes each attendee has (votes already given stay)."""

    def change(locked: Breakout) -> None:
        locked.board_visibility = BoardVisibility(visibility).value
        locked.votes_per_person = votes_per_person

    with_breakout_locked(session, breakout.id, change)
