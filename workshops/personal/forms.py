"""Forms of the personal-data pages: consent buttons, the download, and deleting an account."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, PasswordField, SelectField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from workshops.auth.deletion import DeletionReason
from workshops.auth.passwords import MAX_LENGTH
from workshops.events.consents import OPTIONAL
from workshops.forms import Form, options


class ConsentForm(Form):
    """Give or withdraw one optional consent: by its id, or by its kind (and registration, for listing)."""

    kind = HiddenField(validators=[Optional(), AnyOf(sorted(OPTIONAL))])
    registration_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    consent_id = IntegerField(widget=HiddenInput(), validators=[Optional()])


class DeleteAccountForm(Form):
    """Delete one's own account, proving it is really the person by their password."""

    password = PasswordField(
        "Your password",
        validators=[InputRequired("Enter your password to confirm."), Length(max=MAX_LENGTH)],
        description="We ask for it again so that no one else can delete your account from an open session.",
        render_kw={"autocomplete": "current-password"},
    )


class ManageDeleteUserForm(Form):
    """An organiser deletes a person's account on their request, saying how the request came."""

    reason = SelectField(
        "How did the person ask?",
        validators=[DataRequired("Choose how the person asked for the deletion.")],
        description="Recorded in the audit log. Keep the request itself with your records.",
    )

    def __init__(self, *args, **kwargs):
        """Fill the choices from the fixed list the audit log records."""
        super().__init__(*args, **kwargs)
        self.reason.choices = options([("", "Choose…"), *((r.value, r.label) for r in DeletionReason)])
