"""Accounts: people who take part, facilitate or organise."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Relationship, SQLModel

from workshops.db import one_of, utc_field
from workshops.programme.models import Cluster
from workshops.timeutil import utcnow


class Role(StrEnum):
    """What a person may do; each role includes the ones before it."""

    participant = "participant"
    facilitator = "facilitator"
    organiser = "organiser"

    @property
    def rank(self) -> int:
        """Position in the order participant < facilitator < organiser."""
        return list(Role).index(self)


class OrganisationType(StrEnum):
    """The kind of organisation a person speaks for (PRODUCT.md stored values)."""

    end_user = "end_user"
    integrator = "integrator"
    sme = "sme"
    research = "research"
    public_authority = "public_authority"
    cluster = "cluster"
    other = "other"

    @property
    def label(self) -> str:
        """Human wording for forms and lists."""
        return ORGANISATION_TYPE_LABELS[self]


ORGANISATION_TYPE_LABELS = {
    OrganisationType.end_user: "End-user (city, police, operator, civil security…)",
    OrganisationType.integrator: "Integrator (large company)",
    OrganisationType.sme: "SME",
    OrganisationType.research: "Research or academia",
    OrganisationType.public_authority: "Public authority",
    OrganisationType.cluster: "Cluster staff",
    OrganisationType.other: "Other",
}


def organisation_type_label(value: str, *, short: bool = False) -> str:
    """A stored organisation type as people read it.

    The form's wording, or its first words for tables and bylines ("End-user", "Integrator"); a
    value this version does not know, as stored.
    """
    label = _LABELS_BY_VALUE.get(value)
    if label is None:
        return value
    return label.split(" (")[0] if short else label


#: The labels by stored value, for a report that names thousands of needs.
_LABELS_BY_VALUE = {kind.value: label for kind, label in ORGANISATION_TYPE_LABELS.items()}


def new_session_token() -> str:
    """Return a fresh random token that identifies a person's live sessions."""
    return secrets.token_urlsafe(24)


class UserBase(SQLModel):
    """Fields and limits of an account."""

    #: Stored lower-cased, so that an address is unique regardless of case.
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120, index=True)
    organisation: str = Field(default="", max_length=200)
    organisation_type: str = Field(default=OrganisationType.other.value, max_length=20)
    country: str = Field(default="", max_length=2, description="ISO 3166-1 alpha-2 code")
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", ondelete="SET NULL")
    role: str = Field(default=Role.participant.value, max_length=20)


class User(UserBase, table=True):
    """A person with an account."""

    __tablename__ = "account"
    __table_args__ = (
        one_of("role", Role),
        one_of("organisation_type", OrganisationType),
    )

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    #: Rotated on log-out, password change and role change: it ends every copy of a session cookie.
    session_token: str = Field(default_factory=new_session_token, max_length=64, unique=True)
    confirmed_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    last_login_at: datetime | None = utc_field()
    #: When the person deleted the account (or an organiser did, on request): the row stays, blanked,
    #: so that needs and comments keep their text as "a participant".
    deleted_at: datetime | None = utc_field()

    cluster: Cluster | None = Relationship()

    # Flask-Login protocol, written out so that the session carries the token, not the id.
    @property
    def is_authenticated(self) -> bool:
        """Every loaded account is an authenticated person."""
        return True

    @property
    def is_active(self) -> bool:
        """Only confirmed accounts may hold a session."""
        return self.confirmed_at is not None

    @property
    def is_anonymous(self) -> bool:
        """An account is never the anonymous user."""
        return False

    def get_id(self) -> str:
        """Return the session token (Flask-Login's alternative id)."""
        return self.session_token

    def has_role(self, role: Role | str) -> bool:
        """Tell whether the person holds ``role`` or a higher one."""
        return Role(self.role).rank >= Role(role).rank

    def rotate_session_token(self) -> None:
        """End every session of this person, here and on other devices."""
        self.session_token = new_session_token()
