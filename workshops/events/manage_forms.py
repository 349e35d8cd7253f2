"""Forms of the organisers' set-up screens: test beds, workshops, breakouts and messages to registrants.

Times are typed in the workshop's time zone (``<input type="datetime-local">`` sends a naive local
time); the forms turn them into UTC for storage and back into local time to show them again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_wtf import FlaskForm
from sqlmodel import Session, select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from workshops.db import max_length
from workshops.events.forms import CheckboxesField
from workshops.events.models import Breakout, TestBed, Workshop, WorkshopFormat, WorkshopMessage, WorkshopState
from workshops.forms import LongSelect, options

DEFAULT_TIMEZONE = "Europe/Brussels"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
#: Browsers send ``2021-11-16T09:30``; some add seconds.
DATETIME_FORMATS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"]
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: A capacity beyond this is a typing mistake (and would overflow PostgreSQL's integer).
MAX_CAPACITY = 100_000
#: The retention periods an organiser may set (the model's limits).
MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS = 1, 120

FORMAT_LABELS = {
    WorkshopFormat.on_site: "On site",
    WorkshopFormat.online: "Online",
    WorkshopFormat.hybrid: "Hybrid (on site and online)",
}
STATE_LABELS = {
    WorkshopState.draft: "Draft (only organisers see it)",
    WorkshopState.published: "Published (open for registration in its window)",
    WorkshopState.closed: "Closed (registration closed)",
    WorkshopState.archived: "Archived",
}


@cache
def timezone_choices() -> tuple[str, ...]:
    """Every IANA time zone, sorted."""
    return tuple(sorted(available_timezones()))


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as the naive local time a ``datetime-local`` input shows."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A naive local time typed in ``zone``, in UTC."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _check_exists(local: datetime | None, zone: str | None) -> None:
    """Refuse a local time the clocks skip when they go forward (e.g. 02:30 on a spring night)."""
    if local is None or zone not in timezone_choices():
        return
    if to_local(to_utc(local, zone), zone) != local:
        raise ValidationError(f"This time does not exist in {zone}: the clocks go forward then.")


def _unless_untouched(stored_row, field, zone: str) -> datetime | None:
    """The stored time of a row when the form shows it unchanged (the form has no seconds), else ``None``."""
    stored = getattr(stored_row, field.name, None) if stored_row is not None else None
    if stored is not None and field.data is not None and to_local(stored, zone) == field.data:
        return stored
    return None


def _url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return "Enter a full web address starting with https:// (or http://)."
    return None


def _capacity_field(label: str, description: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_CAPACITY, message=f"Enter a number from 0 to {MAX_CAPACITY}, or leave empty."),
        ],
        description=description,
        render_kw={"min": 0, "max": MAX_CAPACITY, "inputmode": "numeric"},
    )


def _time_field(label: str, *, required: bool = True, description: str | None = None) -> DateTimeLocalField:
    validators = [InputRequired(f"Enter the {label.lower()}.")] if required else [Optional()]
    return DateTimeLocalField(
        label,
        validators=validators,
        format=DATETIME_FORMATS,
        description=description,
        invalid_value_message="Enter a date and a time, e.g. 16/11/2021 09:30.",
    )


def _text(model, name: str, label: str, *, required: str | None = None, **kwargs) -> StringField:
    validators = [DataRequired(required)] if required else []
    validators.append(Length(max=max_length(model, name)))
    return StringField(label, validators=validators, render_kw={"maxlength": max_length(model, name)}, **kwargs)


def _description(model, description: str) -> TextAreaField:
    limit = max_length(model, "description")
    return TextAreaField(
        "Description",
        validators=[Length(max=limit)],
        description=description,
        render_kw={"rows": 8, "maxlength": limit},
    )


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "") else None


#: The message audience that means every registrant of the workshop.
EVERYONE = "all"


def _audience(value) -> int | None:
    """``all`` (everyone) is ``None``; otherwise a breakout's id."""
    return None if value in (None, "", EVERYONE) else int(value)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TestBedForm(FlaskForm):
    """Create or edit a test bed."""

    __test__ = False  # a form, not a pytest class

    name = _text(TestBed, "name", "Name", required="Enter the test bed's name.", filters=[_strip])
    domain_id = SelectField("Domain", coerce=_optional_id, validators=[DataRequired("Choose a domain.")])
    location = _text(TestBed, "location", "Location", filters=[_strip], description="e.g. Port of Antwerp, Belgium")
    description = _description(TestBed, "What can be tried there, who runs it. Markdown.")

    def __init__(self, *args, session: Session, domains: list[tuple[int, str]], test_bed: TestBed | None = None, **kw):
        """``test_bed`` is the one being edited (it may keep its own name)."""
        super().__init__(*args, **kw)
        self._session = session
        self._test_bed = test_bed
        self.domain_id.choices = options([("", "Choose…"), *domains])

    def validate_name(self, field) -> None:
        """Names are unique."""
        other = self._session.exec(select(TestBed.id).where(TestBed.name == field.data)).first()
        if other is not None and (self._test_bed is None or other != self._test_bed.id):
            raise ValidationError("Another test bed has this name.")

    def values(self) -> dict:
        """What to store."""
        return {
            "name": self.name.data,
            "domain_id": self.domain_id.data,
            "location": self.location.data or "",
            "description": self.description.data or "",
        }


class WorkshopForm(FlaskForm):
    """Create or edit a workshop; times are typed in its time zone."""

    title = _text(Workshop, "title", "Title", required="Enter a title.", filters=[_strip])
    slug = _text(
        Workshop,
        "slug",
        "Short name in the address",
        required="Enter a short name for the address.",
        filters=[_strip],
        description="Lowercase letters, digits and hyphens, e.g. brussels-2021-11: the end of its address.",
    )
    cluster_id = SelectField("Host cluster", coerce=_optional_id, validators=[Optional()])
    state = SelectField(
        "State",
        choices=options((s.value, label) for s, label in STATE_LABELS.items()),
        validators=[InputRequired("Choose a state.")],
    )
    format = SelectField(
        "Format",
        choices=options((f.value, label) for f, label in FORMAT_LABELS.items()),
        validators=[InputRequired("Choose a format.")],
        description="On site needs a venue, online an online link, hybrid both.",
    )
    timezone = SelectField(
        "Time zone",
        choices=options((zone, zone) for zone in timezone_choices()),
        validators=[InputRequired("Choose a time zone.")],
        default=DEFAULT_TIMEZONE,
        description="The times below, and on every page, are in this zone.",
        widget=LongSelect(),
    )
    starts_at = _time_field("Start")
    ends_at = _time_field("End")
    move_breakouts = BooleanField("Move the breakouts by as much as the start moves", default=True)
    venue = _text(
        Workshop, "venue", "Venue address", filters=[_strip], description="Needed when people attend on site."
    )
    online_link = _text(
        Workshop,
        "online_link",
        "Online link",
        filters=[_strip],
        description="Needed when people attend online: the video-call address they receive.",
    )
    onsite_capacity = _capacity_field("On-site capacity", "Seats at the venue. Leave empty for no limit.")
    online_capacity = _capacity_field("Online capacity", "Places in the online room. Leave empty for no limit.")
    registration_opens_at = _time_field(
        "Registration opens", required=False, description="Empty: as soon as published."
    )
    registration_closes_at = _time_field("Registration closes", required=False, description="Empty: until it starts.")
    description = _description(Workshop, "What the workshop is for, the agenda, practical details. Markdown.")
    retention_months = IntegerField(
        "Keep registration details for (months after it ends)",
        validators=[
            Optional(),
            NumberRange(
                min=MIN_RETENTION_MONTHS,
                max=MAX_RETENTION_MONTHS,
                message=f"Enter a number of months from {MIN_RETENTION_MONTHS} to {MAX_RETENTION_MONTHS}, "
                "or leave empty.",
            ),
        ],
        render_kw={"min": MIN_RETENTION_MONTHS, "max": MAX_RETENTION_MONTHS, "inputmode": "numeric"},
    )

    def __init__(
        self,
        *args,
        session: Session,
        clusters: list[tuple[int, str]],
        workshop: Workshop | None = None,
        **kwargs,
    ):
        """``workshop`` is the one being edited: it may keep its slug, and its breakouts must still fit."""
        super().__init__(*args, **kwargs)
        self._session = session
        self._workshop = workshop
        self.cluster_id.choices = options([("", "None"), *clusters])
        self.retention_months.description = (
            "Then attendance modes, requirements, check-in times and listing consents are deleted; "
            f"only counts stay. Empty: {current_app.config['RETENTION_MONTHS']} months, the default."
        )
        if workshop is None or not workshop.breakouts:
            del self.move_breakouts

    @property
    def zone(self) -> str | None:
        """The chosen time zone, if it is a real one."""
        return self.timezone.data if self.timezone.data in timezone_choices() else None

    def utc(self, field) -> datetime | None:
        """A time field's value in UTC (``None`` when empty or the zone is unknown).

        An untouched time keeps its stored value, seconds included, so that saving changes nothing.
        """
        if not self.zone:
            return None
        return _unless_untouched(self._workshop, field, self.zone) or to_utc(field.data, self.zone)

    def validate_slug(self, field) -> None:
        """Lowercase letters, digits and hyphens, and no other workshop's."""
        if not SLUG_PATTERN.match(field.data):
            raise ValidationError("Use lowercase letters, digits and single hyphens only, e.g. brussels-2021-11.")
        other = self._session.exec(select(Workshop.id).where(Workshop.slug == field.data)).first()
        if other is not None and (self._workshop is None or other != self._workshop.id):
            raise ValidationError("Another workshop has this short name; choose another.")

    def validate_starts_at(self, field) -> None:
        """The time must exist in the zone."""
        _check_exists(field.data, self.zone)

    def validate_ends_at(self, field) -> None:
        """After the start, and still around every breakout."""
        _check_exists(field.data, self.zone)
        start, end = self.utc(self.starts_at), self.utc(field)
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("The end must be after the start.")
        outside = [b for b in self._breakouts_after_the_move(start) if b[0] < start or b[1] > end]
        if outside:
            raise ValidationError(
                f"The breakout “{outside[0][2]}” would fall outside the workshop: "
                "move or delete it first, or move the breakouts with the workshop."
            )

    def _breakouts_after_the_move(self, start: datetime) -> list[tuple[datetime, datetime, str]]:
        if self._workshop is None:
            return []
        shift = start - self._workshop.starts_at if self.move_breakouts_wanted else None
        return [
            (b.starts_at + shift, b.ends_at + shift, b.title) if shift else (b.starts_at, b.ends_at, b.title)
            for b in self._workshop.breakouts
        ]

    @property
    def move_breakouts_wanted(self) -> bool:
        """Whether the organiser asked to move the breakouts along with the start."""
        return bool(getattr(self, "move_breakouts", None) and self.move_breakouts.data)

    def validate_venue(self, field) -> None:
        """An on-site or hybrid workshop needs a venue."""
        if self.format.data in (WorkshopFormat.on_site, WorkshopFormat.hybrid) and not field.data:
            raise ValidationError("Enter the venue's address: people attending on site need it.")

    def validate_online_link(self, field) -> None:
        """An online or hybrid workshop needs a link; any link must be a web address."""
        if field.data:
            problem = _url_problem(field.data)
            if problem:
                raise ValidationError(problem)
        elif self.format.data in (WorkshopFormat.online, WorkshopFormat.hybrid):
            raise ValidationError("Enter the online link: people attending online need it.")

    def validate_registration_opens_at(self, field) -> None:
        """The time must exist in the zone."""
        _check_exists(field.data, self.zone)

    def validate_registration_closes_at(self, field) -> None:
        """After registration opens."""
        _check_exists(field.data, self.zone)
        opens, closes = self.utc(self.registration_opens_at), self.utc(field)
        if opens is not None and closes is not None and closes <= opens:
            raise ValidationError("Registration must close after it opens.")

    def values(self) -> dict:
        """What to store, with times in UTC."""
        return {
            "title": self.title.data,
            "slug": self.slug.data,
            "cluster_id": self.cluster_id.data,
            "state": self.state.data,
            "format": self.format.data,
            "timezone": self.timezone.data,
            "starts_at": self.utc(self.starts_at),
            "ends_at": self.utc(self.ends_at),
            "venue": self.venue.data or "",
            "online_link": self.online_link.data or "",
            "onsite_capacity": self.onsite_capacity.data,
            "online_capacity": self.online_capacity.data,
            "registration_opens_at": self.utc(self.registration_opens_at),
            "registration_closes_at": self.utc(self.registration_closes_at),
            "description": self.description.data or "",
            "retention_months": self.retention_months.data,
        }


def workshop_form_data(workshop: Workshop) -> dict:
    """A stored workshop as the form shows it: times in its own zone."""
    names = [
        "title",
        "slug",
        "cluster_id",
        "state",
        "format",
        "timezone",
        "venue",
        "online_link",
        "onsite_capacity",
        "online_capacity",
        "description",
        "retention_months",
    ]
    data = {name: getattr(workshop, name) for name in names}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        data[name] = to_local(getattr(workshop, name), workshop.timezone)
    return data


class BreakoutForm(FlaskForm):
    """Create or edit a breakout; times are typed in the workshop's time zone."""

    title = _text(Breakout, "title", "Title", required="Enter a title.", filters=[_strip])
    test_bed_id = SelectField("Test bed", coerce=_optional_id, validators=[Optional()])
    domain_id = SelectField(
        "Domain",
        coerce=_optional_id,
        description="For a breakout about a whole domain. With a test bed, the test bed's domain is used.",
    )
    starts_at = _time_field("Start")
    ends_at = _time_field("End")
    room = _text(Breakout, "room", "Room", filters=[_strip], description="Where it takes place at the venue.")
    online_room = _text(
        Breakout,
        "online_room",
        "Online room",
        filters=[_strip],
        description="A link to the breakout's own video room, or the name of a room in the workshop's call.",
    )
    capacity = _capacity_field("Capacity", "Seats. Leave empty for no limit.")
    facilitator_ids = CheckboxesField(
        "Facilitators",
        coerce=int,
        validate_choice=False,
        description="People with the facilitator or organiser role.",
    )

    def __init__(
        self,
        *args,
        workshop: Workshop,
        test_beds: list[tuple[int, str]],
        domains: list[tuple[int, str]],
        facilitators: list[tuple[int, str]],
        breakout: Breakout | None = None,
        **kwargs,
    ):
        """The workshop gives the zone and the bounds; the lists come from the database."""
        super().__init__(*args, **kwargs)
        self._workshop = workshop
        self._breakout = breakout
        self.test_bed_id.choices = options([("", "None"), *test_beds])
        self.domain_id.choices = options([("", "None"), *domains])
        self.facilitator_ids.choices = options(facilitators)

    def validate_domain_id(self, field) -> None:
        """A breakout is about a test bed or a domain."""
        if field.data is None and self.test_bed_id.data is None:
            raise ValidationError("Choose a test bed or a domain.")

    def validate_starts_at(self, field) -> None:
        """The time must exist in the zone."""
        _check_exists(field.data, self._workshop.timezone)

    def validate_ends_at(self, field) -> None:
        """After the start, and inside the workshop."""
        _check_exists(field.data, self._workshop.timezone)
        start, end = self.utc(self.starts_at), self.utc(field)
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("The end must be after the start.")
        zone = self._workshop.timezone
        if to_local(start, zone) < to_local(self._workshop.starts_at, zone) or end > self._workshop.ends_at:
            raise ValidationError("The breakout must take place within the workshop's times (shown above).")

    def validate_facilitator_ids(self, field) -> None:
        """Only people with the facilitator or organiser role."""
        allowed = {int(choice.value) for choice in field.choices}
        if any(user_id not in allowed for user_id in field.data or []):
            raise ValidationError("Only people with the facilitator or organiser role can facilitate a breakout.")

    def utc(self, field) -> datetime | None:
        """A time field's value in UTC; an untouched time keeps its stored value."""
        zone = self._workshop.timezone
        return _unless_untouched(self._breakout, field, zone) or to_utc(field.data, zone)

    def values(self) -> dict:
        """What to store, with times in UTC (facilitators apart)."""
        return {
            "title": self.title.data,
            "test_bed_id": self.test_bed_id.data,
            "domain_id": self.domain_id.data,
            "starts_at": self.utc(self.starts_at),
            "ends_at": self.utc(self.ends_at),
            "room": self.room.data or "",
            "online_room": self.online_room.data or "",
            "capacity": self.capacity.data,
        }


def breakout_form_data(breakout: Breakout) -> dict:
    """A stored breakout as the form shows it: times in the workshop's zone."""
    zone = breakout.workshop.timezone
    names = ["title", "test_bed_id", "domain_id", "room", "online_room", "capacity"]
    data = {name: getattr(breakout, name) for name in names}
    data["starts_at"] = to_local(breakout.starts_at, zone)
    data["ends_at"] = to_local(breakout.ends_at, zone)
    data["facilitator_ids"] = [user.id for user in breakout.facilitators]
    return data


def new_breakout_data(workshop: Workshop) -> dict:
    """A new breakout starts with the workshop and lasts an hour (or until the workshop ends)."""
    end = min(workshop.starts_at + timedelta(hours=1), workshop.ends_at)
    return {"starts_at": to_local(workshop.starts_at, workshop.timezone), "ends_at": to_local(end, workshop.timezone)}


class CancelWorkshopForm(FlaskForm):
    """Cancel a workshop: the organiser confirms, because every registrant is told."""

    confirm = BooleanField(
        "Yes, cancel this workshop and all its registrations",
        validators=[DataRequired("Tick the box to confirm the cancellation.")],
    )


class MessageForm(FlaskForm):
    """Write to the registrants of a workshop or of one of its breakouts."""

    audience = SelectField("To", coerce=_audience, validators=[InputRequired("Choose who receives the message.")])
    subject = _text(WorkshopMessage, "subject", "Subject", required="Enter a subject.", filters=[_strip])
    body = TextAreaField(
        "Message",
        validators=[DataRequired("Write the message."), Length(max=max_length(WorkshopMessage, "body"))],
        description="Plain text. Each registrant receives it by e-mail with a greeting and a link to the workshop.",
        render_kw={"rows": 10, "maxlength": max_length(WorkshopMessage, "body")},
        filters=[_strip],
    )

    def __init__(self, *args, breakouts: list[tuple[int, str]], **kwargs):
        """The choices: everyone, or the people in one breakout."""
        super().__init__(*args, **kwargs)
        self.audience.choices = options([(EVERYONE, "All registrants of the workshop"), *breakouts])
