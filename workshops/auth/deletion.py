"""Deleting an account: the person's data erased or anonymised, what they said kept as "a participant".

The account row stays, blanked, so that needs, votes, comments and revisions keep pointing at it
and show "A participant" with only the organisation type. Use cases and calls are not touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth.models import Role, User
from workshops.auth.services import AccountError
from workshops.db import write_transaction
from workshops.events import notifications
from workshops.events import registration as reg
from workshops.events.models import Breakout, Registration, RegistrationState, Workshop
from workshops.needs.models import Need
from workshops.privacy.models import Consent
from workshops.timeutil import utcnow

log = logging.getLogger(__name__)

#: The name a deleted account shows wherever its needs and comments appear.
DELETED_NAME = "A participant"
#: Not an argon2 hash: verifying any password against it fails, so no password ever matches again.
UNUSABLE_HASH = "!account-deleted"


def deleted_email(user_id: int) -> str:
    """A unique placeholder address that frees the real one and can never receive mail (RFC 2606 .invalid)."""
    return f"deleted-{user_id}@deleted.invalid"


class DeletionReason(StrEnum):
    """How a person asked an organiser to delete their account: fixed words for the audit log."""

    email = "email"
    letter = "letter"
    in_person = "in_person"
    phone = "phone"

    @property
    def label(self) -> str:
        """Human wording for the choice list."""
        return {
            DeletionReason.email: "The person asked by e-mail",
            DeletionReason.letter: "The person asked by letter",
            DeletionReason.in_person: "The person asked in person",
            DeletionReason.phone: "The person asked by phone",
        }[self]


@dataclass(frozen=True)
class DeletionSummary:
    """What a deletion did, for the person's flash message and the tests."""

    cancelled_registrations: int
    promoted: int
    anonymised_needs: int
    withdrawn_consents: int


def may_delete(*, session: Session, user: User) -> str | None:
    """Return why the account cannot be deleted, or ``None`` when it can."""
    if user.deleted_at is not None:
        return "This account is already deleted."
    if user.role == Role.organiser and _organisers(session) <= 1:
        return "This is the only organiser; make someone else organiser first."
    return None


def delete_account(*, session: Session, user: User, by: User, reason: DeletionReason | None = None) -> DeletionSummary:
    """Erase or anonymise a person's data; ``by`` is the person themselves or an organiser acting on request.

    The order matters. Future registrations are cancelled first, each through the registration
    code (``reg.cancel``), which runs its own short transaction under the workshop's lock, frees the
    seats and promotes the waiting lists; those transactions cannot be nested inside another one.
    Then everything personal is blanked in one transaction: a failure there rolls all of it back,
    so an account is never left half-anonymised, only without its future places, which the person
    asked to give up anyway. Registrations taken in between (another tab) are swept up afterwards.

    Raises ``AccountError`` when refused, ``reg.Busy`` when a workshop stayed locked (nothing
    personal has been changed then).
    """
    problem = may_delete(session=session, user=user)
    if problem:
        raise AccountError(problem)
    user_id = user.id
    cancelled, promoted = _cancel_future_registrations(session, user_id)
    with write_transaction(session):
        account = session.get(User, user_id)
        needs, consents = _anonymise(session, account)
    try:
        cancelled_late, promoted_late = _cancel_future_registrations(session, user_id, tell_person=False)
    except reg.Busy:  # the account is deleted already: a place taken meanwhile is not worth a failure
        log.warning("account %s deleted; a registration taken meanwhile stays until an organiser cancels it", user_id)
        cancelled_late = promoted_late = 0
    audit.record(
        AuditAction.account_deleted,
        actor_id=by.id,
        target_type="account",
        target_id=user_id,
        detail="by the person" if by.id == user_id else f"on request ({(reason or DeletionReason.email).value})",
    )
    return DeletionSummary(
        cancelled_registrations=cancelled + cancelled_late,
        promoted=promoted + promoted_late,
        anonymised_needs=needs,
        withdrawn_consents=consents,
    )


def _organisers(session: Session) -> int:
    return session.exec(select(func.count()).where(User.role == Role.organiser, col(User.deleted_at).is_(None))).one()


def _future_registrations(session: Session, user_id: int) -> list[Registration]:
    """The person's places at workshops not yet over: confirmed or waiting."""
    return list(
        session.exec(
            select(Registration)
            .join(Workshop, Workshop.id == Registration.workshop_id)
            .where(
                Registration.user_id == user_id,
                Registration.state != RegistrationState.cancelled,
                Workshop.ends_at > utcnow(),
            )
            .order_by(Registration.id)
        )
    )


def _cancel_future_registrations(session: Session, user_id: int, *, tell_person: bool = True) -> tuple[int, int]:
    """Cancel each future registration, telling the person and whoever moves up; return the counts.

    ``tell_person=False`` once the address is blanked: only whoever moves up is told then.
    """
    cancelled = promoted = 0
    for registration in _future_registrations(session, user_id):
        outcome = reg.cancel(session=session, registration=registration)
        cancelled += 1
        promoted += len(outcome.promoted) + len(outcome.promoted_seats)
        # Sent after cancel() committed, with the address still on the account: the person's
        # calendar event is cancelled, and whoever got the place is told, as for any cancellation.
        if tell_person:
            notifications.cancelled(outcome)
        else:
            notifications.promoted(outcome)
    return cancelled, promoted


def _anonymise(session: Session, user: User) -> tuple[int, int]:
    """Blank the account and everything personal around it; the caller holds the transaction."""
    now = utcnow()
    user.name = DELETED_NAME
    user.email = deleted_email(user.id)
    user.organisation = ""
    user.country = ""
    user.cluster_id = None
    user.role = Role.participant.value
    user.password_hash = UNUSABLE_HASH
    user.confirmed_at = None  # inactive: no session loads it and the log-in is refused
    user.last_login_at = None
    user.deleted_at = now
    user.rotate_session_token()  # every session and remember-me cookie ends
    session.add(user)

    for registration in session.exec(select(Registration).where(Registration.user_id == user.id)):
        registration.dietary = ""
        registration.accessibility = ""
        registration.consent_listing_at = None
        session.add(registration)

    consents = list(
        session.exec(select(Consent).where(Consent.user_id == user.id, col(Consent.withdrawn_at).is_(None)))
    )
    for consent in consents:
        consent.withdrawn_at = now
        session.add(consent)

    # The needs keep their text, organisation type and country (the consultation report counts them);
    # who said it goes. Through the ORM, so that each need's search text is recomputed without them.
    needs = list(session.exec(select(Need).where(Need.stated_by_id == user.id)))
    for need in needs:
        need.organisation = ""
        need.stated_by_name = ""
        need.updated_at = now
        session.add(need)
    breakout_ids = {need.breakout_id for need in needs}
    if breakout_ids:  # the live boards showed the name: a new board version makes them reload
        session.execute(
            update(Breakout).where(col(Breakout.id).in_(breakout_ids)).values(board_version=Breakout.board_version + 1)
        )
    session.flush()
    return len(needs), len(consents)
