"""The need form, shared by attendees and facilitators."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from workshops.auth.models import OrganisationType, User, organisation_type_label
from workshops.countries import country_choices
from workshops.db import max_length
from workshops.events.models import Breakout
from workshops.forms import Form, LongSelect, options, strip
from workshops.http import number, refuse_input
from workshops.needs.models import URGENCY_WORDS, Need, Sensitivity
from workshops.needs.speakers import SpeakerChoice, choose_speaker

_SPEAKER_LIMIT = max_length(Need, "stated_by_name")


def _text(name: str, label: str, *, area: bool = False, required: str | None = None, description: str = ""):
    limit = max_length(Need, name)
    field = TextAreaField if area else StringField
    validators = [DataRequired(required)] if required else [Optional()]
    return field(
        label,
        validators=[*validators, Length(max=limit, message=f"Use at most {limit} characters.")],
        filters=[strip],
        description=description,
        render_kw={"maxlength": limit, "data-count": limit, **({"rows": 3} if area else {})},
    )


class NeedForm(Form):
    """Log a need: only the title and the need itself are required."""

    title = _text("title", "Title", required="Give the need a short title.")
    statement = _text(
        "statement",
        "The need",
        area=True,
        required="Say what you need, in a sentence or two.",
        description="For example: As a … we need … so that …",
    )
    context = _text("context", "Context and how you manage today", area=True)
    desired_outcome = _text("desired_outcome", "What a good solution would do", area=True)
    affected = _text("affected", "Who is affected")
    constraints = _text("constraints", "Constraints (legal, ethical, privacy, budget)", area=True)
    urgency = RadioField(
        "Urgency",
        choices=options((level, f"{level} · {words}") for level, words in URGENCY_WORDS.items()),
        coerce=int,
        default=3,
        validators=[DataRequired("Choose how urgent it is.")],
    )
    test_bed_id = SelectField("Test bed", coerce=lambda v: int(v) if v else None, validators=[Optional()])
    organisation = _text("organisation", "Organisation")
    organisation_type = SelectField(
        "Type of organisation", choices=options((t.value, t.label) for t in OrganisationType)
    )
    tags = _text("tags", "Tags", description="Words that help find it later, separated by commas.")
    sensitivity = RadioField(
        "Who may see and quote it",
        choices=options((s.value, s.explanation) for s in Sensitivity),
        default=Sensitivity.public.value,
    )
    idempotency_key = HiddenField()

    field_order = ("title", "statement")

    def __init__(self, *args, breakout: Breakout, test_beds: list, **kwargs):
        """Offer the test beds of the breakout's domain; the breakout's own one first."""
        super().__init__(*args, **kwargs)
        self.breakout = breakout
        self.domain_id = breakout.domain_id or (breakout.test_bed.domain_id if breakout.test_bed else None)
        self.test_bed_id.choices = options([("", "None"), *((t.id, t.name) for t in test_beds)])
        self._test_bed_domains = {t.id: t.domain_id for t in test_beds}

    def validate_test_bed_id(self, field) -> None:
        """A test bed of the breakout's domain only."""
        if field.data is not None and self._test_bed_domains.get(field.data) != self.domain_id:
            raise ValidationError("Choose a test bed of this breakout's domain.")


class SpeakerFields(NeedForm):
    """The facilitator's capture form: a need stated by someone in the room.

    The speaker is an attendee of the breakout (their own organisation, type and country are
    stored, whatever the organisation fields hold) or anyone else, whose organisation is typed.
    """

    speaker = StringField(
        "Stated by",
        validators=[
            DataRequired("Who said it? Type a name."),
            Length(max=_SPEAKER_LIMIT, message=f"Use at most {_SPEAKER_LIMIT} characters for the name."),
        ],
        filters=[strip],
        description="Start typing: attendees are suggested with their organisation; anyone else's name is fine too.",
        render_kw={"list": "attendee-names", "autocomplete": "off", "maxlength": _SPEAKER_LIMIT},
    )
    #: The attendee the page's script matched to the name typed; without the script the name decides.
    attendee_id = HiddenField()
    #: Not sent while an attendee's are shown (the page locks them): "not given" then, and the attendee's stored.
    organisation_type = SelectField("Type", default="")
    country = SelectField("Country", default="", widget=LongSelect())

    field_order = ("speaker", "title", "statement")

    def __init__(self, *args, attendees: list[User] = (), **kwargs):
        """Offer the breakout's attendees as speakers; an outsider's type and country may stay unsaid."""
        super().__init__(*args, **kwargs)
        self.attendees = list(attendees)
        self.choice = SpeakerChoice()
        types = ((t.value, organisation_type_label(t.value, short=True)) for t in OrganisationType)
        self.organisation_type.choices = options([("", "Not given"), *types])
        self.country.choices = options([("", "Not given"), *country_choices()])

    def validate_speaker(self, field) -> None:
        """An attendee of this breakout, unambiguously, or a name that is no attendee's."""
        self.choice = choose_speaker(field.data or "", self.attendee_id.data or "", self.attendees)
        if self.choice.problem:
            raise ValidationError(self.choice.problem)


class DismissForm(Form):
    """Dismiss a need with a reason."""

    reason = StringField(
        "Reason",
        validators=[
            DataRequired("Say why the need is dismissed: its author will read it."),
            Length(max=max_length(Need, "dismissed_reason"), message="Keep the reason to %(max)d characters."),
        ],
        filters=[strip],
    )


class EditForm(NeedForm):
    """Change a need; the version it was read at guards against overwriting someone else's save."""

    version = HiddenField()

    def validate_version(self, field) -> None:
        """The version comes back from the page: a number, or the form was cut short or tampered with (422)."""
        if number(field.data) is None:
            refuse_input()
            raise ValidationError("Reload the page: the form is incomplete.")


class MergeForm(NeedForm):
    """The need that replaces several: prefilled from them, edited by the facilitator."""

    #: The ids of the needs merged, comma-separated, in the order chosen.
    needs = HiddenField()
    #: The breakout whose board the merged need goes on (one of the originals'; by default the first's).
    into = HiddenField()
    #: Where the needs were chosen ("explorer", or the board by default): where the person goes back to.
    back = HiddenField()


class BoardSettingsForm(Form):
    """Who sees the board, and how many votes each attendee has."""

    board_visibility = RadioField(
        "Who sees the board",
        choices=options(
            [
                ("attendees", "The attendees and the facilitators"),
                ("facilitators", "The facilitators only (attendees still log their needs)"),
            ]
        ),
    )
    votes_per_person = IntegerField(
        "Votes per attendee",
        validators=[DataRequired("Give a number of votes."), NumberRange(1, 20, "Between 1 and 20.")],
        render_kw={"min": 1, "max": 20, "inputmode": "numeric"},
    )
