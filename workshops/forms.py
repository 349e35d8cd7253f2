"""Form helpers shared by every domain, and ``Form``, the base of every form, which checks what is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlmodel import Session, select
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from wtforms import DateTimeField, DateTimeLocalField, SelectChoice, SelectField, ValidationError
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.widgets import Select, html_params

from workshops.http import CONTROL_CHARACTERS, FORBIDDEN_CHARACTERS, MAX_ID, MIN_INTEGER, integer, refuse_input
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


ONE_LINE_MESSAGE = "Keep this to one line, without line breaks or control characters."


def one_line(_form, field) -> None:
    """A validator: a one-line text (a title, a subject) holds no line break or other control character."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(ONE_LINE_MESSAGE)


def at_most(limit: int) -> Length:
    """A length limit that says what to do; the form macro adds by how much a text is over it."""
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


# --- What every form refuses -------------------------------------------------------------------------

CONTROL_CHARACTER_MESSAGE = "Remove the control character (such as a NUL) from this text."
DIGITS_MESSAGE = "Enter a whole number in the digits 0 to 9."
NUMBER_RANGE_MESSAGE = f"Enter a number between {MIN_INTEGER:,} and {MAX_ID:,}."
DATE_MESSAGE = "Enter a date between 2000 and 2100."
#: The dates any date field accepts: a workshop, a call or a registration window is never outside them,
#: and a year such as 0001 cannot even be moved into another time zone.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)
#: What a refused character becomes in the text shown back: the person sees where it was.
REPLACEMENT_CHARACTER = "\ufffd"


class Form(FlaskForm):
    """The base of every form: what was sent is checked before any of a field's own validators sees it.

    Whatever a browser or a script sends, a value with a control character other than tab and line
    breaks (``http.FORBIDDEN_CHARACTERS``), a number not in ASCII digits or beyond what a column
    holds, or a date outside 2000 to 2100 (``input_problem``) is refused next to its field, and the
    page that shows the form again answers 422: nothing else validates it, nothing stores it. The
    field is made harmless at once (the character shown as U+FFFD, the number or date dropped), so
    that no other field's check or view ever reads it raw. A JSON body is read as a form of texts.
    """

    class Meta(FlaskForm.Meta):
        """Read JSON bodies as text, and put the input check first on every field."""

        def wrap_formdata(self, form, formdata):
            """The request's fields (a form, or a JSON object), every value as text (``textual``).

            A form sent with no body at all reads as a form sent empty, as a browser sends it when
            nothing is filled in, not as a form never sent (whose fields would keep their defaults).
            """
            from_request = formdata is not None and not hasattr(formdata, "getlist")  # Flask-WTF's "read it"
            try:
                wrapped = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError) as error:  # a JSON body that is not an object
                raise BadRequest("Send the fields as a JSON object.") from error
            if wrapped is None and from_request and form.is_submitted():
                return ImmutableMultiDict()
            return textual(wrapped)

        def bind_field(self, form, unbound_field, options):
            """Bind a field with ``refuse_bad_input`` as its first validator."""
            field = super().bind_field(form, unbound_field, options)
            field.validators = [refuse_bad_input, *field.validators]
            return field

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs) -> None:
        """Fill the fields, then note each one's problem (``input_problem``) and disarm its data.

        The CSRF token is left to the CSRF check: it is never stored, nor shown back as sent.
        """
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        #: The problem of each field refused, by name: ``refuse_bad_input`` says it when validating.
        self.input_problems: dict[str, str] = {}
        for name, field in self._fields.items():
            problem = None if isinstance(field, CSRFTokenField) else input_problem(field)
            if problem:
                self.input_problems[name] = problem
                _disarm(field, text=problem == CONTROL_CHARACTER_MESSAGE)


def refuse_bad_input(form, field) -> None:
    """Every field's first validator: stop at the problem ``Form.process`` found, as the field's only error."""
    problem = getattr(form, "input_problems", {}).get(field.short_name)
    if problem:
        field.errors[:] = []
        refuse_input()
        if problem == CONTROL_CHARACTER_MESSAGE and one_line in field.validators:
            problem = ONE_LINE_MESSAGE  # a one-line field says it in its own words
        raise StopValidation(problem)


def input_problem(field) -> str | None:
    """Why what was sent for ``field`` is no value of ours, or ``None`` when it may be checked as usual.

    Text: no control character but tab and line breaks. A number (what ``int()`` made of an integer
    field or a choice): ASCII digits within a column's range, since ``int()`` also reads "٣", "1_000"
    and numbers no column holds. A date or time: between 2000 and 2100.
    """
    sent = [value for value in field.raw_data or () if isinstance(value, str)]
    if any(FORBIDDEN_CHARACTERS.search(value) for value in sent):
        return CONTROL_CHARACTER_MESSAGE
    if _is_number(field):
        for value in (value for value in sent if value.strip()):
            if not re.fullmatch(r"\s*-?[0-9]+\s*", value):
                return DIGITS_MESSAGE
            if integer(value) is None:
                return NUMBER_RANGE_MESSAGE
    if sent and isinstance(field, DateTimeField) and not _within_dates(field.data):
        return DATE_MESSAGE
    return None


def _is_number(field) -> bool:
    """Whether what was sent became a number (text that is none is the field's own to refuse, "Not a valid…")."""
    data = field.data if isinstance(field.data, list) else [field.data]
    return any(isinstance(item, int) and not isinstance(item, bool) for item in data)


def _within_dates(value) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return not isinstance(day, date) or EARLIEST_DATE <= day <= LATEST_DATE


def _disarm(field, *, text: bool) -> None:
    """Make a refused field harmless: the character replaced where the text is kept, else no value at all.

    The text is kept as sent (for the page to show it again) and as data; a number or a date is dropped.
    """
    field.process_errors = []
    if not text:
        field.data = [] if isinstance(field.data, list) else None
        return
    field.raw_data = [_replaced(value) for value in field.raw_data]
    field.data = [_replaced(item) for item in field.data] if isinstance(field.data, list) else _replaced(field.data)


def _replaced(value):
    return FORBIDDEN_CHARACTERS.sub(REPLACEMENT_CHARACTER, value) if isinstance(value, str) else value


def textual(formdata):
    """Form data whose every value is text, as a browser sends it.

    A JSON body's numbers and booleans are written out; its nulls, objects and nested lists are left
    out, as if not sent.
    """
    if formdata is None:
        return None
    pairs = list(formdata.items(multi=True))
    if all(isinstance(value, str | FileStorage) for _name, value in pairs):
        return formdata
    written = ((name, _as_text(value)) for name, value in pairs)
    return ImmutableMultiDict([(name, value) for name, value in written if value is not None])


def _as_text(value) -> str | FileStorage | None:
    if isinstance(value, str | FileStorage):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


class PostForm(Form):
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
