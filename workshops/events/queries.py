"""Reading workshops and registrations for pages, in a fixed number of queries whatever the size."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, func
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
from workshops.programme.models import Cluster
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


#: What the cards of ``upcoming_workshops`` show, as plain values: the home page's key. Built once
#: (it is read on every visit of the home page), with the time and the number as parameters.
_UPCOMING_CARDS = (
    select(
        Workshop.id,
        Workshop.slug,
        Workshop.title,
        Workshop.starts_at,
        Workshop.timezone,
        Workshop.format,
        Workshop.venue,
        Workshop.state,
        Cluster.short_name,
    )
    .outerjoin(Cluster, Workshop.cluster_id == Cluster.id)
    .where(Workshop.state.in_(PUBLIC_STATES[:2]), Workshop.ends_at > bindparam("now"))
    .order_by(Workshop.starts_at)
    .limit(bindparam("limit"))
)


def upcoming_cards(session: Session, *, limit: int) -> list[tuple]:
    """What the cards of ``upcoming_workshops(limit=…)`` show, in one query."""
    return [tuple(row) for row in session.connection().execute(_UPCOMING_CARDS, {"now": utcnow(), "limit": limit})]


def past_workshops(session: Session) -> list[Workshop]:
    """Public workshops that have ended, newest first."""
    statement = (
        select(Workshop)
        .where(Workshop.state.in_(PUBLIC_STATES), Workshop.ends_at <= utcnow())
        .order_by(Workshop.starts_at.desc())
        .options(selectinload(Workshop.cluster))
    )
    return list(session.exec(statement))


#: What decides a workshop page's anonymous view: built once, as it is read on every visit of the page.
_STAMP = (
    select(
        Workshop.id,
        Workshop.state,
        Workshop.content_version,
        Workshop.ends_at,
        Workshop.registration_opens_at,
        Workshop.registration_closes_at,
        Cluster.name.label("cluster_name"),
    )
    .outerjoin(Cluster, Workshop.cluster_id == Cluster.id)
    .where(Workshop.slug == bindparam("slug"))
)


def workshop_stamp(session: Session, slug: str) -> Row | None:
    """What decides a workshop page's anonymous view, in one short query: its version, state and window.

    ``content_version`` covers what the workshop's own changes show; the host's name is read here
    because renaming a cluster is no change of the workshop's.
    """
    return session.connection().execute(_STAMP, {"slug": slug}).one_or_none()


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
