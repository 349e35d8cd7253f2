"""Reading what use cases are built from: the needs a person may explore, votes and links counted in one query each."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import Breakout
from workshops.needs import disclosure
from workshops.needs import queries as needs_queries
from workshops.needs.models import Need
from workshops.usecases import rules
from workshops.usecases.models import (
    UseCase,
    UseCaseNeed,
)


def explorable_needs(session: Session, user: User, need_ids: Iterable[int]) -> list[Need]:
    """The needs of ``need_ids`` this person may explore, in the order given, with breakouts and workshops."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        return []
    statement = (
        select(Need)
        .where(col(Need.id).in_(ids), rules.readable_needs(user))
        .options(selectinload(Need.breakout).selectinload(Breakout.workshop))
    )
    found = {need.id: need for need in session.exec(statement)}
    return [found[i] for i in ids if i in found]


def need_counts(session: Session, use_case_ids: Iterable[int]) -> dict[int, int]:
    """How many needs are linked to each use case (one query)."""
    ids = list(use_case_ids)
    if not ids:
        return {}
    counted = (
        select(UseCaseNeed.use_case_id, func.count())
        .where(col(UseCaseNeed.use_case_id).in_(ids))
        .group_by(UseCaseNeed.use_case_id)
    )
    return dict(session.exec(counted).all())


def linked_need_ids(session: Session, use_case: UseCase) -> list[int]:
    """The ids of the needs linked to a use case."""
    return list(session.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == use_case.id)))


#: The parts of a use case that a call publishes.
PUBLISHED_TEXTS = ("title", "summary", "body", "owners")


def internal_quotations(session: Session, use_case: UseCase) -> list[disclosure.Quotation]:
    """The internal needs whose words the use case's text quotes: a call holding it could not be published."""
    text = "\n\n".join(getattr(use_case, name) or "" for name in PUBLISHED_TEXTS)
    return disclosure.quotations({"use case": text}, needs_queries.internal_texts(session))
