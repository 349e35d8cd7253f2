"""Markdown as part of a larger text: headings shifted under the call's own, plain text escaped.

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
#: Characters that would start Markdown markup inside a line of plain text (``<`` is not escapable
#: with a backslash in Markdown: it becomes an entity).
_INLINE = re.compile(r"([\\`*_\[\]>|])")
#: At the start of a line, these would make a heading, a list or a quote.
_LINE_START = re.compile(r"^(\s*)(#|[-+*](?=\s))")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])(?=\s)")
#: An ampersand that would read as an entity ("&amp;" typed as text stays "&amp;").
_ENTITY = re.compile(r"&(?=#?\w+;)")


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


def escape(text: str) -> str:
    """Plain text (a title, a name) made safe to place in Markdown: it shows as typed, never as markup."""
    one_line = " ".join(text.split())
    escaped = _ENTITY.sub("&amp;", one_line)
    escaped = _INLINE.sub(r"\\\1", escaped).replace("<", "&lt;")
    escaped = _NUMBERED.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
