"""Votes on needs: at most one per need, at most the breakout's number per person, counted under its lock."""

from __future__ import annotations

from sqlmodel import Session, func, select

from workshops.auth.models import User
from workshops.events.models import Breakout
from workshops.needs.models import Need, NeedState, Vote
from workshops.needs.services import NeedError, refuse_if_locked, with_breakout_locked


def votes_used(session: Session, user: User, breakout: Breakout) -> int:
    """How many of their votes in this breakout the person has given."""
    return session.exec(
        select(func.count()).select_from(Vote).where(Vote.user_id == user.id, Vote.breakout_id == breakout.id)
    ).one()


def votes_left(session: Session, user: User, breakout: Breakout) -> int:
    """How many votes the person may still give here (one query)."""
    return left(breakout, votes_used(session, user, breakout))


def left(breakout: Breakout, used: int) -> int:
    """The votes left of ``used`` ones: never below 0, even after the facilitators lowered the number."""
    return max(0, breakout.votes_per_person - used)


def used_up(votes_per_person: int) -> str:
    """What a person out of votes reads: why they cannot vote, and what to do about it."""
    if votes_per_person == 1:
        return "You have used your vote: take it back to vote here."
    return f"You have used your {votes_per_person} votes: take one back to vote here."


def vote(*, session: Session, need: Need, user: User) -> None:
    """Give a vote to a need (at most one per need, at most the breakout's number in all)."""

    def change(locked: Breakout) -> None:
        refuse_if_locked(locked)
        current = session.get(Need, need.id)
        if current is None or current.state != NeedState.open:
            raise NeedError("This need no longer takes votes.")
        mine = session.exec(select(Vote).where(Vote.need_id == need.id, Vote.user_id == user.id)).first()
        if mine is not None:
            return
        if votes_used(session, user, locked) >= locked.votes_per_person:
            raise NeedError(used_up(locked.votes_per_person))
        session.add(Vote(need_id=need.id, user_id=user.id, breakout_id=locked.id))
        session.flush()

    with_breakout_locked(session, need.breakout_id, change)


def unvote(*, session: Session, need: Need, user: User) -> None:
    """Take one's vote back."""

    def change(locked: Breakout) -> None:
        refuse_if_locked(locked)
        mine = session.exec(select(Vote).where(Vote.need_id == need.id, Vote.user_id == user.id)).first()
        if mine is not None:
            session.delete(mine)
            session.flush()

    with_breakout_locked(session, need.breakout_id, change)
