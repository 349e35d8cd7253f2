"""Loading a workshop, breakout or registration for a page, or answering 404.

One loader per kind, for every view of the package. A loader answers 404 both for an id that does
not exist and for an object the person may not see at all (README, "Access answers"), so that ids
reveal nothing; the access question itself is a rule of ``events.rules``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlmodel import select

from workshops.db import get_session
from workshops.events import queries
from workshops.events.models import Breakout, Registration, Workshop

#: A yes/no rule of ``events.rules`` about the current person and the object.
Rule = Callable[[object, object], bool]


def workshop_or_404(workshop_id: int, *, visible_if: Rule | None = None, setup: bool = False) -> Workshop:
    """The workshop with its breakouts and their facilitators, in a fixed number of queries.

    ``setup`` also loads what the set-up pages show (the cluster, each breakout's test bed and
    domain); ``visible_if`` answers 404 when it refuses the current person.
    """
    breakouts = selectinload(Workshop.breakouts)
    options = [breakouts.selectinload(Breakout.facilitators)]
    if setup:
        options = [
            selectinload(Workshop.cluster),
            breakouts.selectinload(Breakout.test_bed),
            breakouts.selectinload(Breakout.domain),
            *options,
        ]
    workshop = get_session().exec(select(Workshop).where(Workshop.id == workshop_id).options(*options)).one_or_none()
    if workshop is None or (visible_if is not None and not visible_if(current_user, workshop)):
        abort(404)
    return workshop


def breakout_or_404(breakout_id: int) -> Breakout:
    """The breakout with its facilitators."""
    breakout = get_session().get(Breakout, breakout_id, options=[selectinload(Breakout.facilitators)])
    return breakout or abort(404)


def breakout_of(workshop: Workshop, breakout_id: int | None, *, visible_if: Rule | None = None) -> Breakout | None:
    """One of the workshop's loaded breakouts (``None`` for no id); 404 if not its own or refused."""
    if breakout_id is None:
        return None
    breakout = next((b for b in workshop.breakouts if b.id == breakout_id), None)
    if breakout is None or (visible_if is not None and not visible_if(current_user, breakout)):
        abort(404)
    return breakout


def own_registration_or_404(registration_id: int) -> Registration:
    """One of the current person's own registrations, with what its page shows."""
    return queries.own_registration(get_session(), registration_id, current_user) or abort(404)


def registration_or_404(registration_id: int, *, visible_if: Rule | None = None) -> Registration:
    """The registration; ``visible_if`` is asked of its workshop (loaded as ``workshop_or_404`` does)."""
    registration = get_session().get(Registration, registration_id) or abort(404)
    if visible_if is not None:
        workshop_or_404(registration.workshop_id, visible_if=visible_if)
    return registration
