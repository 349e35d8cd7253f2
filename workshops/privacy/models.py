"""Versions of the privacy notice."""

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from workshops.db import utc_field
from workshops.timeutil import utcnow


class PrivacyNotice(SQLModel, table=True):
    """One published version of the privacy notice; the highest version is the current one."""

    __tablename__ = "privacy_notice"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    body: str = Field(sa_type=Text, max_length=50_000)
    published_at: datetime = utc_field(nullable=False, default_factory=utcnow)
    published_by_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
