"""The filters as SQL, shared by the page, the facets and the export: conditions, joins, votes, order.

Everything starts from the live needs a person reads (``rules.readable_needs``: organisers read all
needs, facilitators those of the breakouts they facilitate, internal needs there included). A need
merged into another is not live: it counts under the need it was merged into
(``provenance.standing``), which the list says "includes 2 merged needs".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, Subquery, and_, func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.events.models import Breakout, Workshop
from workshops.needs import provenance
from workshops.needs.models import Need, Vote
from workshops.search import matches
from workshops.usecases import rules
from workshops.usecases.explorer.filters import Filters
from workshops.usecases.explorer.tags import tag_condition

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

#: Columns the explorer never shows, left unread: the similarity vector alone is a kilobyte or more a need.
UNSHOWN = (defer(Need.similarity_vector), defer(Need.search_text))


@dataclass
class Selection:
    """The filters turned into SQL conditions, one per active dimension, plus the search."""

    #: The live needs the viewer reads, whatever the filters.
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


def select_needs(session: Session, *, viewer: User, filters: Filters) -> Selection:
    """The conditions for what ``filters`` asks among the live needs ``viewer`` reads; the tag filter reads once."""
    readable = and_(rules.readable_needs(viewer), provenance.standing())
    selection = Selection(readable=readable, search=matches(col(Need.search_text), filters.q))
    for name, column in _COLUMNS.items():
        if filters.values(name):
            selection.by_dimension[name] = column.in_(filters.values(name))
    if filters.tag:
        selection.by_dimension["tag"] = tag_condition(session, viewer=viewer, keys=filters.tag)
    return selection


def from_needs(statement: Select) -> Select:
    """Join each need to its breakout and workshop, which the workshop and cluster filters read."""
    return statement.join(Breakout, col(Need.breakout_id) == Breakout.id).join(
        Workshop, col(Breakout.workshop_id) == Workshop.id
    )


def vote_counts() -> Subquery:
    """Each need's number of votes (needs without votes are missing: join it outer)."""
    return select(Vote.need_id, func.count(col(Vote.id)).label("votes")).group_by(col(Vote.need_id)).subquery("votes")


def order(sort: str, votes: ColumnElement) -> list[ColumnElement]:
    """The ``ORDER BY`` for a sort of ``SORTS``, newest first between equals."""
    newest = [col(Need.created_at).desc(), col(Need.id).desc()]
    if sort == "votes":
        return [votes.desc(), *newest]
    if sort == "urgency":
        return [col(Need.urgency).desc(), votes.desc(), *newest]
    return newest
