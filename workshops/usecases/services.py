"""Writing use cases: creating them from needs, editing, the review workflow, comments, deleting and the template.

Every change that a person may want to look back on adds a revision: a full copy of the use case
numbered by its version after the save, with what the change did in words. The version column is
SQLAlchemy's version counter, so a save based on an older version is refused (optimistic locking):
the editor says so and shows both texts, and nobody's work is replaced silently. Each change runs
in one short write transaction holding the use case (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE``
on PostgreSQL), retried a few times while the database is busy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TypeVar

from sqlalchemy import delete, func
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.auth.models import OrganisationType, User
from workshops.db import max_length
from workshops.events.models import Breakout, TestBed
from workshops.needs.models import Need, Sensitivity, Vote
from workshops.search import fold
from workshops.timeutil import utcnow
from workshops.transactions import run_locked, run_write
from workshops.usecases import rules
from workshops.usecases.models import (
    TRL_RANGE,
    UseCase,
    UseCaseComment,
    UseCaseNeed,
    UseCaseRevision,
    UseCaseState,
    UseCaseTemplate,
)
from workshops.usecases.template_default import CONTEXT_HEADING, DEFAULT_TEMPLATE

T = TypeVar("T")

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
#: Organisation types whose organisations are proposed as the challenge's owners.
OWNER_TYPES = frozenset({OrganisationType.end_user, OrganisationType.public_authority})


class UseCaseError(Exception):
    """A change was refused; the message is meant for the person."""


class StaleUseCase(Exception):
    """Someone else saved the use case since this person loaded it."""

    def __init__(self, current: UseCase):
        """Keep the version now stored, to show it beside the person's own."""
        super().__init__("Someone else saved this use case while you were editing it.")
        self.current = current


@dataclass
class UseCaseInput:
    """What the use-case form gives, already validated."""

    title: str
    summary: str = ""
    domain_id: int | None = None
    test_bed_id: int | None = None
    owners: str = ""
    owners_may_be_named: bool = False
    trl_min: int = 4
    trl_max: int = 7
    body: str = ""


EDITED_FIELDS = tuple(item.name for item in fields(UseCaseInput))
#: Every field a revision copies.
SNAPSHOT_FIELDS = (*EDITED_FIELDS, "state", "rejected_reason")
#: How a revision names the fields an edit changed.
FIELD_WORDS = {
    "title": "title",
    "summary": "summary",
    "domain_id": "domain",
    "test_bed_id": "test bed",
    "owners": "owners",
    "owners_may_be_named": "owners' agreement",
    "trl_min": "TRL range",
    "trl_max": "TRL range",
    "body": "text",
}


# --- Transactions -------------------------------------------------------------------------------


def _write(session: Session, change: Callable[[], T]) -> T:
    """Run ``change`` in one write transaction, again while the database is busy, then give up with ``Busy``."""
    return run_write(session, change)


def _locked(session: Session, use_case_id: int, change: Callable[[UseCase], T]) -> T:
    """Run ``change`` on the use case read under its lock; a concurrent save slipping through is a conflict."""
    try:
        return run_locked(
            session,
            UseCase,
            use_case_id,
            change,
            missing=lambda: UseCaseError("This use case does not exist any more."),
        )
    except StaleDataError as error:  # a save without the lock slipped between our read and our write
        session.rollback()
        raise StaleUseCase(session.get(UseCase, use_case_id, populate_existing=True)) from error


def _revise(session: Session, use_case: UseCase, author: User | None, change: str) -> UseCaseRevision:
    """Store the use case as this save leaves it; the flush raises its version first."""
    session.flush()
    revision = UseCaseRevision(
        use_case_id=use_case.id,
        number=use_case.version,
        author_id=author.id if author is not None else None,
        change=change[: max_length(UseCaseRevision, "change")],
        **{name: getattr(use_case, name) for name in SNAPSHOT_FIELDS},
    )
    session.add(revision)
    session.flush()
    return revision


def _refuse_if_deleted(use_case: UseCase) -> None:
    if use_case.deleted_at is not None:
        raise UseCaseError("This use case was deleted.")


def _refuse_unless_editable(actor: User, use_case: UseCase) -> None:
    _refuse_if_deleted(use_case)
    if not rules.may_edit(actor, use_case):
        state = UseCaseState(use_case.state).label.lower()
        raise UseCaseError(f"This use case is {state} now: only organisers change it.")


def _audit(action: AuditAction, use_case_id: int, actor: User, detail: str) -> None:
    """Record a use-case event in the audit log."""
    record(action, actor_id=actor.id, target_type="use_case", target_id=use_case_id, detail=detail)


# --- Reading ------------------------------------------------------------------------------------


def explorable_needs(session: Session, user: User, need_ids: Iterable[int]) -> list[Need]:
    """The needs of ``need_ids`` this person may explore, in the order given, with breakouts and workshops."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        return []
    statement = (
        select(Need)
        .where(col(Need.id).in_(ids), rules.readable_needs(user))
        .options(selectinload(Need.breakout).selectinload(Breakout.workshop))
    )
    found = {need.id: need for need in session.exec(statement)}
    return [found[i] for i in ids if i in found]


def vote_counts(session: Session, need_ids: Iterable[int]) -> dict[int, int]:
    """Votes per need (one query)."""
    ids = list(need_ids)
    if not ids:
        return {}
    counted = select(Vote.need_id, func.count()).where(col(Vote.need_id).in_(ids)).group_by(Vote.need_id)
    return dict(session.exec(counted).all())


def need_counts(session: Session, use_case_ids: Iterable[int]) -> dict[int, int]:
    """How many needs are linked to each use case (one query)."""
    ids = list(use_case_ids)
    if not ids:
        return {}
    counted = (
        select(UseCaseNeed.use_case_id, func.count())
        .where(col(UseCaseNeed.use_case_id).in_(ids))
        .group_by(UseCaseNeed.use_case_id)
    )
    return dict(session.exec(counted).all())


def linked_need_ids(session: Session, use_case: UseCase) -> list[int]:
    """The ids of the needs linked to a use case."""
    return list(session.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == use_case.id)))


# --- The body template --------------------------------------------------------------------------


def _template_row(session: Session) -> UseCaseTemplate | None:
    return session.exec(select(UseCaseTemplate).order_by(UseCaseTemplate.id).limit(1)).first()


def template_body(session: Session) -> str:
    """The Markdown a new use case starts from: the organisers' template, else the default one."""
    row = _template_row(session)
    return row.body if row is not None else DEFAULT_TEMPLATE


def set_template(*, session: Session, body: str, author: User) -> None:
    """Replace the body template (new use cases start from it; existing ones keep their text)."""
    limit = max_length(UseCaseTemplate, "body")
    if not body.strip():
        raise UseCaseError("Write the template: new use cases start from it.")
    if len(body) > limit:
        raise UseCaseError(f"Use at most {limit} characters.")

    def change() -> None:
        row = _template_row(session)
        if row is None:
            row = UseCaseTemplate(body=body)
            session.add(row)
        row.body = body
        row.updated_at = utcnow()
        row.updated_by_id = author.id

    _write(session, change)


# --- Prefilling from needs ----------------------------------------------------------------------

_MARKDOWN_SIGNIFICANT = re.compile(r"([\\`*_{}\[\]#|])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^([-+>]|\d+(?=[.)]))")


def escape_markdown(text: str) -> str:
    """Plain text made safe to place in Markdown: it renders as typed, never as emphasis, a link or HTML."""
    text = " ".join(text.split())
    text = _MARKDOWN_SIGNIFICANT.sub(r"\\\1", text)
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
    match = _LINE_START.match(text)
    if match and match.group(1)[0].isdigit():
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text if match else text


def _cut(text: str, limit: int) -> str:
    """The text cut to ``limit`` characters at a word, with an ellipsis when something was left out."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def need_bullet(need: Need) -> str:
    """One need as the Context section lists it: its title, workshop and breakout."""
    where = f"{escape_markdown(need.breakout.workshop.title)}, {escape_markdown(need.breakout.title)}"
    return f"- {escape_markdown(need.title)} ({where})"


def body_with_needs(template: str, needs: list[Need]) -> str:
    """The template with a bullet per need under "## Context" (after its hint), or a Context section first."""
    if not needs:
        return template
    bullets = [need_bullet(need) for need in needs]
    lines = template.splitlines()
    heading = next((i for i, line in enumerate(lines) if line.strip().lower() == CONTEXT_HEADING.lower()), None)
    if heading is None:
        return "\n".join([CONTEXT_HEADING, "", *bullets, "", *lines]) + "\n"
    at = heading + 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at < len(lines) and re.fullmatch(r"\s*([_*]).+\1\s*", lines[at]):
        at += 1  # the section's italic hint stays first
    else:
        at = heading + 1
    after = lines[at:]
    if after and after[0].strip():
        after = ["", *after]
    return "\n".join([*lines[:at], "", *bullets, *after]) + "\n"


def owners_from(needs: Iterable[Need]) -> str:
    """The organisations of the end-users and public authorities behind the needs, one per line.

    Only public needs name theirs: an anonymous need's organisation is never shown to others, and
    an internal one is never published. The same organisation spelled with other accents or case
    is named once.
    """
    seen: dict[str, str] = {}
    for need in needs:
        name = need.organisation.strip()
        if name and need.organisation_type in OWNER_TYPES and need.sensitivity == Sensitivity.public:
            seen.setdefault(fold(name), name)
    limit = max_length(UseCase, "owners")
    lines: list[str] = []
    for name in seen.values():
        if len("\n".join([*lines, name])) > limit:
            break
        lines.append(name)
    return "\n".join(lines)


def prefill(session: Session, needs: list[Need]) -> UseCaseInput:
    """A first draft of a use case from needs: the organiser edits it before saving.

    The title is the most-voted need's; the summary joins their statements; the domain and test bed
    are theirs when they share one; the owners are their end-user organisations; the body is the
    template with the needs listed under its Context heading.
    """
    body = body_with_needs(template_body(session), needs)[: max_length(UseCase, "body")]
    if not needs:
        return UseCaseInput(title="", body=body)
    votes = vote_counts(session, [need.id for need in needs])
    top = max(needs, key=lambda need: votes.get(need.id, 0))  # the first of the most voted
    statements = dict.fromkeys(" ".join(need.statement.split()) for need in needs if need.statement.strip())
    domains = {need.domain_id for need in needs}
    domain_id = domains.pop() if len(domains) == 1 else None
    test_beds = {need.test_bed_id for need in needs}
    test_bed_id = test_beds.pop() if len(test_beds) == 1 and domain_id is not None else None
    if test_bed_id is not None:
        test_bed = session.get(TestBed, test_bed_id)
        test_bed_id = test_bed_id if test_bed is not None and test_bed.domain_id == domain_id else None
    return UseCaseInput(
        title=top.title[: max_length(UseCase, "title")],
        summary=_cut(" ".join(statements), max_length(UseCase, "summary")),
        domain_id=domain_id,
        test_bed_id=test_bed_id,
        owners=owners_from(needs),
        body=body,
    )


# --- Creating and editing -----------------------------------------------------------------------


def _check(session: Session, values: UseCaseInput) -> None:
    """The checks the form makes, again, for callers without a form."""
    low, high = TRL_RANGE
    if not (low <= values.trl_min <= values.trl_max <= high):
        raise UseCaseError(f"The TRL range goes from {low} to {high}, the lowest first.")
    if values.test_bed_id is not None:
        test_bed = session.get(TestBed, values.test_bed_id)
        if test_bed is None or test_bed.domain_id != values.domain_id:
            raise UseCaseError("Choose a test bed of the use case's domain.")


def create_use_case(*, session: Session, author: User, values: UseCaseInput, need_ids: Iterable[int] = ()) -> UseCase:
    """Store a new draft use case fed by the needs of ``need_ids`` (revision 1, "Created from N needs").

    Every need must be one the author may explore; otherwise nothing is stored.
    """
    ids = list(dict.fromkeys(need_ids))

    def change() -> UseCase:
        needs = explorable_needs(session, author, ids)
        if len(needs) != len(ids):
            raise UseCaseError("One of these needs is not one you may use: choose the needs again.")
        _check(session, values)
        use_case = UseCase(**vars(values), created_by_id=author.id)
        session.add(use_case)
        session.flush()
        for need in needs:
            session.add(UseCaseNeed(use_case_id=use_case.id, need_id=need.id, added_by_id=author.id))
        words = f"Created from {len(needs)} need{'s' if len(needs) != 1 else ''}" if needs else "Created"
        _revise(session, use_case, author, words)
        return use_case

    return _write(session, change)


def differing_fields(use_case: UseCase, values: UseCaseInput) -> set[str]:
    """The fields where ``values`` differ from the use case (for the conflict view)."""
    return {name for name in EDITED_FIELDS if getattr(use_case, name) != getattr(values, name)}


def _changed_words(names: list[str]) -> str:
    words = list(dict.fromkeys(FIELD_WORDS[name] for name in names))
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"Edited the {listed}"


def update_use_case(
    *, session: Session, use_case: UseCase, author: User, values: UseCaseInput, expected_version: int
) -> UseCase:
    """Save changes to a use case, unless someone else saved it since ``expected_version`` was read.

    Raises ``StaleUseCase`` with the version now stored; a save that changes nothing adds no revision.
    """

    def change(current: UseCase) -> UseCase:
        if current.version != expected_version:
            raise StaleUseCase(current)
        _refuse_unless_editable(author, current)
        _check(session, values)
        changed = [name for name in EDITED_FIELDS if name in differing_fields(current, values)]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, getattr(values, name))
        current.updated_at = utcnow()
        _revise(session, current, author, _changed_words(changed))
        return current

    return _locked(session, use_case.id, change)


# --- The review workflow ------------------------------------------------------------------------


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
        _refuse_if_deleted(current)
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
        _revise(session, current, actor, f"{words}: {reason}" if target is UseCaseState.rejected else words)
        return current, source

    current, source = _locked(session, use_case.id, change)
    _audit(AuditAction.use_case_state, current.id, actor, f"{source.value} -> {target.value}")
    return current


# --- Needs --------------------------------------------------------------------------------------


def add_needs(*, session: Session, use_case: UseCase, actor: User, need_ids: Iterable[int]) -> int:
    """Link more needs to a use case ("Added 2 needs"); return how many were not linked already."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        raise UseCaseError("Choose the needs to add.")

    def change(current: UseCase) -> int:
        _refuse_unless_editable(actor, current)
        if len(explorable_needs(session, actor, ids)) != len(ids):
            raise UseCaseError("One of these needs is not one you may use: choose the needs again.")
        linked = set(
            session.exec(
                select(UseCaseNeed.need_id).where(
                    UseCaseNeed.use_case_id == current.id, col(UseCaseNeed.need_id).in_(ids)
                )
            )
        )
        new = [need_id for need_id in ids if need_id not in linked]
        if not new:
            return 0
        for need_id in new:
            session.add(UseCaseNeed(use_case_id=current.id, need_id=need_id, added_by_id=actor.id))
        current.updated_at = utcnow()
        _revise(session, current, actor, f"Added {len(new)} need{'s' if len(new) != 1 else ''}")
        return len(new)

    return _locked(session, use_case.id, change)


def remove_need(*, session: Session, use_case: UseCase, actor: User, need_id: int) -> None:
    """Unlink a need from a use case ("Removed need #12")."""

    def change(current: UseCase) -> None:
        _refuse_unless_editable(actor, current)
        link = session.get(UseCaseNeed, (current.id, need_id))
        if link is None:
            raise UseCaseError("This need does not feed the use case.")
        session.delete(link)
        current.updated_at = utcnow()
        _revise(session, current, actor, f"Removed need #{need_id}")

    _locked(session, use_case.id, change)


# --- Comments -----------------------------------------------------------------------------------


def add_comment(*, session: Session, use_case: UseCase, author: User, body: str) -> UseCaseComment:
    """Add a plain-text comment to a use case."""
    body = body.strip()
    limit = max_length(UseCaseComment, "body")
    if not body:
        raise UseCaseError("Write the comment.")
    if len(body) > limit:
        raise UseCaseError(f"Use at most {limit} characters.")
    _refuse_if_deleted(use_case)

    def change() -> UseCaseComment:
        comment = UseCaseComment(use_case_id=use_case.id, author_id=author.id, body=body)
        session.add(comment)
        session.flush()
        return comment

    return _write(session, change)


# --- Deleting -----------------------------------------------------------------------------------


def delete_use_case(*, session: Session, use_case: UseCase, actor: User) -> None:
    """Delete a use case softly: it leaves every list and feeds no need, until an organiser restores it."""
    if not rules.may_delete(actor):
        raise UseCaseError("Only organisers delete use cases.")

    def change(current: UseCase) -> bool:
        if current.deleted_at is not None:
            return False
        current.deleted_at = utcnow()
        current.deleted_by_id = actor.id
        _revise(session, current, actor, "Deleted")
        return True

    if _locked(session, use_case.id, change):
        _audit(AuditAction.use_case_deleted, use_case.id, actor, "deleted")


def restore_use_case(*, session: Session, use_case: UseCase, actor: User) -> None:
    """Undo the deletion of a use case: it is listed and feeds its needs again."""
    if not rules.may_delete(actor):
        raise UseCaseError("Only organisers restore use cases.")

    def change(current: UseCase) -> bool:
        if current.deleted_at is None:
            return False
        current.deleted_at = None
        current.deleted_by_id = None
        _revise(session, current, actor, "Restored")
        return True

    if _locked(session, use_case.id, change):
        _audit(AuditAction.use_case_restored, use_case.id, actor, "restored")


def unlink_needs(*, session: Session, need_ids: list[int]) -> None:
    """Inside the caller's transaction: these needs (about to be deleted) feed no use case any more."""
    if need_ids:
        session.execute(delete(UseCaseNeed).where(col(UseCaseNeed.need_id).in_(need_ids)))
