"""Logging, editing and voting on needs, and who may do it.

Every change of a board raises its breakout's ``board_version`` in the same transaction, so that a
board polling with that number as its ETag learns of any change by one cheap read. Votes are
counted under a lock on the breakout (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE`` on
PostgreSQL), so that nobody gets more votes than the breakout allows by clicking fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TypeVar

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from workshops.auth.models import Role, User
from workshops.db import max_length
from workshops.events.models import (
    BoardVisibility,
    Breakout,
    BreakoutFacilitator,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
)
from workshops.needs import similarity
from workshops.needs.models import Need, NeedState, Sensitivity, Vote
from workshops.timeutil import utcnow
from workshops.transactions import lock_rows, run_locked, run_write

T = TypeVar("T")


class NeedError(Exception):
    """A change was refused; the message is meant for the person."""


class StaleNeed(Exception):
    """Someone else saved the need since this person loaded it."""

    def __init__(self, current: Need):
        """Keep the version now stored, to show it beside the person's own."""
        super().__init__("Someone else changed this need while you were editing it.")
        self.current = current


# --- Who may do what ----------------------------------------------------------------------------


def facilitates(session: Session, user: User, breakout: Breakout) -> bool:
    """Organisers, and the facilitators named on the breakout."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.organiser):
        return True
    return user.has_role(Role.facilitator) and (session.get(BreakoutFacilitator, (breakout.id, user.id)) is not None)


def attends(session: Session, user: User, breakout: Breakout) -> bool:
    """Confirmed registrants of the workshop who hold a confirmed seat in the breakout."""
    if not user.is_authenticated:
        return False
    seat = session.exec(
        select(BreakoutSeat.id)
        .join(Registration)
        .where(
            BreakoutSeat.breakout_id == breakout.id,
            BreakoutSeat.state == SeatState.confirmed,
            Registration.user_id == user.id,
            Registration.state == RegistrationState.confirmed,
        )
    ).first()
    return seat is not None


@dataclass(frozen=True)
class Standing:
    """What one person may do on one breakout's board."""

    facilitates: bool
    attends: bool
    visibility: str

    @property
    def sees_board(self) -> bool:
        """Facilitators always; attendees when the board is open to them."""
        return self.facilitates or (self.attends and self.visibility == BoardVisibility.attendees)

    @property
    def may_log(self) -> bool:
        """Attendees log their own needs; facilitators capture for anyone."""
        return self.facilitates or self.attends

    @property
    def sees_internal(self) -> bool:
        """``internal`` needs are for the breakout's facilitators and organisers only."""
        return self.facilitates


def standing(session: Session, user: User, breakout: Breakout) -> Standing:
    """Work out, in at most two queries, what ``user`` may do on the breakout's board."""
    return Standing(
        facilitates=facilitates(session, user, breakout),
        attends=attends(session, user, breakout),
        visibility=breakout.board_visibility,
    )


# --- The breakout lock --------------------------------------------------------------------------


def _with_breakout_locked(session: Session, breakout_id: int, change: Callable[[Breakout], T]) -> T:
    """Run ``change`` in one write transaction holding the breakout, and raise its board version."""

    def changed(breakout: Breakout) -> T:
        result = change(breakout)
        _raise_board_versions(session, [breakout_id])
        return result

    return run_locked(session, Breakout, breakout_id, changed, missing=_breakout_gone)


def _breakout_gone() -> NeedError:
    return NeedError("This breakout does not exist any more.")


def _raise_board_versions(session: Session, breakout_ids: list[int]) -> None:
    """Tell every board polling these breakouts that something changed."""
    session.execute(
        update(Breakout).where(col(Breakout.id).in_(breakout_ids)).values(board_version=Breakout.board_version + 1)
    )


def _refuse_if_locked(breakout: Breakout) -> None:
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
    otherwise the author stated it. The same ``idempotency_key`` sent again (a form re-sent after
    the connection dropped) returns the need stored the first time instead of a second one.
    """
    if idempotency_key:
        existing = _by_key(session, idempotency_key)
        if existing is not None:
            return existing, False
    capturing = speaker is not None or bool(speaker_name)
    vector = similarity.represent(values.title, values.statement, values.context)  # before the lock: ~50 ms

    def change(locked: Breakout) -> Need:
        _refuse_if_locked(locked)
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
        return _with_breakout_locked(session, breakout.id, change), True
    except IntegrityError:
        session.rollback()
        existing = _by_key(session, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False


def _by_key(session: Session, key: str) -> Need | None:
    return session.exec(select(Need).where(Need.idempotency_key == key)).one_or_none()


def edit_need(*, session: Session, need: Need, values: NeedInput, expected_version: int) -> Need:
    """Save changes to a need, unless someone else saved it since ``expected_version`` was read."""
    vector = similarity.represent(values.title, values.statement, values.context)

    def change(locked: Breakout) -> Need:
        _refuse_if_locked(locked)
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
        return _with_breakout_locked(session, need.breakout_id, change)
    except StaleDataError as error:  # a concurrent save slipped between our read and our write
        session.rollback()
        raise StaleNeed(session.get(Need, need.id)) from error


# --- Votes --------------------------------------------------------------------------------------


def votes_used(session: Session, user: User, breakout: Breakout) -> int:
    """How many of their votes in this breakout the person has given."""
    return session.exec(
        select(func.count()).select_from(Vote).where(Vote.user_id == user.id, Vote.breakout_id == breakout.id)
    ).one()


def vote(*, session: Session, need: Need, user: User) -> None:
    """Give a vote to a need (at most one per need, at most the breakout's number in all)."""

    def change(locked: Breakout) -> None:
        _refuse_if_locked(locked)
        current = session.get(Need, need.id)
        if current is None or current.state != NeedState.open:
            raise NeedError("This need no longer takes votes.")
        mine = session.exec(select(Vote).where(Vote.need_id == need.id, Vote.user_id == user.id)).first()
        if mine is not None:
            return
        if votes_used(session, user, locked) >= locked.votes_per_person:
            raise NeedError(f"You have used your {locked.votes_per_person} votes: take one back to vote here.")
        session.add(Vote(need_id=need.id, user_id=user.id, breakout_id=locked.id))
        session.flush()

    _with_breakout_locked(session, need.breakout_id, change)


def unvote(*, session: Session, need: Need, user: User) -> None:
    """Take one's vote back."""

    def change(locked: Breakout) -> None:
        _refuse_if_locked(locked)
        mine = session.exec(select(Vote).where(Vote.need_id == need.id, Vote.user_id == user.id)).first()
        if mine is not None:
            session.delete(mine)
            session.flush()

    _with_breakout_locked(session, need.breakout_id, change)


# --- The breakout's end -------------------------------------------------------------------------


def lock_breakout(*, session: Session, breakout: Breakout) -> None:
    """Close the breakout: no new needs, edits or votes."""

    def change(locked: Breakout) -> None:
        locked.locked_at = locked.locked_at or utcnow()

    _with_breakout_locked(session, breakout.id, change)


def unlock_breakout(*, session: Session, breakout: Breakout) -> None:
    """Open a locked breakout again."""

    def change(locked: Breakout) -> None:
        locked.locked_at = None

    _with_breakout_locked(session, breakout.id, change)


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

    _with_breakout_locked(session, need.breakout_id, change)


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

    _with_breakout_locked(session, need.breakout_id, change)


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


# --- Reading one need ---------------------------------------------------------------------------


def may_read(session: Session, user: User, need: Need) -> bool:
    """Whether a person may open a need's page (anyone else gets a 404).

    Its author always; whoever sees its board (``internal`` ones: its facilitators and organisers);
    facilitators of other breakouts too, as they get it among the similar needs, unless it is
    ``internal``.
    """
    if not user.is_authenticated:
        return False
    if need.stated_by_id == user.id:
        return True
    place = standing(session, user, need.breakout)
    if need.sensitivity == Sensitivity.internal:
        return place.sees_internal
    return place.sees_board or user.has_role(Role.facilitator)


def may_edit(session: Session, user: User, need: Need) -> bool:
    """Its facilitators and organisers; its author while it is open and the breakout is not closed."""
    if facilitates(session, user, need.breakout):
        return True
    return need.stated_by_id == user.id and need.state == NeedState.open and need.breakout.locked_at is None


# --- Merging ------------------------------------------------------------------------------------

_STRICTEST_FIRST = (Sensitivity.internal, Sensitivity.anonymous, Sensitivity.public)


def merged_values(originals: list[Need]) -> NeedInput:
    """A first draft of the need that merges ``originals``: the facilitator edits it before saving."""

    def joined(name: str) -> str:
        texts = list(dict.fromkeys(getattr(need, name).strip() for need in originals if getattr(need, name).strip()))
        return "\n\n".join(texts)[: max_length(Need, name)]

    def common(name: str, otherwise):
        values = {getattr(need, name) for need in originals}
        return values.pop() if len(values) == 1 else otherwise

    first = originals[0]
    sensitivities = {need.sensitivity for need in originals}
    tags = dict.fromkeys(tag for need in originals for tag in need.tag_list)
    return NeedInput(
        title=first.title,
        statement=first.statement,
        context=joined("context"),
        desired_outcome=joined("desired_outcome"),
        affected=joined("affected"),
        constraints=joined("constraints"),
        urgency=max(need.urgency for need in originals),
        domain_id=first.domain_id,
        test_bed_id=common("test_bed_id", None),
        organisation=common("organisation", ""),
        organisation_type=common("organisation_type", "other"),
        country=common("country", ""),
        tags=", ".join(tags)[: max_length(Need, "tags")],
        sensitivity=next(s.value for s in _STRICTEST_FIRST if s in sensitivities),
    )


def may_merge(session: Session, user: User, originals: list[Need]) -> bool:
    """Organisers, or a facilitator of every breakout involved."""
    breakouts = {need.breakout_id: need.breakout for need in originals}
    return all(facilitates(session, user, breakout) for breakout in breakouts.values())


def merge_needs(*, session: Session, originals: list[Need], values: NeedInput, author: User) -> Need:
    """Merge two or more open needs into a new one, in the breakout of the first.

    The originals stay, readable, marked as merged into the new need; their votes carry over: each
    voter keeps one vote on the new need, and gets back any other vote they had given to the
    originals. Every breakout involved is locked (in id order, so two merges cannot deadlock) and
    its board version raised.
    """
    ids = list(dict.fromkeys(need.id for need in originals))
    if len(ids) < 2:
        raise NeedError("Choose at least two needs to merge.")
    target_id = originals[0].breakout_id
    vector = similarity.represent(values.title, values.statement, values.context)
    breakout_ids = sorted({need.breakout_id for need in originals})

    def change() -> Need:
        for breakout in lock_rows(session, Breakout, breakout_ids):
            _refuse_if_locked(breakout)
        current = list(
            session.exec(
                select(Need).where(col(Need.id).in_(ids)).execution_options(populate_existing=True).order_by(Need.id)
            )
        )
        if len(current) != len(ids) or any(need.state != NeedState.open for need in current):
            raise NeedError("One of these needs was merged or dismissed meanwhile: choose again.")
        merged = Need(breakout_id=target_id, captured_by_id=author.id, similarity_vector=vector, **vars(values))
        session.add(merged)
        session.flush()
        voters = set()
        for ballot in session.exec(select(Vote).where(col(Vote.need_id).in_(ids)).order_by(Vote.created_at, Vote.id)):
            if ballot.user_id not in voters:
                voters.add(ballot.user_id)
                session.add(Vote(need_id=merged.id, user_id=ballot.user_id, breakout_id=target_id))
            session.delete(ballot)
        now = utcnow()
        for need in current:
            need.state = NeedState.merged.value
            need.merged_into_id = merged.id
            need.updated_at = now
        _raise_board_versions(session, breakout_ids)
        session.flush()
        return merged

    return run_write(session, change)


def set_board(*, session: Session, breakout: Breakout, visibility: str, votes_per_person: int) -> None:
    """Change who sees the board and how many votes each attendee has (votes already given stay)."""

    def change(locked: Breakout) -> None:
        locked.board_visibility = BoardVisibility(visibility).value
        locked.votes_per_person = votes_per_person

    _with_breakout_locked(session, breakout.id, change)


def merged_successors(session: Session, stated: list[Need]) -> dict[int, list[int]]:
    """For each need, its id and those of the needs it was merged into, and so on (one query per level)."""
    chains = {need.id: [need.id] for need in stated}
    following = {need.id: need.merged_into_id for need in stated if need.merged_into_id}
    seen: set[int] = set()
    while following:
        for need_id, successor in following.items():
            chains[need_id].append(successor)
        wanted = set(following.values()) - seen
        seen |= wanted
        rows = session.exec(select(Need.id, Need.merged_into_id).where(col(Need.id).in_(wanted))).all()
        nexts = dict(rows)
        following = {i: nexts[s] for i, s in following.items() if nexts.get(s) and nexts[s] not in seen}
    return chains
