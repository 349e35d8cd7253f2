"""The short name in a page's address, made from a name: one way, for every row that has a slug.

"Open Call 2 — Sécurité des ports" gives ``open-call-2-securite-des-ports``: lower case, accents
folded as the search folds them, a few letters that do not decompose spelled in Latin (ł, ø, æ…),
everything else a single hyphen. ``static/js/calls/slug.js`` does the same in the browser, so the
field fills in as the name is typed; the server makes it again for a slug left empty, and makes it
unique with a number (``open-call-2-2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from workshops.search import fold

#: Letters that Unicode does not decompose into a Latin letter and an accent.
SPELLED = str.maketrans({"ł": "l", "đ": "d", "ð": "d", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})
_OTHER = re.compile(r"[^a-z0-9]+")


def slugify(name: str, *, limit: int) -> str:
    """The name as lowercase ASCII words joined by single hyphens, at most ``limit`` characters ("" if none)."""
    slug = _OTHER.sub("-", fold(name or "").translate(SPELLED)).strip("-")
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]).strip("-")


def unique(slug: str, taken: Iterable[str], *, limit: int) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… the first that is not ``taken``, within ``limit`` characters."""
    taken = set(taken)
    if slug not in taken:
        return slug
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = f"{slug[: limit - len(suffix)].rstrip('-')}{suffix}"
        if candidate not in taken:
            return candidate
        number += 1
