"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Turn ``(value, label)`` pairs into select options."""
    return [SelectChoice(str(value), label) for value, label in pairs]
