"""Factories for test data: ``make_thing(session, **overrides)`` returns a stored row."""

from __future__ import annotations

import itertools

from argon2 import PasswordHasher
from sqlmodel import Session

from workshops.auth.models import User
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
