"""The body template new use cases start from (the organisers' own, else the default one), and what texts owe it."""

from __future__ import annotations

from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.db import max_length
from workshops.timeutil import utcnow
from workshops.usecases import guidance
from workshops.usecases.models import (
    UseCase,
    UseCaseTemplate,
)
from workshops.usecases.services.core import UseCaseError, write
from workshops.usecases.template_default import DEFAULT_TEMPLATE


def _template_row(session: Session) -> UseCaseTemplate | None:
    return session.exec(select(UseCaseTemplate).order_by(UseCaseTemplate.id).limit(1)).first()


def template_body(session: Session) -> str:
    """The Markdown a new use case starts from: the organisers' template, else the default one."""
    row = _template_row(session)
    return row.body if row is not None else DEFAULT_TEMPLATE


def unfinished(session: Session, use_cases: list[UseCase]) -> dict[int, list[guidance.Finding]]:
    """What each use case's text still owes the template in force (``guidance.findings``), by id."""
    if not use_cases:
        return {}
    template = template_body(session)
    return {use_case.id: guidance.findings(use_case.body, template) for use_case in use_cases}


def set_template(*, session: Session, body: str, author: User) -> None:
    """Replace the body template (new use cases start from it; existing ones keep their text)."""
    limit = max_length(UseCaseTemplate, "body")
    if not body.strip():
        raise UseCaseError("Write the template: new use cases start from it.")
    if len(body) > limit:
        raise UseCaseError(f"Use at most {limit} characters.")

    def change() -> None:
        row = _template_row(session)
        if row is None:
            row = UseCaseTemplate(body=body)
            session.add(row)
        row.body = body
        row.updated_at = utcnow()
        row.updated_by_id = author.id

    write(session, change)
