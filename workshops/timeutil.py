"""Time helpers: everything stored is UTC."""

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app


def utcnow() -> datetime:
    """Return the current time in UTC, as stored in every ``*_at`` column."""
    return datetime.now(UTC)


def local(moment: datetime | None, zone: ZoneInfo | str | None = None, pattern: str = "%a %d %b %Y, %H:%M") -> str:
    """Show a stored UTC time in a place's time zone, e.g. ``Tue 16 Nov 2021, 09:30``.

    The place is the workshop's zone for what happens at a workshop; without one, the programme's
    (``TIMEZONE``). ``%Z`` in ``pattern`` names the zone (``CET``, ``UTC``).
    """
    if moment is None:
        return ""
    if zone is None:
        zone = current_app.config["TIMEZONE"]
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(zone).strftime(pattern)


def zone_abbreviation(moment: datetime, zone: ZoneInfo | str) -> str:
    """The short name of the zone at that moment, e.g. ``CET`` or ``CEST``."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(zone).strftime("%Z")


@cache
def timezone_choices() -> tuple[str, ...]:
    """Every IANA time zone, sorted."""
    return tuple(sorted(available_timezones()))


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as the naive local time a ``datetime-local`` input shows."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A naive local time typed in ``zone``, in UTC."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
