"""Cancelling a workshop and writing to its registrants."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from workshops.db import max_length
from workshops.events.manage_forms.fields import strip_spaces, text_field
from workshops.events.models import WorkshopMessage
from workshops.forms import Form, at_most, options

#: The message audience that means every registrant of the workshop.
EVERYONE = "all"


def _audience(value) -> int | None:
    """``all`` (everyone) is ``None``; otherwise a breakout's id."""
    return None if value in (None, "", EVERYONE) else int(value)


class CancelWorkshopForm(Form):
    """Cancel a workshop: the organiser confirms, because every registrant is told."""

    confirm = BooleanField(
        "Yes, cancel this workshop and all its registrations",
        validators=[DataRequired("Tick the box to confirm the cancellation.")],
    )


class MessageForm(Form):
    """Write to the registrants of a workshop or of one of its breakouts."""

    audience = SelectField("To", coerce=_audience, validators=[InputRequired("Choose who receives the message.")])
    subject = text_field(WorkshopMessage, "subject", "Subject", required="Enter a subject.", filters=[strip_spaces])
    body = TextAreaField(
        "Message",
        validators=[DataRequired("Write the message."), at_most(max_length(WorkshopMessage, "body"))],
        description="Plain text. Each registrant receives it by e-mail with a greeting and a link to the workshop.",
        render_kw={"rows": 10, "maxlength": max_length(WorkshopMessage, "body")},
        filters=[strip_spaces],
    )

    def __init__(self, *args, breakouts: list[tuple[int, str]], **kwargs):
        """The choices: everyone, or the people in one breakout."""
        super().__init__(*args, **kwargs)
        self.audience.choices = options([(EVERYONE, "All registrants of the workshop"), *breakouts])
