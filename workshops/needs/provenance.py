"""Who asked: the stated needs behind any need, through every merge, read in one query.

A merge keeps its originals, each marked as merged into the new need, and a merged need may be
merged again. The people, organisations, countries and workshops behind a need are those of the
needs at the ends of that tree: the needs as they were stated. Every count the product shows
(traceability, the call's evidence, the consultation report, the challenge owners' draft) reads
them here, so that no two can disagree.

A stated need counts with the strictest sensitivity on its way up: internal when it or any need it
was merged into is internal (a merge into an internal need makes the whole tree internal), else
anonymous when any of them is anonymous, else public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, exists, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workshops.events.models import Breakout
from workshops.needs.models import Need, Sensitivity


@dataclass(frozen=True)
class Origin:
    """A stated need behind a need (the need itself when it merges nothing)."""

    need_id: int
    organisation: str
    organisation_type: str
    country: str
    workshop_id: int
    breakout_id: int
    stated_by_id: int | None
    #: The strictest sensitivity of the stated need and of every need it was merged into.
    sensitivity: str

    @property
    def internal(self) -> bool:
        """Whether it stays out of everything public."""
        return self.sensitivity == Sensitivity.internal


#: Sensitivities from the most open to the strictest: a need counts with the strictest on its way up.
_RANKS = (Sensitivity.public, Sensitivity.anonymous, Sensitivity.internal)


def _rank(column):
    return case(*((column == s.value, rank) for rank, s in enumerate(_RANKS) if rank), else_=0)


def standing() -> ColumnElement[bool]:
    """A condition on ``Need`` for the needs that stand for themselves: those no merge folded into another.

    A merged original counts under the need it was merged into (the top of its tree, as
    :func:`origins` and :func:`stated_in` read it), so lists of live needs leave it out and show it
    through that need instead.
    """
    return col(Need.merged_into_id).is_(None)


def origins(session: Session, need_ids: Iterable[int]) -> dict[int, list[Origin]]:
    """For each need, the stated needs behind it, oldest first (one recursive query)."""
    ids = sorted(set(need_ids))
    found: dict[int, list[Origin]] = {need_id: [] for need_id in ids}
    if not ids:
        return found
    start = select(
        col(Need.id).label("top_id"), col(Need.id).label("need_id"), _rank(col(Need.sensitivity)).label("rank")
    ).where(col(Need.id).in_(ids))
    tree = start.cte("provenance", recursive=True)
    child = aliased(Need)
    child_rank = _rank(col(child.sensitivity))
    tree = tree.union_all(
        select(tree.c.top_id, col(child.id), case((child_rank > tree.c.rank, child_rank), else_=tree.c.rank)).where(
            col(child.merged_into_id) == tree.c.need_id
        )
    )
    original = aliased(Need)
    statement = (
        select(
            tree.c.top_id,
            tree.c.rank,
            Need.id,
            Need.organisation,
            Need.organisation_type,
            Need.country,
            Breakout.workshop_id,
            Need.breakout_id,
            Need.stated_by_id,
        )
        .join(Need, col(Need.id) == tree.c.need_id)
        .join(Breakout, col(Breakout.id) == Need.breakout_id)
        .where(~exists(select(literal(1)).where(col(original.merged_into_id) == col(Need.id))))
        .order_by(tree.c.top_id, Need.id)
    )
    # Plain rows through the connection: thousands of them, which the ORM's row handling would double.
    for top_id, rank, *facts in session.connection().execute(statement).all():
        found[top_id].append(Origin(*facts, sensitivity=_RANKS[rank].value))
    return found


def _strictness(origin: Origin) -> int:
    return next(rank for rank, s in enumerate(_RANKS) if s.value == origin.sensitivity)


def distinct(origins_of_several: Iterable[list[Origin]]) -> list[Origin]:
    """The stated needs behind several needs, each once (a need may stand behind two of them)."""
    seen: dict[int, Origin] = {}
    for found in origins_of_several:
        for origin in found:
            kept = seen.get(origin.need_id)
            if kept is None or _strictness(origin) > _strictness(kept):
                seen[origin.need_id] = origin
    return sorted(seen.values(), key=lambda origin: origin.need_id)


def stated_in(session: Session, breakout_ids: Iterable[int]) -> dict[int, list[Origin]]:
    """The needs stated in these breakouts, under the top need each now stands behind (two queries).

    Whatever became of them: a stated need filed under a top need other than itself was merged into
    another, and counts with the strictest sensitivity on its way up, as :func:`origins` counts it.
    The tops may lie in other breakouts (a merge across breakouts lives in one of them).
    """
    ids = sorted(set(breakout_ids))
    if not ids:
        return {}
    chain = (
        select(col(Need.id).label("need_id"), col(Need.merged_into_id).label("into_id"))
        .where(col(Need.breakout_id).in_(ids))
        .cte("upward", recursive=True)
    )
    parent = aliased(Need)
    chain = chain.union(select(col(parent.id), col(parent.merged_into_id)).where(col(parent.id) == chain.c.into_id))
    tops = session.exec(select(chain.c.need_id).where(chain.c.into_id.is_(None)).distinct()).all()
    wanted = set(ids)
    return {top: [o for o in found if o.breakout_id in wanted] for top, found in origins(session, tops).items()}
