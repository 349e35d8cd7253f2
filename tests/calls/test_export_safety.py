"""Every export of a call holds only inert content, whatever program renders it afterwards.

The HTML and Word exports are sanitised as the pages are. The Markdown, CSV and JSON exports carry
Markdown, which the applicants' platforms render with their own programs, many of which pass raw
HTML through: there, raw HTML shows as typed and script links lose their address.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tests import factories
from tests.test_markdown import XSS_CORPUS, Tags, rendered_by_others
from workshops.calls import composition, exports
from workshops.calls.models import OpenCall
from workshops.usecases.models import UseCase

DANGEROUS_TAGS = {"script", "img", "svg", "iframe", "style", "div", "details", "b", "a"}


def _dangers(markdown_text: str) -> list[tuple[str, dict]]:
    """What a renderer that passes raw HTML through would run from this Markdown."""
    return [
        (tag, attributes)
        for tag, attributes in rendered_by_others(markdown_text)
        if any(name.startswith("on") for name in attributes)
        or any(
            attributes.get(name, "").strip().lower().startswith(("javascript:", "data:")) for name in ("href", "src")
        )
        or (tag in DANGEROUS_TAGS and tag != "a")
    ]


@pytest.fixture
def nasty(app, db):
    """A published-to-be call whose introduction and challenge body hold the whole corpus."""
    corpus = "\n\n".join(XSS_CORPUS)
    with app.app_context():
        domain = factories.make_domain(db, name="Ports")
        use_case = UseCase(title="Drones", summary="Detect drones.", domain_id=domain.id, state="accepted", body=corpus)
        call = OpenCall(
            name="Open Call 5",
            slug="open-call-5",
            timezone="Europe/Brussels",
            opens_at=datetime(2027, 1, 10, 8, tzinfo=UTC),
            closes_at=datetime(2027, 4, 10, 15, tzinfo=UTC),
            introduction=corpus,
        )
        db.add_all([use_case, call])
        db.commit()
        composition.add_challenges(db, call, use_case_ids=[use_case.id])
        return exports.read(db, db.get(OpenCall, call.id))


def test_the_corpus_would_run_if_passed_through(nasty):
    assert _dangers("\n\n".join(XSS_CORPUS))  # the check below would see a leak


def test_the_markdown_export_runs_nothing_whoever_renders_it(nasty):
    text = exports.markdown(nasty)
    assert _dangers(text) == []
    assert "&lt;script>alert(1)&lt;/script>" in text  # shown as typed, not dropped


def test_the_csv_and_json_bodies_run_nothing_and_their_html_is_sanitised(nasty):
    [row] = list(csv.DictReader(io.StringIO(exports.csv(nasty), newline="")))
    [challenge] = json.loads(exports.as_json(nasty))["challenges"]
    for body in (row["body"], challenge["body"]):
        assert _dangers(body) == []
    for html in (row["body_html"], challenge["body_html"]):
        parser = Tags()
        parser.feed(html)
        assert all(tag not in DANGEROUS_TAGS - {"a", "b"} for tag, _ in parser.found)
        assert not any(name.startswith("on") for _, attributes in parser.found for name in attributes)
