"""Versions of the privacy notice, and the consents given under them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from workshops.db import one_of, utc_field
from workshops.timeutil import utcnow


class PrivacyNotice(SQLModel, table=True):
    """One published version of the privacy notice; the highest version is the current one."""

    __tablename__ = "privacy_notice"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    body: str = Field(sa_type=Text, max_length=50_000)
    published_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    published_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")


class ConsentKind(StrEnum):
    """What a person agreed to."""

    #: Processing of a registration's details (required to register).
    processing = "processing"
    #: Naming the person's organisation in the workshop's public list and in exports.
    listing = "listing"
    #: E-mails about what became of the person's needs (a use case, a published call).
    updates = "updates"


class Consent(SQLModel, table=True):
    """One consent as it was given, with the notice's version, and when it was withdrawn.

    The log is kept for accountability (GDPR art. 7(1)): the state a page acts on lives with what it
    is about (a registration's ``consent_listing_at``; an account's ``updates`` consent is the newest
    row of that kind not withdrawn).
    """

    __table_args__ = (one_of("kind", ConsentKind),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=12)
    #: The registration it belongs to (processing and listing consents), if any.
    registration_id: int | None = Field(default=None, foreign_key="registration.id", ondelete="SET NULL")
    notice_version: int
    given_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    withdrawn_at: datetime | None = utc_field()
