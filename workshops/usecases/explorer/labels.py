"""How the explorer words a need's values: urgency, organisation type and state."""

from __future__ import annotations

from workshops.auth.models import ORGANISATION_TYPE_LABELS, OrganisationType
from workshops.needs.models import URGENCY_WORDS, NeedState

STATE_LABELS = {NeedState.open: "Open", NeedState.merged: "Merged", NeedState.dismissed: "Dismissed"}


def _short_type(value: str) -> str:
    return ORGANISATION_TYPE_LABELS[OrganisationType(value)].split(" (")[0]


def urgency_label(value: int) -> str:
    """``5 · Critical``: the number and its word."""
    return f"{value} · {URGENCY_WORDS[value].split(':')[0]}"


def organisation_type_label(value: str) -> str:
    """The organisation type in a word or two ("End-user", "Integrator")."""
    return _short_type(value) if value in OrganisationType.__members__ else value


def state_label(value: str) -> str:
    """``Open``, ``Merged`` or ``Dismissed``."""
    return STATE_LABELS.get(NeedState(value), value) if value in NeedState.__members__ else value
