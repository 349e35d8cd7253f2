"""The needs explorer's queries: every need a person may read, filtered, searched, counted by facet, paged.

One module a concern; this face is what the explorer's views, templates and tests call.
``filters`` reads the query string; ``tags`` tells tags apart and matches them in SQL;
``selection`` turns the filters into SQL the other modules share; ``queries`` lists the page of
needs; ``facets`` counts each dimension's values for the sidebar; ``chips`` words the filters in
force, each with the link that removes it; ``labels`` words a need's values; ``export`` writes the
CSV rows and records the export.

Each function runs a fixed number of statements, whatever the number of needs: the page one count,
one page and one look-up per kind of related row; the facets one ``GROUP BY`` per dimension (tags:
one read of the tags column, split here); the export two.
"""

from workshops.usecases.explorer.chips import Chip, active_filters, cleared
from workshops.usecases.explorer.export import EXPORT_HEADER, export_needs
from workshops.usecases.explorer.facets import FacetValue, facets
from workshops.usecases.explorer.filters import DIMENSIONS, SORTS, Filters
from workshops.usecases.explorer.labels import state_label, urgency_label
from workshops.usecases.explorer.queries import PER_PAGE, FedUseCase, NeedRow, explore
from workshops.usecases.explorer.tags import split_tags, tag_key, tag_spelling

__all__ = [
    "DIMENSIONS",
    "EXPORT_HEADER",
    "PER_PAGE",
    "SORTS",
    "Chip",
    "FacetValue",
    "FedUseCase",
    "Filters",
    "NeedRow",
    "active_filters",
    "cleared",
    "explore",
    "export_needs",
    "facets",
    "split_tags",
    "state_label",
    "tag_key",
    "tag_spelling",
    "urgency_label",
]
