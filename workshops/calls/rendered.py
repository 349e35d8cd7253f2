"""A published challenge's body rendered once, when it is frozen, and read by every export and the call page.

A challenge's text is frozen on publication, so its HTML is too: the body as written (the CSV and
JSON ``body_html``), under the challenge's heading (the call page and the HTML export) and for the
Word export, each the sanitised output of ``workshops.markdown`` (``workshops.calls.docx.word_html``
for Word), never raw. ``rendered_with`` names the renderer's version that wrote them: rows frozen
before the HTML was kept, or by another version of the renderer, are rendered again on their first
read and stored (:func:`refresh`). A draft's challenges show their use case's current text and
render it live.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from workshops.calls.docx import WORD_RULES, word_html
from workshops.calls.models import Challenge
from workshops.calls.text import nest_headings
from workshops.db import Busy, write_transaction
from workshops.markdown import RENDERER, render_markdown
from workshops.usecases.models import UseCaseRevision

log = logging.getLogger(__name__)

#: The level of "Challenge 2.3" in the Markdown and HTML text: a use case's own headings nest below it, from
#: level 5 (``text.nest_headings``). In the DOCX it is Heading 3, its body's top headings Heading 4.
CHALLENGE_LEVEL = 4
#: The version of what a challenge keeps: the Markdown renderer's, and the Word flavour's.
VERSION = f"{RENDERER}.{WORD_RULES}"


@dataclass(frozen=True)
class RenderedBody:
    """A body's HTML, each sanitised: as written, under the challenge's heading, for Word (``None``: plain text)."""

    as_written: str
    nested: str
    word: str | None


def render(body: str, *, as_written: str | None = None) -> RenderedBody:
    """``body`` rendered the three ways; ``as_written`` when it is known already (a revision keeps it)."""
    return RenderedBody(
        as_written=str(render_markdown(body)) if as_written is None else as_written,
        nested=str(render_markdown(nest_headings(body, CHALLENGE_LEVEL))),
        word=word_html(body),
    )


def is_current(challenge: Challenge) -> bool:
    """Whether the challenge is frozen and keeps HTML of this renderer."""
    return challenge.revision_number is not None and challenge.rendered_with == VERSION


def keep(challenge: Challenge, rendered: RenderedBody) -> None:
    """Store ``rendered`` with the challenge, as this renderer wrote it."""
    challenge.body_html = rendered.as_written
    challenge.body_nested_html = rendered.nested
    challenge.body_word_html = rendered.word
    challenge.rendered_with = VERSION


def kept_html(revision: UseCaseRevision | None, body: str) -> str | None:
    """The HTML ``revision`` kept of ``body``, when it holds that very text, rendered by this renderer."""
    if revision is not None and revision.body == body and revision.rendered_with == RENDERER:
        return revision.body_html
    return None


def freeze(
    challenge: Challenge, revision: UseCaseRevision | None, *, prepared: dict[str, RenderedBody] | None = None
) -> None:
    """Render a challenge being published; the body's HTML as written comes from its revision when it kept it.

    ``prepared`` holds bodies rendered already, by text (before the publication's lock). A revision
    written before its HTML was kept (or by another renderer) gets it now, when it holds the text
    being frozen.
    """
    body = challenge.body or ""
    same = revision is not None and revision.body == body
    kept = kept_html(revision, body)
    rendered = (prepared or {}).get(body) or render(body, as_written=kept)
    if same and kept is None:
        revision.body_html, revision.rendered_with = rendered.as_written, RENDERER
    keep(challenge, rendered)


def refresh(session: Session, challenges: Iterable[Challenge]) -> None:
    """Render and store the HTML of the frozen challenges that lack this renderer's (none: no statement).

    A reading stores it once for every later one. When the database is busy, the HTML is left for
    the next reading: the texts render live meanwhile.
    """
    stale = [c for c in challenges if c.revision_number is not None and c.rendered_with != VERSION]
    if not stale:
        return
    rendered = [render(c.body or "") for c in stale]
    try:
        with write_transaction(session):
            for challenge, html in zip(stale, rendered, strict=True):
                keep(challenge, html)
    except Busy:
        log.info("Stored HTML of %d challenges left for a later reading: the database is busy", len(stale))
