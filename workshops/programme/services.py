"""Setting up the programme: its clusters, its domains and its settings."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from workshops.audit.models import AuditAction
from workshops.audit.services import record
from workshops.db import write_transaction
from workshops.programme.models import Cluster, Domain, ProgrammeSettings
from workshops.timeutil import utcnow

T = TypeVar("T", bound=SQLModel)


class ProgrammeError(Exception):
    """A change was refused; the message is meant for the organiser."""


def _save(session: Session, row: T, values: dict, clash: str) -> T:
    for name, value in values.items():
        setattr(row, name, value)
    try:
        with write_transaction(session):
            session.add(row)
    except IntegrityError as error:  # the same name saved twice at the same moment
        raise ProgrammeError(clash) from error
    return row


def save_cluster(*, session: Session, cluster: Cluster | None, values: dict) -> Cluster:
    """Create a cluster (``cluster`` is ``None``) or change one."""
    return _save(session, cluster or Cluster(**values), values, "Another cluster has this name.")


def save_domain(*, session: Session, domain: Domain | None, values: dict) -> Domain:
    """Create a domain (``domain`` is ``None``) or change one."""
    return _save(session, domain or Domain(**values), values, "Another domain has this name or short name.")


def save_settings(*, session: Session, values: dict) -> ProgrammeSettings:
    """Store the programme's settings in their one row, created on first save, and record what changed.

    The audit entry names each setting that changed, with its value before and after (both are
    choices from a list, never typed text); a save that changes nothing records nothing.
    """
    try:
        settings, changes = _store_settings(session, values)
    except IntegrityError:  # another organiser created the row at the same moment: change theirs
        settings, changes = _store_settings(session, values)
    if changes:
        record(AuditAction.settings_changed, target_type="programme", target_id=settings.id, detail="; ".join(changes))
    return settings


def _store_settings(session: Session, values: dict) -> tuple[ProgrammeSettings, list[str]]:
    with write_transaction(session):
        settings = session.get(ProgrammeSettings, 1, populate_existing=True) or ProgrammeSettings(id=1)
        changes = [
            f"{name}: {_worded(getattr(settings, name))} -> {_worded(value)}"
            for name, value in values.items()
            if getattr(settings, name) != value
        ]
        for name, value in values.items():
            setattr(settings, name, value)
        settings.updated_at = utcnow()
        session.add(settings)
    return settings, changes


def _worded(value) -> str:
    """A setting's value in an audit entry: yes/no for a switch, "(none)" for an empty choice."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if value not in (None, "") else "(none)"
