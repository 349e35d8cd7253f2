"""Creating, editing, linking needs to, deleting and restoring use cases, each change a revision."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, col, select

from workshops.audit.models import AuditAction
from workshops.auth.models import User
from workshops.events.models import TestBed
from workshops.timeutil import utcnow
from workshops.usecases import rules
from workshops.usecases.models import (
    TRL_RANGE,
    UseCase,
    UseCaseNeed,
)
from workshops.usecases.services.core import (
    EDITED_FIELDS,
    FIELD_WORDS,
    StaleUseCase,
    UseCaseError,
    UseCaseInput,
    audit_event,
    locked,
    refuse_unless_editable,
    revise,
    write,
)
from workshops.usecases.services.reading import explorable_needs


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
        revise(session, use_case, author, words)
        return use_case

    return write(session, change)


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
        refuse_unless_editable(author, current)
        _check(session, values)
        changed = [name for name in EDITED_FIELDS if name in differing_fields(current, values)]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, getattr(values, name))
        current.updated_at = utcnow()
        revise(session, current, author, _changed_words(changed))
        return current

    return locked(session, use_case.id, change)


def add_needs(*, session: Session, use_case: UseCase, actor: User, need_ids: Iterable[int]) -> int:
    """Link more needs to a use case ("Added 2 needs"); return how many were not linked already."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        raise UseCaseError("Choose the needs to add.")

    def change(current: UseCase) -> int:
        refuse_unless_editable(actor, current)
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
        revise(session, current, actor, f"Added {len(new)} need{'s' if len(new) != 1 else ''}")
        return len(new)

    return locked(session, use_case.id, change)


def remove_need(*, session: Session, use_case: UseCase, actor: User, need_id: int) -> None:
    """Unlink a need from a use case ("Removed need #12")."""

    def change(current: UseCase) -> None:
        refuse_unless_editable(actor, current)
        link = session.get(UseCaseNeed, (current.id, need_id))
        if link is None:
            raise UseCaseError("This need does not feed the use case.")
        session.delete(link)
        current.updated_at = utcnow()
        revise(session, current, actor, f"Removed need #{need_id}")

    locked(session, use_case.id, change)


def delete_use_case(*, session: Session, use_case: UseCase, actor: User) -> None:
    """Delete a use case softly: it leaves every list and feeds no need, until an organiser restores it."""
    if not rules.may_delete(actor):
        raise UseCaseError("Only organisers delete use cases.")

    def change(current: UseCase) -> bool:
        if current.deleted_at is not None:
            return False
        current.deleted_at = utcnow()
        current.deleted_by_id = actor.id
        revise(session, current, actor, "Deleted")
        return True

    if locked(session, use_case.id, change):
        audit_event(AuditAction.use_case_deleted, use_case.id, actor, "deleted")


def restore_use_case(*, session: Session, use_case: UseCase, actor: User) -> None:
    """Undo the deletion of a use case: it is listed and feeds its needs again."""
    if not rules.may_delete(actor):
        raise UseCaseError("Only organisers restore use cases.")

    def change(current: UseCase) -> bool:
        if current.deleted_at is None:
            return False
        current.deleted_at = None
        current.deleted_by_id = None
        revise(session, current, actor, "Restored")
        return True

    if locked(session, use_case.id, change):
        audit_event(AuditAction.use_case_restored, use_case.id, actor, "restored")


def unlink_needs(*, session: Session, need_ids: list[int]) -> None:
    """Inside the caller's transaction: these needs (about to be deleted) feed no use case any more."""
    if need_ids:
        session.execute(delete(UseCaseNeed).where(col(UseCaseNeed.need_id).in_(need_ids)))
