"""What the explorer is narrowed to: the query string read into ``Filters``, unknown values dropped."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from werkzeug.datastructures import MultiDict

from workshops import http
from workshops.auth.models import OrganisationType
from workshops.countries import country_names
from workshops.needs.models import URGENCY_WORDS, NeedState
from workshops.usecases.explorer.tags import tag_key

#: Values kept per dimension from a URL, and the longest search and tag: enough for people, bounded for the database.
MAX_VALUES = 50
MAX_QUERY = 200
#: Needs kept ticked at most: more than a use case or a merge ever gathers, and a URL stays short enough.
MAX_CHOSEN = 200
MAX_TAG = 60
#: A query string carried in a form field: long enough for every filter, bounded for the parser.
MAX_QUERY_STRING = 8_000
MAX_FIELDS = 1_000

SORTS = {"newest": "Newest first", "votes": "Most votes", "urgency": "Most urgent"}
DEFAULT_SORT = "newest"

#: The dimensions in the sidebar's order, with their legends.
DIMENSIONS = {
    "workshop": "Workshop",
    "breakout": "Breakout",
    "domain": "Domain",
    "test_bed": "Test bed",
    "organisation_type": "Organisation type",
    "country": "Country",
    "cluster": "Cluster",
    "urgency": "Urgency",
    "state": "State",
    "tag": "Tag",
}

_SPACES = re.compile(r"\s+")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PAGE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Filters:
    """What the explorer is narrowed to, read from the query string (unknown values are dropped)."""

    workshop: tuple[int, ...] = ()
    breakout: tuple[int, ...] = ()
    domain: tuple[int, ...] = ()
    test_bed: tuple[int, ...] = ()
    organisation_type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    cluster: tuple[int, ...] = ()
    urgency: tuple[int, ...] = ()
    state: tuple[str, ...] = ()
    #: Tag keys (see ``tag_key``).
    tag: tuple[str, ...] = ()
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    #: The needs ticked so far (``need=…``), kept across pages, filters and searches until used.
    chosen: tuple[int, ...] = ()

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        """Parse request arguments (a ``MultiDict``: a dimension may be given several times)."""
        values = {name: _clean(name, _given(args, name)) for name in DIMENSIONS}
        return cls(
            **values,
            q=_query(args.get("q", "")),
            sort=_sort(args.get("sort", DEFAULT_SORT)),
            page=_page(args.get("page", "1")),
            chosen=_chosen(_given(args, "need")),
        )

    def values(self, dimension: str) -> tuple:
        """The active values of one dimension."""
        return getattr(self, dimension)

    def is_active(self, dimension: str, value: object) -> bool:
        """Whether ``value`` is ticked in ``dimension``."""
        return value in self.values(dimension)

    @property
    def narrowed(self) -> bool:
        """Whether any filter or search is set (the sort and page do not narrow)."""
        return bool(self.q) or any(self.values(name) for name in DIMENSIONS)

    def args(self, **changes) -> dict[str, object]:
        """The filters as query arguments for ``url_for`` (lists repeat), without empty values or page 1."""
        current = replace(self, **changes)
        result: dict[str, object] = {name: list(current.values(name)) for name in DIMENSIONS}
        result.update(q=current.q, sort=current.sort if current.sort != DEFAULT_SORT else "", page=current.page)
        result["need"] = list(current.chosen)
        if current.page == 1:
            result["page"] = None
        return {key: value for key, value in result.items() if value}

    def query(self, **changes) -> str:
        """The filters as a query string (``args`` encoded), for a form field that carries them along."""
        return urlencode(self.args(**changes), doseq=True)

    @classmethod
    def from_query(cls, query: str) -> Filters:
        """Parse what ``query`` wrote (anything else reads as no filter): the same rules as ``from_args``."""
        try:
            pairs = parse_qsl(query[:MAX_QUERY_STRING], max_num_fields=MAX_FIELDS)
        except ValueError:  # more fields than any filter makes
            pairs = []
        return cls.from_args(MultiDict(pairs))


def _given(args: Mapping, name: str) -> list:
    """Every value given for ``name``: a ``MultiDict`` repeats it, a plain mapping holds one or a list."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _query(raw: object) -> str:
    return _SPACES.sub(" ", str(raw)).strip()[:MAX_QUERY]


def _sort(raw: object) -> str:
    return raw if raw in SORTS else DEFAULT_SORT


def _page(raw: object) -> int:
    page = http.number(str(raw))
    return page if page and page < _PAGE_LIMIT else 1


def _chosen(raw: Iterable) -> tuple[int, ...]:
    """The ticked needs' ids, once each, in the order ticked (ASCII digits only: "²" is no id)."""
    return tuple(http.ids([str(item) for item in raw]))[:MAX_CHOSEN]


def _clean(dimension: str, raw: Iterable) -> tuple:
    """Keep the valid values of a dimension, once each, in the order given."""
    parse = _PARSERS[dimension]
    kept: list = []
    for item in raw:
        value = parse(str(item).strip())
        if value is not None and value not in kept:
            kept.append(value)
    return tuple(kept[:MAX_VALUES])


def _urgency(text: str) -> int | None:
    value = http.number(text)
    return value if value in URGENCY_WORDS else None


def _organisation_type(text: str) -> str | None:
    return text if text in OrganisationType.__members__ else None


def _state(text: str) -> str | None:
    return text if text in NeedState.__members__ else None


def _country(text: str) -> str | None:
    code = text.upper()
    return code if _COUNTRY.match(code) and code in country_names() else None


def _tag(text: str) -> str | None:
    return tag_key(text[:MAX_TAG]) or None


_PARSERS: dict[str, Callable[[str], object]] = {
    "workshop": http.number,
    "breakout": http.number,
    "domain": http.number,
    "test_bed": http.number,
    "organisation_type": _organisation_type,
    "country": _country,
    "cluster": http.number,
    "urgency": _urgency,
    "state": _state,
    "tag": _tag,
}
