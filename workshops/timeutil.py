"""Time helpers: everything stored is UTC."""

from collections.abc import Callable
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


#: Where ``app.extensions`` keeps the function that reads the programme's default zone (``None`` if unset).
PROGRAMME_TIMEZONE = "workshops.programme_timezone"


def set_programme_timezone(app, read: Callable[[], str | None]) -> None:
    """Tell ``default_timezone`` how to read the zone organisers chose for the programme.

    The programme's settings live a floor above this module (``workshops.programme``), so that
    package hands its reader over when the application starts, instead of being imported here.
    """
    app.extensions[PROGRAMME_TIMEZONE] = read


def default_timezone() -> str:
    """The zone a new workshop or call starts with: the programme's choice, else ``TIMEZONE``.

    A callable, so that a form field's ``default=default_timezone`` asks anew for every form.
    """
    read = current_app.extensions.get(PROGRAMME_TIMEZONE)
    chosen = read() if read else None
    return chosen if chosen in timezone_choices() else current_app.config["TIMEZONE"]


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
