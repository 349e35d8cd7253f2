"""Word-prefix search that matches the same on SQLite and PostgreSQL, ignoring case and accents.

A searchable row keeps a *search text*: its words folded (lower case, accents removed, ``ß`` as
``ss``) and joined by single spaces, with a space in front. A query matches when each of its folded
words starts a word of that text: ``LIKE '% word%'`` for each, which both databases answer the same
way (``resil`` finds "Résilience"). Ranking is left to the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import and_, literal
from sqlalchemy.sql.elements import ColumnElement

_WORD = re.compile(r"\w+")
#: Words kept from a query: more only slow the search down without narrowing it in practice.
MAX_QUERY_WORDS = 12


def fold(text: str) -> str:
    """Lower case without accents: "Résilience" → "resilience", "Straße" → "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


def search_text(parts: Iterable[str]) -> str:
    """What a row stores to be searched: its folded words, each after one space."""
    return "".join(f" {word}" for part in parts if part for word in words(part))


def matches(column: ColumnElement, query: str) -> ColumnElement | None:
    """A condition true when every word of ``query`` starts a word of ``column``; ``None`` for no words."""
    wanted = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    if not wanted:
        return None
    return and_(*(column.like(literal(f"% {_escape(word)}%"), escape="\\") for word in wanted))


def _escape(word: str) -> str:
    """Word characters include ``_``, which LIKE reads as any character: escape it, and the escape itself."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
