"""Markdown as part of a larger text: headings shifted under the call's own.

A use case's body starts its sections at ``##``; inside the call text it sits under "Challenge 2.3"
(a level-4 heading), so its headings move down. Fenced code is left alone, and setext headings
(a line underlined with ``===`` or ``---``) become ATX headings first so that they move too.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?=\s|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}([*+>-]|\d+[.)])(\s|$)")


def shift_headings(text: str, by: int) -> str:
    """Move every heading of ``text`` ``by`` levels down (at most to level 6), outside fenced code."""
    lines = text.splitlines()
    out: list[str] = []
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            out.append(line)
        elif opening:
            fence = opening.group(1)
            out.append(line)
        elif (atx := _ATX.match(line)) is not None:
            level = min(6, len(atx.group(1)) + by)
            out.append("#" * level + line[atx.end() :])
        elif _is_setext(lines, index):
            level = min(6, (1 if lines[index + 1].strip().startswith("=") else 2) + by)
            out.append("#" * level + " " + line.strip())
            index += 1  # the underline
        else:
            out.append(line)
        index += 1
    return "\n".join(out)


def _is_setext(lines: list[str], index: int) -> bool:
    if index + 1 >= len(lines) or not lines[index].strip():
        return False
    if _LIST_OR_QUOTE.match(lines[index]) or _ATX.match(lines[index]):
        return False
    if index > 0 and lines[index - 1].strip():  # a paragraph's later line: the underline closes the paragraph
        return False
    return _SETEXT.match(lines[index + 1]) is not None
