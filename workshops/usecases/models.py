"""Use cases: challenges synthesised from needs, written in Markdown, reviewed, and kept with every revision."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Integer, Text
from sqlmodel import Field, Relationship, SQLModel

from workshops.auth.models import User
from workshops.db import one_of, utc_field
from workshops.events.models import TestBed
from workshops.needs.models import Need
from workshops.programme.models import Domain
from workshops.timeutil import utcnow


class UseCaseState(StrEnum):
    """Where a use case stands in the review."""

    draft = "draft"
    in_review = "in_review"
    accepted = "accepted"
    rejected = "rejected"

    @property
    def label(self) -> str:
        """The state as people read it."""
        return STATE_LABELS[self]


STATE_LABELS = {
    UseCaseState.draft: "Draft",
    UseCaseState.in_review: "In review",
    UseCaseState.accepted: "Accepted",
    UseCaseState.rejected: "Rejected",
}

TRL_RANGE = (1, 9)

#: The version column, named here so that the mapper can use it as its version counter.
_VERSION = Column("version", Integer, nullable=False)


class UseCase(SQLModel, table=True):
    """A challenge for an open call, backed by the needs it was synthesised from."""

    __tablename__ = "use_case"
    __table_args__ = (
        one_of("state", UseCaseState),
        CheckConstraint("trl_min BETWEEN 1 AND 9 AND trl_max BETWEEN 1 AND 9 AND trl_min <= trl_max", name="trl"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    #: One paragraph: what the challenge is, for someone skimming the call.
    summary: str = Field(default="", max_length=1500)
    domain_id: int | None = Field(default=None, foreign_key="domain.id", ondelete="SET NULL", index=True)
    test_bed_id: int | None = Field(default=None, foreign_key="test_bed.id", ondelete="SET NULL")
    #: The end-user organisations backing the challenge, one per line.
    owners: str = Field(default="", max_length=2000)
    #: Whether the owners agreed to be named in what the public sees (off until they say so).
    owners_may_be_named: bool = Field(default=False)
    trl_min: int = Field(default=4)
    trl_max: int = Field(default=7)
    body: str = Field(default="", sa_type=Text, max_length=50_000)
    state: str = Field(default=UseCaseState.draft.value, max_length=10, index=True)
    rejected_reason: str = Field(default="", max_length=1000)
    created_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    #: Set when deleted; an organiser can undo it. Deleted use cases feed no need.
    deleted_at: datetime | None = utc_field(index=True)
    deleted_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    #: Rises with every save; a save based on an older version is refused (optimistic locking).
    version: int = Field(default=1, sa_column=_VERSION)

    __mapper_args__ = {"version_id_col": _VERSION}

    domain: Domain | None = Relationship()
    test_bed: TestBed | None = Relationship()
    created_by: User | None = Relationship(sa_relationship_kwargs={"foreign_keys": "UseCase.created_by_id"})

    @property
    def owner_list(self) -> list[str]:
        """The owners, one per line, trimmed, without empties or repeats."""
        return list(dict.fromkeys(line.strip() for line in self.owners.splitlines() if line.strip()))

    @property
    def state_label(self) -> str:
        """The state as people read it."""
        return UseCaseState(self.state).label


class UseCaseNeed(SQLModel, table=True):
    """A need that feeds a use case (a need may feed several)."""

    __tablename__ = "use_case_need"

    use_case_id: int = Field(foreign_key="use_case.id", primary_key=True, ondelete="CASCADE")
    need_id: int = Field(foreign_key="need.id", primary_key=True, ondelete="CASCADE", index=True)
    added_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    added_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")

    need: Need = Relationship()


class UseCaseRevision(SQLModel, table=True):
    """The use case as one save left it: who, when, what changed, and the whole text."""

    __tablename__ = "use_case_revision"

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True, ondelete="CASCADE")
    #: The use case's version after this save: 1, 2, 3…
    number: int
    author_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    #: What the save did, in words ("Edited the text", "Sent for review", "Added 2 needs").
    change: str = Field(max_length=300)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=1500)
    domain_id: int | None = Field(default=None, foreign_key="domain.id", ondelete="SET NULL")
    test_bed_id: int | None = Field(default=None, foreign_key="test_bed.id", ondelete="SET NULL")
    owners: str = Field(default="", max_length=2000)
    owners_may_be_named: bool = Field(default=False)
    trl_min: int
    trl_max: int
    body: str = Field(default="", sa_type=Text, max_length=50_000)
    state: str = Field(max_length=10)
    rejected_reason: str = Field(default="", max_length=1000)
    #: The body rendered and sanitised by ``workshops.markdown`` when the revision was written.
    body_html: str | None = Field(default=None, sa_type=Text)
    #: The renderer's version that wrote it (``workshops.markdown.RENDERER``); another one renders it anew.
    rendered_with: str | None = Field(default=None, max_length=40)

    author: User | None = Relationship()


class UseCaseComment(SQLModel, table=True):
    """A comment on a use case (plain text)."""

    __tablename__ = "use_case_comment"

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    body: str = Field(max_length=4000)
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)

    author: User | None = Relationship()


class UseCaseTemplate(SQLModel, table=True):
    """The Markdown a new use case's body starts from; organisers edit it (one row)."""

    __tablename__ = "use_case_template"

    id: int | None = Field(default=None, primary_key=True)
    body: str = Field(sa_type=Text, max_length=20_000)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
