"""The page of needs the explorer lists, with each need's votes, the needs merged into it and the use cases it feeds."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, func
from sqlalchemy.orm import contains_eager, selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import Breakout
from workshops.needs import provenance
from workshops.needs.models import Need
from workshops.pagination import Page, page_of
from workshops.usecases.explorer.filters import Filters
from workshops.usecases.explorer.selection import UNSHOWN, from_needs, order, select_needs, vote_counts
from workshops.usecases.models import UseCase, UseCaseNeed

PER_PAGE = 50


@dataclass(frozen=True)
class FedUseCase:
    """A use case a need feeds."""

    id: int
    title: str
    state: str


@dataclass(frozen=True)
class NeedRow:
    """A need as the explorer lists it."""

    need: Need
    votes: int
    use_cases: list[FedUseCase]
    #: How many stated needs were merged into it, through every merge (0: it merges none).
    merges: int = 0


def explore(session: Session, viewer: User, filters: Filters, *, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The page of matching needs (``NeedRow`` items), sorted as asked; a fixed number of queries.

    One count, one page (breakout and workshop joined), one look-up each for test beds, domains, the
    use cases the page's needs feed and the needs merged into them; the tag filter adds one.
    """
    conditions = select_needs(session, viewer=viewer, filters=filters).where()
    found = page_of(
        session,
        _listed(conditions, sort=filters.sort),
        number=page,
        per_page=per_page,
        counted=from_needs(select(Need.id)).where(*conditions),
    )
    ids = [need.id for need, _ in found.items]
    fed = _fed(session, ids)
    merges = _merges(session, ids)
    items = [
        NeedRow(need=need, votes=count, use_cases=fed.get(need.id, []), merges=merges.get(need.id, 0))
        for need, count in found.items
    ]
    return replace(found, items=items)


def _listed(conditions: list[ColumnElement[bool]], *, sort: str) -> Select:
    """The matching needs with their votes, sorted, their breakout and workshop read in the same query."""
    votes = vote_counts()
    vote_count = func.coalesce(votes.c.votes, 0)
    return (
        from_needs(select(Need, vote_count))
        .outerjoin(votes, votes.c.need_id == col(Need.id))
        .where(*conditions)
        .options(
            contains_eager(Need.breakout).contains_eager(Breakout.workshop),
            selectinload(Need.test_bed),
            selectinload(Need.domain),
            *UNSHOWN,
        )
        .order_by(*order(sort, vote_count))
    )


def _fed(session: Session, need_ids: list[int]) -> dict[int, list[FedUseCase]]:
    """The live (not deleted) use cases each of these needs feeds, by title."""
    if not need_ids:
        return {}
    statement = (
        select(UseCaseNeed.need_id, UseCase.id, UseCase.title, UseCase.state)
        .join(UseCase, col(UseCaseNeed.use_case_id) == UseCase.id)
        .where(col(UseCaseNeed.need_id).in_(need_ids), col(UseCase.deleted_at).is_(None))
        .order_by(col(UseCase.title), col(UseCase.id))
    )
    fed: dict[int, list[FedUseCase]] = {}
    for need_id, use_case_id, title, state in session.exec(statement):
        fed.setdefault(need_id, []).append(FedUseCase(id=use_case_id, title=title, state=state))
    return fed


def _merges(session: Session, need_ids: list[int]) -> dict[int, int]:
    """For each need that merges others, how many stated needs stand behind it (``provenance``: one query)."""
    if not need_ids:
        return {}
    behind = provenance.origins(session, need_ids)
    return {need_id: len(found) for need_id, found in behind.items() if [o.need_id for o in found] != [need_id]}
