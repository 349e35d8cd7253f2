"""Whether a text quotes an internal need: what publication checks before anything goes public.

An internal need is seen only by the organisers and its breakout's facilitators. Drafts never quote
one (``usecases.services.prefill``), but an organiser may still paste its words into a use case;
publishing that would make them public for good. So a call is read, before it is published, for
the words of every internal need's statement: a short statement whole, a longer one for each of
its sentences and any run of ``WINDOW`` words of it (as plagiarism checks do), so that copying one
sentence, or the visible words around some markup, is found too.

Texts are compared as their folded words (``workshops.search.words``): case, accents, punctuation,
line breaks and Markdown escapes do not hide a quotation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workshops.search import words

#: Fewer words than this can occur by chance: such a statement is never taken for a quotation.
STATEMENT_WORDS = 4
#: A longer statement is quoted when any run of this many of its words is found...
WINDOW = 8
#: ... or any of its sentences of at least this many words.
SENTENCE_WORDS = 5
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|<[^>]*>")  # markup breaks a sentence too


@dataclass(frozen=True)
class InternalText:
    """An internal need's words, as the check reads them."""

    need_id: int
    title: str
    statement: str


@dataclass(frozen=True)
class Quotation:
    """An internal need found in one of the texts checked (``where`` is that text's label)."""

    need_id: int
    title: str
    where: str


def passages(statement: str) -> list[tuple[str, ...]]:
    """The runs of words that give a statement away: all of it when short, else its sentences and windows."""
    whole = tuple(words(statement))
    if len(whole) < STATEMENT_WORDS:
        return []
    if len(whole) <= WINDOW:
        return [whole]
    sentences = (tuple(words(sentence)) for sentence in _SENTENCE_END.split(statement))
    runs = [whole[at : at + WINDOW] for at in range(len(whole) - WINDOW + 1)]
    return list(dict.fromkeys([*runs, *(run for run in sentences if len(run) >= SENTENCE_WORDS)]))


def quotations(texts: Mapping[str, str], internal: Iterable[InternalText]) -> list[Quotation]:
    """Each internal need quoted in one of ``texts`` (label → text), once per text it appears in.

    The texts are indexed by their runs of ``STATEMENT_WORDS`` words, so each passage is looked for
    only in the texts that hold its first words: fast for a call of 500 challenges and thousands of
    internal needs.
    """
    read = {label: " " + " ".join(words(text)) + " " for label, text in texts.items()}
    starts: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for label, text in read.items():
        folded = text.split()
        for at in range(len(folded) - STATEMENT_WORDS + 1):
            starts[tuple(folded[at : at + STATEMENT_WORDS])].add(label)
    found: list[Quotation] = []
    for need in internal:
        where: set[str] = set()
        for run in passages(need.statement):
            needle = " " + " ".join(run) + " "
            where |= {label for label in starts.get(run[:STATEMENT_WORDS], ()) if needle in read[label]}
        found.extend(Quotation(need.need_id, need.title, label) for label in texts if label in where)
    return found
