"""Who may do what by role: the gate for pages, and yes/no predicates on a person's role.

Answers follow PRODUCT.md: not logged in → the log-in page with ``next``; logged in without the
role a page needs → 403. Predicates on objects live in each domain's ``rules.py``; templates reach
them all through ``workshops.access``.
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


def can_see_requirements(user) -> bool:
    """Dietary and accessibility requirements are for organisers only."""
    return is_organiser(user)


def works_on_use_cases(user) -> bool:
    """Organisers and facilitators explore needs and write use cases."""
    return bool(user and user.is_authenticated and user.has_role(Role.facilitator))
