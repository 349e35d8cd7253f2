"""Factories for test data: ``make_thing(session, **overrides)`` returns a stored row."""

from __future__ import annotations

import itertools
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import insert
from sqlmodel import Session, col, select

from workshops.auth.models import User, new_session_token
from workshops.events.models import Breakout, TestBed, Workshop
from workshops.programme.models import Cluster, Domain
from workshops.timeutil import utcnow

PASSWORD = "a sturdy test passphrase"
#: Test accounts hash cheaply; verifying reads the parameters from the hash itself.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_sequence = itertools.count(1)
_hashes: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hashes:
        _hashes[password] = CHEAP_HASHER.hash(password)
    return _hashes[password]


def make_user(session: Session, *, password: str = PASSWORD, confirmed: bool = True, **overrides) -> User:
    """A confirmed participant unless told otherwise."""
    n = next(_sequence)
    values = {
        "email": f"person{n}@example.org",
        "name": f"Person {n}",
        "organisation": f"Organisation {n}",
        "organisation_type": "end_user",
        "country": "BE",
        "role": "participant",
        "password_hash": _hash(password),
        "confirmed_at": utcnow() if confirmed else None,
    }
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.commit()
    return user


def make_cluster(session: Session, **overrides) -> Cluster:
    """A cluster."""
    n = next(_sequence)
    cluster = Cluster(**{"name": f"Cluster {n}", "short_name": f"C{n}", "country": "FR", **overrides})
    session.add(cluster)
    session.commit()
    return cluster


def make_domain(session: Session, **overrides) -> Domain:
    """A domain."""
    n = next(_sequence)
    domain = Domain(**{"name": f"Domain {n}", "slug": f"domain-{n}", "position": n, **overrides})
    session.add(domain)
    session.commit()
    return domain


def make_test_bed(session: Session, **overrides) -> TestBed:
    """A test bed in a new domain unless one is given."""
    n = next(_sequence)
    if "domain_id" not in overrides:
        overrides["domain_id"] = make_domain(session).id
    test_bed = TestBed(**{"name": f"Test bed {n}", "location": "Port of Antwerp", **overrides})
    session.add(test_bed)
    session.commit()
    return test_bed


def make_workshop(session: Session, **overrides) -> Workshop:
    """A published on-site workshop a month ahead, open for registration, with no seat limit."""
    n = next(_sequence)
    start = utcnow().replace(microsecond=0) + timedelta(days=30)
    values = {
        "slug": f"workshop-{n}",
        "title": f"Workshop {n}",
        "timezone": "Europe/Brussels",
        "starts_at": start,
        "ends_at": start + timedelta(hours=7),
        "format": "on_site",
        "venue": "Rue de la Loi 1, Brussels",
        "state": "published",
        "registration_opens_at": utcnow() - timedelta(days=1),
    }
    values.update(overrides)
    workshop = Workshop(**values)
    session.add(workshop)
    session.commit()
    return workshop


def make_breakout(session: Session, workshop: Workshop, *, hour: int = 1, length: int = 1, **overrides) -> Breakout:
    """A breakout ``hour`` hours after the workshop starts, ``length`` hours long."""
    n = next(_sequence)
    values = {
        "workshop_id": workshop.id,
        "title": f"Breakout {n}",
        "starts_at": workshop.starts_at + timedelta(hours=hour),
        "ends_at": workshop.starts_at + timedelta(hours=hour + length),
        "room": f"Room {n}",
    }
    values.update(overrides)
    breakout = Breakout(**values)
    session.add(breakout)
    session.commit()
    return breakout


def make_registration(session: Session, workshop: Workshop, user: User, **overrides):
    """A confirmed on-site registration stored as is, without the registration service (no lock, no seats)."""
    from workshops.events.models import Registration

    values = {"workshop_id": workshop.id, "user_id": user.id, "mode": "on_site", "state": "confirmed", **overrides}
    registration = Registration(**values)
    session.add(registration)
    session.commit()
    return registration


def make_seat(session: Session, registration, breakout: Breakout, **overrides):
    """A confirmed seat of ``registration`` in ``breakout``, stored as is."""
    from workshops.events.models import BreakoutSeat

    values = {"registration_id": registration.id, "breakout_id": breakout.id, "state": "confirmed", **overrides}
    seat = BreakoutSeat(**values)
    session.add(seat)
    session.commit()
    return seat


def make_attendee(app, session: Session, breakout: Breakout, **person) -> User:
    """A new person registered on site through the registration service, with a seat in ``breakout``."""
    from workshops.events import registration as reg

    user = make_user(session, **person)
    with app.app_context():
        reg.register(
            session=session,
            workshop=breakout.workshop,
            user=user,
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id,)),
        )
    return user


def make_people(session: Session, prefix: str, count: int, **values) -> list[User]:
    """``count`` confirmed participants ``{prefix}-{n}@example.org`` with the test password, inserted at once."""
    password_hash = CHEAP_HASHER.hash(PASSWORD)
    rows = [
        {
            "email": f"{prefix}-{n}@example.org",
            "name": f"{prefix} {n}",
            "organisation": f"Organisation {n}",
            "organisation_type": "end_user",
            "country": "BE",
            "role": "participant",
            "password_hash": password_hash,
            "session_token": new_session_token(),
            "confirmed_at": utcnow(),
            "created_at": utcnow(),
            **values,
        }
        for n in range(count)
    ]
    session.execute(insert(User), rows)
    session.commit()
    emails = [row["email"] for row in rows]
    found = {person.email: person for person in session.exec(select(User).where(col(User.email).in_(emails)))}
    return [found[email] for email in emails]
