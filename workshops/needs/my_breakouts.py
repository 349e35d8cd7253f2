"""Reading "My breakouts": the breakouts a facilitator runs (organisers: every one), with their state and counts.

A facilitator opens this page on the day to get to the capture console, the projector or the door in
one click, so the breakout that is live now comes first, then the upcoming ones by time, then the
closed ones, the latest first. The list takes a fixed number of statements whatever its length: the
breakouts with their workshops and test beds, then one grouped count of needs and one of attendees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import Role, User
from workshops.events.models import (
    Breakout,
    BreakoutFacilitator,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    Workshop,
)
from workshops.needs.models import Need, NeedState
from workshops.timeutil import utcnow

#: Past breakouts shown on one page of the "Past" list.
PAST_PER_PAGE = 50


class BreakoutState(StrEnum):
    """Where a breakout is on the day, as its facilitator needs to know it."""

    live = "live"
    upcoming = "upcoming"
    closed = "closed"

    @property
    def label(self) -> str:
        """Human wording."""
        return {"live": "Live now", "upcoming": "Upcoming", "closed": "Closed"}[self.value]


def state_of(breakout: Breakout, now: datetime) -> BreakoutState:
    """Closed once its facilitator locked it or its time is over; live between its start and end.

    A breakout past its end that nobody locked still takes needs (the lock is what refuses them),
    but the room has left: it is listed with the closed ones, and the page says it is still open.
    """
    if breakout.locked_at is not None or now >= breakout.ends_at:
        return BreakoutState.closed
    if now >= breakout.starts_at:
        return BreakoutState.live
    return BreakoutState.upcoming


@dataclass(frozen=True)
class MyBreakout:
    """One breakout as "My breakouts" shows it."""

    breakout: Breakout
    state: BreakoutState
    #: Open needs on its board (merged and dismissed ones left out), internal ones included.
    needs: int
    #: Confirmed registrants holding a confirmed seat in it, and how many of them arrived.
    attendees: int
    checked_in: int

    @property
    def workshop(self) -> Workshop:
        """The breakout's workshop (loaded with it)."""
        return self.breakout.workshop

    @property
    def still_takes_needs(self) -> bool:
        """Over in time but not locked: people can still log needs on it."""
        return self.state is BreakoutState.closed and self.breakout.locked_at is None


def start_of_today(zone: str, now: datetime) -> datetime:
    """Midnight of today in ``zone``, in UTC: where "today's and upcoming" workshops begin."""
    local = now.astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def _facilitated_by(user: User):
    """Every breakout, for organisers; the ones a facilitator is named on, for the others."""
    statement = select(Breakout).join(Workshop, Workshop.id == Breakout.workshop_id)
    if not user.has_role(Role.organiser):
        statement = statement.join(BreakoutFacilitator, BreakoutFacilitator.breakout_id == Breakout.id).where(
            BreakoutFacilitator.user_id == user.id
        )
    return statement.options(selectinload(Breakout.workshop), selectinload(Breakout.test_bed))


def current(session: Session, user: User, *, cutoff: datetime, now: datetime) -> list[MyBreakout]:
    """The breakouts of workshops that end after ``cutoff`` (the start of today), in the day's order."""
    statement = _facilitated_by(user).where(Workshop.ends_at > cutoff).order_by(Breakout.starts_at, Breakout.id)
    return in_day_order(with_counts(session, list(session.exec(statement)), now=now))


def past_statement(user: User, *, cutoff: datetime):
    """The breakouts of workshops that ended before today, the latest first (a query, for paging)."""
    return (
        _facilitated_by(user)
        .where(Workshop.ends_at <= cutoff)
        .order_by(col(Breakout.starts_at).desc(), col(Breakout.id).desc())
    )


def with_counts(session: Session, breakouts: list[Breakout], *, now: datetime | None = None) -> list[MyBreakout]:
    """The breakouts with their state and counts, in two grouped statements whatever their number."""
    now = now or utcnow()
    ids = [breakout.id for breakout in breakouts]
    needs, attendees = _need_counts(session, ids), _attendee_counts(session, ids)
    return [
        MyBreakout(
            breakout=breakout,
            state=state_of(breakout, now),
            needs=needs.get(breakout.id, 0),
            attendees=attendees.get(breakout.id, (0, 0))[0],
            checked_in=attendees.get(breakout.id, (0, 0))[1],
        )
        for breakout in breakouts
    ]


def in_day_order(entries: list[MyBreakout]) -> list[MyBreakout]:
    """Live now first, then upcoming by start, then closed ones, the latest first."""
    rank = {BreakoutState.live: 0, BreakoutState.upcoming: 1, BreakoutState.closed: 2}

    def key(entry: MyBreakout) -> tuple:
        start = entry.breakout.starts_at.timestamp()
        return (rank[entry.state], -start if entry.state is BreakoutState.closed else start, entry.breakout.id)

    return sorted(entries, key=key)


def _need_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Need.breakout_id, func.count())
        .where(col(Need.breakout_id).in_(ids), Need.state == NeedState.open)
        .group_by(Need.breakout_id)
    )
    return dict(rows.all())


def _attendee_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Confirmed seats of confirmed registrations per breakout, and how many of them checked in."""
    if not ids:
        return {}
    rows = session.exec(
        select(BreakoutSeat.breakout_id, func.count(), func.count(Registration.checked_in_at))
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .where(
            col(BreakoutSeat.breakout_id).in_(ids),
            BreakoutSeat.state == SeatState.confirmed,
            Registration.state == RegistrationState.confirmed,
        )
        .group_by(BreakoutSeat.breakout_id)
    )
    return {breakout_id: (number, checked_in) for breakout_id, number, checked_in in rows}
