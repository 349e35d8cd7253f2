"""Markdown as part of a larger text: headings nested under the call's own.

A use case's body sits under "Challenge 2.3" (a level-4 heading in the call text), so its headings
move down: its top headings become level 5, whatever level they were written at, and a deeper one
is never more than one level below the heading before it (``##`` then ``####`` become 5 and 6), so
that the outline never skips a level. The DOCX writer nests its Word headings by the same rule
(:class:`HeadingLevels`). Fenced code is left alone, and setext headings (a line underlined with
``===`` or ``---``) become ATX headings first so that they move too.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?=\s|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}([*+>-]|\d+[.)])(\s|$)")


class HeadingLevels:
    """The levels of a text's headings placed under a heading of level ``under``, in reading order.

    A heading takes one level more than the nearest heading before it that was written at a
    shallower level (``under`` for the first ones): the text's top headings sit just under
    ``under``, and the outline keeps its shape without skipping a level. At most ``deepest``.
    """

    def __init__(self, under: int, deepest: int = 6) -> None:
        self.under, self.deepest = under, deepest
        self._open: list[tuple[int, int]] = []  # the headings still open: (level written, level given)

    def level(self, written: int) -> int:
        """The level of the next heading, written at level ``written``."""
        while self._open and self._open[-1][0] >= written:
            self._open.pop()
        given = self._open[-1][1] + 1 if self._open else self.under + 1
        self._open.append((written, given))
        return min(self.deepest, given)


def nest_headings(text: str, under: int) -> str:
    """Move the headings of ``text`` under a heading of level ``under`` (see :class:`HeadingLevels`)."""
    levels = HeadingLevels(under)
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
            level = levels.level(len(atx.group(1)))
            out.append("#" * level + line[atx.end() :])
        elif _is_setext(lines, index):
            level = levels.level(1 if lines[index + 1].strip().startswith("=") else 2)
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
