"""Deleting an account: the person's data erased or anonymised, what they said kept as "a participant".

Each domain blanks its own rows: the account (``auth``), registrations and consents (``events``),
needs (``needs``). Use cases and calls are not touched: they quote needs, never people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth.deletion import DeletionReason, anonymise_account, may_delete
from workshops.auth.models import User
from workshops.auth.services import AccountError
from workshops.db import write_transaction
from workshops.events import consents, erasure
from workshops.needs.erasure import anonymise_needs
from workshops.timeutil import utcnow
from workshops.transactions import Busy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeletionSummary:
    """What a deletion did, for the person's flash message and the tests."""

    cancelled_registrations: int
    promoted: int
    anonymised_needs: int
    withdrawn_consents: int


def delete_account(*, session: Session, user: User, by: User, reason: DeletionReason | None = None) -> DeletionSummary:
    """Erase or anonymise a person's data; ``by`` is the person themselves or an organiser acting on request.

    The order matters. Future registrations are cancelled first, each through the registration
    code, which runs its own short transaction under the workshop's lock, frees the seats and
    promotes the waiting lists; those transactions cannot be nested inside another one. Then
    everything personal is blanked in one transaction: a failure there rolls all of it back, so an
    account is never left half-anonymised, only without its future places, which the person asked
    to give up anyway. Registrations taken in between (another tab) are swept up afterwards.

    Raises ``AccountError`` when refused, ``Busy`` when a workshop stayed locked (nothing personal
    has been changed then).
    """
    problem = may_delete(session=session, user=user)
    if problem:
        raise AccountError(problem)
    user_id = user.id
    cancelled, promoted = erasure.cancel_future_registrations(session=session, user_id=user_id)
    with write_transaction(session):
        now = utcnow()
        account = session.get(User, user_id)
        anonymise_account(session=session, user=account, now=now)
        erasure.blank_registration_details(session=session, user_id=user_id)
        withdrawn = consents.withdraw_all(session=session, user_id=user_id, now=now)
        needs = anonymise_needs(session=session, user_id=user_id, now=now)
        session.flush()
    try:
        cancelled_late, promoted_late = erasure.cancel_future_registrations(
            session=session, user_id=user_id, tell_person=False
        )
    except Busy:  # the account is deleted already: a place taken meanwhile is not worth a failure
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
        withdrawn_consents=withdrawn,
    )
