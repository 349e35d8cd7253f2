"""Similar needs for a need being typed, from the needs the person may read.

Each process keeps the vectors of all open needs in memory (1.5 kB each: 30 MB at 20,000 needs) in
a :class:`similarity.SimilarityIndex`, with what decides who may read them (breakout,
sensitivity). A look-up first asks the database whether any need changed since (one query on the
``need`` table: how many, and the latest change) and, when one did, reads only the needs changed
lately and updates the index by those, row by row, without building it again. When the number of
needs then disagrees with the database (needs deleted with their breakout, or saved with an old
time by the demo), it reads their ids, drops the needs gone and reads the ones it missed. Votes do
not change needs, so a live board does not touch the index.

Several threads of one worker look up at once; a change waits until the look-ups under way end,
and holds new ones back while it is applied (a few rows: well under a millisecond), so that a
look-up never sees a slot whose need and breakout disagree.

Who gets which suggestions
    Organisers: every open need. Facilitators: every open need, except the ``internal`` ones of
    breakouts they do not facilitate. Participants: the open needs of the boards they may see, never
    ``internal`` ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
#: Ids per ``IN (...)`` list when reading needs missed (below SQLite's oldest limit of 999).
IDS_PER_READ = 900


@dataclass(frozen=True)
class _Change:
    """A need as read from the database: its vector when it is a candidate (open, current), else ``None``."""

    need_id: int
    breakout_id: int
    internal: bool
    vector: bytes | None


class _Access:
    """Look-ups read the index together; a change waits for them and holds new look-ups back meanwhile."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._changing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the index still while it is read."""
        with self._condition:
            self._condition.wait_for(lambda: not self._changing)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Change the index with nobody reading it."""
        with self._condition:
            self._condition.wait_for(lambda: not self._changing)
            self._changing = True
            self._condition.wait_for(lambda: not self._readers)
        try:
            yield
        finally:
            with self._condition:
                self._changing = False
                self._condition.notify_all()


class NeedIndex:
    """The open needs of every breakout, ready to be ranked; updated by the needs that change."""

    def __init__(self) -> None:
        self._refreshing = threading.Lock()  # one thread at a time reads the changes
        self._access = _Access()
        self._seen: tuple[int, datetime | None] | None = None
        self._needs: set[int] = set()  # every need of the database as last seen, candidate or not
        self._index = similarity.SimilarityIndex()
        self._breakouts = np.zeros(0, dtype=np.int64)  # per slot of the index
        self._internal = np.zeros(0, dtype=bool)

    def refresh(self, session: Session) -> int:
        """Take in the needs changed since the last look-up; return how many candidates there are."""
        count, latest = session.exec(select(func.count(), func.max(Need.updated_at)).select_from(Need)).one()
        if self._seen != (count, latest):
            with self._refreshing:
                if self._seen != (count, latest):
                    self._take_changes(session, count, latest)
                    self._seen = (count, latest)
        return len(self._index)

    def search(
        self, query: bytes, who: Readable, exclude: Iterable[int] = (), limit: int = similarity.SUGGESTIONS
    ) -> list[tuple[int, float]]:
        """The needs most like ``query`` among those ``who`` may read, best first (see :meth:`refresh`)."""
        with self._access.reading():
            slots = len(self._index.ids)
            allowed = who.mask(self._breakouts[:slots], self._internal[:slots])
            return self._index.search(query, limit=limit, exclude=exclude, allowed=allowed)

    def _take_changes(self, session: Session, count: int, latest: datetime | None) -> None:
        previous = self._seen[1] if self._seen else None
        if previous is None or latest is None:  # the first look-up, or no needs left
            self._reload(session)
            return
        changes = self._read(session, Need.updated_at >= min(previous, latest) - COMMIT_MARGIN)
        needs = self._needs | {change.need_id for change in changes}
        if len(needs) != count:  # needs deleted, or saved with an old time
            present = set(session.exec(select(Need.id)))
            missed = sorted(present - needs)
            for start in range(0, len(missed), IDS_PER_READ):
                changes += self._read(session, col(Need.id).in_(missed[start : start + IDS_PER_READ]))
            changes += [_Change(need_id, 0, False, None) for need_id in needs - present]
            needs = present
        with self._access.changing():
            for change in changes:
                if change.vector is None:
                    self._index.remove(change.need_id)
                    continue
                slot = self._index.put(change.need_id, change.vector)
                if slot >= len(self._breakouts):  # the index grew
                    self._breakouts = _grown(self._breakouts, self._index.capacity)
                    self._internal = _grown(self._internal, self._index.capacity)
                self._breakouts[slot], self._internal[slot] = change.breakout_id, change.internal
        self._needs = needs

    def _reload(self, session: Session) -> None:
        """Read every need and build the index again."""
        changes = self._read(session, None)
        candidates = [change for change in changes if change.vector is not None]
        index = similarity.SimilarityIndex(
            ((change.need_id, change.vector) for change in candidates), spare=len(candidates) // 4 + 64
        )
        breakouts = np.zeros(index.capacity, dtype=np.int64)
        internal = np.zeros(index.capacity, dtype=bool)
        breakouts[: len(candidates)] = [change.breakout_id for change in candidates]
        internal[: len(candidates)] = [change.internal for change in candidates]
        with self._access.changing():
            self._index, self._breakouts, self._internal = index, breakouts, internal
        self._needs = {change.need_id for change in changes}

    @staticmethod
    def _read(session: Session, condition) -> list[_Change]:
        """The needs that meet ``condition`` (all of them for ``None``), as changes to the index."""
        statement = select(Need.id, Need.breakout_id, Need.sensitivity, Need.state, Need.similarity_vector)
        if condition is not None:
            statement = statement.where(condition)
        return [
            _Change(
                need_id,
                breakout_id,
                sensitivity == Sensitivity.internal,
                vector if state == NeedState.open and similarity.is_current(vector) else None,
            )
            for need_id, breakout_id, sensitivity, state, vector in session.exec(statement)
        ]


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """The array with zeros added up to ``size``."""
    return np.concatenate([array, np.zeros(size - len(array), dtype=array.dtype)])


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
    if not similarity.need_parts(title, statement, context) or not _needs.refresh(session):
        return []
    who = readable(session, user)
    found = _needs.search(similarity.represent(title, statement, context), who, exclude=exclude)
    ids = [need_id for need_id, _score in found]
    if not ids:
        return []
    loaded = session.exec(
        select(Need).where(col(Need.id).in_(ids)).options(selectinload(Need.breakout).selectinload(Breakout.workshop))
    )
    by_id = {need.id: need for need in loaded}
    return [by_id[need_id] for need_id in ids if need_id in by_id]
