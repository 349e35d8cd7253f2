"""The façade templates use: every domain's yes/no access rules under one set of names.

Each domain keeps its rules in its own ``rules.py`` (views import them from there, so that every
domain points down); this module only gathers them for the templates, which hide what a person
cannot do. Hidden is not protected: the views always check.
"""

from __future__ import annotations

from flask import Flask

from workshops.auth import rules as auth_rules
from workshops.events import rules as event_rules

#: The names templates call, and the rule behind each.
TEMPLATE_RULES = {
    "is_organiser": auth_rules.is_organiser,
    "can_manage_accounts": auth_rules.can_manage_accounts,
    "can_manage_workshops": auth_rules.can_manage_workshops,
    "can_see_requirements": auth_rules.can_see_requirements,
    "works_on_use_cases": auth_rules.works_on_use_cases,
    "can_facilitate": event_rules.can_facilitate,
    "can_see_attendees": event_rules.can_see_attendees,
}


def init_app(app: Flask) -> None:
    """Offer every rule to the templates."""
    app.jinja_env.globals.update(TEMPLATE_RULES)
