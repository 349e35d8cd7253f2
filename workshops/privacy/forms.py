"""Forms of the personal-data pages: one-step consent buttons and the download button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import AnyOf, Optional
from wtforms.widgets import HiddenInput

from workshops.privacy.consents import OPTIONAL


class ConsentForm(FlaskForm):
    """Give or withdraw one optional consent: by its id, or by its kind (and registration, for listing)."""

    kind = HiddenField(validators=[Optional(), AnyOf(sorted(OPTIONAL))])
    registration_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    consent_id = IntegerField(widget=HiddenInput(), validators=[Optional()])


class DownloadForm(FlaskForm):
    """No fields: gives the download button its CSRF token."""
