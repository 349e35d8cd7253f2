"""The explorer's CSV export: every matching need as a row, in the page's order; two queries, then the audit entry.

Internal needs are left out: PRODUCT.md keeps them out of every export. An anonymous need's
organisation is blank unless the viewer is an organiser (``rules.shows_organisation``).
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import ColumnElement, Select, func
from sqlmodel import Session, col, select

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth.models import User
from workshops.countries import country_name
from workshops.events.models import Breakout, TestBed, Workshop
from workshops.needs.models import Need, Sensitivity
from workshops.programme.models import Domain
from workshops.usecases import rules
from workshops.usecases.explorer.filters import Filters
from workshops.usecases.explorer.selection import UNSHOWN, from_needs, order, select_needs, vote_counts
from workshops.usecases.models import UseCase, UseCaseNeed

EXPORT_HEADER = [
    "id",
    "title",
    "need",
    "context",
    "desired_outcome",
    "affected",
    "constraints",
    "urgency",
    "tags",
    "sensitivity",
    "state",
    "organisation",
    "organisation_type",
    "country",
    "country_name",
    "workshop",
    "breakout",
    "domain",
    "test_bed",
    "votes",
    "created_at",
    "use_cases",
]


def export_needs(session: Session, *, viewer: User, filters: Filters) -> list[list[object]]:
    """The rows of the CSV file (``EXPORT_HEADER``), the export recorded in the audit log."""
    rows = _rows(session, viewer=viewer, filters=filters)
    audit.record(AuditAction.export, target_type="need", detail=f"needs explorer, {len(rows)} needs")
    return rows


def _rows(session: Session, *, viewer: User, filters: Filters) -> list[list[object]]:
    """Every matching need but the internal ones as a CSV row, in the page's order."""
    selection = select_needs(session, viewer=viewer, filters=filters)
    conditions = [*selection.where(), col(Need.sensitivity) != Sensitivity.internal.value]
    titles = _fed_titles(session, conditions)
    return [
        _row(
            need,
            viewer=viewer,
            workshop=workshop,
            breakout=breakout,
            domain=domain,
            test_bed=test_bed,
            votes=count,
            use_cases=titles.get(need.id, []),
        )
        for need, workshop, breakout, domain, test_bed, count in session.exec(_exported(conditions, sort=filters.sort))
    ]


def _exported(conditions: list[ColumnElement[bool]], *, sort: str) -> Select:
    """The needs with the names of their workshop, breakout, domain and test bed, and their votes."""
    votes = vote_counts()
    vote_count = func.coalesce(votes.c.votes, 0)
    return (
        from_needs(select(Need, Workshop.title, Breakout.title, Domain.name, TestBed.name, vote_count))
        .outerjoin(Domain, col(Need.domain_id) == Domain.id)
        .outerjoin(TestBed, col(Need.test_bed_id) == TestBed.id)
        .outerjoin(votes, votes.c.need_id == col(Need.id))
        .where(*conditions)
        .options(*UNSHOWN)
        .order_by(*order(sort, vote_count))
    )


def _fed_titles(session: Session, conditions: list[ColumnElement[bool]]) -> dict[int, list[str]]:
    """The titles of the live use cases each exported need feeds, by title; one query."""
    matching = from_needs(select(Need.id)).where(*conditions)
    statement = (
        select(UseCaseNeed.need_id, UseCase.title)
        .join(UseCase, col(UseCaseNeed.use_case_id) == UseCase.id)
        .where(col(UseCase.deleted_at).is_(None), col(UseCaseNeed.need_id).in_(matching))
        .order_by(col(UseCase.title), col(UseCase.id))
    )
    titles: dict[int, list[str]] = {}
    for need_id, title in session.exec(statement):
        titles.setdefault(need_id, []).append(title)
    return titles


def _row(
    need: Need,
    *,
    viewer: User,
    workshop: str,
    breakout: str,
    domain: str | None,
    test_bed: str | None,
    votes: int,
    use_cases: list[str],
) -> list[object]:
    """One need's cells, in the order of ``EXPORT_HEADER``."""
    return [
        need.id,
        need.title,
        need.statement,
        need.context,
        need.desired_outcome,
        need.affected,
        need.constraints,
        need.urgency,
        need.tags,
        need.sensitivity,
        need.state,
        need.organisation if rules.shows_organisation(viewer, need) else "",
        need.organisation_type,
        need.country,
        country_name(need.country),
        workshop,
        breakout,
        domain or "",
        test_bed or "",
        votes,
        need.created_at.astimezone(UTC).isoformat(timespec="seconds"),
        "; ".join(use_cases),
    ]
