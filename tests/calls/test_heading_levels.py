"""A use case's headings nest under its challenge in every form of the call text: no level is skipped.

A body written from ``##`` that jumps to ``####`` (or starts at ``###``) must read, in the DOCX, the
HTML export, the Markdown export and the call's own page, as an outline where each heading is at
most one level below the heading before it, and the body's top headings one level below the
challenge's. Readers navigate Word's pane and screen readers' heading lists by these levels.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from itertools import pairwise

import docx
import pytest
from sqlmodel import select

from workshops.calls import exports
from workshops.calls.models import OpenCall
from workshops.usecases.models import UseCase

MIXED = """### Where it starts

Text.

##### Two levels down as written

## Context

Ports see drones.

#### Detail, skipping a level as written

## Success criteria and KPIs

### KPIs

- detection within 2 s
"""
MARKDOWN_HEADING = re.compile(r"^(#{1,6}) (.*)$")


class _Headings(HTMLParser):
    """Every ``h1``-``h6`` of an HTML text, as (level, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[list] = []
        self._open: list | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._open = [int(tag[1]), ""]
            self.found.append(self._open)

    def handle_endtag(self, tag) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._open = None

    def handle_data(self, data) -> None:
        if self._open is not None:
            self._open[1] += data


def html_headings(html: str) -> list[tuple[int, str]]:
    parser = _Headings()
    parser.feed(html)
    return [(level, " ".join(text.split())) for level, text in parser.found]


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """ATX headings outside fenced code."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := MARKDOWN_HEADING.match(line)):
            found.append((len(match.group(1)), re.sub(r"\\(.)", r"\1", match.group(2))))  # as read, unescaped
    return found


def docx_headings(data: bytes) -> list[tuple[int, str]]:
    document = docx.Document(io.BytesIO(data))
    return [(int(p.style.name.split()[1]), p.text) for p in document.paragraphs if p.style.name.startswith("Heading ")]


def assert_outline(headings: list[tuple[int, str]]) -> None:
    """No heading is more than one level below the heading before it."""
    skips = [(a, b) for a, b in pairwise(headings) if b[0] > a[0] + 1]
    assert not skips, f"a heading level is skipped: {skips}"


def _body_levels(headings: list[tuple[int, str]]) -> dict[str, int]:
    """The levels of the mixed body's headings, and of the challenge heading above them."""
    wanted = {"Drones over *ports*", "Where it starts", "Two levels down as written", "Context",
              "Detail, skipping a level as written", "Success criteria and KPIs", "KPIs"}  # fmt: skip
    levels = {}
    for level, text in headings:
        name = text.split(": ", 1)[1] if text.startswith("Challenge 1.1: ") else text
        if name in wanted:
            levels[name] = level
    return levels


@pytest.fixture
def mixed(app, db, call_text) -> exports.CallText:
    """The draft call, its challenge 1.1 written with skipping headings."""
    use_case = db.exec(select(UseCase).where(UseCase.title == "Drones over *ports*")).one()
    use_case.body = MIXED
    db.add(use_case)
    db.commit()
    with app.app_context():
        return exports.read(db, db.get(OpenCall, call_text.call.id))


def _expected(challenge: int) -> dict[str, int]:
    return {
        "Drones over *ports*": challenge,
        "Where it starts": challenge + 1,
        "Two levels down as written": challenge + 2,
        "Context": challenge + 1,
        "Detail, skipping a level as written": challenge + 2,
        "Success criteria and KPIs": challenge + 1,
        "KPIs": challenge + 2,
    }


def test_the_docx_export_nests_a_body_that_skips_levels(mixed):
    headings = docx_headings(exports.docx(mixed))
    assert_outline(headings)
    assert _body_levels(headings) == _expected(3)


def test_the_html_export_nests_a_body_that_skips_levels(mixed):
    headings = html_headings(exports.html(mixed))
    assert_outline(headings)
    assert _body_levels(headings) == _expected(4)


def test_the_markdown_export_nests_a_body_that_skips_levels(mixed):
    headings = markdown_headings(exports.markdown(mixed))
    assert_outline(headings)
    assert _body_levels(headings) == _expected(4)


def test_the_calls_page_nests_a_body_that_skips_levels(app, organiser_client, mixed):
    page = organiser_client.get(f"/manage/calls/{mixed.call.id}/preview").get_data(as_text=True)
    text = page.split("<main", 1)[1].split("</main>", 1)[0]
    headings = [h for h in html_headings(text) if h[1] != "Contents"]
    assert_outline(headings)
    assert _body_levels(headings) == _expected(4)
