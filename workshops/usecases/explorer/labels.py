"""How the explorer words a need's values: urgency and state (organisation types: ``auth.models``)."""

from __future__ import annotations

from workshops.needs.models import URGENCY_WORDS, NeedState

STATE_LABELS = {NeedState.open: "Open", NeedState.merged: "Merged", NeedState.dismissed: "Dismissed"}


def urgency_label(value: int) -> str:
    """``5 · Critical``: the number and its word."""
    return f"{value} · {URGENCY_WORDS[value].split(':')[0]}"


def state_label(value: str) -> str:
    """``Open``, ``Merged`` or ``Dismissed``."""
    return STATE_LABELS.get(NeedState(value), value) if value in NeedState.__members__ else value
