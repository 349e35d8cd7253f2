"""The review workflow: sending for review, accepting, rejecting, back to draft, each by role and with a revision."""

from __future__ import annotations

from sqlmodel import Session

from workshops.audit.models import AuditAction
from workshops.auth.models import User
from workshops.db import max_length
from workshops.timeutil import utcnow
from workshops.usecases import rules
from workshops.usecases.models import (
    UseCase,
    UseCaseState,
)
from workshops.usecases.services.core import UseCaseError, audit_event, locked, refuse_if_deleted, revise


def change_state(*, session: Session, use_case: UseCase, actor: User, to_state: str, reason: str = "") -> UseCase:
    """Move a use case along the review workflow, as far as the person's role allows.

    Rejecting needs a reason. Each change adds a revision ("Sent for review", "Rejected: …") and an
    audit entry.
    """
    try:
        target = UseCaseState(to_state)
    except ValueError:
        raise UseCaseError("There is no such state.") from None
    reason = " ".join(reason.split())
    limit = max_length(UseCase, "rejected_reason")

    def change(current: UseCase) -> tuple[UseCase, UseCaseState]:
        refuse_if_deleted(current)
        source = UseCaseState(current.state)
        needed = rules.TRANSITIONS[source].get(target)
        if needed is None:
            raise UseCaseError(f"A use case that is “{source.label}” cannot become “{target.label}”.")
        if not actor.has_role(needed):
            raise UseCaseError(f"Only {needed.value}s may {REFUSED_WORDS[target]}.")
        if target is UseCaseState.rejected and not reason:
            raise UseCaseError("Say why the use case is rejected: its authors will read it.")
        if len(reason) > limit:
            raise UseCaseError(f"Give the reason in at most {limit} characters.")
        current.state = target.value
        current.rejected_reason = reason if target is UseCaseState.rejected else ""
        current.updated_at = utcnow()
        words = STATE_CHANGE_WORDS[target]
        revise(session, current, actor, f"{words}: {reason}" if target is UseCaseState.rejected else words)
        return current, source

    current, source = locked(session, use_case.id, change)
    audit_event(AuditAction.use_case_state, current.id, actor, f"{source.value} -> {target.value}")
    return current


#: What a revision says about a change of state.
STATE_CHANGE_WORDS = {
    UseCaseState.in_review: "Sent for review",
    UseCaseState.accepted: "Accepted",
    UseCaseState.rejected: "Rejected",
    UseCaseState.draft: "Back to draft",
}


#: What someone without the role was trying to do, for the refusal.
REFUSED_WORDS = {
    UseCaseState.in_review: "send a use case for review",
    UseCaseState.accepted: "accept a use case",
    UseCaseState.rejected: "reject a use case",
    UseCaseState.draft: "put a use case back to draft",
}
