"""The use-case editor, the body template, comments, state changes (one or many) and adding needs."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from workshops import http
from workshops.db import max_length
from workshops.events.models import TestBed
from workshops.forms import Form, options, strip
from workshops.programme.models import Domain
from workshops.usecases.models import TRL_RANGE, UseCase, UseCaseComment, UseCaseState, UseCaseTemplate
from workshops.usecases.rules import TRANSITION_LABELS


def _limited(model, name: str) -> Length:
    limit = max_length(model, name)
    return Length(max=limit, message=f"Use at most {limit} characters.")


def _optional_id(value) -> int | None:
    """A select's value as an id, or ``None`` for its empty choice."""
    return int(value) if value not in (None, "", "None") else None


def _trl(label: str, description: str) -> IntegerField:
    low, high = TRL_RANGE
    return IntegerField(
        label,
        validators=[
            InputRequired(f"Give a level from {low} to {high}."),
            NumberRange(low, high, f"From {low} to {high}."),
        ],
        description=description,
        render_kw={"min": low, "max": high, "inputmode": "numeric"},
    )


class UseCaseForm(Form):
    """Create or edit a use case: the fields, the Markdown body, and a preview that saves nothing."""

    title = StringField(
        "Title",
        validators=[DataRequired("Give the use case a title."), _limited(UseCase, "title")],
        filters=[strip],
        render_kw={"maxlength": max_length(UseCase, "title")},
    )
    summary = TextAreaField(
        "Summary",
        validators=[Optional(), _limited(UseCase, "summary")],
        filters=[strip],
        description="One paragraph: the challenge for someone skimming the call.",
        render_kw={"maxlength": max_length(UseCase, "summary"), "rows": 4},
    )
    domain_id = SelectField("Domain", coerce=_optional_id, validators=[Optional()])
    test_bed_id = SelectField(
        "Test bed",
        coerce=_optional_id,
        validators=[Optional()],
        description="A test bed of the use case's domain, where solutions can be tried.",
    )
    owners = TextAreaField(
        "Challenge owners",
        validators=[Optional(), _limited(UseCase, "owners")],
        filters=[strip],
        description="The end-user organisations backing the challenge, one per line.",
        render_kw={"maxlength": max_length(UseCase, "owners"), "rows": 3},
    )
    owners_may_be_named = BooleanField("The owners agreed to be named in the published call", default=False)
    trl_min = _trl("Lowest TRL", "Technology readiness of the solutions expected, at the start.")
    trl_max = _trl("Highest TRL", "At the end of the project.")
    body = TextAreaField(
        "Text",
        validators=[Optional(), _limited(UseCase, "body")],
        description="Markdown: ## for a heading, **bold**, _italic_, - for a list, [text](https://…) for a link.",
        render_kw={"rows": 22, "spellcheck": "true"},
    )
    #: The version the person started from (editing only): an older one than stored is a conflict.
    version = HiddenField()
    #: The ids of the needs the use case is created from, comma-separated (creating only).
    needs = HiddenField()
    preview = SubmitField("Preview")
    save = SubmitField("Save")

    def __init__(self, *args, domains: list[Domain], test_beds: list[TestBed], editing: bool = False, **kwargs):
        """Offer the domains, and the test beds grouped by domain."""
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.domain_id.choices = options([("", "None yet"), *((d.id, d.name) for d in domains)])
        names = {d.id: d.name for d in domains}
        grouped: dict[str, list] = {"": options([("", "None")])}
        for test_bed in test_beds:
            grouped.setdefault(names.get(test_bed.domain_id, ""), []).extend(options([(test_bed.id, test_bed.name)]))
        self.test_bed_id.choices = grouped
        self._test_bed_domains = {t.id: t.domain_id for t in test_beds}

    def validate_test_bed_id(self, field) -> None:
        """A test bed of the chosen domain only."""
        if field.data is None:
            return
        if field.data not in self._test_bed_domains:
            raise ValidationError("Choose a test bed from the list.")
        if self._test_bed_domains[field.data] != self.domain_id.data:
            raise ValidationError("This test bed belongs to another domain: choose one of the use case's domain.")

    def validate_domain_id(self, field) -> None:
        """One of the domains offered."""
        if field.data is not None and str(field.data) not in {c.value for c in field.choices}:
            raise ValidationError("Choose a domain from the list.")

    def validate_trl_max(self, field) -> None:
        """The range goes upwards."""
        if field.data is not None and self.trl_min.data is not None and field.data < self.trl_min.data:
            raise ValidationError("The highest TRL cannot be below the lowest.")

    def validate_version(self, field) -> None:
        """When editing, the version comes back from the page: a number, or the form was cut short or tampered with."""
        if self.editing and http.number(field.data) is None:
            http.refuse_input()
            raise ValidationError("Reload the page: the form is incomplete.")

    def need_ids(self) -> list[int]:
        """The needs named in the hidden field, in order, without repeats."""
        return http.ids((self.needs.data or "").split(","))


class TemplateForm(Form):
    """The Markdown every new use case's body starts from."""

    body = TextAreaField(
        "Template",
        validators=[
            DataRequired("Write the template: new use cases start from it."),
            _limited(UseCaseTemplate, "body"),
        ],
        description="Markdown. Keep a “## Context” heading: the needs a use case is created from are listed under it.",
        render_kw={"rows": 24},
    )
    preview = SubmitField("Preview")
    save = SubmitField("Save the template")


class CommentForm(Form):
    """A plain-text comment on a use case."""

    body = TextAreaField(
        "Your comment",
        validators=[DataRequired("Write the comment."), _limited(UseCaseComment, "body")],
        filters=[strip],
        description="Plain text, seen by the organisers and facilitators.",
        render_kw={"maxlength": max_length(UseCaseComment, "body"), "rows": 3},
    )


class StateForm(Form):
    """Move a use case along the review workflow; rejecting needs a reason."""

    state = HiddenField(validators=[DataRequired("Choose what to do.")])
    reason = StringField(
        "Reason",
        validators=[Optional(), _limited(UseCase, "rejected_reason")],
        filters=[strip],
        description="Its authors will read it.",
        render_kw={"maxlength": max_length(UseCase, "rejected_reason")},
    )


#: A use case's id as the list sends it: ASCII digits only ("²" is a digit to ``str.isdigit``, not an id).
USE_CASE_ID = re.compile(r"[0-9]{1,10}")


class BulkStateForm(Form):
    """Move the use cases ticked in the list along the review workflow, with one reason for those rejected.

    The ticks are the list's checkboxes (``form="bulk-form"``), sent as ``use_case``; the actions
    offered are those the person's role may take somewhere in the workflow.
    """

    use_case = SelectMultipleField("Ticked use cases", validate_choice=False)
    action = SelectField("Action", validators=[DataRequired("Choose what to do with the ticked use cases.")])
    reason = StringField(
        "Reason, when rejecting",
        # No ``Optional()``: it would stop the check that rejecting has a reason.
        validators=[_limited(UseCase, "rejected_reason")],
        filters=[strip],
        description="Given to every use case rejected: their authors read it.",
        render_kw={"maxlength": max_length(UseCase, "rejected_reason")},
    )

    def __init__(self, *args, targets: list[UseCaseState], limit: int, **kwargs):
        """Offer the actions in ``targets``; accept at most ``limit`` ticks (a page of the list)."""
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.action.choices = [("", "Choose…"), *((state.value, TRANSITION_LABELS[state]) for state in targets)]

    def validate_use_case(self, field) -> None:
        """At least one tick, each a use case's id, no more than a page holds."""
        values = [value.strip() for value in field.data or []]
        if not values:
            raise ValidationError("Tick the use cases to change.")
        malformed = [value for value in values if not USE_CASE_ID.fullmatch(value)]
        if malformed:
            shown = ", ".join(f"“{value[:20]}”" for value in malformed[:3])
            raise ValidationError(f"Reload the page and tick again: {shown} names no use case.")
        if len(set(values)) > self.limit:
            raise ValidationError(f"Tick at most {self.limit} use cases at a time (one page of the list).")

    def validate_reason(self, field) -> None:
        """Rejecting needs a reason, as on a use case's page."""
        if self.action.data == UseCaseState.rejected and not field.data:
            raise ValidationError("Say why the use cases are rejected: their authors will read it.")

    def ids(self) -> list[int]:
        """The ticked use cases' ids, in the order sent, without repeats (call after validating)."""
        return list(dict.fromkeys(int(value) for value in self.use_case.data))


class AddNeedsForm(Form):
    """Add needs to an existing use case (from the needs explorer)."""

    use_case_id = IntegerField(validators=[InputRequired("Choose the use case.")])
    need = SelectMultipleField(coerce=int, validate_choice=False, validators=[DataRequired("Choose the needs to add.")])


class PreviewForm(Form):
    """The Markdown sent by the editor's live preview.

    The application's CSRF protection has checked the token (a header or a field) before the view
    runs, so the form does not check it twice.
    """

    class Meta:
        """No second CSRF check (see above)."""

        csrf = False

    body = TextAreaField(validators=[Optional()])
