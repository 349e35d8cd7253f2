"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectChoice
from wtforms.widgets import Select, html_params


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


class PostForm(FlaskForm):
    """No fields: gives a POST button its CSRF token (log-out, confirm, download)."""
