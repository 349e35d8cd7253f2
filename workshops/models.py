"""Every table model, imported in one place for Alembic and the test database."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from workshops.audit.models import AuditEntry
from workshops.auth.models import User
from workshops.calls.models import CallDomain, Challenge, OpenCall
from workshops.events.models import (
    Breakout,
    BreakoutFacilitator,
    BreakoutSeat,
    Registration,
    TestBed,
    Workshop,
    WorkshopAttendance,
    WorkshopMessage,
)
from workshops.needs.models import Need, Vote
from workshops.privacy.models import Consent, PrivacyNotice
from workshops.programme.models import Cluster, Domain, ProgrammeSettings
from workshops.usecases.models import UseCase, UseCaseComment, UseCaseNeed, UseCaseRevision, UseCaseTemplate

__all__ = [
    "AuditEntry",
    "Breakout",
    "BreakoutFacilitator",
    "BreakoutSeat",
    "CallDomain",
    "Challenge",
    "Cluster",
    "Consent",
    "Domain",
    "Need",
    "OpenCall",
    "PrivacyNotice",
    "ProgrammeSettings",
    "Registration",
    "TestBed",
    "UseCase",
    "UseCaseComment",
    "UseCaseNeed",
    "UseCaseRevision",
    "UseCaseTemplate",
    "User",
    "Vote",
    "Workshop",
    "WorkshopAttendance",
    "WorkshopMessage",
]


def metadata() -> MetaData:
    """Return the metadata of every table: importing this module registered them all."""
    return SQLModel.metadata
