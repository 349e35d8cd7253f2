"""Tags, typed freely ("Drones, night ", "drones,Night"), told apart by a key, and matched in SQL.

A tag is known by its key: trimmed, inner spaces collapsed, case folded. Case folding happens here,
in Python, because SQLite's ``lower()`` folds ASCII letters only: the tag filter first reads the
spellings present (one query, narrowed by the search text) and then asks SQL for exactly those,
which both databases answer alike.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, false, func, literal, or_
from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.needs.models import Need
from workshops.search import matches
from workshops.usecases import rules

_SPACES = re.compile(r"\s+")
#: Passes of "two spaces → one" in SQL: runs of up to 2**4 = 16 spaces become one.
_COLLAPSE_PASSES = 4


def tag_key(tag: str) -> str:
    """How tags are told apart: trimmed, inner spaces collapsed, case folded ("Night  Vision " → "night vision")."""
    return _SPACES.sub(" ", tag).strip().casefold()


def tag_spelling(tag: str) -> str:
    """A tag as typed, tidied: trimmed, inner spaces collapsed (the case kept)."""
    return _SPACES.sub(" ", tag).strip()


def split_tags(tags: str) -> list[str]:
    """The tidied tags of a need's comma-separated tags, without empties."""
    return [spelling for part in tags.split(",") if (spelling := tag_spelling(part))]


def tag_condition(session: Session, *, viewer: User, keys: tuple[str, ...]) -> ColumnElement[bool]:
    """Needs carrying a tag with one of these keys, among those the viewer reads; one query."""
    return _carrying(_spellings(session, viewer=viewer, keys=keys))


def _spellings(session: Session, *, viewer: User, keys: tuple[str, ...]) -> set[str]:
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


def _carrying(spellings: set[str]) -> ColumnElement[bool]:
    """Needs carrying one of these exact spellings (as ``_sql_items`` gives them) as a whole tag.

    SQLite's LIKE ignores ASCII case where PostgreSQL's does not; as every spelling present with a
    wanted key is listed, both find the same needs.
    """
    if not spellings:
        return false()
    normalised = _normalised_tags()
    return or_(*(normalised.like(literal(f"%,{_like_escape(s)},%"), escape="\\") for s in sorted(spellings)))


def _normalised_tags() -> ColumnElement:
    """The tags column as ``,a,b c,``: tabs as spaces, runs of spaces as one, no space beside a comma."""
    text = func.replace(literal(",") + col(Need.tags) + literal(","), literal("\t"), literal(" "))
    for _ in range(_COLLAPSE_PASSES):
        text = func.replace(text, literal("  "), literal(" "))
    return func.replace(func.replace(text, literal(", "), literal(",")), literal(" ,"), literal(","))


def _sql_items(tags: str) -> list[str]:
    """The tags as ``_normalised_tags`` leaves them between its commas: the same replacements, in Python."""
    text = ("," + tags + ",").replace("\t", " ")
    for _ in range(_COLLAPSE_PASSES):
        text = text.replace("  ", " ")
    return [item for item in text.replace(", ", ",").replace(" ,", ",").split(",") if item.strip()]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
