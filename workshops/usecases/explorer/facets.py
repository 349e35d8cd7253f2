"""The explorer's sidebar: each dimension's values, with what ticking each would give.

Filters combine as people expect from a shop's sidebar: several values of one dimension widen the
selection (OR), different dimensions narrow it (AND). Beside each value, its count is what ticking it
would give with the *other* dimensions' filters kept, so that already ticked values keep a count too.
One ``GROUP BY`` per dimension; tags are one read of the tags column, split here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import Session, col, select

from workshops.auth.models import OrganisationType, User, organisation_type_label
from workshops.countries import country_name
from workshops.events.models import Breakout, TestBed, Workshop
from workshops.needs.models import URGENCY_WORDS, Need, NeedState
from workshops.programme.models import Cluster, Domain
from workshops.usecases.explorer.filters import Filters
from workshops.usecases.explorer.labels import STATE_LABELS, state_label, urgency_label
from workshops.usecases.explorer.selection import Selection, from_needs, select_needs
from workshops.usecases.explorer.tags import split_tags, tag_key

#: Tags listed in the sidebar (the most frequent, plus any ticked one).
TAG_FACET_LIMIT = 30


class FacetValue(NamedTuple):
    """One value of a dimension: what the checkbox sends, what people read, and what ticking it gives."""

    value: object
    label: str
    count: int


def facets(session: Session, viewer: User, filters: Filters) -> dict[str, list[FacetValue]]:
    """For each dimension, its values with the count ticking each would give (other filters kept).

    The values are those of the needs the viewer reads (zeros included: the template greys them),
    the fixed lists (organisation types, urgencies, states) in full; tags only where they occur in
    the current selection. A ticked value missing from the data is listed with 0, so it can be unticked.
    """
    selection = select_needs(session, viewer=viewer, filters=filters)
    found = {name: listing(session, selection) for name, listing in _FACETS.items()}
    for name, values in found.items():
        listed = {value.value for value in values}
        label = state_label if name == "state" else str
        values.extend(FacetValue(value, label(value), 0) for value in filters.values(name) if value not in listed)
    return found


def _counted(selection: Selection, dimension: str) -> ColumnElement[int]:
    """How many needs of a group match every other filter: a conditional count, so zeros stay listed."""
    others = selection.conditions(without=dimension)
    if not others:
        return func.count(col(Need.id))
    return func.count(case((and_(*others), col(Need.id))))


def _grouped(
    session: Session,
    selection: Selection,
    *,
    dimension: str,
    columns: Sequence,
    joins: Iterable[tuple] = (),
    order: Sequence = (),
) -> list[tuple]:
    """One ``GROUP BY`` over the readable needs: the value, its label columns, and the count."""
    statement = from_needs(select(*columns, _counted(selection, dimension)).select_from(Need))
    for target, on in joins:
        statement = statement.join(target, on)
    statement = statement.where(selection.readable).group_by(*columns).order_by(*order)
    return list(session.exec(statement))


def _workshops(session: Session, selection: Selection) -> list[FacetValue]:
    rows = _grouped(
        session,
        selection,
        dimension="workshop",
        columns=[Workshop.id, Workshop.title, Workshop.starts_at],
        order=[col(Workshop.starts_at).desc(), col(Workshop.id)],
    )
    return [FacetValue(id_, title, n) for id_, title, _, n in rows]


def _breakouts(session: Session, selection: Selection) -> list[FacetValue]:
    """Breakouts by title; a title two breakouts share is followed by the workshop's."""
    rows = _grouped(
        session,
        selection,
        dimension="breakout",
        columns=[Breakout.id, Breakout.title, Breakout.starts_at, Workshop.title, Workshop.starts_at],
        order=[col(Workshop.starts_at).desc(), col(Breakout.starts_at), col(Breakout.id)],
    )
    repeated = {title for title, times in Counter(row[1] for row in rows).items() if times > 1}
    return [
        FacetValue(id_, f"{title} · {workshop}" if title in repeated else title, n)
        for id_, title, _, workshop, _, n in rows
    ]


def _domains(session: Session, selection: Selection) -> list[FacetValue]:
    rows = _grouped(
        session,
        selection,
        dimension="domain",
        columns=[Domain.id, Domain.name, Domain.position],
        joins=[(Domain, col(Need.domain_id) == Domain.id)],
        order=[col(Domain.position), col(Domain.name)],
    )
    return [FacetValue(id_, name, n) for id_, name, _, n in rows]


def _test_beds(session: Session, selection: Selection) -> list[FacetValue]:
    rows = _grouped(
        session,
        selection,
        dimension="test_bed",
        columns=[TestBed.id, TestBed.name],
        joins=[(TestBed, col(Need.test_bed_id) == TestBed.id)],
        order=[col(TestBed.name)],
    )
    return [FacetValue(id_, name, n) for id_, name, n in rows]


def _organisation_types(session: Session, selection: Selection) -> list[FacetValue]:
    counts = dict(_grouped(session, selection, dimension="organisation_type", columns=[Need.organisation_type]))
    return [
        FacetValue(value.value, organisation_type_label(value, short=True), counts.get(value.value, 0))
        for value in OrganisationType
    ]


def _countries(session: Session, selection: Selection) -> list[FacetValue]:
    """Countries by name; needs without a country are not listed."""
    rows = _grouped(session, selection, dimension="country", columns=[Need.country])
    countries = [(code, country_name(code), n) for code, n in rows if code]
    return [FacetValue(*row) for row in sorted(countries, key=lambda row: row[1])]


def _clusters(session: Session, selection: Selection) -> list[FacetValue]:
    rows = _grouped(
        session,
        selection,
        dimension="cluster",
        columns=[Cluster.id, Cluster.short_name],
        joins=[(Cluster, col(Workshop.cluster_id) == Cluster.id)],
        order=[col(Cluster.short_name)],
    )
    return [FacetValue(id_, name, n) for id_, name, n in rows]


def _urgencies(session: Session, selection: Selection) -> list[FacetValue]:
    counts = dict(_grouped(session, selection, dimension="urgency", columns=[Need.urgency]))
    return [FacetValue(u, urgency_label(u), counts.get(u, 0)) for u in sorted(URGENCY_WORDS, reverse=True)]


def _states(session: Session, selection: Selection) -> list[FacetValue]:
    """Open and dismissed always; merged only where a need is still marked so on its own.

    A merged need counts under the need it was merged into, so it is no live need here; one whose
    merged need was deleted since stands for itself again, and stays findable by its state.
    """
    counts = dict(_grouped(session, selection, dimension="state", columns=[Need.state]))
    return [
        FacetValue(s.value, STATE_LABELS[s], counts.get(s.value, 0))
        for s in NeedState
        if s != NeedState.merged or counts.get(s.value)
    ]


def _tags(session: Session, selection: Selection) -> list[FacetValue]:
    """Tags of the needs matching the other filters, counted once per need, in their commonest spelling.

    The database groups identical tag strings first, so Python splits each distinct string once.
    """
    statement = (
        from_needs(select(Need.tags, func.count(col(Need.id))).select_from(Need))
        .where(*selection.where(without="tag"), col(Need.tags) != "")
        .group_by(col(Need.tags))
    )
    needs_with, spellings = _tally(session.exec(statement))
    ranked = sorted(needs_with.items(), key=lambda item: (-item[1], item[0]))[:TAG_FACET_LIMIT]
    return [FacetValue(key, _commonest(spellings[key]), count) for key, count in ranked]


def _tally(rows: Iterable[tuple[str, int]]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """From (tags, needs) rows: the needs carrying each tag key, and how often each spelling of a key is used."""
    needs_with: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for tags, count in rows:
        keys = set()
        for spelling in split_tags(tags):
            key = tag_key(spelling)
            spellings.setdefault(key, Counter())[spelling] += count
            keys.add(key)
        for key in keys:
            needs_with[key] += count
    return needs_with, spellings


def _commonest(spellings: Counter[str]) -> str:
    """The spelling used most; between equals, the first in sorted order, so the choice is stable."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


#: Each dimension's values, in the sidebar's order (that of ``DIMENSIONS``).
_FACETS: dict[str, Callable[[Session, Selection], list[FacetValue]]] = {
    "workshop": _workshops,
    "breakout": _breakouts,
    "domain": _domains,
    "test_bed": _test_beds,
    "organisation_type": _organisation_types,
    "country": _countries,
    "cluster": _clusters,
    "urgency": _urgencies,
    "state": _states,
    "tag": _tags,
}
