"""The body template new use cases start from: the organisers' own, else the default one."""

from __future__ import annotations

from sqlmodel import Session, select

from workshops.auth.models import User
from workshops.db import max_length
from workshops.timeutil import utcnow
from workshops.usecases.models import (
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
