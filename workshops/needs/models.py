"""Needs stated in breakouts, and the votes on them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, Relationship, SQLModel

from workshops.auth.models import User
from workshops.db import one_of, utc_field
from workshops.events.models import Breakout, TestBed
from workshops.programme.models import Domain
from workshops.search import search_text
from workshops.timeutil import utcnow


class Sensitivity(StrEnum):
    """Who may read a need, and whether it may be quoted."""

    public = "public"
    anonymous = "anonymous"
    internal = "internal"

    @property
    def explanation(self) -> str:
        """One line for the form."""
        return SENSITIVITY_EXPLANATIONS[self]


SENSITIVITY_EXPLANATIONS = {
    Sensitivity.public: "Public: may be quoted with your organisation's name.",
    Sensitivity.anonymous: "Anonymous: may be quoted, without any name or organisation.",
    Sensitivity.internal: "Internal: seen only by the organisers and this breakout's facilitators; never published.",
}


class NeedState(StrEnum):
    """What became of a need (whether it feeds use cases is worked out from the links)."""

    open = "open"
    merged = "merged"
    dismissed = "dismissed"


URGENCY_WORDS = {
    1: "Low: would be nice one day",
    2: "Moderate: useful within a few years",
    3: "Significant: needed within two years",
    4: "High: needed within a year",
    5: "Critical: needed now",
}


#: The version column, named here so that the mapper can use it as its version counter.
_VERSION = Column("version", Integer, nullable=False)


class Need(SQLModel, table=True):
    """A problem or gap stated by an end-user or integrator in a breakout."""

    __table_args__ = (
        one_of("sensitivity", Sensitivity),
        one_of("state", NeedState),
        CheckConstraint("urgency BETWEEN 1 AND 5", name="urgency"),
        Index("ix_need_breakout_state", "breakout_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    breakout_id: int = Field(foreign_key="breakout.id", ondelete="CASCADE")
    title: str = Field(max_length=160)
    #: The need itself, in one or two sentences ("As a … we need … so that …").
    statement: str = Field(max_length=1000)
    context: str = Field(default="", max_length=2000)
    desired_outcome: str = Field(default="", max_length=2000)
    affected: str = Field(default="", max_length=500)
    constraints: str = Field(default="", max_length=2000)
    urgency: int = Field(default=3)
    domain_id: int | None = Field(default=None, foreign_key="domain.id", ondelete="SET NULL")
    test_bed_id: int | None = Field(default=None, foreign_key="test_bed.id", ondelete="SET NULL")
    organisation: str = Field(default="", max_length=200)
    organisation_type: str = Field(default="other", max_length=20)
    country: str = Field(default="", max_length=2)
    #: Free tags, comma-separated as typed.
    tags: str = Field(default="", max_length=300)
    sensitivity: str = Field(default=Sensitivity.public.value, max_length=10)
    state: str = Field(default=NeedState.open.value, max_length=10)
    dismissed_reason: str = Field(default="", max_length=500)
    #: An ``internal`` need follows its workshop's retention period unless an organiser keeps it.
    kept_at: datetime | None = utc_field()
    merged_into_id: int | None = Field(default=None, foreign_key="need.id", ondelete="SET NULL", index=True)
    #: Who stated it: an attendee's account, or a free name typed by the facilitator.
    stated_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL", index=True)
    stated_by_name: str = Field(default="", max_length=120)
    #: Who typed it in, when a facilitator captured it for a speaker.
    captured_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    #: Made by the browser for each submission: a form sent twice stores one need.
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True)
    #: Text representation for the similar-needs look-up, computed when the need is saved.
    similarity_vector: bytes | None = Field(default=None, sa_type=LargeBinary)
    #: Its text fields folded for the needs explorer's search (see workshops.search); kept up to date
    #: on every save.
    search_text: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    #: Rises with every save; a save based on an older version is refused (optimistic locking).
    version: int = Field(default=1, sa_column=_VERSION)
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    #: Indexed: the similar-needs index asks for the latest change at every look-up.
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow, index=True)

    __mapper_args__ = {"version_id_col": _VERSION}

    breakout: Breakout = Relationship()
    domain: Domain | None = Relationship()
    test_bed: TestBed | None = Relationship()
    stated_by: User | None = Relationship(sa_relationship_kwargs={"foreign_keys": "Need.stated_by_id"})
    captured_by: User | None = Relationship(sa_relationship_kwargs={"foreign_keys": "Need.captured_by_id"})
    votes: list["Vote"] = Relationship(back_populates="need", sa_relationship_kwargs={"cascade": "all, delete-orphan"})

    @property
    def speaker(self) -> str:
        """The name of the person who stated the need."""
        if self.stated_by is not None:
            return self.stated_by.name
        return self.stated_by_name

    @property
    def tag_list(self) -> list[str]:
        """The tags, trimmed, without empties or repeats."""
        return list(dict.fromkeys(tag.strip() for tag in self.tags.split(",") if tag.strip()))


SEARCHED_FIELDS = ("title", "statement", "context", "desired_outcome", "affected", "constraints", "tags")


def need_search_text(need: Need) -> str:
    """The folded words a need is found by; an anonymous need is not found by its organisation."""
    parts = [getattr(need, name) for name in SEARCHED_FIELDS]
    parts.append(need.stated_by_name)
    if need.sensitivity != Sensitivity.anonymous:
        parts.append(need.organisation)
    return search_text(parts)


@event.listens_for(Need, "before_insert")
@event.listens_for(Need, "before_update")
def _keep_search_text(_mapper, _connection, need: Need) -> None:
    need.search_text = need_search_text(need)


class Vote(SQLModel, table=True):
    """One attendee's vote for one need (at most one each)."""

    __table_args__ = (UniqueConstraint("need_id", "user_id", name="uq_vote_need_person"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    #: The breakout the vote counts against (a person's votes per breakout are limited).
    breakout_id: int = Field(foreign_key="breakout.id", index=True, ondelete="CASCADE")
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)

    need: Need = Relationship(back_populates="votes")
