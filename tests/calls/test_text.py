"""Markdown placed inside the call text: headings nested outside code, plain text escaped."""

from __future__ import annotations

from itertools import pairwise

import pytest

from workshops.calls.text import nest_headings
from workshops.markdown import escape, render_markdown


def test_headings_move_under_the_challenge_but_not_inside_fenced_code():
    source = "## Context\ntext\n```\n# a comment in code\n```\n\nSetext title\n============\n\n###### Deep"
    assert nest_headings(source, 4).splitlines() == [
        "##### Context",
        "text",
        "```",
        "# a comment in code",
        "```",
        "",
        "##### Setext title",  # a top heading of the text, like Context
        "",
        "###### Deep",  # one below the heading before it, never beyond level 6
    ]


@pytest.mark.parametrize(
    ("written", "nested"),
    [
        (["##", "####", "##", "###", "####"], [5, 6, 5, 6, 6]),  # "####" under "##" is one level below it
        (["###", "##", "#"], [3, 3, 3]),  # each as shallow as any before it: a top heading
        (["#", "###", "##", "####"], [3, 4, 4, 5]),
        (["####", "#####", "######"], [3, 4, 5]),  # the text's own top level counts, not "#"
    ],
)
def test_nested_headings_never_skip_a_level(written, nested):
    under = 4 if nested[0] == 5 else 2
    source = "\n\n".join(f"{hashes} Heading {i}" for i, hashes in enumerate(written))
    levels = [len(line.split(" ", 1)[0]) for line in nest_headings(source, under).splitlines() if line.startswith("#")]
    assert levels == nested
    assert levels[0] == under + 1
    assert all(later <= earlier + 1 for earlier, later in pairwise(levels))


def test_a_dash_line_under_a_paragraph_is_not_a_heading_of_its_own():
    assert nest_headings("para\nline\n---", 2) == "para\nline\n---"


@pytest.mark.parametrize(
    "typed",
    ["# not a heading", "1. not a list", "- not a list", "> not a quote", "*not bold* [not](a link)", "<b>x</b>",
     "R&D &amp; more", "a | b", "snake_case_name"],
)  # fmt: skip
def test_plain_text_shows_as_typed(typed):
    rendered = render_markdown(escape(typed))
    expected = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert rendered == f"<p>{expected}</p>"
