"""The account's part of deleting a person: whether it may go, and the account row blanked.

The account row stays, blanked, so that needs, votes, comments and revisions keep pointing at it
and show "A participant" with only the organisation type. The whole deletion, across every domain
that holds something of the person, is ``workshops.personal.deletion``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from workshops.auth.models import Role, User

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


def may_delete(*, session: Session, user: User) -> str | None:
    """Return why the account cannot be deleted, or ``None`` when it can."""
    if user.deleted_at is not None:
        return "This account is already deleted."
    if user.role == Role.organiser and _organisers(session) <= 1:
        return "This is the only organiser; make someone else organiser first."
    return None


def anonymise_account(*, session: Session, user: User, now: datetime) -> None:
    """Blank the account inside the caller's transaction: no name, address, password or session left."""
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


def _organisers(session: Session) -> int:
    return session.exec(select(func.count()).where(User.role == Role.organiser, col(User.deleted_at).is_(None))).one()
