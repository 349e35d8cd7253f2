"""The breakout form: times in the workshop's zone and inside the workshop, test bed, domain, facilitators."""

from __future__ import annotations

from datetime import datetime, timedelta

from wtforms import SelectField
from wtforms.validators import Optional, ValidationError

from workshops.events.forms import CheckboxesField
from workshops.events.manage_forms.fields import capacity_field, optional_id, strip_spaces, text_field
from workshops.events.models import Breakout, Workshop
from workshops.forms import Form, check_exists, options, time_field, unless_untouched
from workshops.timeutil import to_local, to_utc


class BreakoutForm(Form):
    """Create or edit a breakout; times are typed in the workshop's time zone."""

    title = text_field(Breakout, "title", "Title", required="Enter a title.", filters=[strip_spaces])
    test_bed_id = SelectField("Test bed", coerce=optional_id, validators=[Optional()])
    domain_id = SelectField(
        "Domain",
        coerce=optional_id,
        description="For a breakout about a whole domain. With a test bed, the test bed's domain is used.",
    )
    starts_at = time_field("Start")
    ends_at = time_field("End")
    room = text_field(
        Breakout, "room", "Room", filters=[strip_spaces], description="Where it takes place at the venue."
    )
    online_room = text_field(
        Breakout,
        "online_room",
        "Online room",
        filters=[strip_spaces],
        description="A link to the breakout's own video room, or the name of a room in the workshop's call.",
    )
    capacity = capacity_field("Capacity", "Seats. Leave empty for no limit.")
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
        check_exists(field.data, self._workshop.timezone)

    def validate_ends_at(self, field) -> None:
        """After the start, and inside the workshop."""
        check_exists(field.data, self._workshop.timezone)
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
        return unless_untouched(self._breakout, field, zone) or to_utc(field.data, zone)

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
