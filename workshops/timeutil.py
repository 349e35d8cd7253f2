"""Time helpers: everything stored is UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time in UTC, as stored in every ``*_at`` column."""
    return datetime.now(UTC)
