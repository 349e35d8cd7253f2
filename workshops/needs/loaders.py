"""Loading a breakout by its short link, or a need, for a page; 404 otherwise.

One loader per kind for every view of the package. A need the person may not see at all answers
404 like one that does not exist (README, "Access answers"); the question is a rule of
``needs.rules`` or ``events.rules``, passed in by the view.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from workshops.db import get_session
from workshops.events.models import Breakout
from workshops.needs import rules as need_rules
from workshops.needs.models import Need


def place_or_404(code: str) -> need_rules.Place:
    """The breakout of a short link, what the current person may do there and the votes they gave, in one query."""
    return need_rules.place(get_session(), current_user._get_current_object(), code) or abort(404)


def breakout_by_code_or_404(code: str) -> tuple[Breakout, need_rules.Standing]:
    """The breakout of a short link and what the current person may do there."""
    found = place_or_404(code)
    return found.breakout, found.standing


def need_or_404(need_id: int, *, visible_if: Callable[[Need], bool] | None = None) -> Need:
    """The need, if it exists and ``visible_if`` (when given) lets the current person see it."""
    need = get_session().get(Need, need_id)
    if need is None or (visible_if is not None and not visible_if(need)):
        abort(404)
    return need
