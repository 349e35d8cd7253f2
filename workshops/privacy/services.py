"""The current privacy notice and publishing a new version."""

from __future__ import annotations

from sqlmodel import Session, func, select

from workshops.auth.models import User
from workshops.privacy.models import PrivacyNotice
from workshops.transactions import run_write


def current_notice(session: Session) -> PrivacyNotice:
    """The newest published version (the migrations publish version 1)."""
    return session.exec(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1)).one()


def all_versions(session: Session) -> list[PrivacyNotice]:
    """Every version, newest first."""
    return list(session.exec(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))


def notice_of_version(session: Session, version: int) -> PrivacyNotice | None:
    """One version of the notice, or ``None`` when there is no such version."""
    return session.exec(select(PrivacyNotice).where(PrivacyNotice.version == version)).one_or_none()


def publish_notice(*, session: Session, body: str, by: User) -> PrivacyNotice:
    """Publish a new version; consents given from now on refer to it.

    The version number is counted inside the write transaction, so two organisers publishing at
    once get two versions (the second may wait, or be asked to try again: ``Busy``).
    """
    author_id = by.id

    def publish() -> PrivacyNotice:
        latest = session.exec(select(func.max(PrivacyNotice.version))).one() or 0
        notice = PrivacyNotice(version=latest + 1, body=body, published_by_id=author_id)
        session.add(notice)
        session.flush()
        return notice

    return run_write(session, publish)
