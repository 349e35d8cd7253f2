"""Forms of the organisers' call pages: the call itself, and the small forms behind its buttons.

A call's dates are typed in its own time zone, the way workshops' are (the helpers come from the
workshop forms); the form turns them into UTC for storage and back into local time to show them.
"""

from __future__ import annotations

from sqlmodel import Session, col, select
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from workshops import http
from workshops.calls.models import SECTIONS, OpenCall
from workshops.db import max_length
from workshops.events.forms import CheckboxesField
from workshops.forms import (
    DATETIME_FORMATS,
    DEFAULT_TIMEZONE,
    Form,
    LongSelect,
    TimezoneField,
    ZonedTimes,
    check_exists,
    check_slug,
    options,
    strip,
)
from workshops.slugs import slugify, unique
from workshops.timeutil import timezone_choices, to_local

#: Said once above the sections; each section's own hint ends with "Markdown works."
MARKDOWN_HINT = "Markdown works: ## headings, **bold**, *italic*, - lists, [links](https://…) and tables."
#: What each section is for, shown under its label.
SECTION_HINTS = {
    "introduction": "What the call is for and what it funds, in a few paragraphs.",
    "eligibility": "Who may apply: kinds of organisations, countries, consortium rules.",
    "funding": "How much, per project and in total; what costs are eligible.",
    "evaluation": "How proposals are judged, and by whom.",
    "how_to_apply": "Where and how to apply, the documents needed, the deadline.",
}


def _one_line(value):
    """A name is one line (it goes into e-mail subjects): line breaks and runs of spaces become one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _unix_lines(value):
    """Browsers send a textarea's lines ending in CR LF; the exports want plain LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _text(name: str, label: str, *, required: str, **kwargs) -> StringField:
    limit = max_length(OpenCall, name)
    return StringField(
        label,
        validators=[DataRequired(required), Length(max=limit)],
        filters=[_one_line],
        render_kw={"maxlength": limit},
        **kwargs,
    )


def _moment(label: str, missing: str, description: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        validators=[InputRequired(missing)],
        format=DATETIME_FORMATS,
        description=description,
        invalid_value_message="Enter a date and a time, e.g. 10/01/2022 09:00.",
    )


def _section(name: str) -> TextAreaField:
    limit = max_length(OpenCall, name)
    return TextAreaField(
        SECTIONS[name],
        validators=[Length(max=limit)],
        filters=[_unix_lines],
        description=f"{SECTION_HINTS[name]} Markdown works.",
        render_kw={"rows": 8, "maxlength": limit},
    )


class CallForm(ZonedTimes, Form):
    """Create or edit a draft call: its name, address, dates in its time zone, and its text."""

    name = _text("name", "Name", required="Enter the call's name.", description="e.g. Open Call 2")
    slug = StringField(
        "Short name in the address",
        # No ``Optional()``: it would skip ``validate_slug``, which makes a slug left empty.
        validators=[Length(max=max_length(OpenCall, "slug"))],
        filters=[strip],
        description="Made from the name unless you change it. Lowercase letters, digits and hyphens, "
        "e.g. open-call-2: its public page is /calls/open-call-2/.",
        render_kw={"maxlength": max_length(OpenCall, "slug"), "data-slug-from": "name"},
    )
    #: "1" while the page's script fills the slug from the name (the person has not typed one).
    slug_from_name = HiddenField(filters=[lambda value: "1" if value == "1" else ""])
    timezone = TimezoneField(
        "Time zone",
        choices=options((zone, zone) for zone in timezone_choices()),
        validators=[InputRequired("Choose a time zone.")],
        default=DEFAULT_TIMEZONE,
        description="The opening and closing times are in this zone, on every page and in the exports.",
        widget=LongSelect(),
    )
    opens_at = _moment("Opens", "Enter when the call opens.", "The first day and hour applications are accepted.")
    closes_at = _moment("Closes", "Enter when the call closes.", "The deadline for applications.")
    introduction = _section("introduction")
    eligibility = _section("eligibility")
    funding = _section("funding")
    evaluation = _section("evaluation")
    how_to_apply = _section("how_to_apply")

    def __init__(self, *args, session: Session, call: OpenCall | None = None, **kwargs):
        """``call`` is the one being edited: it may keep its own slug and its stored times."""
        super().__init__(*args, **kwargs)
        self._session = session
        self._call = self._stored = call

    def validate_slug(self, field) -> None:
        """Lowercase letters, digits and hyphens, and no other call's; made from the name when left to it.

        A slug left empty, or filled in by the page's script and not changed since, is made from the
        name here again and numbered when another call has it (``open-call-2-2``). One typed by
        hand is checked as typed: a clash is the person's to resolve, with the form as they left it.
        """
        limit = max_length(OpenCall, "slug")
        derived = slugify(self.name.data or "", limit=limit)
        if not field.data or (self.slug_from_name.data and field.data == derived):
            if not derived:
                raise ValidationError(
                    "Enter a short name for the address: the name has no letters or digits to make one from."
                )
            field.data = unique(derived, self._slugs_like(derived), limit=limit)
            return
        check_slug(self._session, OpenCall, field.data, self._call, kind="call", example="open-call-2")

    def _slugs_like(self, slug: str) -> list[str]:
        """The other calls' slugs that start like ``slug`` (those a numbered one could clash with)."""
        statement = select(OpenCall.slug).where(col(OpenCall.slug).startswith(slug, autoescape=True))
        if self._call is not None:
            statement = statement.where(OpenCall.id != self._call.id)
        return list(self._session.exec(statement))

    def validate_opens_at(self, field) -> None:
        """The time must exist in the zone."""
        check_exists(field.data, self.zone)

    def validate_closes_at(self, field) -> None:
        """The time must exist in the zone, and come after the opening."""
        check_exists(field.data, self.zone)
        opens, closes = self.utc(self.opens_at), self.utc(field)
        if opens is not None and closes is not None and closes <= opens:
            raise ValidationError("The call must close after it opens.")

    def values(self) -> dict:
        """What to store, with times in UTC."""
        values = {
            "name": self.name.data,
            "slug": self.slug.data,
            "timezone": self.timezone.data,
            "opens_at": self.utc(self.opens_at),
            "closes_at": self.utc(self.closes_at),
        }
        values.update({name: getattr(self, name).data or "" for name in SECTIONS})
        return values


def call_form_data(call: OpenCall) -> dict:
    """A stored call as the form shows it: times in its own zone."""
    data = {name: getattr(call, name) for name in ("name", "slug", "timezone", *SECTIONS)}
    data["opens_at"] = to_local(call.opens_at, call.timezone)
    data["closes_at"] = to_local(call.closes_at, call.timezone)
    return data


#: An order as a page sends it: ids joined by commas, "12,7,9".
ID_LIST = r"^[0-9]{1,10}(,[0-9]{1,10})*$"


def _ids(value: str | None) -> list[int]:
    """The ids of a comma-separated list, skipping whatever is not one."""
    return http.ids((value or "").split(","))


class MoveForm(Form):
    """Move a challenge or a domain one place up or down, from the order the page showed."""

    direction = SelectField(choices=options([("up", "Up"), ("down", "Down")]), validators=[InputRequired()])
    #: The ids of the challenges of the domain (or of the call's domains) in the order the page showed.
    seen = HiddenField(validators=[Optional(), Length(max=20_000), Regexp(ID_LIST)])

    @property
    def step(self) -> int:
        """-1 to move up (towards 1.1), +1 to move down."""
        return -1 if self.direction.data == "up" else 1

    @property
    def seen_ids(self) -> list[int] | None:
        """The order the page showed, or ``None`` when the request did not say (nothing to compare)."""
        return _ids(self.seen.data) if self.seen.data else None


class AddChallengesForm(Form):
    """Choose accepted use cases to add to the call as challenges, in the order they were ticked."""

    use_case_id = CheckboxesField(
        "Accepted use cases not in the call yet",
        coerce=int,
        # The service says why an id cannot be added (taken out of review meanwhile, deleted…).
        validate_choice=False,
        validators=[DataRequired("Choose at least one use case to add.")],
    )
    #: The ticked ids in the order they were ticked, kept by the page's script (empty without it).
    order = HiddenField()

    def __init__(self, *args, use_cases: list[tuple[int, str]] = (), **kwargs):
        """The choices: the use cases that may still be added."""
        super().__init__(*args, **kwargs)
        self.use_case_id.choices = options(use_cases)

    def chosen_ids(self) -> list[int]:
        """The ticked use cases in the order chosen: the order of ticking, else the order of the request.

        Browsers send ticked boxes in the page's order, whatever the order they were ticked in; the
        page's script writes that order into ``order``. Ids ticked but missing from it follow, as sent.
        """
        ticked = list(dict.fromkeys(self.use_case_id.data or []))
        turns = {use_case_id: turn for turn, use_case_id in enumerate(dict.fromkeys(_ids(self.order.data)))}
        return sorted(ticked, key=lambda use_case_id: turns.get(use_case_id, len(turns)))


class PublishForm(Form):
    """Publish a draft as the confirmation page showed it: ``confirmation`` is that page's token."""

    confirmation = HiddenField(
        validators=[
            DataRequired("Check what publishing will do, then confirm."),
            Regexp(r"^[0-9a-f]{32}\.[0-9]{1,9}$", message="Check what publishing will do, then confirm."),
        ]
    )
