"""Reading a breakout's board: its needs with their votes, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import Breakout, BreakoutSeat, Registration, RegistrationState, SeatState
from workshops.needs.disclosure import InternalText
from workshops.needs.models import Need, NeedState, Sensitivity, Vote
from workshops.needs.rules import Standing

SORTS = ("newest", "votes")


@dataclass(frozen=True)
class BoardEntry:
    """A need as the board shows it."""

    need: Need
    votes: int
    mine: bool
    #: How many needs this one merges (0 for a need as stated).
    merged_from: int = 0


def board(session: Session, breakout: Breakout, viewer: User, standing: Standing, sort: str) -> list[BoardEntry]:
    """The open needs of the breakout that the viewer may see, newest or most-voted first."""
    statement = (
        select(Need)
        .where(Need.breakout_id == breakout.id, Need.state == NeedState.open)
        .options(selectinload(Need.stated_by), selectinload(Need.test_bed))
    )
    if not standing.sees_internal:
        statement = statement.where(Need.sensitivity != Sensitivity.internal)
    needs = list(session.exec(statement))
    counts = dict(
        session.exec(
            select(Vote.need_id, func.count()).where(Vote.breakout_id == breakout.id).group_by(Vote.need_id)
        ).all()
    )
    mine = set(
        session.exec(select(Vote.need_id).where(Vote.breakout_id == breakout.id, Vote.user_id == viewer.id)).all()
    )
    merges = _merged_counts(session, breakout)
    entries = [
        BoardEntry(need=n, votes=counts.get(n.id, 0), mine=n.id in mine, merged_from=merges.get(n.id, 0)) for n in needs
    ]
    if sort == "votes":
        entries.sort(key=lambda e: (-e.votes, -e.need.id))
    else:
        entries.sort(key=lambda e: -e.need.id)
    return entries


def _merged_counts(session: Session, breakout: Breakout) -> dict[int, int]:
    """For each need of the breakout that merges others, how many it merges."""
    merged = select(Need.merged_into_id, func.count()).where(Need.merged_into_id.is_not(None))
    target = select(Need.id).where(Need.breakout_id == breakout.id).scalar_subquery()
    return dict(session.exec(merged.where(Need.merged_into_id.in_(target)).group_by(Need.merged_into_id)).all())


def attendees_of(session: Session, breakout: Breakout) -> list[User]:
    """The confirmed attendees of a breakout, by name: the facilitator's "stated by" suggestions."""
    return list(
        session.exec(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id)
            .where(
                BreakoutSeat.breakout_id == breakout.id,
                BreakoutSeat.state == SeatState.confirmed,
                Registration.state == RegistrationState.confirmed,
            )
            .order_by(User.name)
        )
    )


def breakout_by_code(session: Session, code: str) -> Breakout | None:
    """A breakout from its short link, with its workshop and test bed."""
    return session.exec(
        select(Breakout)
        .where(Breakout.code == code)
        .options(selectinload(Breakout.workshop), selectinload(Breakout.test_bed))
    ).one_or_none()


def needs_by_id(session: Session, ids: list[int]) -> dict[int, Need]:
    """The needs with these ids, their breakouts loaded with them, by id."""
    statement = select(Need).where(col(Need.id).in_(ids)).options(selectinload(Need.breakout))
    return {need.id: need for need in session.exec(statement)}


def originals_of(session: Session, need: Need) -> list[Need]:
    """The needs merged into ``need``, oldest first, with who stated each."""
    statement = select(Need).where(Need.merged_into_id == need.id).order_by(Need.id)
    return list(session.exec(statement.options(selectinload(Need.stated_by))))


def vote_count(session: Session, need: Need) -> int:
    """How many votes the need holds."""
    return len(session.exec(select(Vote.id).where(Vote.need_id == need.id)).all())


def own_needs(session: Session, breakout: Breakout, user: User) -> list[Need]:
    """The needs ``user`` stated in the breakout, oldest first."""
    statement = select(Need).where(Need.breakout_id == breakout.id, Need.stated_by_id == user.id)
    return list(session.exec(statement.order_by(Need.id)))


def dismissed_needs(session: Session, breakout: Breakout) -> list[Need]:
    """The breakout's dismissed needs, oldest first."""
    statement = select(Need).where(Need.breakout_id == breakout.id, Need.state == "dismissed")
    return list(session.exec(statement.order_by(Need.id)))


def vote_counts(session: Session, need_ids: Iterable[int]) -> dict[int, int]:
    """Votes per need (one query)."""
    ids = list(need_ids)
    if not ids:
        return {}
    counted = select(Vote.need_id, func.count()).where(col(Vote.need_id).in_(ids)).group_by(Vote.need_id)
    return dict(session.exec(counted).all())


def voted_for(session: Session, user: User, need_ids: Iterable[int]) -> set[int]:
    """Which of the needs ``user`` has given a vote to (one query)."""
    ids = list(need_ids)
    if not ids:
        return set()
    return set(session.exec(select(Vote.need_id).where(Vote.user_id == user.id, col(Vote.need_id).in_(ids))).all())


def internal_texts(session: Session) -> list[InternalText]:
    """Every internal need's title and statement (one query), for ``disclosure.quotations``."""
    rows = session.exec(
        select(Need.id, Need.title, Need.statement).where(Need.sensitivity == Sensitivity.internal).order_by(Need.id)
    ).all()
    return [InternalText(need_id, title, statement) for need_id, title, statement in rows]
