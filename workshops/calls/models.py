"""Open calls: accepted use cases published as numbered challenges, grouped by domain."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from workshops.db import one_of, utc_field
from workshops.programme.models import Domain
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCase


class CallState(StrEnum):
    """Where a call stands."""

    draft = "draft"
    published = "published"
    closed = "closed"

    @property
    def label(self) -> str:
        """The state as people read it."""
        return {"draft": "Draft", "published": "Published", "closed": "Closed"}[self.value]


#: The Markdown sections of a call, in the order the call text shows them, with their headings.
SECTIONS = {
    "introduction": "Introduction",
    "eligibility": "Who can apply",
    "funding": "Funding",
    "evaluation": "Evaluation criteria",
    "how_to_apply": "How to apply",
}


class OpenCall(SQLModel, table=True):
    """A call for proposals: its dates, its rules in Markdown, and its challenges."""

    __tablename__ = "open_call"
    __table_args__ = (
        one_of("state", CallState),
        CheckConstraint("opens_at < closes_at", name="dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True)
    #: The zone the call's dates are given in (an IANA name).
    timezone: str = Field(default="Europe/Brussels", max_length=64)
    opens_at: datetime = utc_field(nullable=False)
    closes_at: datetime = utc_field(nullable=False)
    introduction: str = Field(default="", sa_type=Text, max_length=20_000)
    eligibility: str = Field(default="", sa_type=Text, max_length=20_000)
    funding: str = Field(default="", sa_type=Text, max_length=20_000)
    evaluation: str = Field(default="", sa_type=Text, max_length=20_000)
    how_to_apply: str = Field(default="", sa_type=Text, max_length=20_000)
    state: str = Field(default=CallState.draft.value, max_length=10)
    published_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)

    challenges: list["Challenge"] = Relationship(
        back_populates="call", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    domains: list["CallDomain"] = Relationship(
        back_populates="call", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    @property
    def state_label(self) -> str:
        """The state as people read it."""
        return CallState(self.state).label


class CallDomain(SQLModel, table=True):
    """A domain's place in a call (challenge 2.3 is the third challenge of the call's second domain)."""

    __tablename__ = "call_domain"

    call_id: int = Field(foreign_key="open_call.id", primary_key=True, ondelete="CASCADE")
    domain_id: int = Field(foreign_key="domain.id", primary_key=True, ondelete="CASCADE")
    position: int

    call: OpenCall = Relationship(back_populates="domains")
    domain: Domain = Relationship()


class Challenge(SQLModel, table=True):
    """An accepted use case in a call, at a place within its domain; its text is frozen on publication."""

    __tablename__ = "call_challenge"
    __table_args__ = (UniqueConstraint("call_id", "use_case_id", name="uq_challenge_use_case"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="open_call.id", index=True, ondelete="CASCADE")
    use_case_id: int = Field(foreign_key="use_case.id", index=True, ondelete="RESTRICT")
    domain_id: int = Field(foreign_key="domain.id", ondelete="RESTRICT")
    #: 1, 2, 3… within the domain, in the order the organisers set.
    position: int
    #: The use case's text as published (``None`` while the call is a draft: the use case's current text).
    revision_number: int | None = None
    title: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=1500)
    body: str | None = Field(default=None, sa_type=Text, max_length=50_000)
    owners: str | None = Field(default=None, max_length=2000)
    owners_may_be_named: bool | None = None
    trl_min: int | None = None
    trl_max: int | None = None
    #: The frozen body rendered and sanitised by ``workshops.markdown`` (``None`` until first rendered):
    #: as written (CSV, JSON), under the challenge's heading (call page, HTML export), for the Word export.
    body_html: str | None = Field(default=None, sa_type=Text)
    body_nested_html: str | None = Field(default=None, sa_type=Text)
    body_word_html: str | None = Field(default=None, sa_type=Text)
    #: The renderer's version that wrote them (``workshops.markdown.RENDERER``); another one renders them anew.
    rendered_with: str | None = Field(default=None, max_length=40)

    call: OpenCall = Relationship(back_populates="challenges")
    use_case: UseCase = Relationship()
    domain: Domain = Relationship()
