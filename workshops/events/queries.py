"""Reading workshops and registrations for pages, in a fixed number of queries whatever the size."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import (
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    TestBed,
    Workshop,
    WorkshopState,
)
from workshops.timeutil import utcnow

PUBLIC_STATES = (WorkshopState.published.value, WorkshopState.closed.value, WorkshopState.archived.value)


def _with_agenda(statement):
    return statement.options(
        selectinload(Workshop.breakouts).selectinload(Breakout.test_bed),
        selectinload(Workshop.breakouts).selectinload(Breakout.facilitators),
        selectinload(Workshop.cluster),
    )


def upcoming_workshops(session: Session, *, limit: int | None = None) -> list[Workshop]:
    """Published or closed workshops that have not ended, soonest first."""
    statement = (
        select(Workshop)
        .where(Workshop.state.in_(PUBLIC_STATES[:2]), Workshop.ends_at > utcnow())
        .order_by(Workshop.starts_at)
        .options(selectinload(Workshop.cluster))
    )
    if limit:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def past_workshops(session: Session) -> list[Workshop]:
    """Public workshops that have ended, newest first."""
    statement = (
        select(Workshop)
        .where(Workshop.state.in_(PUBLIC_STATES), Workshop.ends_at <= utcnow())
        .order_by(Workshop.starts_at.desc())
        .options(selectinload(Workshop.cluster))
    )
    return list(session.exec(statement))


def workshop_by_slug(session: Session, slug: str) -> Workshop | None:
    """A workshop with its agenda loaded."""
    return session.exec(_with_agenda(select(Workshop).where(Workshop.slug == slug))).one_or_none()


def confirmed_by_mode(session: Session, workshop: Workshop) -> dict[str, int]:
    """Confirmed registrations per attendance mode."""
    rows = session.exec(
        select(Registration.mode, func.count())
        .where(Registration.workshop_id == workshop.id, Registration.state == RegistrationState.confirmed)
        .group_by(Registration.mode)
    )
    return dict(rows.all())


def seats_left(session: Session, workshop: Workshop) -> dict[int, int | None]:
    """Free seats per breakout (``None``: no limit), in one query."""
    taken = dict(
        session.exec(
            select(BreakoutSeat.breakout_id, func.count())
            .join(Breakout)
            .where(Breakout.workshop_id == workshop.id, BreakoutSeat.state == SeatState.confirmed)
            .group_by(BreakoutSeat.breakout_id)
        ).all()
    )
    return {b.id: None if b.capacity is None else max(0, b.capacity - taken.get(b.id, 0)) for b in workshop.breakouts}


def places_left(session: Session, workshop: Workshop) -> dict[str, int | None]:
    """Free places per attendance mode the workshop offers (``None``: no limit)."""
    confirmed = confirmed_by_mode(session, workshop)
    result = {}
    for mode in workshop.modes:
        capacity = workshop.capacity(mode)
        result[mode.value] = None if capacity is None else max(0, capacity - confirmed.get(mode.value, 0))
    return result


def registration_of(session: Session, workshop: Workshop, user: User) -> Registration | None:
    """The person's registration for a workshop (cancelled ones included), with its seats."""
    if not user.is_authenticated:
        return None
    return session.exec(
        select(Registration)
        .where(Registration.workshop_id == workshop.id, Registration.user_id == user.id)
        .options(selectinload(Registration.seats).selectinload(BreakoutSeat.breakout))
    ).one_or_none()


def registrations_of(session: Session, user: User) -> list[Registration]:
    """Everything a person registered for, with workshops, seats and breakouts, soonest first."""
    return list(
        session.exec(
            select(Registration)
            .join(Workshop)
            .where(Registration.user_id == user.id)
            .order_by(Workshop.starts_at)
            .options(
                selectinload(Registration.workshop),
                selectinload(Registration.seats).selectinload(BreakoutSeat.breakout).selectinload(Breakout.test_bed),
            )
        )
    )


def own_registration(session: Session, registration_id: int, user: User) -> Registration | None:
    """A registration, only if it belongs to ``user`` (others' answer 404)."""
    registration = session.exec(
        select(Registration)
        .where(Registration.id == registration_id, Registration.user_id == user.id)
        .options(
            selectinload(Registration.workshop).selectinload(Workshop.breakouts).selectinload(Breakout.test_bed),
            selectinload(Registration.seats).selectinload(BreakoutSeat.breakout),
        )
    ).one_or_none()
    return registration


def listed_organisations(session: Session, workshop: Workshop) -> list[str]:
    """The organisations of confirmed participants who agreed to be listed, by name (one query).

    Withdrawing the consent takes the organisation off at once, unless a colleague listed it too.
    """
    names = session.exec(
        select(User.organisation)
        .join(Registration, Registration.user_id == User.id)
        .where(
            Registration.workshop_id == workshop.id,
            Registration.state == RegistrationState.confirmed,
            Registration.consent_listing_at.is_not(None),
            User.deleted_at.is_(None),
        )
        .distinct()
    ).all()
    return sorted({name.strip() for name in names if name and name.strip()}, key=str.casefold)


def test_beds(session: Session) -> list[TestBed]:
    """Every test bed, by name."""
    return list(session.exec(select(TestBed).order_by(TestBed.name)))


def test_beds_with_domains():
    """Every test bed by name with its domain, as a query for a paged list."""
    return select(TestBed).options(selectinload(TestBed.domain)).order_by(TestBed.name)


def test_beds_in_domain(session: Session, domain_id: int | None) -> list[TestBed]:
    """The test beds of one domain by name (``None``: those of no domain)."""
    return list(session.exec(select(TestBed).where(TestBed.domain_id == domain_id).order_by(TestBed.name)))


def test_bed_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of the test beds with these ids."""
    return dict(session.exec(select(TestBed.id, TestBed.name).where(col(TestBed.id).in_(ids))).all())


def every_workshop():
    """Every workshop, the latest first, as a query for a paged list."""
    return select(Workshop).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
