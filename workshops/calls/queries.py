"""Reading calls for pages outside the calls' own."""

from __future__ import annotations

from sqlmodel import Session, select

from workshops.calls.models import CallState, OpenCall


def latest_published(session: Session, *, limit: int) -> list[OpenCall]:
    """The published (open) calls closing last first, at most ``limit`` of them."""
    statement = (
        select(OpenCall)
        .where(OpenCall.state == CallState.published)
        .order_by(OpenCall.closes_at.desc(), OpenCall.id.desc())
        .limit(limit)
    )
    return list(session.exec(statement))
