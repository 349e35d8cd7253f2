"""The workshop form: times typed in the workshop's zone, stored in UTC; capacities, link, retention."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlmodel import Session
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from workshops.events.manage_forms.fields import (
    capacity_field,
    description_field,
    optional_id,
    strip_spaces,
    text_field,
    url_problem,
)
from workshops.events.models import Workshop, WorkshopFormat, WorkshopState
from workshops.forms import (
    DEFAULT_TIMEZONE,
    Form,
    LongSelect,
    TimezoneField,
    ZonedTimes,
    check_exists,
    check_slug,
    options,
    time_field,
)
from workshops.timeutil import timezone_choices, to_local

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


class WorkshopForm(ZonedTimes, Form):
    """Create or edit a workshop; times are typed in its time zone."""

    title = text_field(Workshop, "title", "Title", required="Enter a title.", filters=[strip_spaces])
    slug = text_field(
        Workshop,
        "slug",
        "Short name in the address",
        required="Enter a short name for the address.",
        filters=[strip_spaces],
        description="Lowercase letters, digits and hyphens, e.g. brussels-2021-11: the end of its address.",
    )
    cluster_id = SelectField("Host cluster", coerce=optional_id, validators=[Optional()])
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
    timezone = TimezoneField(
        "Time zone",
        choices=options((zone, zone) for zone in timezone_choices()),
        validators=[InputRequired("Choose a time zone.")],
        default=DEFAULT_TIMEZONE,
        description="The times below, and on every page, are in this zone.",
        widget=LongSelect(),
    )
    starts_at = time_field("Start")
    ends_at = time_field("End")
    move_breakouts = BooleanField("Move the breakouts by as much as the start moves", default=True)
    venue = text_field(
        Workshop, "venue", "Venue address", filters=[strip_spaces], description="Needed when people attend on site."
    )
    online_link = text_field(
        Workshop,
        "online_link",
        "Online link",
        filters=[strip_spaces],
        description="Needed when people attend online: the video-call address they receive.",
    )
    onsite_capacity = capacity_field("On-site capacity", "Seats at the venue. Leave empty for no limit.")
    online_capacity = capacity_field("Online capacity", "Places in the online room. Leave empty for no limit.")
    registration_opens_at = time_field("Registration opens", required=False, description="Empty: as soon as published.")
    registration_closes_at = time_field("Registration closes", required=False, description="Empty: until it starts.")
    description = description_field(Workshop, "What the workshop is for, the agenda, practical details. Markdown.")
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
        self._workshop = self._stored = workshop
        self.cluster_id.choices = options([("", "None"), *clusters])
        self.retention_months.description = (
            "Then attendance modes, requirements, check-in times and listing consents are deleted; "
            f"only counts stay. Empty: {current_app.config['RETENTION_MONTHS']} months, the default."
        )
        if workshop is None or not workshop.breakouts:
            del self.move_breakouts

    def validate_slug(self, field) -> None:
        """Lowercase letters, digits and hyphens, and no other workshop's."""
        check_slug(self._session, Workshop, field.data, self._workshop, kind="workshop", example="brussels-2021-11")

    def validate_starts_at(self, field) -> None:
        """The time must exist in the zone."""
        check_exists(field.data, self.zone)

    def validate_ends_at(self, field) -> None:
        """After the start, and still around every breakout."""
        check_exists(field.data, self.zone)
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
            problem = url_problem(field.data)
            if problem:
                raise ValidationError(problem)
        elif self.format.data in (WorkshopFormat.online, WorkshopFormat.hybrid):
            raise ValidationError("Enter the online link: people attending online need it.")

    def validate_registration_opens_at(self, field) -> None:
        """The time must exist in the zone."""
        check_exists(field.data, self.zone)

    def validate_registration_closes_at(self, field) -> None:
        """After registration opens."""
        check_exists(field.data, self.zone)
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
