"""Forms of the attendee list and the check-in page: mostly buttons that carry a CSRF token."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, Optional

from workshops.forms import Form


class CheckInForm(Form):
    """Check a person in, or undo it; keeps the search to return to."""

    q = HiddenField()


class RemoveForm(Form):
    """An organiser removes a person from the workshop."""

    #: The filtered attendee list to return to.
    next = HiddenField()


class MoveForm(Form):
    """An organiser moves a person from one breakout to another."""

    from_breakout = IntegerField("From breakout", validators=[InputRequired("Say which breakout to move from.")])
    to_breakout = IntegerField("Move to", validators=[InputRequired("Choose the breakout to move to.")])
    next = HiddenField()


class PromoteForm(Form):
    """An organiser confirms a waiting person by hand: their workshop place, or a breakout's seat."""

    breakout = IntegerField("Breakout", validators=[Optional()])
    next = HiddenField()
