"""Forms of the participants' registration screens."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from workshops.db import max_length
from workshops.events.models import AttendanceMode, Breakout, Registration, Workshop
from workshops.events.registration.rules import ON_SITE_ONLY
from workshops.forms import Form, at_most, options, strip
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


class BreakoutChoice(Form):
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


def _only_on_site(form, field) -> None:
    """Skip checking an on-site-only answer when the person attends online: it is not kept."""
    if form.mode.data != AttendanceMode.on_site:
        raise StopValidation()


def dietary_field(*, follows_mode: bool = True) -> StringField:
    """Dietary requirements: asked only of people attending on site (see ``rules.ON_SITE_ONLY``).

    ``follows_mode`` for a form where the person also chooses how to attend: the answer is then
    checked only when they choose on site.
    """
    return StringField(
        "Dietary requirements",
        validators=[_only_on_site] * follows_mode + [at_most(max_length(Registration, "dietary"))],
        filters=[strip],
        description=("Only if you attend on site: for " if follows_mode else "For ")
        + "lunch and breaks. Only the organisers see this.",
    )


def accessibility_field() -> StringField:
    """Accessibility requirements, asked whichever way people attend.

    Step-free access or a hearing loop on site; captions, a sign-language interpreter or slides
    sent beforehand online.
    """
    return StringField(
        "Accessibility requirements",
        validators=[at_most(max_length(Registration, "accessibility"))],
        filters=[strip],
        description="Anything that helps you take part, on site or online (step-free access, captions, "
        "a sign-language interpreter…). Only the organisers see this.",
    )


class OnSiteOnly:
    """For a form with a ``mode`` choice whose on-site-only fields (``rules.ON_SITE_ONLY``) follow it.

    The template shows those fields with ``data-shown-when="mode=on_site"``: the page's script hides
    them while online is chosen; without the script they stay visible, and are neither checked nor
    kept for online attendance. A workshop that cannot be attended on site does not ask them at all.
    """

    def _drop_on_site_only(self, workshop: Workshop, *, asked: bool = True) -> None:
        if not asked or AttendanceMode.on_site not in workshop.modes:
            for name in ON_SITE_ONLY:
                delattr(self, name)

    def on_site_answers(self) -> dict[str, str]:
        """What the on-site-only fields hold; the service keeps them only for on-site attendance."""
        return {name: self[name].data or "" for name in ON_SITE_ONLY if name in self}


class RegisterForm(OnSiteOnly, BreakoutChoice):
    """Register for a workshop: attendance mode, breakouts, requirements and consents."""

    mode = RadioField("How will you attend?", validators=[DataRequired("Choose how you will attend.")])
    dietary = dietary_field()
    accessibility = accessibility_field()
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
        self._drop_on_site_only(workshop)


class ModeForm(OnSiteOnly, Form):
    """Switch between on-site and online attendance, with what the venue needs to know when on site."""

    mode = RadioField("How will you attend?", validators=[DataRequired("Choose how you will attend.")])
    dietary = dietary_field()

    def __init__(self, *args, workshop: Workshop, current_mode: str, **kwargs):
        """Offer the workshop's modes; ask what the venue needs only of someone not yet on site."""
        super().__init__(*args, **kwargs)
        self.mode.choices = options((m.value, m.label) for m in workshop.modes)
        self._drop_on_site_only(workshop, asked=current_mode != AttendanceMode.on_site)


class RequirementsForm(Form):
    """Correct the requirements given at registration: dietary ones only while attending on site."""

    dietary = dietary_field(follows_mode=False)
    accessibility = accessibility_field()

    def __init__(self, *args, mode: str, **kwargs):
        """Ask dietary requirements only of someone attending on site: online, they are not kept."""
        super().__init__(*args, **kwargs)
        if mode != AttendanceMode.on_site:
            delattr(self, "dietary")

    def answers(self) -> dict[str, str]:
        """The requirements as the service takes them (no dietary ones when not asked)."""
        return {"dietary": self.dietary.data if "dietary" in self else "", "accessibility": self.accessibility.data}


def mode_label(mode: str) -> str:
    """Human wording of an attendance mode."""
    return AttendanceMode(mode).label
