"""Test beds, workshops, breakouts, registrations and breakout seats."""

import secrets
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Index, Text, UniqueConstraint, Update, event, inspect, update
from sqlalchemy.orm import Session
from sqlmodel import Field, Relationship, SQLModel, col, select

from workshops.auth.models import User
from workshops.db import one_of, utc_field
from workshops.programme.models import Cluster, Domain
from workshops.timeutil import utcnow


class WorkshopFormat(StrEnum):
    """How people attend a workshop."""

    on_site = "on_site"
    online = "online"
    hybrid = "hybrid"

    @property
    def modes(self) -> list["AttendanceMode"]:
        """The attendance modes this format offers."""
        if self is WorkshopFormat.hybrid:
            return [AttendanceMode.on_site, AttendanceMode.online]
        return [AttendanceMode(self.value)]


class WorkshopState(StrEnum):
    """Where a workshop is in its life."""

    draft = "draft"
    published = "published"
    closed = "closed"
    archived = "archived"


class AttendanceMode(StrEnum):
    """How one person attends."""

    on_site = "on_site"
    online = "online"

    @property
    def label(self) -> str:
        """Human wording."""
        return "On site" if self is AttendanceMode.on_site else "Online"


class RegistrationState(StrEnum):
    """A person's place at a workshop."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class SeatState(StrEnum):
    """A registration's place in one breakout.

    ``requested`` holds the choice of a person who is still on the workshop's waiting list: the seat
    is taken (or queued for) when their registration is confirmed.
    """

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    requested = "requested"


class BoardVisibility(StrEnum):
    """Who may see a breakout's live board."""

    attendees = "attendees"
    facilitators = "facilitators"


def new_breakout_code() -> str:
    """A short code for a breakout's link and QR code (``/b/<code>``)."""
    return secrets.token_urlsafe(5).replace("-", "x").replace("_", "y")[:7]


class TestBed(SQLModel, table=True):
    """A real environment where solutions can be tried: a port, a city district, a festival site."""

    __tablename__ = "test_bed"
    __test__ = False  # a model, not a pytest class

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160, unique=True)
    domain_id: int = Field(foreign_key="domain.id", index=True)
    location: str = Field(default="", max_length=200)
    description: str = Field(default="", sa_type=Text, max_length=20_000)

    domain: Domain = Relationship()


class Workshop(SQLModel, table=True):
    """One event of the series."""

    __table_args__ = (one_of("format", WorkshopFormat), one_of("state", WorkshopState))

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=200)
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", ondelete="SET NULL")
    #: IANA time zone in which the workshop's times are shown, e.g. ``Europe/Paris``.
    timezone: str = Field(default="Europe/Brussels", max_length=64)
    starts_at: datetime = utc_field(nullable=False, index=True)
    ends_at: datetime = utc_field(nullable=False)
    format: str = Field(default=WorkshopFormat.on_site.value, max_length=10)
    venue: str = Field(default="", max_length=300)
    online_link: str = Field(default="", max_length=500)
    #: Seats at the venue and in the online room; ``None`` means no limit.
    onsite_capacity: int | None = Field(default=None, ge=0)
    online_capacity: int | None = Field(default=None, ge=0)
    registration_opens_at: datetime | None = utc_field()
    registration_closes_at: datetime | None = utc_field()
    description: str = Field(default="", sa_type=Text, max_length=20_000)
    state: str = Field(default=WorkshopState.draft.value, max_length=10, index=True)
    #: Raised whenever time or place changes, so that calendar programs update their event.
    calendar_sequence: int = Field(default=0)
    #: Raised by every change its public page shows (details, breakouts, registrations and seats):
    #: the page's ETag and the key of its cached anonymous view (``workshops.caching``).
    content_version: int = Field(default=0)
    #: Months after the workshop ends before its registration details are purged (``None``: the
    #: configured default, RETENTION_MONTHS).
    retention_months: int | None = Field(default=None, ge=1, le=120)
    #: When ``purge-expired`` deleted its registration details (its attendance stays as counts).
    purged_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)

    cluster: Cluster | None = Relationship()
    breakouts: list["Breakout"] = Relationship(
        back_populates="workshop",
        sa_relationship_kwargs={"order_by": "Breakout.starts_at, Breakout.id", "cascade": "all, delete-orphan"},
    )

    @property
    def zone(self) -> ZoneInfo:
        """The workshop's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def modes(self) -> list[AttendanceMode]:
        """The attendance modes the format offers."""
        return WorkshopFormat(self.format).modes

    def capacity(self, mode: AttendanceMode | str) -> int | None:
        """Seats for one attendance mode (``None``: no limit)."""
        return self.onsite_capacity if mode == AttendanceMode.on_site else self.online_capacity


def content_changed(workshop_ids) -> Update:
    """The statement raising the ``content_version`` of these workshops (ids, or a query of them).

    For a change their pages show that is made outside the workshop's lock: a listing consent, an
    erased person, a renamed test bed. The database adds one, so that two changes at once never
    leave the version where one of them found it.
    """
    return (
        update(Workshop)
        .where(col(Workshop.id).in_(workshop_ids))
        .values(content_version=Workshop.content_version + 1)
        .execution_options(synchronize_session=False)
    )


class BreakoutFacilitator(SQLModel, table=True):
    """A facilitator of a breakout."""

    __tablename__ = "breakout_facilitator"

    breakout_id: int = Field(foreign_key="breakout.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")


class Breakout(SQLModel, table=True):
    """A session inside a workshop for one test bed (or domain)."""

    __table_args__ = (one_of("board_visibility", BoardVisibility),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    test_bed_id: int | None = Field(default=None, foreign_key="test_bed.id", ondelete="SET NULL")
    domain_id: int | None = Field(default=None, foreign_key="domain.id", ondelete="SET NULL")
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)
    room: str = Field(default="", max_length=120)
    online_room: str = Field(default="", max_length=500)
    #: Seats; ``None`` means no limit.
    capacity: int | None = Field(default=None, ge=0)
    #: The short code of the breakout's link, ``/b/<code>``.
    code: str = Field(default_factory=new_breakout_code, max_length=12, unique=True)
    #: Who sees the live board: ``attendees`` (and facilitators) or ``facilitators`` only.
    board_visibility: str = Field(default="attendees", max_length=12)
    #: Votes each attendee may give in this breakout.
    votes_per_person: int = Field(default=3, ge=0)
    #: Set when the facilitator locks the breakout: no new needs, edits or votes.
    locked_at: datetime | None = utc_field()
    #: Raised by every change of the board (a need, an edit, a merge, a vote): the board's ETag.
    board_version: int = Field(default=0)

    workshop: Workshop = Relationship(back_populates="breakouts")
    test_bed: TestBed | None = Relationship()
    domain: Domain | None = Relationship()
    facilitators: list[User] = Relationship(link_model=BreakoutFacilitator)

    def clashes_with(self, other: "Breakout") -> bool:
        """Two breakouts clash when their times overlap."""
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class Registration(SQLModel, table=True):
    """A person's place at a workshop."""

    __table_args__ = (
        UniqueConstraint("workshop_id", "user_id", name="uq_registration_workshop_person"),
        one_of("mode", AttendanceMode),
        one_of("state", RegistrationState),
        Index("ix_registration_queue", "workshop_id", "mode", "state", "waitlist_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="account.id", index=True)
    mode: str = Field(max_length=10)
    state: str = Field(max_length=12)
    #: Place on the waiting list of the workshop's attendance mode, from 1, without gaps.
    waitlist_position: int | None = Field(default=None)
    dietary: str = Field(default="", max_length=300)
    accessibility: str = Field(default="", max_length=300)
    #: Consents, with the version of the privacy notice the person saw.
    consent_processing_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    consent_listing_at: datetime | None = utc_field()
    privacy_notice_version: int = Field(default=1)
    checked_in_at: datetime | None = utc_field()
    reminder_sent_at: datetime | None = utc_field()
    #: Raised by every change of this registration its calendar events show (breakouts, attendance
    #: mode, a promotion, cancelling, registering again); a calendar file's SEQUENCE adds the
    #: workshop's own ``calendar_sequence``, so that it rises with either.
    calendar_sequence: int = Field(default=0)
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    updated_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    cancelled_at: datetime | None = utc_field()

    workshop: Workshop = Relationship()
    user: User = Relationship()
    seats: list["BreakoutSeat"] = Relationship(
        back_populates="registration", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    @property
    def is_active(self) -> bool:
        """Confirmed or waiting, not cancelled."""
        return self.state != RegistrationState.cancelled


class BreakoutSeat(SQLModel, table=True):
    """A registration's seat, or waiting-list place, in one breakout."""

    __tablename__ = "breakout_seat"
    __table_args__ = (
        UniqueConstraint("registration_id", "breakout_id", name="uq_breakout_seat_registration_breakout"),
        one_of("state", SeatState),
        Index("ix_breakout_seat_queue", "breakout_id", "state", "waitlist_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", ondelete="CASCADE")
    breakout_id: int = Field(foreign_key="breakout.id", ondelete="CASCADE")
    state: str = Field(max_length=12)
    #: Place on the breakout's waiting list, from 1, without gaps.
    waitlist_position: int | None = Field(default=None)
    created_at: datetime = utc_field(nullable=False, default_factory=utcnow)

    registration: Registration = Relationship(back_populates="seats")
    breakout: Breakout = Relationship()


class WorkshopMessage(SQLModel, table=True):
    """An e-mail organisers wrote to the registrants of a workshop or a breakout, kept for reference."""

    __tablename__ = "workshop_message"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    breakout_id: int | None = Field(default=None, foreign_key="breakout.id", ondelete="SET NULL")
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=Text, max_length=10_000)
    sent_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    sent_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    recipient_count: int = Field(default=0)


class WorkshopAttendance(SQLModel, table=True):
    """How many confirmed participants a workshop had, by type of organisation and country.

    Written when the workshop's registration details are purged, so that the consultation report
    can still say who took part.
    """

    __tablename__ = "workshop_attendance"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True, ondelete="CASCADE")
    organisation_type: str = Field(primary_key=True, max_length=20)
    country: str = Field(primary_key=True, max_length=2)
    participants: int


@event.listens_for(Session, "before_flush")
def _organisation_renamed(session, _flush_context, _instances) -> None:
    """A person's organisation changed: the pages of the workshops they registered for list it (``content_version``).

    The profile lives in ``workshops.auth``, which knows nothing of workshops; the change is caught
    here, in the same transaction as the profile's.
    """
    renamed = [
        person.id
        for person in session.dirty
        if isinstance(person, User) and inspect(person).attrs.organisation.history.has_changes()
    ]
    if renamed:
        registered = select(Registration.workshop_id).where(col(Registration.user_id).in_(renamed))
        session.connection().execute(content_changed(registered))
