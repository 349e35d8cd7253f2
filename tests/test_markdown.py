"""The one Markdown helper: rendered, then sanitised."""

from __future__ import annotations

from html.parser import HTMLParser

import markdown as markdown_lib
import pytest

from workshops.markdown import escape, neutralise, render_markdown


def test_markdown_renders_common_structure():
    html = str(render_markdown("# Context\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n**bold**"))
    assert "<h1>Context</h1>" in html
    assert "<li>one</li>" in html
    assert "<table>" in html
    assert "<strong>bold</strong>" in html


def test_links_get_noopener_nofollow():
    html = str(render_markdown("[site](https://example.org)"))
    assert 'href="https://example.org"' in html
    assert 'rel="noopener nofollow"' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<img src="x" onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_dangerous_input_comes_out_inert(payload):
    html = str(render_markdown(payload)).lower()
    for bad in ("<script", "javascript:", "data:", "onerror", "onload", "<iframe", "<svg", "<style"):
        assert bad not in html


def test_empty_input_renders_nothing():
    assert str(render_markdown(None)) == ""
    assert str(render_markdown("")) == ""


def test_template_filter_is_the_way_templates_render_markdown(app):
    with app.test_request_context():
        html = app.jinja_env.from_string("{{ text|markdown }}").render(text="*hi* <script>x</script>")
    assert "<em>hi</em>" in html
    assert "<script>" not in html


# Random Markdown: whatever comes in, only allow-listed tags, attributes and URL schemes come out.


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from workshops.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES  # noqa: E402

FRAGMENTS = st.sampled_from(
    [
        "# ", "**", "_", "`", "```\n", "\n", "\n\n", "- ", "1. ", "> ", "| a | b |\n|---|---|\n", "[x](",
        ")", "](", "<", ">", '"', "'", "=", "javascript:", "data:", "vbscript:", "http://e.x/", "<script>",
        "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>", "<svg onload=1>", "<iframe>",
        "<style>", "&#106;avascript:", "<b onclick=1>", "word", " ", "<!--", "-->", "![i](", "<div>",
    ]
)  # fmt: skip


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join))
def test_random_markdown_only_yields_allow_listed_html(text):
    collector = TagCollector()
    collector.feed(str(render_markdown(text)))
    for tag, attrs in collector.found:
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert name in allowed, (tag, name)
            if name == "href" and value:
                scheme = browser_scheme(value)
                assert scheme is None or scheme in ALLOWED_URL_SCHEMES, value


def browser_scheme(url: str) -> str | None:
    """The scheme a browser reads in ``url`` (it drops tabs and newlines, and leading spaces)."""
    import re

    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f ")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else None


@pytest.mark.parametrize("nested", ["1. " * 1000, "- " * 1000, "> " * 1000, "1. " * 5000])
def test_deep_nesting_renders_without_an_error_and_keeps_the_text(nested):
    rendered = render_markdown(nested + "end")
    assert "end" in rendered and "<script" not in rendered


def test_a_renderer_that_runs_out_of_stack_gives_the_text_as_paragraphs(monkeypatch):
    """Python-Markdown before 3.10 recursed once per nesting level; the guard must still answer with text."""
    from workshops import markdown as markdown_module

    class Exhausted:
        def convert(self, _text):
            raise RecursionError

    monkeypatch.setattr(markdown_module, "_shared_parser", lambda: Exhausted())
    rendered = render_markdown("1. " * 3 + "<b>end</b>\n\nnext")
    assert rendered == "<p>1. 1. 1. &lt;b&gt;end&lt;/b&gt;</p><p>next</p>"


def test_table_columns_keep_their_alignment():
    rendered = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert '<th align="left">a</th>' in rendered and '<td align="right">2</td>' in rendered


@pytest.mark.parametrize(
    "typed", ["Ports {: #here}", "Issue #", "&#39; typed", "a > b", ">quote", "- item", "+ item", "2. step", "3) step"]
)
def test_escaped_text_shows_as_typed_in_a_heading_and_in_a_bullet(typed):
    shown = typed.replace("&", "&amp;").replace(">", "&gt;")
    assert render_markdown("### " + escape(typed)) == f"<h3>{shown}</h3>"
    assert render_markdown("- " + escape(typed, inline_gt=False)) == f"<ul>\n<li>{shown}</li>\n</ul>"


def test_a_greater_than_sign_is_escaped_inside_the_line_unless_asked_not_to():
    assert escape("<b>x</b> > y") == "&lt;b\\>x&lt;/b\\> \\> y"
    assert escape("<b>x</b> > y", inline_gt=False) == "&lt;b>x&lt;/b> > y"
    assert escape("> y", inline_gt=False) == "\\> y"


# --- Markdown made safe for other renderers -----------------------------------------------------

#: What people paste into a use case, meant or not: raw HTML, event handlers, script links.
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<div onclick=alert(1)>click</div>",
    "[click](javascript:alert(1))",
    "[click](JavaScript:void(alert(1)))",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x]( javascript:alert(1) )",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "<scr<script>ipt>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "- item <b onmouseover=alert(1)>b</b>",
    "> quote <style>body{display:none}</style>",
    "<details open ontoggle=alert(1)>",
    "<https://example.org/ok> and <mailto:a@example.org>",
]


class Tags(HTMLParser):
    """Every tag and attribute a renderer produced."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def rendered_by_others(text: str) -> list[tuple[str, dict]]:
    """Tags from Python-Markdown as other programs run it: raw HTML passed through, nothing sanitised."""
    parser = Tags()
    parser.feed(markdown_lib.markdown(text, extensions=["extra"]))
    return parser.found


@pytest.mark.parametrize("text", XSS_CORPUS)
def test_neutralised_markdown_runs_nothing_whoever_renders_it(text):
    assert rendered_by_others(text) != [] or "<" not in text  # the corpus does reach raw HTML unneutralised
    for tag, attributes in rendered_by_others(neutralise(f"Before.\n\n{text}\n\nAfter.")):
        assert tag not in {"script", "img", "svg", "iframe", "style", "div", "details", "b"}, (text, tag)
        assert not any(name.startswith("on") for name in attributes), (text, attributes)
        for name in ("href", "src"):
            assert not attributes.get(name, "").strip().lower().startswith(("javascript:", "data:")), (text, attributes)


def test_neutralising_keeps_markdown_code_and_safe_links():
    text = "## Context\n\n**Bold** `<b>code</b>` [site](https://example.org) <https://example.org>\n\n```\n<script>x</script>\n```"
    kept = neutralise(text)
    assert "**Bold** `<b>code</b>` [site](https://example.org) <https://example.org>" in kept
    assert "```\n<script>x</script>\n```" in kept  # shown as code by every renderer
    assert neutralise("a < b and 2 > 1") == "a &lt; b and 2 > 1"
