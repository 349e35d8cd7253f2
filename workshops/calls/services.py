"""What organisers do to a call: each change, then its audit entry, then for a publication the e-mails.

The change itself is the composition's (``workshops.calls.composition``), committed before anything
is recorded or sent: a refusal (``CallError``) records nothing, and a failed e-mail undoes nothing.
Audit entries hold ids and short facts only, never typed text. The demo and the benchmark compose
their calls with ``composition`` directly: their history is made up, and nobody is to be told.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.calls import composition, exports, notifications, publication, report
from workshops.calls.composition import CallError, StalePublication
from workshops.calls.models import CallState, OpenCall
from workshops.db import write_transaction
from workshops.timeutil import utcnow
from workshops.usecases.services import template_body

FROZEN_MESSAGE = "This call is published: its name, dates and text no longer change."


class SlugTaken(CallError):
    """Another call took the slug between the form's check and the save."""


def create_call(session: Session, *, values: dict) -> OpenCall:
    """Store a new draft call from a valid form's values, and record it."""
    call = OpenCall(**values)
    with _slug_checked(session):
        session.add(call)
    _audit(AuditAction.call_created, call, f"slug={call.slug}")
    return call


def edit_call(session: Session, call: OpenCall, *, values: dict) -> None:
    """Change a draft call's name, address, dates and text, and record it.

    The draft is read again under the write lock: a call published meanwhile is refused (``CallError``).
    """
    with _slug_checked(session):
        current = session.get(OpenCall, call.id, populate_existing=True)
        if current.state != CallState.draft:
            raise CallError(FROZEN_MESSAGE)
        for name, value in values.items():
            setattr(current, name, value)
        current.updated_at = utcnow()
    _audit(AuditAction.call_edited, current, f"slug={current.slug}")


@contextmanager
def _slug_checked(session: Session) -> Iterator[None]:
    """One write transaction, flushed before the commit; a slug taken meanwhile raises ``SlugTaken``."""
    try:
        with write_transaction(session):
            yield
            session.flush()
    except IntegrityError as error:
        raise SlugTaken("Another call has this short name; choose another.") from error


def add_challenges(session: Session, call: OpenCall, *, use_case_ids: list[int]) -> int:
    """Add accepted use cases to a draft call in the order given, and record which were asked for (in that order).

    Returns how many were added.
    """
    added = composition.add_challenges(session, call, use_case_ids=use_case_ids)
    _audit(AuditAction.call_challenges_added, call, "use cases " + ", ".join(str(i) for i in use_case_ids))
    return added


def move_challenge(
    session: Session, call: OpenCall, *, challenge_id: int, step: int, seen: list[int] | None = None
) -> bool:
    """Move a challenge up (-1) or down (+1) within its domain, and record it; return whether it moved.

    ``seen`` is the order the person saw (``OrderChanged`` when it is no longer the call's).
    """
    moved = composition.move_challenge(session, call, challenge_id=challenge_id, step=step, seen=seen)
    if moved:
        _audit(AuditAction.call_challenge_moved, call, f"challenge {challenge_id} {_direction(step)}")
    return moved


def remove_challenge(session: Session, call: OpenCall, *, challenge_id: int) -> None:
    """Take a challenge out of a draft call, and record it."""
    composition.remove_challenge(session, call, challenge_id=challenge_id)
    _audit(AuditAction.call_challenge_removed, call, f"challenge {challenge_id}")


def move_domain(session: Session, call: OpenCall, *, domain_id: int, step: int, seen: list[int] | None = None) -> bool:
    """Move a domain up (-1) or down (+1) among the call's domains, and record it; return whether it moved.

    ``seen`` is the order the person saw (``OrderChanged`` when it is no longer the call's).
    """
    moved = composition.move_domain(session, call, domain_id=domain_id, step=step, seen=seen)
    if moved:
        _audit(AuditAction.call_domain_moved, call, f"domain {domain_id} {_direction(step)}")
    return moved


def publish(session: Session, call: OpenCall, *, token: str) -> int:
    """Publish a draft call as its confirmation showed it, record it, then tell each contributor once.

    ``token`` is the one ``publication.preview`` gave the confirmation page: when publishing now
    would freeze other texts or e-mail another number of people than the page said, nothing
    happens (``StalePublication``). What holds the publication up (``composition.problems``, with
    the use-case template in force) refuses it (``CallError``). Returns how many were told.
    """
    if publication.preview(session, call).token != token:
        raise StalePublication()
    challenges = composition.publish(
        session, call, template=template_body(session), expected=publication.text_fingerprint(token)
    )
    _audit(AuditAction.call_published, call, f"{len(challenges)} challenges")
    return notifications.call_published(session, call)


def close(session: Session, call: OpenCall) -> None:
    """Close a published call, and record it."""
    composition.close(session, call)
    _audit(AuditAction.call_closed, call, f"slug={call.slug}")


def consultation_report(session: Session, call: OpenCall, *, fmt: str) -> report.Report:
    """The call's consultation report, its download in the format ``fmt`` recorded in the audit log."""
    built = report.build(session, exports.read(session, call))
    _audit(AuditAction.export, call, f"consultation report {fmt}")
    return built


def _direction(step: int) -> str:
    return "up" if step < 0 else "down"


def _audit(action: AuditAction, call: OpenCall, detail: str) -> None:
    record(action, target_type="call", target_id=call.id, detail=detail)
