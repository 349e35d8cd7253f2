"""Who may do what: one decorator for pages gated by role, and yes/no predicates for objects.

Answers follow PRODUCT.md: not logged in → log-in page with ``next``; logged in without the role →
403. Templates call the same predicates to hide what a person cannot do; views always check.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from workshops.auth.models import Role
from workshops.extensions import login_manager


def role_required(role: Role | str) -> Callable:
    """Gate a view on holding ``role`` (or a higher one)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = Role(role)
        return wrapped

    return decorator


def is_organiser(user) -> bool:
    """Tell whether ``user`` organises the programme."""
    return bool(user and user.is_authenticated and user.has_role(Role.organiser))


def can_manage_accounts(user) -> bool:
    """Organisers list accounts and change roles."""
    return is_organiser(user)


def can_manage_workshops(user) -> bool:
    """Organisers set up workshops, test beds and breakouts and manage registrations."""
    return is_organiser(user)


def can_facilitate(user, breakout) -> bool:
    """Organisers, and the facilitators named on this breakout."""
    if not (user and user.is_authenticated):
        return False
    if user.has_role(Role.organiser):
        return True
    return user.has_role(Role.facilitator) and any(f.id == user.id for f in breakout.facilitators)


def can_see_attendees(user, workshop) -> bool:
    """Organisers, and facilitators of any breakout of the workshop."""
    if not (user and user.is_authenticated):
        return False
    return user.has_role(Role.organiser) or any(can_facilitate(user, b) for b in workshop.breakouts)


def can_see_requirements(user) -> bool:
    """Dietary and accessibility requirements are for organisers only."""
    return is_organiser(user)


def works_on_use_cases(user) -> bool:
    """Organisers and facilitators explore needs and write use cases."""
    return bool(user and user.is_authenticated and user.has_role(Role.facilitator))
