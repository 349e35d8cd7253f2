"""Paging of list pages: a count and one page of rows, two queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import request
from sqlalchemy import Select, func, select
from sqlmodel import Session

from workshops.http import number


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the pager needs."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        """Whether a previous page exists."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.number < self.pages


def paginate(session: Session, statement: Select, *, per_page: int) -> Page:
    """Run ``statement`` for the page named by ``?page=`` (1 when missing or out of range)."""
    return page_of(session, statement, number=number(request.args.get("page")) or 1, per_page=per_page)


def page_of(session: Session, statement: Select, *, number: int, per_page: int, counted: Select | None = None) -> Page:
    """Run ``statement`` for page ``number``, brought within the pages there are (the last when past the end).

    ``counted`` selects the same rows more cheaply, without the joins only the page's columns need
    (a subquery of vote counts, say); the total counts it instead of ``statement``.
    """
    total = _count(session, counted if counted is not None else statement)
    pages = max(1, ceil(total / per_page))
    number = min(max(number, 1), pages)
    items = list(session.exec(statement.limit(per_page).offset((number - 1) * per_page)).all())
    return Page(items=items, number=number, per_page=per_page, total=total)


def _count(session: Session, statement: Select) -> int:
    return session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
