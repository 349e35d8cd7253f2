"""The review workflow: sending for review, accepting, rejecting, back to draft, each by role and with a revision.

``change_state`` moves one use case; ``change_states`` moves many at once (the list's bulk action),
through ``change_state`` for each, so that the same rules hold as on a use case's own page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from workshops.audit.models import AuditAction
from workshops.auth.models import User
from workshops.db import max_length
from workshops.programme import queries as programme_queries
from workshops.timeutil import utcnow
from workshops.transactions import Busy
from workshops.usecases import rules
from workshops.usecases.models import (
    UseCase,
    UseCaseState,
)
from workshops.usecases.services.core import (
    StaleUseCase,
    UseCaseError,
    audit_event,
    locked,
    refuse_if_deleted,
    revise,
)


class OwnAcceptance(UseCaseError):
    """An organiser tried to accept a use case they created, and the programme's settings say a second person must."""


OWN_ACCEPTANCE_MESSAGE = (
    "You created this use case, so another organiser must accept it: the programme's settings ask for a "
    "second person's review."
)


def change_state(
    *,
    session: Session,
    use_case: UseCase,
    actor: User,
    to_state: str,
    reason: str = "",
    organisers_accept_own: bool | None = None,
) -> UseCase:
    """Move a use case along the review workflow, as far as the person's role allows.

    Rejecting needs a reason. Accepting needs someone other than the use case's creator, unless the
    programme's settings allow organisers to accept their own (``organisers_accept_own``: ``None``
    reads the setting, under the same lock as the change; only the demo's made-up history passes
    ``True``). Each change adds a revision ("Sent for review", "Rejected: …") and an audit entry.
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
        if target is UseCaseState.accepted and rules.accepts_own(actor, current):
            allowed = organisers_accept_own
            if allowed is None:
                allowed = programme_queries.organisers_accept_own(session)
            if not allowed:
                raise OwnAcceptance(OWN_ACCEPTANCE_MESSAGE)
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


# --- Many at once ---------------------------------------------------------------------------------

#: The largest id a use case can have (the column is a 32-bit integer): a larger one names none.
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Refusal:
    """A ticked use case that a bulk change left as it was, and why, in words for the person."""

    use_case_id: int
    #: Empty when no such use case exists (for this person).
    title: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk change did: the use cases it moved and those it refused, in the order ticked."""

    changed: list[UseCase] = field(default_factory=list)
    changed_titles: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def bulk_targets(user: User) -> list[UseCaseState]:
    """The states this person may move some use case to, in the workflow's order: what the list offers them.

    Rejecting is among them for organisers: the list asks for one reason, given to every use case it
    rejects (the same rule as on a use case's page: no rejection without a reason).
    """
    reachable = {to for moves in rules.TRANSITIONS.values() for to, role in moves.items() if user.has_role(role)}
    return [state for state in UseCaseState if state in reachable]


def change_states(
    *, session: Session, use_case_ids: Iterable[int], actor: User, to_state: str, reason: str = ""
) -> BulkOutcome:
    """Move each ticked use case along the workflow where it may go; leave the others and say why.

    Each use case goes through ``change_state``, in a transaction of its own: who may, which
    transitions exist, deleted ones refused, a revision and an audit entry each. A refusal of one
    (not allowed, deleted, changed meanwhile, the database busy) leaves the others to go ahead, and
    is reported with its reason: the person sees exactly which ones did not move. An id that names
    no use case, or a deleted one for someone who may not see deleted ones, is reported as unknown.
    The ticked use cases are read in one query; each change then costs a few statements of its own.
    """
    target = UseCaseState(to_state)
    ids = list(dict.fromkeys(use_case_ids))
    valid = [i for i in ids if 0 < i <= LARGEST_ID]
    found = {u.id: u for u in session.exec(select(UseCase).where(col(UseCase.id).in_(valid)))} if valid else {}
    titles = {use_case_id: use_case.title for use_case_id, use_case in found.items()}
    outcome = BulkOutcome()
    for use_case_id in ids:
        use_case = found.get(use_case_id)
        if use_case is None or (use_case.deleted_at is not None and not rules.may_delete(actor)):
            outcome.refused.append(Refusal(use_case_id, "", "There is no such use case."))
            continue
        title = titles[use_case_id]
        if use_case.deleted_at is None and use_case.state == target:
            # Only a kinder word than "cannot become": change_state would refuse it as well.
            outcome.refused.append(Refusal(use_case_id, title, f"It is already “{target.label}”."))
            continue
        try:
            changed = change_state(session=session, use_case=use_case, actor=actor, to_state=target, reason=reason)
        except UseCaseError as refused:
            outcome.refused.append(Refusal(use_case_id, title, str(refused)))
        except StaleUseCase:
            outcome.refused.append(Refusal(use_case_id, title, "Someone else changed it meanwhile: try it again."))
        except Busy:
            outcome.refused.append(Refusal(use_case_id, title, "The database was busy: try it again."))
        else:
            outcome.changed.append(changed)
            outcome.changed_titles.append(title)
    return outcome
