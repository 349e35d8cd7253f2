"""Consents: given with the notice's version and the time, withdrawn in one step (GDPR art. 7).

Every consent is a row of the log (``Consent``); the state pages act on lives with what it is about:
a registration's ``consent_listing_at`` says whether its organisation is listed, and a person's
``updates`` consent is current while a row of that kind is not withdrawn. Giving and withdrawing
change both in one transaction, so the log and the state never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.db import write_transaction
from workshops.events.models import Registration, RegistrationState, content_changed
from workshops.privacy.models import Consent, ConsentKind
from workshops.timeutil import utcnow

#: How each kind reads on "My data".
KIND_WORDS = {
    ConsentKind.processing: "Processing of my registration's details",
    ConsentKind.listing: "Listing my organisation among the participating organisations",
    ConsentKind.updates: "E-mail me when my needs feed a use case or an open call",
}
#: Consents a person may withdraw at any time; processing ends with the registration or the account.
OPTIONAL = frozenset({ConsentKind.listing, ConsentKind.updates})


class ConsentError(Exception):
    """A consent change that cannot be made; the message says why, for the person."""


class ConsentNotFound(LookupError):
    """No such consent of this person (another person's id answers the same: 404)."""


@dataclass(frozen=True)
class ConsentLine:
    """One consent as "My data" shows it."""

    consent: Consent
    registration: Registration | None

    @property
    def words(self) -> str:
        """What the person agreed to, in words."""
        return KIND_WORDS[ConsentKind(self.consent.kind)]

    @property
    def optional(self) -> bool:
        """Whether the person may withdraw it on its own."""
        return self.consent.kind in OPTIONAL


def record(
    *,
    session: Session,
    user: User,
    kind: ConsentKind | str,
    notice_version: int,
    registration: Registration | None = None,
) -> Consent:
    """Add a consent to the log inside the caller's transaction (registering stores it with the registration)."""
    consent = Consent(
        user_id=user.id,
        kind=ConsentKind(kind).value,
        registration_id=registration.id if registration is not None else None,
        notice_version=notice_version,
    )
    session.add(consent)
    return consent


def give(
    *,
    session: Session,
    user: User,
    kind: ConsentKind | str,
    notice_version: int,
    registration: Registration | None = None,
) -> Consent:
    """Give an optional consent: a new row with the notice's version; a consent already current is kept.

    The listing consent belongs to one of the person's registrations (not a cancelled one), and
    lists the organisation at once; the updates consent belongs to the account.
    """
    kind = ConsentKind(kind)
    if kind not in OPTIONAL:
        raise ConsentError("This consent is given by registering.")
    with write_transaction(session):
        if kind == ConsentKind.listing:
            registration = _registration_to_list(session, user, registration)
            registration.consent_listing_at = utcnow()
            session.add(registration)
            session.execute(content_changed([registration.workshop_id]))
        else:
            registration = None
        existing = _open(session, user, kind, registration)
        if existing:
            return existing[0]
        consent = record(
            session=session, user=user, kind=kind, notice_version=notice_version, registration=registration
        )
    return consent


def _registration_to_list(session: Session, user: User, registration: Registration | None) -> Registration:
    if registration is None:
        raise ConsentError("Choose the registration whose organisation may be listed.")
    current = session.get(Registration, registration.id, populate_existing=True)
    if current is None or current.user_id != user.id:
        raise ConsentNotFound(registration.id)
    if current.state == RegistrationState.cancelled:
        raise ConsentError("This registration is cancelled: there is no list to appear in.")
    if current.workshop.purged_at is not None:
        raise ConsentError("The details of this workshop's registrations are deleted.")
    return current


def withdraw(
    *,
    session: Session,
    user: User,
    consent_id: int | None = None,
    kind: ConsentKind | str | None = None,
    registration: Registration | None = None,
) -> list[Consent]:
    """Withdraw one of the person's optional consents, by its id or by (kind, registration), in one step.

    Every row of it still open is stamped (the log may hold the same consent twice: given before
    the log existed, then again); withdrawing the listing consent takes the organisation off the
    lists at once. Another person's consent raises ``ConsentNotFound``.
    """
    with write_transaction(session):
        if consent_id is not None:
            consent = session.get(Consent, consent_id)
            if consent is None or consent.user_id != user.id:
                raise ConsentNotFound(consent_id)
            if consent.withdrawn_at is not None:  # pressed twice: nothing more to do
                return []
            kind = ConsentKind(consent.kind)
            registration = session.get(Registration, consent.registration_id) if consent.registration_id else None
        if kind is None:
            raise ConsentError("Say which consent to withdraw.")
        kind = ConsentKind(kind)
        if kind not in OPTIONAL:
            raise ConsentError("This consent ends with the registration, or with the account.")
        if registration is not None and registration.user_id != user.id:
            raise ConsentNotFound(registration.id)
        if kind == ConsentKind.listing and registration is None:
            raise ConsentError("Choose the registration whose organisation should not be listed.")
        now = utcnow()
        stamped = _open(session, user, kind, registration if kind == ConsentKind.listing else None)
        for row in stamped:
            row.withdrawn_at = now
            session.add(row)
        if kind == ConsentKind.listing and registration is not None:
            current = session.get(Registration, registration.id, populate_existing=True)
            current.consent_listing_at = None
            session.add(current)
            session.execute(content_changed([current.workshop_id]))
    return stamped


def _open(session: Session, user: User, kind: ConsentKind, registration: Registration | None) -> list[Consent]:
    """The person's rows of this consent not withdrawn, newest first."""
    statement = select(Consent).where(
        Consent.user_id == user.id, Consent.kind == kind.value, col(Consent.withdrawn_at).is_(None)
    )
    if kind == ConsentKind.listing:
        statement = statement.where(Consent.registration_id == (registration.id if registration else None))
    return list(session.exec(statement.order_by(col(Consent.given_at).desc(), col(Consent.id).desc())))


def current_updates(session: Session, user: User) -> Consent | None:
    """The person's current ``updates`` consent: the newest not withdrawn, if any."""
    found = _open(session, user, ConsentKind.updates, None)
    return found[0] if found else None


def with_updates(session: Session, user_ids: set[int]) -> set[int]:
    """Which of these people want e-mails about what became of their needs."""
    if not user_ids:
        return set()
    return set(
        session.exec(
            select(Consent.user_id).where(
                col(Consent.user_id).in_(user_ids),
                Consent.kind == ConsentKind.updates.value,
                col(Consent.withdrawn_at).is_(None),
            )
        )
    )


def consents_of(session: Session, user: User) -> list[ConsentLine]:
    """Every consent the person gave, newest first, with the registration it belongs to."""
    rows = session.exec(
        select(Consent, Registration)
        .outerjoin(Registration, col(Registration.id) == Consent.registration_id)
        .where(Consent.user_id == user.id)
        .order_by(col(Consent.given_at).desc(), col(Consent.id).desc())
    ).all()
    return [ConsentLine(consent=consent, registration=registration) for consent, registration in rows]


def withdraw_all(*, session: Session, user_id: int, now: datetime) -> int:
    """Inside the caller's transaction: stamp every consent of the person still open; return how many."""
    consents = list(
        session.exec(select(Consent).where(Consent.user_id == user_id, col(Consent.withdrawn_at).is_(None)))
    )
    for consent in consents:
        consent.withdrawn_at = now
        session.add(consent)
    return len(consents)
