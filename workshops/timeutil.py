"""Time helpers: everything stored is UTC; people read it in a place's zone, named.

A time that belongs to a workshop or a call is shown in that workshop's or call's zone; any other
(a revision, a comment, an audit entry) in the programme's zone, the one organisers chose under
"Programme settings" (``default_timezone``). Either way the zone is named next to the time
(``16 Nov 2021, 09:30 CET``), so that nobody has to guess.

Only canonical IANA names are offered (``timezone_choices``): those of ``zone.tab``, which names
every country's zones as they are called today, and ``UTC``. Old names that the time-zone database
keeps as links (``Africa/Asmera``, ``America/Buenos_Aires``, ``US/Eastern``) still work for rows
that hold them, and ``canonical_timezone`` tells the name to use instead.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from difflib import get_close_matches
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, has_request_context, request

#: How organiser screens show a moment: ``16 Nov 2021, 09:30 CET``.
MOMENT = "%d %b %Y, %H:%M %Z"
#: The same with seconds, where the order of events within a minute matters (the audit log).
MOMENT_SECONDS = "%d %b %Y, %H:%M:%S %Z"
#: The name always offered besides the places of ``zone.tab``; the configured default.
UTC_NAME = "UTC"
#: Zones that are UTC under another name (``Etc/UTC``, ``GMT``, ``Zulu`` link to these).
_UTC_TARGETS = frozenset({"Etc/UTC", "Etc/GMT"})


def utcnow() -> datetime:
    """Return the current time in UTC, as stored in every ``*_at`` column."""
    return datetime.now(UTC)


def local(moment: datetime | None, zone: ZoneInfo | str | None = None, pattern: str = MOMENT) -> str:
    """Show a stored UTC time in a place's time zone, by default as ``16 Nov 2021, 09:30 CET``.

    The place is the workshop's (or call's) zone for what happens there; without one, the
    programme's (``programme_timezone``). ``%Z`` in ``pattern`` names the zone (``CET``, ``UTC``):
    a pattern without it is for a page that names the zone beside the time.
    """
    if moment is None:
        return ""
    if zone is None:
        zone = programme_timezone()
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(zone).strftime(pattern)


def zone_abbreviation(moment: datetime, zone: ZoneInfo | str) -> str:
    """The short name of the zone at that moment, e.g. ``CET`` or ``CEST``."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(zone).strftime("%Z")


#: Where ``app.extensions`` keeps the function that reads the programme's default zone (``None`` if unset).
PROGRAMME_TIMEZONE = "workshops.programme_timezone"
#: Where a request keeps the programme's zone once read, so that a page of many times reads it once.
_REQUEST_CACHE = "workshops.programme_timezone"


def set_programme_timezone(app, read: Callable[[], str | None]) -> None:
    """Tell ``default_timezone`` how to read the zone organisers chose for the programme.

    The programme's settings live a floor above this module (``workshops.programme``), so that
    package hands its reader over when the application starts, instead of being imported here.
    """
    app.extensions[PROGRAMME_TIMEZONE] = read


def default_timezone() -> str:
    """The zone a new workshop or call starts with: the programme's choice, else ``TIMEZONE``.

    A stored old name counts as its canonical one. A callable, so that a form field's
    ``default=default_timezone`` asks anew for every form.
    """
    read = current_app.extensions.get(PROGRAMME_TIMEZONE)
    chosen = canonical_timezone(read()) if read else None
    return chosen or current_app.config["TIMEZONE"]


def programme_timezone() -> str:
    """The programme's zone (``default_timezone``), read once per request: the zone of times of no place."""
    if not has_request_context():
        return default_timezone()
    environ = request.environ
    if _REQUEST_CACHE not in environ:
        environ[_REQUEST_CACHE] = default_timezone()
    return environ[_REQUEST_CACHE]


@cache
def timezone_choices() -> tuple[str, ...]:
    """The canonical IANA zones, sorted: every country's zones by their names of today, and ``UTC``."""
    known = available_timezones()
    return tuple(sorted({name for name in _zone_tab() if name in known} | {UTC_NAME}))


def canonical_timezone(name: str | None) -> str | None:
    """The offered name of a zone: itself when canonical, the name to use for an old one, else ``None``.

    ``None`` also for a zone that has no place of its own (``Etc/GMT+5``, ``EST5EDT``).
    """
    if not name:
        return None
    if name in timezone_choices():
        return name
    return _aliases().get(name)


def timezone_problem(name: str) -> str | None:
    """What is wrong with a zone name typed or sent, for a form: ``None`` when it is one offered."""
    if name in timezone_choices():
        return None
    shown = name[:64]
    canonical = canonical_timezone(name)
    if canonical:
        return f"“{shown}” is an old name of this time zone: choose {canonical}, its name today."
    return f"“{shown}” is not a time zone: choose one from the list, e.g. Europe/Brussels."


def _tzdata_file(name: str) -> str:
    """A file of the ``tzdata`` package (a dependency, so the list is the same on every machine)."""
    return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")


@cache
def _zone_tab() -> tuple[str, ...]:
    """The zone names of ``zone.tab``: the third column of each line that is not a comment."""
    lines = _tzdata_file("zone.tab").splitlines()
    return tuple(line.split("\t")[2] for line in lines if line.strip() and not line.startswith("#"))


@cache
def _aliases() -> dict[str, str]:
    """Every other name ``zoneinfo`` knows, mapped to the canonical name of the same zone.

    ``tzdata.zi`` lists links as ``L TARGET NAME``. An old name goes to the canonical name that links
    to the same zone and ends alike, or spelt nearly alike (``America/Buenos_Aires`` to
    ``America/Argentina/Buenos_Aires``, ``Africa/Asmera`` to ``Africa/Asmara``),
    else to that zone itself when it is offered (``US/Eastern`` to ``America/New_York``), else to the
    first offered name of the zone; UTC by any other name goes to ``UTC``.
    """
    links = {}
    for line in _tzdata_file("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]

    def target(name: str) -> str:
        seen = set()
        while name in links and name not in seen:
            seen.add(name)
            name = links[name]
        return name

    offered = timezone_choices()
    by_target: dict[str, list[str]] = {}
    for name in offered:
        by_target.setdefault(target(name), []).append(name)
    aliases = {}
    for name in available_timezones() - set(offered):
        zone = target(name)
        if zone in _UTC_TARGETS:
            aliases[name] = UTC_NAME
            continue
        candidates = by_target.get(zone, [])
        ending = name.rsplit("/", 1)[-1]
        endings = {c.rsplit("/", 1)[-1]: c for c in candidates}
        alike = [endings[e] for e in get_close_matches(ending, list(endings), n=1, cutoff=0.8)]
        chosen = (alike or ([zone] if zone in offered else candidates) or [None])[0]
        if chosen:
            aliases[name] = chosen
    return aliases


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
