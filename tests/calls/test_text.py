"""Markdown placed inside the call text: headings shifted outside code, plain text escaped."""

from __future__ import annotations

import pytest

from workshops.calls.text import shift_headings
from workshops.markdown import escape, render_markdown


def test_headings_move_down_but_not_inside_fenced_code():
    source = "## Context\ntext\n```\n# a comment in code\n```\n\nSetext title\n============\n\n###### Deep"
    assert shift_headings(source, 3).splitlines() == [
        "##### Context",
        "text",
        "```",
        "# a comment in code",
        "```",
        "",
        "#### Setext title",
        "",
        "###### Deep",  # never beyond level 6
    ]


def test_a_dash_line_under_a_paragraph_is_not_a_heading_of_its_own():
    assert shift_headings("para\nline\n---", 2) == "para\nline\n---"


@pytest.mark.parametrize(
    "typed",
    ["# not a heading", "1. not a list", "- not a list", "> not a quote", "*not bold* [not](a link)", "<b>x</b>",
     "R&D &amp; more", "a | b", "snake_case_name"],
)  # fmt: skip
def test_plain_text_shows_as_typed(typed):
    rendered = render_markdown(escape(typed))
    expected = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert rendered == f"<p>{expected}</p>"
