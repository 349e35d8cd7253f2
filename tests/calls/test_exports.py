"""The call text read back by real parsers: Markdown structure, HTML, CSV and JSON; public data only."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import docx
import pytest
from sqlmodel import select

from tests import factories
from workshops.calls import composition, exports, report
from workshops.calls.models import OpenCall
from workshops.usecases.models import UseCase

#: The columns (and JSON keys) the call's CSV and JSON had first: other systems read them, by name or
#: by position, so they stay as they are, and new ones only ever come after them.
STABLE_COLUMNS = [
    "number",
    "domain",
    "title",
    "summary",
    "owners",
    "trl_min",
    "trl_max",
    "needs",
    "organisations",
    "countries",
    "workshops",
]


def test_the_markdown_has_the_call_domains_and_numbered_challenges(call_text):
    text = exports.markdown(call_text)
    lines = text.splitlines()
    assert lines[0] == "# Open Call 2"
    assert "Opens 10 January 2027, 09:00 CET; closes 10 April 2027, 17:00 CEST." in lines
    assert "### Big heading" in lines  # the introduction's own heading moved under "## Introduction"
    assert "### 1. Security & \\<ports\\>" not in lines and "### 1. Security & &lt;ports\\>" in lines
    assert "#### Challenge 1.1: Drones over \\*ports\\*" in lines
    assert "##### Context" in lines and "##### Success criteria and KPIs" in lines
    assert "- **Challenge owners:** Port of Lisbon; Port of Antwerp" in lines
    assert "- **Evidence:** 2 needs from 2 organisations in 2 countries, 1 workshop" in lines  # internal left out
    assert "#### Challenge 2.1: Flood sensors" in lines
    assert "Secret Police" not in text  # owners who did not agree are not named
    assert exports.markdown(call_text) == text  # deterministic


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_is_self_contained_and_sanitised(call_text):
    page = exports.html(call_text)
    parsed = _Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert parsed.urls == []  # no asset, no link to anywhere
    assert parsed.tags.count("section") == 3  # the introduction, then one per domain
    assert page.count('class="domain"') == 2
    assert "<h4>Challenge 1.1: Drones over *ports*</h4>" in page
    assert "<strong>terminals</strong>" in page and "alert(1)" not in page
    assert "break-before: page" in page
    assert exports.html(call_text) == page


def test_csv_and_json_have_one_row_per_challenge_with_public_counts(call_text):
    reader = csv.DictReader(io.StringIO(exports.csv(call_text), newline=""))
    table = list(reader)
    assert reader.fieldnames[: len(STABLE_COLUMNS)] == STABLE_COLUMNS
    assert [row["number"] for row in table] == ["1.1", "2.1"]
    assert {key: table[0][key] for key in STABLE_COLUMNS} == {
        "number": "1.1",
        "domain": "Security & <ports>",
        "title": "Drones over *ports*",
        "summary": "Detect drones.",
        "owners": "Port of Lisbon; Port of Antwerp",
        "trl_min": "5",
        "trl_max": "7",
        "needs": "2",
        "organisations": "2",
        "countries": "2",
        "workshops": "1",
    }
    assert table[1]["owners"] == ""
    document = json.loads(exports.as_json(call_text))
    assert document["call"] == {
        "name": "Open Call 2",
        "slug": "open-call-2",
        "opens_at": "2027-01-10T08:00:00Z",
        "closes_at": "2027-04-10T15:00:00Z",
    }
    assert document["challenges"][0]["owners"] == ["Port of Lisbon", "Port of Antwerp"]
    assert [c["number"] for c in document["challenges"]] == ["1.1", "2.1"]
    assert list(document["challenges"][0])[: len(STABLE_COLUMNS)] == STABLE_COLUMNS


# --- The challenges' full text in the CSV and the JSON -------------------------------------------

#: A body that trips naive CSV and JSON writers: lines, commas, quotes of both kinds, a tab, unicode
#: beyond the Basic Multilingual Plane, a table, and HTML the renderer must drop.
AWKWARD_BODY = (
    "## Context\n\n"
    'Ports say "drones, at night, again"; the operators\' log:\n\n'
    "| time | what |\n| --- | --- |\n| 02:10 | drone, 3 m |\n\n"
    "- Zaunsensoren, Łódź, Liège, Ærø: détection ≤ 2 s 🚁\n"
    "- a\ttab and a trailing backslash \\\n\n"
    "<script>alert(1)</script><img src=x onerror=alert(2)>\n"
)


#: The body as the CSV and JSON carry it: every character as written, but raw HTML shown as typed
#: (``markdown.neutralise``) so that no platform rendering it runs a script.
INERT_BODY = AWKWARD_BODY.replace(
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(2)>",
)


@pytest.fixture
def awkward(call_text, db):
    """A third challenge in a new domain whose body holds all of the above, and one starting like a formula."""
    domain = factories.make_domain(db, name='Ports, "big" and small', position=9)
    use_cases = [
        UseCase(title='Drones, "again"', summary="One,\ntwo", domain_id=domain.id, state="accepted", body=AWKWARD_BODY),
        UseCase(title="Formula", domain_id=domain.id, state="accepted", body='=HYPERLINK("http://x")\n- item'),
    ]
    db.add_all(use_cases)
    db.commit()
    call = db.get(OpenCall, call_text.call.id)
    composition.add_challenges(db, call, use_case_ids=[u.id for u in use_cases])
    return call


def test_the_csv_carries_each_challenges_full_text_and_a_csv_reader_reads_it_back(app, db, awkward):
    with app.app_context():
        source = exports.read(db, awkward)
        written = exports.csv(source)
    reader = csv.DictReader(io.StringIO(written, newline=""))
    table = list(reader)
    assert reader.fieldnames == [*STABLE_COLUMNS, "domain_number", "body", "body_html"]
    assert [row["number"] for row in table] == ["1.1", "2.1", "3.1", "3.2"]
    drones = table[2]
    assert drones["body"] == INERT_BODY  # every line, comma, quote, tab and character as written
    assert (drones["title"], drones["summary"]) == ('Drones, "again"', "One,\ntwo")
    assert drones["domain"] == 'Ports, "big" and small'
    assert [row["domain_number"] for row in table] == ["1", "2", "3", "3"]
    assert "<table>" in drones["body_html"] and "<h2>Context</h2>" in drones["body_html"]
    assert "Łódź" in drones["body_html"] and "🚁" in drones["body_html"]
    assert "<script" not in drones["body_html"] and "onerror" not in drones["body_html"]
    # A cell a spreadsheet would run stays text there (the JSON has it untouched, below).
    assert table[3]["body"] == '\'=HYPERLINK("http://x")\n- item'
    assert table[0]["body"].startswith("## Context\n\nPorts see *small* drones")


def test_the_json_carries_each_challenges_full_text(app, db, awkward):
    floods = db.exec(select(UseCase).where(UseCase.title == "Flood sensors")).one()
    floods.body = ""  # a challenge with no text yet (a draft may have one) exports none
    db.add(floods)
    db.commit()
    with app.app_context():
        document = json.loads(exports.as_json(exports.read(db, awkward)))
    drones, formula = document["challenges"][2:]
    assert drones["body"] == INERT_BODY and formula["body"] == '=HYPERLINK("http://x")\n- item'
    assert drones["domain_number"] == 3 and drones["summary"] == "One,\ntwo"
    assert "<script" not in drones["body_html"] and "<td>drone, 3 m</td>" in drones["body_html"]
    assert document["challenges"][1]["body"] == "" and document["challenges"][1]["body_html"] == ""


def test_the_exported_text_is_the_published_one_not_a_later_edit(app, db, awkward):
    with app.app_context():
        composition.publish(db, awkward)
        use_case = db.exec(select(UseCase).where(UseCase.title == 'Drones, "again"')).one()
        use_case.body = "Rewritten after publication."
        db.add(use_case)
        db.commit()
        source = exports.read(db, db.get(OpenCall, awkward.id))
        table = list(csv.DictReader(io.StringIO(exports.csv(source), newline="")))
        document = json.loads(exports.as_json(source))
    assert table[2]["body"] == document["challenges"][2]["body"] == INERT_BODY


def test_the_docx_has_heading_styles_numbered_challenges_and_the_calls_properties(call_text):
    data = exports.docx(call_text)
    document = docx.Document(io.BytesIO(data))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "Introduction") in headings
    assert ("Heading 1", "Challenges") in headings
    assert ("Heading 2", "1. Security & <ports>") in headings
    assert ("Heading 3", "Challenge 1.1: Drones over *ports*") in headings
    assert ("Heading 4", "Success criteria and KPIs") in headings  # the body's "##", one below the challenge
    assert ("Heading 3", "Challenge 2.1: Flood sensors") in headings
    kpis = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert kpis == ["detection within 2 s", "fewer than 1 false alarm a day"]
    assert document.core_properties.title == "Open Call 2"
    facts = document.tables[0]
    assert [cell.text for cell in facts.rows[0].cells] == ["Technology readiness", "TRL 5 to 7"]
    assert "alert(1)" not in "\n".join(p.text for p in document.paragraphs)
    assert exports.docx(call_text) == data  # deterministic


def test_the_report_docx_has_its_tables(db, call_text):
    document = docx.Document(io.BytesIO(report.docx(report.build(db, call_text))))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["Workshops", "All workshops", "Lisbon 2021", "The needs behind each challenge"]
    rows = [[cell.text for cell in row.cells] for row in document.tables[6].rows]  # after 3 overall, 3 per workshop
    assert rows[0] == ["Need", "Organisation", "Type", "Country", "Workshop", "Breakout", "Votes"]
    assert [r[1] for r in rows[1:]] == ["Port of Lisbon", "anonymous"]
