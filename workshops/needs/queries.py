"""Reading a breakout's board: its needs with their votes, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, func
from sqlalchemy.orm import aliased, contains_eager, defer, selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import Breakout, BreakoutSeat, Registration, RegistrationState, SeatState
from workshops.needs.disclosure import InternalText
from workshops.needs.models import Need, NeedState, Sensitivity, Vote

SORTS = ("newest", "votes")


@dataclass(frozen=True)
class BoardEntry:
    """A need as the board shows it."""

    need: Need
    votes: int
    mine: bool
    #: How many needs this one merges (0 for a need as stated).
    merged_from: int = 0


def _board_statement(*, internal: bool, sort: str):
    """The open needs of a breakout with their votes, the viewer's own, what they merge and who stated them.

    One statement for the whole board, however many needs it holds: counts and the viewer's vote as
    correlated subqueries, the author by an outer join. The similarity vector and the search text,
    the largest columns, stay unread.
    """
    original = aliased(Need)
    votes = select(func.count(Vote.id)).where(Vote.need_id == Need.id).scalar_subquery().label("votes")
    mine = select(Vote.id).where(Vote.need_id == Need.id, Vote.user_id == bindparam("viewer_id")).exists().label("mine")
    merged_from = select(func.count(original.id)).where(original.merged_into_id == Need.id).scalar_subquery()
    statement = (
        select(Need, votes, mine, merged_from)
        .outerjoin(User, User.id == Need.stated_by_id)
        .where(Need.breakout_id == bindparam("breakout_id"), Need.state == NeedState.open.value)
        .options(
            contains_eager(Need.stated_by).load_only(User.name, User.deleted_at),
            defer(Need.similarity_vector),
            defer(Need.search_text),
        )
    )
    if not internal:
        statement = statement.where(Need.sensitivity != Sensitivity.internal.value)
    order = (votes.desc(), Need.id.desc()) if sort == "votes" else (Need.id.desc(),)
    return statement.order_by(*order)


# Built once each: building the statement costs more than running it, and a board is polled every second.
_BOARDS = {
    (internal, sort): _board_statement(internal=internal, sort=sort) for internal in (True, False) for sort in SORTS
}


def board(session: Session, breakout: Breakout, viewer: User, sort: str, *, internal: bool) -> list[BoardEntry]:
    """The open needs of the breakout, newest or most-voted first; ``internal`` ones only when asked for."""
    rows = session.exec(_BOARDS[internal, sort], params={"breakout_id": breakout.id, "viewer_id": viewer.id})
    return [
        BoardEntry(need=need, votes=votes, mine=bool(mine), merged_from=merged_from)
        for need, votes, mine, merged_from in rows
    ]


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
    return dict(session.connection().execute(counted).all())  # plain rows: a report asks for thousands


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
