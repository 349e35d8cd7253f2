"""Comments on a use case during its review."""

from __future__ import annotations

from sqlmodel import Session

from workshops.auth.models import User
from workshops.db import max_length
from workshops.usecases.models import (
    UseCase,
    UseCaseComment,
)
from workshops.usecases.services.core import UseCaseError, refuse_if_deleted, write


def add_comment(*, session: Session, use_case: UseCase, author: User, body: str) -> UseCaseComment:
    """Add a plain-text comment to a use case."""
    body = body.strip()
    limit = max_length(UseCaseComment, "body")
    if not body:
        raise UseCaseError("Write the comment.")
    if len(body) > limit:
        raise UseCaseError(f"Use at most {limit} characters.")
    refuse_if_deleted(use_case)

    def change() -> UseCaseComment:
        comment = UseCaseComment(use_case_id=use_case.id, author_id=author.id, body=body)
        session.add(comment)
        session.flush()
        return comment

    return write(session, change)
