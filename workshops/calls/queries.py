"""Reading calls for pages: the lists, the challenge counts, the use cases a draft may take in."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.calls.models import CallState, Challenge, OpenCall
from workshops.needs.models import Need
from workshops.usecases.models import UseCase, UseCaseNeed, UseCaseState

#: The states in which a call is public.
PUBLIC_STATES = (CallState.published.value, CallState.closed.value)


def latest_published(session: Session, *, limit: int) -> list[OpenCall]:
    """The published (open) calls closing last first, at most ``limit`` of them."""
    statement = (
        select(OpenCall)
        .where(OpenCall.state == CallState.published)
        .order_by(OpenCall.closes_at.desc(), OpenCall.id.desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def every_call() -> Select:
    """Every call, the latest opening first, as a query for a paged list."""
    return select(OpenCall).order_by(col(OpenCall.opens_at).desc(), col(OpenCall.id).desc())


def public_calls(session: Session) -> list[OpenCall]:
    """The published and closed calls, the latest opening first."""
    statement = (
        select(OpenCall)
        .where(col(OpenCall.state).in_(PUBLIC_STATES))
        .order_by(col(OpenCall.opens_at).desc(), col(OpenCall.id).desc())
    )
    return list(session.exec(statement))


def challenge_counts(session: Session, call_ids: Iterable[int]) -> dict[int, int]:
    """How many challenges each call has (one query; none for no call)."""
    ids = list(call_ids)
    if not ids:
        return {}
    counted = select(Challenge.call_id, func.count()).where(col(Challenge.call_id).in_(ids)).group_by(Challenge.call_id)
    return dict(session.exec(counted).all())


def accepted_use_cases(session: Session) -> list[UseCase]:
    """The accepted use cases (not deleted) by title, with their domains."""
    statement = (
        select(UseCase)
        .where(UseCase.state == UseCaseState.accepted, col(UseCase.deleted_at).is_(None))
        .options(selectinload(UseCase.domain))
        .order_by(UseCase.title, UseCase.id)
    )
    return list(session.exec(statement))


def public_calls_of(session: Session, use_case_ids: Iterable[int]) -> dict[int, list[OpenCall]]:
    """The published and closed calls that hold each use case as a challenge, the latest opening first (one query)."""
    ids = list(use_case_ids)
    if not ids:
        return {}
    statement = (
        select(Challenge.use_case_id, OpenCall)
        .join(OpenCall, col(OpenCall.id) == Challenge.call_id)
        .where(col(Challenge.use_case_id).in_(ids), col(OpenCall.state).in_(PUBLIC_STATES))
        .order_by(col(OpenCall.opens_at).desc(), col(OpenCall.id).desc())
    )
    found: dict[int, list[OpenCall]] = {}
    for use_case_id, call in session.exec(statement):
        found.setdefault(use_case_id, []).append(call)
    return found


def evidence_version(session: Session) -> tuple:
    """What changes whenever a challenge's evidence may have (its needs, organisations, countries), in one query.

    A published call's text is frozen, but the evidence under each challenge is counted live: a need
    stated, edited, merged or deleted, or a need linked to or unlinked from a use case, changes this.
    """
    columns = (
        select(func.count(Need.id)).scalar_subquery(),
        select(func.max(Need.updated_at)).scalar_subquery(),
        select(func.count()).select_from(UseCaseNeed).scalar_subquery(),
        select(func.coalesce(func.sum(UseCaseNeed.need_id), 0)).scalar_subquery(),
    )
    return tuple(session.exec(select(*columns)).one())
