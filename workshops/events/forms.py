"""Forms of the participants' registration screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from workshops.db import max_length
from workshops.events.models import AttendanceMode, Breakout, Registration, Workshop
from workshops.forms import options, strip
from workshops.timeutil import local


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes: several choices, each a tappable box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def breakout_label(breakout: Breakout, workshop: Workshop, seats_left: int | None, held: str | None = None) -> str:
    """``09:30–11:00 · Port of Antwerp · Room A · 3 seats left``."""
    parts = [
        f"{local(breakout.starts_at, workshop.zone, '%H:%M')}–{local(breakout.ends_at, workshop.zone, '%H:%M')}",
        breakout.title,
    ]
    if breakout.test_bed:
        parts.append(breakout.test_bed.name)
    if breakout.room:
        parts.append(breakout.room)
    if held:
        parts.append(held)
    elif seats_left is not None:
        parts.append(
            "full: waiting list" if seats_left <= 0 else f"{seats_left} seat{'s' if seats_left != 1 else ''} left"
        )
    return " · ".join(parts)


class BreakoutChoice(FlaskForm):
    """Breakouts whose times do not overlap."""

    breakouts = CheckboxesField(
        "Breakouts",
        coerce=int,
        description="Choose the breakouts you want to join. Two breakouts at the same time cannot both be chosen.",
    )

    def __init__(
        self, *args, workshop: Workshop, seats_left: dict[int, int | None], held: dict[int, str] | None = None, **kwargs
    ):
        """Offer the workshop's breakouts, with the seats left in each, or the person's own standing."""
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        held = held or {}
        self.breakouts.choices = options(
            (b.id, breakout_label(b, workshop, seats_left.get(b.id), held.get(b.id))) for b in workshop.breakouts
        )

    def validate_breakouts(self, field) -> None:
        """No two chosen breakouts may overlap in time."""
        chosen = [b for b in self.workshop.breakouts if b.id in set(field.data or [])]
        for i, first in enumerate(chosen):
            for second in chosen[i + 1 :]:
                if first.clashes_with(second):
                    raise ValidationError(f"“{first.title}” and “{second.title}” take place at the same time.")


class RegisterForm(BreakoutChoice):
    """Register for a workshop: attendance mode, breakouts, requirements and consents."""

    mode = RadioField("How will you attend?", validators=[DataRequired("Choose how you will attend.")])
    dietary = StringField(
        "Dietary requirements",
        validators=[Length(max=max_length(Registration, "dietary"))],
        filters=[strip],
        description="For lunch and breaks on site. Only the organisers see this.",
    )
    accessibility = StringField(
        "Accessibility requirements",
        validators=[Length(max=max_length(Registration, "accessibility"))],
        filters=[strip],
        description="Anything that helps you take part. Only the organisers see this.",
    )
    consent_processing = BooleanField(
        "I agree that the organisers process my personal data as the privacy notice describes.",
        validators=[DataRequired("Registration needs this consent.")],
    )
    consent_listing = BooleanField(
        "My organisation may appear in the public list of participating organisations (optional).",
    )

    consent_updates = BooleanField(
        "E-mail me when my needs feed a use case or an open call (optional).",
    )

    field_order = (
        "mode",
        "breakouts",
        "dietary",
        "accessibility",
        "consent_processing",
        "consent_listing",
        "consent_updates",
    )

    def __init__(self, *args, workshop: Workshop, seats_left: dict[int, int | None], **kwargs):
        """Offer only the attendance modes the workshop's format allows."""
        super().__init__(*args, workshop=workshop, seats_left=seats_left, **kwargs)
        self.mode.choices = options((m.value, m.label) for m in workshop.modes)
        if len(workshop.modes) == 1 and not self.mode.data:
            self.mode.data = workshop.modes[0].value


class ModeForm(FlaskForm):
    """Switch between on-site and online attendance."""

    mode = RadioField("How will you attend?", validators=[DataRequired("Choose how you will attend.")])

    def __init__(self, *args, workshop: Workshop, **kwargs):
        """Offer the workshop's modes."""
        super().__init__(*args, **kwargs)
        self.mode.choices = options((m.value, m.label) for m in workshop.modes)


def mode_label(mode: str) -> str:
    """Human wording of an attendance mode."""
    return AttendanceMode(mode).label
