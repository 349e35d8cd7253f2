"""The needs explorer's queries: every need a person may read, filtered, searched, counted by facet, paged.

Filters combine as people expect from a shop's sidebar: several values of one dimension widen the
selection (OR), different dimensions narrow it (AND). Beside each value, its count is what ticking it
would give with the *other* dimensions' filters kept, so that already ticked values keep a count too.
Everything starts from ``rules.readable_needs``: organisers read all needs, facilitators those of the
breakouts they facilitate (internal needs there included).

Each function runs a fixed number of statements, whatever the number of needs: the page one count,
one page and one look-up per kind of related row; the facets one ``GROUP BY`` per dimension (tags:
one read of the tags column, split here); the export two.

Tags are typed freely ("Drones, night ", "drones,Night"), so a tag is known by its key: trimmed,
inner spaces collapsed, case folded. Case folding happens here, in Python, because SQLite's
``lower()`` folds ASCII letters only: the tag filter first reads the spellings present (one query,
narrowed by the search text) and then asks SQL for exactly those, which both databases answer alike.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC
from math import ceil
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_
from sqlalchemy.orm import contains_eager, defer, selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import ORGANISATION_TYPE_LABELS, OrganisationType, User
from workshops.countries import country_name, country_names
from workshops.events.models import Breakout, TestBed, Workshop
from workshops.needs.models import URGENCY_WORDS, Need, NeedState, Sensitivity, Vote
from workshops.pagination import Page
from workshops.programme.models import Cluster, Domain
from workshops.search import matches
from workshops.usecases import rules
from workshops.usecases.models import UseCase, UseCaseNeed

PER_PAGE = 50
#: Values kept per dimension from a URL, and the longest search and tag: enough for people, bounded for the database.
MAX_VALUES = 50
MAX_QUERY = 200
MAX_TAG = 60
#: Tags listed in the sidebar (the most frequent, plus any ticked one).
TAG_FACET_LIMIT = 30

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
_NUMBERED = ("workshop", "breakout", "domain", "test_bed", "cluster", "urgency")

STATE_LABELS = {NeedState.open: "Open", NeedState.merged: "Merged", NeedState.dismissed: "Dismissed"}

EXPORT_HEADER = [
    "id",
    "title",
    "need",
    "context",
    "desired_outcome",
    "affected",
    "constraints",
    "urgency",
    "tags",
    "sensitivity",
    "state",
    "organisation",
    "organisation_type",
    "country",
    "workshop",
    "breakout",
    "domain",
    "test_bed",
    "votes",
    "created_at",
    "use_cases",
]

_SPACES = re.compile(r"\s+")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
#: Passes of "two spaces → one" in SQL: runs of up to 2**4 = 16 spaces become one.
_COLLAPSE_PASSES = 4


# --- Filters ---------------------------------------------------------------------------------------


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

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        """Parse request arguments (a ``MultiDict``: a dimension may be given several times)."""
        values: dict[str, tuple] = {}
        for name in DIMENSIONS:
            raw = args.getlist(name) if hasattr(args, "getlist") else _as_list(args.get(name))
            values[name] = _clean(name, raw)
        sort = args.get("sort", DEFAULT_SORT)
        page = args.get("page", "1")
        return cls(
            **values,
            q=_SPACES.sub(" ", str(args.get("q", ""))).strip()[:MAX_QUERY],
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=int(page) if str(page).isdigit() and 0 < int(page) < 1_000_000 else 1,
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
        if current.page == 1:
            result["page"] = None
        return {key: value for key, value in result.items() if value}


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _clean(dimension: str, raw: Iterable) -> tuple:
    """Keep the valid values of a dimension, once each, in the order given."""
    kept: list = []
    for item in raw:
        text = str(item).strip()
        value: object = None
        if dimension in _NUMBERED:
            value = int(text) if text.isdigit() and len(text) < 10 else None
            if dimension == "urgency" and value not in URGENCY_WORDS:
                value = None
        elif dimension == "organisation_type":
            value = text if text in OrganisationType.__members__ else None
        elif dimension == "state":
            value = text if text in NeedState.__members__ else None
        elif dimension == "country":
            value = text.upper() if _COUNTRY.match(text.upper()) and text.upper() in country_names() else None
        elif dimension == "tag":
            value = tag_key(text[:MAX_TAG]) or None
        if value is not None and value not in kept:
            kept.append(value)
    return tuple(kept[:MAX_VALUES])


def tag_key(tag: str) -> str:
    """How tags are told apart: trimmed, inner spaces collapsed, case folded ("Night  Vision " → "night vision")."""
    return _SPACES.sub(" ", tag).strip().casefold()


def tag_spelling(tag: str) -> str:
    """A tag as typed, tidied: trimmed, inner spaces collapsed (the case kept)."""
    return _SPACES.sub(" ", tag).strip()


def split_tags(tags: str) -> list[str]:
    """The tidied tags of a need's comma-separated tags, without empties."""
    return [spelling for part in tags.split(",") if (spelling := tag_spelling(part))]


# --- Conditions ------------------------------------------------------------------------------------


def _from_needs(statement):
    """Join each need to its breakout and workshop, which the workshop and cluster filters read."""
    return statement.join(Breakout, col(Need.breakout_id) == Breakout.id).join(
        Workshop, col(Breakout.workshop_id) == Workshop.id
    )


_COLUMNS: dict[str, ColumnElement] = {
    "workshop": col(Breakout.workshop_id),
    "breakout": col(Need.breakout_id),
    "domain": col(Need.domain_id),
    "test_bed": col(Need.test_bed_id),
    "organisation_type": col(Need.organisation_type),
    "country": col(Need.country),
    "cluster": col(Workshop.cluster_id),
    "urgency": col(Need.urgency),
    "state": col(Need.state),
}


def _normalised_tags() -> ColumnElement:
    """The tags column as ``,a,b c,``: tabs as spaces, runs of spaces as one, no space beside a comma."""
    text = func.replace(literal(",") + col(Need.tags) + literal(","), literal("\t"), literal(" "))
    for _ in range(_COLLAPSE_PASSES):
        text = func.replace(text, literal("  "), literal(" "))
    return func.replace(func.replace(text, literal(", "), literal(",")), literal(" ,"), literal(","))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _spellings(session: Session, viewer: User, keys: tuple[str, ...]) -> set[str]:
    """The tidied spellings, as stored, of the tags with these keys among the needs the viewer reads.

    Only needs whose search text holds every word of some wanted tag are read (the search text is
    folded, so this finds every spelling), which keeps the read small on a large database.
    """
    narrowing = [condition for key in keys if (condition := matches(col(Need.search_text), key)) is not None]
    statement = select(Need.tags).distinct().where(rules.readable_needs(viewer), col(Need.tags) != "")
    if len(narrowing) == len(keys):  # a tag of symbols only has no words to narrow by
        statement = statement.where(or_(*narrowing))
    wanted = set(keys)
    return {item for tags in session.exec(statement) for item in _sql_items(tags) if tag_key(item) in wanted}


def _sql_items(tags: str) -> list[str]:
    """The tags as ``_normalised_tags`` leaves them between its commas: the same replacements, in Python."""
    text = ("," + tags + ",").replace("\t", " ")
    for _ in range(_COLLAPSE_PASSES):
        text = text.replace("  ", " ")
    return [item for item in text.replace(", ", ",").replace(" ,", ",").split(",") if item.strip()]


def _tag_condition(spellings: set[str]) -> ColumnElement[bool]:
    """Needs carrying one of these exact spellings (as ``_sql_items`` gives them) as a whole tag.

    SQLite's LIKE ignores ASCII case where PostgreSQL's does not; as every spelling present with a
    wanted key is listed, both find the same needs.
    """
    if not spellings:
        return false()
    normalised = _normalised_tags()
    return or_(*(normalised.like(literal(f"%,{_like_escape(s)},%"), escape="\\") for s in sorted(spellings)))


@dataclass
class _Selection:
    """The filters turned into SQL conditions, one per active dimension, plus the search."""

    readable: ColumnElement[bool]
    by_dimension: dict[str, ColumnElement[bool]] = field(default_factory=dict)
    search: ColumnElement[bool] | None = None

    def conditions(self, *, without: str | None = None) -> list[ColumnElement[bool]]:
        """Every condition but the readable one, leaving out one dimension's."""
        found = [condition for name, condition in self.by_dimension.items() if name != without]
        return found + ([self.search] if self.search is not None else [])

    def where(self, *, without: str | None = None) -> list[ColumnElement[bool]]:
        """Every condition, the readable one first."""
        return [self.readable, *self.conditions(without=without)]


def _select(session: Session, viewer: User, filters: Filters) -> _Selection:
    selection = _Selection(readable=rules.readable_needs(viewer), search=matches(col(Need.search_text), filters.q))
    for name, column in _COLUMNS.items():
        if filters.values(name):
            selection.by_dimension[name] = column.in_(filters.values(name))
    if filters.tag:
        selection.by_dimension["tag"] = _tag_condition(_spellings(session, viewer, filters.tag))
    return selection


# --- The page of needs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FedUseCase:
    """A use case a need feeds."""

    id: int
    title: str
    state: str


@dataclass(frozen=True)
class NeedRow:
    """A need as the explorer lists it."""

    need: Need
    votes: int
    use_cases: list[FedUseCase]


#: Columns the explorer never shows, left unread: the similarity vector alone is a kilobyte or more a need.
_UNSHOWN = (defer(Need.similarity_vector), defer(Need.search_text))


def _votes():
    return select(Vote.need_id, func.count(col(Vote.id)).label("votes")).group_by(col(Vote.need_id)).subquery("votes")


def _order(sort: str, votes: ColumnElement) -> list[ColumnElement]:
    newest = [col(Need.created_at).desc(), col(Need.id).desc()]
    if sort == "votes":
        return [votes.desc(), *newest]
    if sort == "urgency":
        return [col(Need.urgency).desc(), votes.desc(), *newest]
    return newest


def explore(session: Session, viewer: User, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The page of matching needs (``NeedRow`` items), sorted as asked; a fixed number of queries.

    One count, one page (breakout and workshop joined), one look-up each for test beds, domains and
    the use cases the page's needs feed; the tag filter adds one.
    """
    selection = _select(session, viewer, filters)
    total = session.exec(
        _from_needs(select(func.count(col(Need.id))).select_from(Need)).where(*selection.where())
    ).one()
    pages = max(1, ceil(total / per_page))
    number = min(max(page, 1), pages)
    votes = _votes()
    vote_count = func.coalesce(votes.c.votes, 0)
    statement = (
        _from_needs(select(Need, vote_count))
        .outerjoin(votes, votes.c.need_id == col(Need.id))
        .where(*selection.where())
        .options(
            contains_eager(Need.breakout).contains_eager(Breakout.workshop),
            selectinload(Need.test_bed),
            selectinload(Need.domain),
            *_UNSHOWN,
        )
        .order_by(*_order(filters.sort, vote_count))
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    found = session.exec(statement).all()
    fed = _fed(session, [need.id for need, _ in found])
    items = [NeedRow(need=need, votes=count, use_cases=fed.get(need.id, [])) for need, count in found]
    return Page(items=items, number=number, per_page=per_page, total=total)


def _fed(session: Session, need_ids: list[int]) -> dict[int, list[FedUseCase]]:
    """The live (not deleted) use cases each of these needs feeds, by title."""
    if not need_ids:
        return {}
    statement = (
        select(UseCaseNeed.need_id, UseCase.id, UseCase.title, UseCase.state)
        .join(UseCase, col(UseCaseNeed.use_case_id) == UseCase.id)
        .where(col(UseCaseNeed.need_id).in_(need_ids), col(UseCase.deleted_at).is_(None))
        .order_by(col(UseCase.title), col(UseCase.id))
    )
    fed: dict[int, list[FedUseCase]] = {}
    for need_id, use_case_id, title, state in session.exec(statement):
        fed.setdefault(need_id, []).append(FedUseCase(id=use_case_id, title=title, state=state))
    return fed


# --- Facets ----------------------------------------------------------------------------------------


class FacetValue(NamedTuple):
    """One value of a dimension: what the checkbox sends, what people read, and what ticking it gives."""

    value: object
    label: str
    count: int


def _short_type(value: str) -> str:
    return ORGANISATION_TYPE_LABELS[OrganisationType(value)].split(" (")[0]


def urgency_label(value: int) -> str:
    """``5 · Critical``: the number and its word."""
    return f"{value} · {URGENCY_WORDS[value].split(':')[0]}"


def organisation_type_label(value: str) -> str:
    """The organisation type in a word or two ("End-user", "Integrator")."""
    return _short_type(value) if value in OrganisationType.__members__ else value


def state_label(value: str) -> str:
    """``Open``, ``Merged`` or ``Dismissed``."""
    return STATE_LABELS.get(NeedState(value), value) if value in NeedState.__members__ else value


def _counted(selection: _Selection, dimension: str) -> ColumnElement[int]:
    """How many needs of a group match every other filter: a conditional count, so zeros stay listed."""
    others = selection.conditions(without=dimension)
    if not others:
        return func.count(col(Need.id))
    return func.count(case((and_(*others), col(Need.id))))


def _grouped(session: Session, selection: _Selection, dimension: str, *columns, joins=(), order=()) -> list[tuple]:
    """One ``GROUP BY`` over the readable needs: the value, its label columns, and the count."""
    statement = _from_needs(select(*columns, _counted(selection, dimension)).select_from(Need))
    for target, on in joins:
        statement = statement.join(target, on)
    statement = statement.where(selection.readable).group_by(*columns).order_by(*order)
    return list(session.exec(statement))


def facets(session: Session, viewer: User, filters: Filters) -> dict[str, list[FacetValue]]:
    """For each dimension, its values with the count ticking each would give (other filters kept).

    The values are those of the needs the viewer reads (zeros included: the template greys them),
    the fixed lists (organisation types, urgencies, states) in full; tags only where they occur in
    the current selection. A ticked value missing from the data is listed with 0, so it can be unticked.
    """
    selection = _select(session, viewer, filters)
    found: dict[str, list[FacetValue]] = {}

    rows = _grouped(
        session,
        selection,
        "workshop",
        Workshop.id,
        Workshop.title,
        Workshop.starts_at,
        order=[col(Workshop.starts_at).desc(), col(Workshop.id)],
    )
    found["workshop"] = [FacetValue(id_, title, n) for id_, title, _, n in rows]

    rows = _grouped(
        session,
        selection,
        "breakout",
        Breakout.id,
        Breakout.title,
        Breakout.starts_at,
        Workshop.title,
        Workshop.starts_at,
        order=[col(Workshop.starts_at).desc(), col(Breakout.starts_at), col(Breakout.id)],
    )
    repeated = {title for title, times in Counter(row[1] for row in rows).items() if times > 1}
    found["breakout"] = [
        FacetValue(id_, f"{title} · {workshop}" if title in repeated else title, n)
        for id_, title, _, workshop, _, n in rows
    ]

    rows = _grouped(
        session,
        selection,
        "domain",
        Domain.id,
        Domain.name,
        Domain.position,
        joins=[(Domain, col(Need.domain_id) == Domain.id)],
        order=[col(Domain.position), col(Domain.name)],
    )
    found["domain"] = [FacetValue(id_, name, n) for id_, name, _, n in rows]

    rows = _grouped(
        session,
        selection,
        "test_bed",
        TestBed.id,
        TestBed.name,
        joins=[(TestBed, col(Need.test_bed_id) == TestBed.id)],
        order=[col(TestBed.name)],
    )
    found["test_bed"] = [FacetValue(id_, name, n) for id_, name, n in rows]

    counts = dict(_grouped(session, selection, "organisation_type", Need.organisation_type))
    found["organisation_type"] = [
        FacetValue(value.value, _short_type(value), counts.get(value.value, 0)) for value in OrganisationType
    ]

    rows = _grouped(session, selection, "country", Need.country)
    countries = [(code, country_name(code), n) for code, n in rows if code]
    found["country"] = [FacetValue(*row) for row in sorted(countries, key=lambda row: row[1])]

    rows = _grouped(
        session,
        selection,
        "cluster",
        Cluster.id,
        Cluster.short_name,
        joins=[(Cluster, col(Workshop.cluster_id) == Cluster.id)],
        order=[col(Cluster.short_name)],
    )
    found["cluster"] = [FacetValue(id_, name, n) for id_, name, n in rows]

    counts = dict(_grouped(session, selection, "urgency", Need.urgency))
    found["urgency"] = [FacetValue(u, urgency_label(u), counts.get(u, 0)) for u in sorted(URGENCY_WORDS, reverse=True)]

    counts = dict(_grouped(session, selection, "state", Need.state))
    found["state"] = [FacetValue(s.value, STATE_LABELS[s], counts.get(s.value, 0)) for s in NeedState]

    found["tag"] = _tag_facet(session, selection)

    for name, values in found.items():
        listed = {value.value for value in values}
        missing = [value for value in filters.values(name) if value not in listed]
        values.extend(FacetValue(value, str(value), 0) for value in missing)
    return found


def _tag_facet(session: Session, selection: _Selection) -> list[FacetValue]:
    """Tags of the needs matching the other filters, counted once per need, in their commonest spelling.

    The database groups identical tag strings first, so Python splits each distinct string once.
    """
    statement = (
        _from_needs(select(Need.tags, func.count(col(Need.id))).select_from(Need))
        .where(*selection.where(without="tag"), col(Need.tags) != "")
        .group_by(col(Need.tags))
    )
    needs_with: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for tags, count in session.exec(statement):
        keys = set()
        for spelling in split_tags(tags):
            key = tag_key(spelling)
            spellings.setdefault(key, Counter())[spelling] += count
            keys.add(key)
        for key in keys:
            needs_with[key] += count
    ranked = sorted(needs_with.items(), key=lambda item: (-item[1], item[0]))[:TAG_FACET_LIMIT]
    return [FacetValue(key, _commonest(spellings[key]), count) for key, count in ranked]


def _commonest(spellings: Counter[str]) -> str:
    """The spelling used most; between equals, the first in sorted order, so the choice is stable."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


# --- The export ------------------------------------------------------------------------------------


def export_rows(session: Session, viewer: User, filters: Filters) -> list[list[object]]:
    """Every matching need as a CSV row (``EXPORT_HEADER``), in the page's order; two queries.

    Internal needs are left out: PRODUCT.md keeps them out of every export. An anonymous need's
    organisation is blank unless the viewer is an organiser (``rules.shows_organisation``).
    """
    selection = _select(session, viewer, filters)
    conditions = [*selection.where(), col(Need.sensitivity) != Sensitivity.internal.value]
    votes = _votes()
    vote_count = func.coalesce(votes.c.votes, 0)
    statement = (
        _from_needs(select(Need, Workshop.title, Breakout.title, Domain.name, TestBed.name, vote_count))
        .outerjoin(Domain, col(Need.domain_id) == Domain.id)
        .outerjoin(TestBed, col(Need.test_bed_id) == TestBed.id)
        .outerjoin(votes, votes.c.need_id == col(Need.id))
        .where(*conditions)
        .options(*_UNSHOWN)
        .order_by(*_order(filters.sort, vote_count))
    )
    matching = _from_needs(select(Need.id)).where(*conditions)
    titles: dict[int, list[str]] = {}
    fed = (
        select(UseCaseNeed.need_id, UseCase.title)
        .join(UseCase, col(UseCaseNeed.use_case_id) == UseCase.id)
        .where(col(UseCase.deleted_at).is_(None), col(UseCaseNeed.need_id).in_(matching))
        .order_by(col(UseCase.title), col(UseCase.id))
    )
    for need_id, title in session.exec(fed):
        titles.setdefault(need_id, []).append(title)
    rows = []
    for need, workshop, breakout, domain, test_bed, count in session.exec(statement):
        rows.append(
            [
                need.id,
                need.title,
                need.statement,
                need.context,
                need.desired_outcome,
                need.affected,
                need.constraints,
                need.urgency,
                need.tags,
                need.sensitivity,
                need.state,
                need.organisation if rules.shows_organisation(viewer, need) else "",
                need.organisation_type,
                need.country,
                workshop,
                breakout,
                domain or "",
                test_bed or "",
                count,
                need.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                "; ".join(titles.get(need.id, [])),
            ]
        )
    return rows
