"""Comparing two revisions of a use case: which fields changed, and the body line by line, words marked.

Pure functions over plain text, built on :class:`difflib.SequenceMatcher`. They return structures of
text segments, each marked same, removed or added; the template escapes the text and marks the
changes with ``<del>`` and ``<ins>``, so that no HTML is built here and nothing typed by a person
can reach the page unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

SAME = "same"
REMOVED = "removed"
ADDED = "added"
CHANGED = "changed"

#: Words, runs of spaces, and single punctuation marks: the units a change is marked in.
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A run of text that is the same on both sides, or only on one (removed or added)."""

    text: str
    kind: str = SAME


@dataclass(frozen=True)
class LineRow:
    """One row of the side-by-side body: the line before and the line after (``None`` where there is none)."""

    kind: str
    before: tuple[Segment, ...] | None
    after: tuple[Segment, ...] | None
    before_number: int | None = None
    after_number: int | None = None


@dataclass(frozen=True)
class Gap:
    """Unchanged lines left out between two changes."""

    lines: int
    kind: str = "gap"


@dataclass(frozen=True)
class FieldChange:
    """One field of the use case in both revisions, with its changed words marked."""

    name: str
    label: str
    before: tuple[Segment, ...]
    after: tuple[Segment, ...]
    changed: bool


def tokens(text: str) -> list[str]:
    """Split a text into words, runs of spaces and punctuation marks; joined again they give the text."""
    return _TOKEN.findall(text)


def diff_words(before: str, after: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Mark the words removed from ``before`` and added in ``after``; the rest is the same on both sides."""
    old, new = tokens(before), tokens(after)
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    left: list[Segment] = []
    right: list[Segment] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal" and _lone_space(old[i1:i2], opcodes, index):
            tag = "replace"  # "one two" → "three four": one change, not two with a kept space between
        if tag == "equal":
            left.append(Segment("".join(old[i1:i2])))
            right.append(Segment("".join(new[j1:j2])))
            continue
        if i2 > i1:
            left.append(Segment("".join(old[i1:i2]), REMOVED))
        if j2 > j1:
            right.append(Segment("".join(new[j1:j2]), ADDED))
    return _joined(left), _joined(right)


def _lone_space(kept: list[str], opcodes: list, index: int) -> bool:
    """Whether a kept run is only spaces between two changes."""
    inside = 0 < index < len(opcodes) - 1
    return (
        inside
        and all(token.isspace() for token in kept)
        and "equal"
        not in (
            opcodes[index - 1][0],
            opcodes[index + 1][0],
        )
    )


def _joined(segments: list[Segment]) -> tuple[Segment, ...]:
    """Neighbouring segments of one kind made one."""
    joined: list[Segment] = []
    for segment in segments:
        if joined and joined[-1].kind == segment.kind:
            joined[-1] = Segment(joined[-1].text + segment.text, segment.kind)
        else:
            joined.append(segment)
    return tuple(joined)


def diff_lines(before: str, after: str) -> list[LineRow]:
    """Compare two texts line by line; a line changed in place gets its changed words marked.

    Lines replaced in a block are paired in order; what is left over on one side is a removed or
    added line.
    """
    old, new = before.splitlines(), after.splitlines()
    rows: list[LineRow] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(
                LineRow(SAME, (Segment(old[i]),), (Segment(new[j]),), i + 1, j + 1)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        pairs = min(i2 - i1, j2 - j1)
        for k in range(pairs):
            left, right = diff_words(old[i1 + k], new[j1 + k])
            rows.append(LineRow(CHANGED, left, right, i1 + k + 1, j1 + k + 1))
        rows.extend(LineRow(REMOVED, (Segment(old[i], REMOVED),), None, i + 1, None) for i in range(i1 + pairs, i2))
        rows.extend(LineRow(ADDED, None, (Segment(new[j], ADDED),), None, j + 1) for j in range(j1 + pairs, j2))
    return rows


def with_context(rows: Sequence[LineRow], context: int = 3) -> list[LineRow | Gap]:
    """Keep ``context`` unchanged lines around each change and fold longer unchanged runs into a gap."""
    changed = [i for i, row in enumerate(rows) if row.kind != SAME]
    if not changed:
        return [Gap(len(rows))] if rows else []
    keep = {i for c in changed for i in range(c - context, c + context + 1) if 0 <= i < len(rows)}
    shown: list[LineRow | Gap] = []
    skipped = 0
    for i, row in enumerate(rows):
        if i in keep:
            if skipped:
                shown.append(Gap(skipped))
                skipped = 0
            shown.append(row)
        else:
            skipped += 1
    if skipped:
        shown.append(Gap(skipped))
    return shown


def compare_fields(before: Mapping[str, str], after: Mapping[str, str], labels: Mapping[str, str]) -> list[FieldChange]:
    """Each field named in ``labels``, in its order, with the words that changed marked."""
    compared = []
    for name, label in labels.items():
        old, new = str(before.get(name, "")), str(after.get(name, ""))
        if old == new:
            compared.append(FieldChange(name, label, (Segment(old),), (Segment(new),), changed=False))
        else:
            left, right = diff_words(old, new)
            compared.append(FieldChange(name, label, left, right, changed=True))
    return compared
