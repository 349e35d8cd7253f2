"""Reading use cases for their pages: the list, comments, revisions; lists come as queries to page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.usecases.models import UseCase, UseCaseComment, UseCaseRevision, UseCaseState


def use_case_list(*, state: str, domain_id: int | None, deleted: bool) -> Select:
    """Use cases by latest change (deleted ones: by deletion), of one state and domain when given."""
    statement = select(UseCase).options(selectinload(UseCase.domain))
    if deleted:
        statement = statement.where(col(UseCase.deleted_at).is_not(None)).order_by(col(UseCase.deleted_at).desc())
    else:
        statement = statement.where(col(UseCase.deleted_at).is_(None))
        if state in UseCaseState.__members__:
            statement = statement.where(UseCase.state == state)
        statement = statement.order_by(col(UseCase.updated_at).desc())
    if domain_id:
        statement = statement.where(UseCase.domain_id == domain_id)
    return statement.order_by(col(UseCase.id).desc())


def comments_of(session: Session, use_case: UseCase) -> list[UseCaseComment]:
    """The use case's comments, oldest first, with their authors."""
    statement = (
        select(UseCaseComment)
        .where(UseCaseComment.use_case_id == use_case.id)
        .order_by(UseCaseComment.created_at, UseCaseComment.id)
        .options(selectinload(UseCaseComment.author))
    )
    return list(session.exec(statement))


def revisions_of(use_case: UseCase) -> Select:
    """The use case's revisions, newest first, with their authors."""
    return (
        select(UseCaseRevision)
        .where(UseCaseRevision.use_case_id == use_case.id)
        .order_by(col(UseCaseRevision.number).desc())
        .options(selectinload(UseCaseRevision.author))
    )


def latest_revision(session: Session, use_case: UseCase) -> UseCaseRevision | None:
    """The use case's newest revision."""
    return session.exec(revisions_of(use_case).limit(1)).first()


def revisions_numbered(session: Session, use_case: UseCase, numbers: Iterable[int]) -> list[UseCaseRevision]:
    """The use case's revisions with these numbers, oldest first (fewer when some do not exist)."""
    statement = (
        select(UseCaseRevision)
        .where(UseCaseRevision.use_case_id == use_case.id, col(UseCaseRevision.number).in_(list(numbers)))
        .order_by(UseCaseRevision.number)
        .options(selectinload(UseCaseRevision.author))
    )
    return list(session.exec(statement))


def use_cases_by_title(session: Session) -> list[UseCase]:
    """Every use case not deleted, by title: where needs may be added."""
    statement = select(UseCase).where(col(UseCase.deleted_at).is_(None)).order_by(col(UseCase.title), col(UseCase.id))
    return list(session.exec(statement))
