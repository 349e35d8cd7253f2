"""The programme's clusters and domains, in the order every list and choice shows them, and its settings."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from workshops.programme.models import Cluster, Domain, ProgrammeSettings


def clusters(session: Session) -> list[Cluster]:
    """Every cluster, by name."""
    return list(session.exec(select(Cluster).order_by(Cluster.name)))


def domains(session: Session) -> list[Domain]:
    """Every domain, in the programme's order (then by name)."""
    return list(session.exec(select(Domain).order_by(Domain.position, Domain.name)))


def next_domain_position(session: Session) -> int:
    """The position after the last domain's: where a new one goes unless told otherwise."""
    return (session.exec(select(func.max(Domain.position))).one() or 0) + 1


def domain_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of the domains with these ids."""
    return dict(session.exec(select(Domain.id, Domain.name).where(col(Domain.id).in_(ids))).all())


def settings(session: Session) -> ProgrammeSettings:
    """The programme's settings: the stored row, or the defaults before organisers first save them."""
    return session.get(ProgrammeSettings, 1) or ProgrammeSettings()


def programme_timezone(session: Session) -> str | None:
    """The zone organisers chose for new workshops and calls, or ``None`` when they chose none."""
    return settings(session).timezone or None


def organisers_accept_own(session: Session) -> bool:
    """Whether an organiser may accept a use case they wrote (read afresh: it guards the review)."""
    stored = session.exec(select(ProgrammeSettings.organisers_accept_own).where(ProgrammeSettings.id == 1)).first()
    return bool(stored)
