"""Who may do what with needs and use cases after the workshops, and which state changes exist.

Organisers may do everything. Facilitators explore the needs of the breakouts they facilitate,
create use cases, edit drafts, comment, and propose a draft for review. Participants reach none of
it (403). Accepting a use case is for an organiser other than the one who created it, unless the
programme's settings let organisers accept their own (``ProgrammeSettings.organisers_accept_own``):
every challenge is then read by a second person before it can go into a call.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlmodel import col, select

from workshops.auth.models import Role, User
from workshops.auth.rules import works_on_use_cases
from workshops.events.models import BreakoutFacilitator
from workshops.needs.models import Need, Sensitivity
from workshops.usecases.models import UseCase, UseCaseState

__all__ = [
    "TRANSITIONS",
    "accepts_own",
    "may_delete",
    "may_edit",
    "next_states",
    "readable_needs",
    "shows_organisation",
    "works_on_use_cases",
]

#: The review workflow: from each state, the states it may go to, and the lowest role that may.
TRANSITIONS: dict[UseCaseState, dict[UseCaseState, Role]] = {
    UseCaseState.draft: {UseCaseState.in_review: Role.facilitator},
    UseCaseState.in_review: {
        UseCaseState.accepted: Role.organiser,
        UseCaseState.rejected: Role.organiser,
        UseCaseState.draft: Role.organiser,
    },
    UseCaseState.accepted: {UseCaseState.draft: Role.organiser},
    UseCaseState.rejected: {UseCaseState.draft: Role.organiser},
}

#: How a change of state is offered, on a button.
TRANSITION_LABELS = {
    UseCaseState.in_review: "Send for review",
    UseCaseState.accepted: "Accept",
    UseCaseState.rejected: "Reject",
    UseCaseState.draft: "Back to draft",
}


def may_edit(user: User, use_case: UseCase) -> bool:
    """Organisers edit any use case; facilitators edit drafts."""
    if user.has_role(Role.organiser):
        return True
    return user.has_role(Role.facilitator) and use_case.state == UseCaseState.draft and use_case.deleted_at is None


def may_delete(user: User) -> bool:
    """Deleting (and undoing it) is for organisers."""
    return user.has_role(Role.organiser)


def accepts_own(user: User, use_case: UseCase) -> bool:
    """Whether accepting this use case would be its own author's acceptance ("wrote" is created it)."""
    return use_case.created_by_id is not None and use_case.created_by_id == user.id


def next_states(user: User, use_case: UseCase, *, organisers_accept_own: bool = False) -> list[UseCaseState]:
    """The states this person may move the use case to now, in the workflow's order.

    ``organisers_accept_own`` is the programme's setting: off (the default, and whatever a caller
    forgets to pass), the person who created the use case is not offered to accept it.
    """
    if use_case.deleted_at is not None:
        return []
    allowed = TRANSITIONS[UseCaseState(use_case.state)]
    return [
        state
        for state, role in allowed.items()
        if user.has_role(role)
        and not (state is UseCaseState.accepted and not organisers_accept_own and accepts_own(user, use_case))
    ]


def readable_needs(user: User) -> ColumnElement[bool]:
    """A condition on ``Need`` for the needs this person may explore: all for organisers, else their breakouts'."""
    if user.has_role(Role.organiser):
        return true()
    facilitated = select(BreakoutFacilitator.breakout_id).where(BreakoutFacilitator.user_id == user.id)
    return col(Need.breakout_id).in_(facilitated)


def shows_organisation(user: User, need: Need) -> bool:
    """An anonymous need's organisation is for organisers' eyes only."""
    return need.sensitivity != Sensitivity.anonymous or user.has_role(Role.organiser)
