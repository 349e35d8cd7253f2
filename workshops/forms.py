"""Form helpers shared by every domain."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlmodel import Session, select
from wtforms import DateTimeLocalField, SelectChoice, SelectField, ValidationError
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.widgets import Select, html_params

from workshops.http import CONTROL_CHARACTERS
from workshops.timeutil import (
    canonical_timezone,
    default_timezone,
    timezone_choices,
    timezone_problem,
    to_local,
    to_utc,
)


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Turn ``(value, label)`` pairs into select options."""
    return [SelectChoice(str(value), label) for value, label in pairs]


@lru_cache(maxsize=16)
def _rendered_options(pairs: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in pairs)


class LongSelect(Select):
    """A select for long, fixed lists (countries): options are rendered once, not on every page.

    WTForms builds each of ~250 options through its attribute machinery on every request, which
    made the sign-up page several times slower than the log-in page.
    """

    def __call__(self, field, **kwargs) -> Markup:
        """Render the select with the field's current value chosen."""
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", None)
        if flags is not None and flags.required:
            kwargs.setdefault("required", True)
        chosen = "" if field.data is None else str(field.data)
        pairs = tuple((choice.value, str(choice.label)) for choice in field.choices)
        options = [
            html.replace("<option ", "<option selected ", 1) if value == chosen else html
            for (value, _label), html in zip(pairs, _rendered_options(pairs), strict=True)
        ]
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{''.join(options)}</select>")  # noqa: S704  # nosec B704 - every part escaped


def strip(value: str | None) -> str:
    """A field filter: surrounding spaces removed, missing input as an empty string."""
    return (value or "").strip()


def one_line(_form, field) -> None:
    """A validator: a one-line text (a title, a subject) holds no line break or other control character."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("Keep this to one line, without line breaks or control characters.")


def at_most(limit: int) -> Length:
    """A length limit that says what to do; the form macro adds by how much a text is over it."""
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


class PostForm(FlaskForm):
    """No fields: gives a POST button its CSRF token (log-out, confirm, download)."""


# --- Times typed in a place's zone ------------------------------------------------------------------

#: The zone a new workshop or call starts with: the programme's default (``timeutil.default_timezone``),
#: asked for each new form, since WTForms calls a callable ``default``.
DEFAULT_TIMEZONE = default_timezone
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
#: Browsers send ``2021-11-16T09:30``; some add seconds.
DATETIME_FORMATS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"]
#: Lower-case words joined by single hyphens, as in a page address.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class TimezoneField(SelectField):
    """A time zone among the canonical names offered (``timeutil.timezone_choices``).

    A row that holds an old name (``Europe/Kiev``) shows its canonical one chosen (``Europe/Kyiv``),
    so that saving the form keeps the same zone; an old name sent in a form is refused with the name
    to use. Any other unknown name is left to the field's choices or to the form's own check.
    """

    def process_data(self, value) -> None:
        """Show a stored old name as the canonical name of its zone."""
        super().process_data(canonical_timezone(value) or value if isinstance(value, str) else value)

    def pre_validate(self, form) -> None:
        """Refuse an old name with the one to use instead."""
        if self.data and canonical_timezone(self.data) not in (None, self.data):
            raise StopValidation(timezone_problem(self.data))
        if self.validate_choice:
            super().pre_validate(form)


class ZonedTimes:
    """For a form whose times are typed in the zone chosen in its ``timezone`` field.

    ``_stored`` is the row the form edits (``None`` for a new one), whose untouched times are kept.
    """

    _stored = None

    @property
    def zone(self) -> str | None:
        """The chosen time zone, if it is a real one."""
        return self.timezone.data if self.timezone.data in timezone_choices() else None

    def utc(self, field) -> datetime | None:
        """A time field's value in UTC (``None`` when empty or the zone is unknown).

        An untouched time keeps its stored value, seconds included, so that saving changes nothing.
        """
        if not self.zone or field.data is None:
            return None
        return unless_untouched(self._stored, field, self.zone) or to_utc(field.data, self.zone)


def time_field(label: str, *, required: bool = True, description: str | None = None) -> DateTimeLocalField:
    """A date and time typed in a place's zone (``datetime-local``), with or without seconds."""
    validators = [InputRequired(f"Enter the {label.lower()}.")] if required else [Optional()]
    return DateTimeLocalField(
        label,
        validators=validators,
        format=DATETIME_FORMATS,
        description=description,
        invalid_value_message="Enter a date and a time, e.g. 16/11/2021 09:30.",
    )


def check_exists(local: datetime | None, zone: str | None) -> None:
    """Refuse a local time the clocks skip when they go forward (e.g. 02:30 on a spring night)."""
    if local is None or zone not in timezone_choices():
        return
    if to_local(to_utc(local, zone), zone) != local:
        raise ValidationError(f"This time does not exist in {zone}: the clocks go forward then.")


def unless_untouched(stored_row, field, zone: str) -> datetime | None:
    """The stored time of a row when the form shows it unchanged (the form has no seconds), else ``None``."""
    stored = getattr(stored_row, field.name, None) if stored_row is not None else None
    if stored is not None and field.data is not None and to_local(stored, zone) == field.data:
        return stored
    return None


def check_slug(session: Session, model, slug: str, stored, *, kind: str, example: str) -> None:
    """Refuse a short name that is not lowercase words joined by hyphens, or that another ``model`` row has.

    ``stored`` is the row being edited (``None`` for a new one): its own short name is no clash.
    """
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(f"Use lowercase letters, digits and single hyphens only, e.g. {example}.")
    other = session.exec(select(model.id).where(model.slug == slug)).first()
    if other is not None and (stored is None or other != stored.id):
        raise ValidationError(f"Another {kind} has this short name; choose another.")
