"""The fields the set-up forms share: capacities, texts sized by their column, descriptions, links."""

from __future__ import annotations

from urllib.parse import urlsplit

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from workshops.db import max_length
from workshops.forms import at_most, one_line

#: A capacity beyond this is a typing mistake (and would overflow PostgreSQL's integer).
MAX_CAPACITY = 100_000


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a full web address, or ``None`` when it is one."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return "Enter a full web address starting with https:// (or http://)."
    return None


def capacity_field(label: str, description: str) -> IntegerField:
    """A number of seats from 0 to ``MAX_CAPACITY``; empty means no limit."""
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_CAPACITY, message=f"Enter a number from 0 to {MAX_CAPACITY}, or leave empty."),
        ],
        description=description,
        render_kw={"min": 0, "max": MAX_CAPACITY, "inputmode": "numeric"},
    )


def text_field(model, name: str, label: str, *, required: str | None = None, **kwargs) -> StringField:
    """A one-line text as long as the column ``model.name`` holds; ``required`` is the message when empty.

    One line: a title or a subject with a line break in it would break the e-mails that quote it.
    """
    validators = [DataRequired(required)] if required else []
    validators += [one_line, at_most(max_length(model, name))]
    return StringField(label, validators=validators, render_kw={"maxlength": max_length(model, name)}, **kwargs)


def description_field(model, description: str) -> TextAreaField:
    """The Markdown description of ``model``, as long as its column holds."""
    limit = max_length(model, "description")
    return TextAreaField(
        "Description",
        validators=[at_most(limit)],
        description=description,
        render_kw={"rows": 8, "maxlength": limit},
    )


def optional_id(value) -> int | None:
    """A chosen id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "") else None


def strip_spaces(value):
    """A field filter: surrounding spaces removed (a missing value stays missing)."""
    return value.strip() if isinstance(value, str) else value
