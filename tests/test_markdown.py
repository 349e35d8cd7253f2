"""The one Markdown helper: rendered, then sanitised."""

from __future__ import annotations

import pytest

from workshops.markdown import render_markdown


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
