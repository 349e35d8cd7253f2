"""Similar needs for a need being typed, from the needs the person may read.

Each process keeps the stored representations of all open needs in memory (1.5 kB each: 30 MB at
20,000 needs) with what decides who may read them (breakout, sensitivity). A look-up first asks the
database whether any need changed since (one query on the ``need`` table: how many, and the latest
change) and, when one did, reads only the needs changed lately; when the number of open needs then
disagrees with the database (needs deleted with their breakout, or saved with an old time by the
demo), it reads them all again. Votes do not change needs, so a live board does not empty the cache.

Who gets which suggestions
    Organisers: every open need. Facilitators: every open need, except the ``internal`` ones of
    breakouts they do not facilitate. Participants: the open needs of the boards they may see, never
    ``internal`` ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import Role, User
from workshops.auth.rules import is_organiser
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
from workshops.needs.models import Need, NeedState, Sensitivity

#: Needs saved this long before the latest change seen are read again at a refresh: another
#: process may commit a need whose time was taken before that of a need already seen.
COMMIT_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class _Row:
    breakout_id: int
    internal: bool
    vector: bytes


class NeedIndex:
    """The open needs of every breakout, ready to be ranked; refreshed when needs change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, _Row] = {}
        self._seen: tuple[int, datetime | None] | None = None
        self._index = similarity.SimilarityIndex()
        self._breakouts = np.zeros(0, dtype=np.int64)
        self._internal = np.zeros(0, dtype=bool)

    def current(self, session: Session) -> tuple[similarity.SimilarityIndex, np.ndarray, np.ndarray]:
        """The index with, per candidate, its breakout and whether it is internal (read-only arrays)."""
        count, latest = session.exec(select(func.count(), func.max(Need.updated_at)).select_from(Need)).one()
        with self._lock:
            if self._seen != (count, latest):
                self._refresh(session, latest)
                self._seen = (count, latest)
            return self._index, self._breakouts, self._internal

    def _refresh(self, session: Session, latest: datetime | None) -> None:
        previous = self._seen[1] if self._seen else None
        if previous is not None and latest is not None and latest >= previous:
            self._read(session, Need.updated_at >= previous - COMMIT_MARGIN)
            if self._open_count(session) != len(self._rows):  # needs deleted, or saved with an old time
                self._read(session, None)
        else:
            self._read(session, None)
        ids = sorted(self._rows)
        rows = [self._rows[need_id] for need_id in ids]
        self._index = similarity.SimilarityIndex((need_id, row.vector) for need_id, row in zip(ids, rows, strict=True))
        self._breakouts = np.fromiter((row.breakout_id for row in rows), dtype=np.int64, count=len(rows))
        self._internal = np.fromiter((row.internal for row in rows), dtype=bool, count=len(rows))

    def _read(self, session: Session, changed) -> None:
        """Read the needs changed lately (``changed`` is the condition), or all of them (``None``)."""
        statement = select(Need.id, Need.breakout_id, Need.sensitivity, Need.state, Need.similarity_vector)
        if changed is None:
            self._rows.clear()
        else:
            statement = statement.where(changed)
        for need_id, breakout_id, sensitivity, state, vector in session.exec(statement):
            if state == NeedState.open and similarity.is_current(vector):
                self._rows[need_id] = _Row(breakout_id, sensitivity == Sensitivity.internal, bytes(vector))
            else:
                self._rows.pop(need_id, None)

    @staticmethod
    def _open_count(session: Session) -> int:
        open_needs = (Need.state == NeedState.open) & col(Need.similarity_vector).is_not(None)
        return session.exec(select(func.count()).select_from(Need).where(open_needs)).one()


_needs = NeedIndex()


@dataclass(frozen=True)
class Readable:
    """The breakouts whose needs a person may read; ``None`` stands for all of them."""

    breakouts: set[int] | None
    internal_in: set[int] | None

    def mask(self, breakouts: np.ndarray, internal: np.ndarray) -> np.ndarray:
        """Which of the needs (their breakouts, whether internal) the person may read."""
        allowed = np.ones(len(breakouts), dtype=bool)
        if self.breakouts is not None:
            allowed &= np.isin(breakouts, list(self.breakouts))
        if self.internal_in is not None:
            allowed &= ~internal | np.isin(breakouts, list(self.internal_in))
        return allowed


def readable(session: Session, user: User) -> Readable:
    """Organisers read every need; facilitators every need but others' internal ones; participants their boards'."""
    if is_organiser(user):
        return Readable(breakouts=None, internal_in=None)
    if user.has_role(Role.facilitator):
        facilitated = session.exec(
            select(BreakoutFacilitator.breakout_id).where(BreakoutFacilitator.user_id == user.id)
        )
        return Readable(breakouts=None, internal_in=set(facilitated))
    attended = session.exec(
        select(BreakoutSeat.breakout_id)
        .join(Registration)
        .join(Breakout, col(Breakout.id) == BreakoutSeat.breakout_id)
        .where(
            Registration.user_id == user.id,
            Registration.state == RegistrationState.confirmed,
            BreakoutSeat.state == SeatState.confirmed,
            Breakout.board_visibility == BoardVisibility.attendees,
        )
    )
    return Readable(breakouts=set(attended), internal_in=set())


def similar_needs(
    session: Session, user: User, title: str, statement: str, context: str = "", exclude: tuple[int, ...] = ()
) -> list[Need]:
    """Up to five open needs like the one being typed, best first, among those ``user`` may read."""
    if not similarity.need_parts(title, statement, context):
        return []
    index, breakouts, internal = _needs.current(session)
    if not len(index):
        return []
    allowed = readable(session, user).mask(breakouts, internal)
    found = index.search(similarity.represent(title, statement, context), exclude=exclude, allowed=allowed)
    ids = [need_id for need_id, _score in found]
    if not ids:
        return []
    loaded = session.exec(
        select(Need).where(col(Need.id).in_(ids)).options(selectinload(Need.breakout).selectinload(Breakout.workshop))
    )
    by_id = {need.id: need for need in loaded}
    return [by_id[need_id] for need_id in ids if need_id in by_id]
