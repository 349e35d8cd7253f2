"""The programme's fixed structure: the clusters that host workshops, the domains of the call, its settings."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from workshops.db import utc_field
from workshops.timeutil import utcnow


class ClusterBase(SQLModel):
    """Fields and limits of a cluster."""

    name: str = Field(max_length=120, unique=True)
    #: Short name used in lists and exports, e.g. "LSEC".
    short_name: str = Field(max_length=40)
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2 code")
    city: str = Field(default="", max_length=120)
    website: str = Field(default="", max_length=300)


class Cluster(ClusterBase, table=True):
    """A partner network that hosts workshops and that participants may belong to."""

    id: int | None = Field(default=None, primary_key=True)


class DomainBase(SQLModel):
    """Fields and limits of a domain."""

    name: str = Field(max_length=120, unique=True)
    slug: str = Field(max_length=60, unique=True)
    #: Default order of the domains in calls and lists.
    position: int = Field(default=0)
    description: str = Field(default="", max_length=2000)


class Domain(DomainBase, table=True):
    """A broad area of the programme; test beds, needs and use cases belong to one."""

    id: int | None = Field(default=None, primary_key=True)


class ProgrammeSettings(SQLModel, table=True):
    """The organisers' choices for the whole programme: one row (id 1), absent until first saved."""

    __tablename__ = "programme_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    #: IANA zone new workshops and calls start with; empty: the configured ``TIMEZONE``.
    timezone: str = Field(default="", max_length=64)
    #: Whether an organiser may accept a use case they created; off: a second person must accept it.
    organisers_accept_own: bool = Field(default=False)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)
