"""The test bed form."""

from __future__ import annotations

from sqlmodel import Session, select
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from workshops.events.manage_forms.fields import description_field, optional_id, strip_spaces, text_field
from workshops.events.models import TestBed
from workshops.forms import Form, options


class TestBedForm(Form):
    """Create or edit a test bed."""

    __test__ = False  # a form, not a pytest class

    name = text_field(TestBed, "name", "Name", required="Enter the test bed's name.", filters=[strip_spaces])
    domain_id = SelectField("Domain", coerce=optional_id, validators=[DataRequired("Choose a domain.")])
    location = text_field(
        TestBed, "location", "Location", filters=[strip_spaces], description="e.g. Port of Antwerp, Belgium"
    )
    description = description_field(TestBed, "What can be tried there, who runs it. Markdown.")

    def __init__(self, *args, session: Session, domains: list[tuple[int, str]], test_bed: TestBed | None = None, **kw):
        """``test_bed`` is the one being edited (it may keep its own name)."""
        super().__init__(*args, **kw)
        self._session = session
        self._test_bed = test_bed
        self.domain_id.choices = options([("", "Choose…"), *domains])

    def validate_name(self, field) -> None:
        """Names are unique."""
        other = self._session.exec(select(TestBed.id).where(TestBed.name == field.data)).first()
        if other is not None and (self._test_bed is None or other != self._test_bed.id):
            raise ValidationError("Another test bed has this name.")

    def values(self) -> dict:
        """What to store."""
        return {
            "name": self.name.data,
            "domain_id": self.domain_id.data,
            "location": self.location.data or "",
            "description": self.description.data or "",
        }
