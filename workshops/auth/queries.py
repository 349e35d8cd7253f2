"""Finding accounts for the organisers' list."""

from __future__ import annotations

from sqlalchemy import Select, func, or_
from sqlalchemy.orm import selectinload
from sqlmodel import select

from workshops.auth.models import Role, User


def people(*, query: str, role: str) -> Select:
    """Accounts by name whose name, e-mail or organisation contains ``query``, of ``role`` when it names one."""
    statement = select(User).options(selectinload(User.cluster))
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(User.name).like(pattern),
                User.email.like(pattern),
                func.lower(User.organisation).like(pattern),
            )
        )
    if role in Role.__members__:
        statement = statement.where(User.role == role)
    return statement.order_by(User.name, User.id)
