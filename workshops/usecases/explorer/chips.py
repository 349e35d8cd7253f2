"""The filters in force as chips above the explorer's results, each removed in one click by a plain link.

A chip reads as its dimension and its value as the sidebar words it ("Country", "Denmark"), so that
a country shows by its name and a workshop by its title. Each links to the same explorer without
that one value (ticks and sort kept): the URL stays what the page shows, with or without a script.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from workshops.usecases.explorer.facets import FacetValue
from workshops.usecases.explorer.filters import DIMENSIONS, Filters

SEARCH_LEGEND = "Search"


class Chip(NamedTuple):
    """One filter in force: what it is, how its value reads, and the query arguments without it."""

    legend: str
    label: str
    args: dict[str, object]


def active_filters(filters: Filters, facets: Mapping[str, Sequence[FacetValue]]) -> list[Chip]:
    """The search first, then each ticked value in the sidebar's order of dimensions and the order ticked."""
    chips = []
    if filters.q:
        chips.append(Chip(SEARCH_LEGEND, f"“{filters.q}”", filters.args(q="", page=1)))
    for name, legend in DIMENSIONS.items():
        labels = {value.value: value.label for value in facets.get(name, ())}
        for value in filters.values(name):
            rest = tuple(other for other in filters.values(name) if other != value)
            chips.append(Chip(legend, labels.get(value, str(value)), filters.args(**{name: rest}, page=1)))
    return chips


def cleared(filters: Filters) -> dict[str, object]:
    """The query arguments of "Clear all": no filter and no search, the sort and the ticks kept."""
    return filters.args(**dict.fromkeys(DIMENSIONS, ()), q="", page=1)
