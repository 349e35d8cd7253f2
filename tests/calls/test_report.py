"""The consultation report: who took part, overall and per workshop; the needs logged; the needs behind each challenge.

Every format is read back with a real parser: the Markdown through the project's renderer and
``html.parser``, the HTML with ``html.parser``, the DOCX with python-docx.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import docx
import pytest
from docx.table import Table
from sqlmodel import Session

from tests import factories
from workshops.auth.models import organisation_type_label
from workshops.calls import composition, exports, report
from workshops.calls.models import OpenCall
from workshops.markdown import render_markdown
from workshops.needs import merging
from workshops.needs import services as needs
from workshops.needs.models import Need
from workshops.usecases.models import UseCase, UseCaseNeed


def test_the_report_counts_participants_and_lists_public_needs_only(db, call_text):
    built = report.build(db, call_text)
    [part] = built.workshops
    assert part.workshop.title == "Lisbon 2021"
    assert part.participants == 3
    assert dict(part.by_country) == {"Portugal": 1, "Belgium": 1, "France": 1}
    assert part.listed == []  # nobody ticked the listing consent
    # The internal need is counted as logged, apart, and never named.
    assert [(b.needs, b.merged, b.internal) for b in part.breakouts] == [(3, 0, 1)]
    lines = built.needs_by_challenge["1.1"]
    assert [(n.title, n.organisation) for n in lines] == [("Need 0", "Port of Lisbon"), ("Need 1", "anonymous")]
    assert built.needs_by_challenge["2.1"] == []
    assert built.overall.participants == 3 and built.overall.returning == 0


def test_the_report_in_markdown_and_html_never_names_the_hidden(db, call_text):
    built = report.build(db, call_text)
    for document in (report.markdown(built), report.html(built)):
        assert "Consultation report: Open Call 2" in document
        assert "Port of Lisbon" in document
        assert "Port of Antwerp" not in document.split("The needs behind")[1]  # the anonymous need's organisation
        assert "Secret Police" not in document and "Need 2" not in document  # the internal need
    markdown = report.markdown(built)
    assert "| Need 0 | Port of Lisbon | Other | Portugal | Lisbon 2021 |" in markdown
    assert report.markdown(report.build(db, call_text)) == markdown


# --- A consultation of two workshops, three breakouts, merges and internal needs ---------------

#: (name, organisation, type, country, workshops attended: L = Lisbon, A = Antwerp, a = cancelled in Antwerp)
PEOPLE = [
    ("Ana", "Port of Lisbon", "end_user", "PT", "LA"),
    ("Bert", "Thales Belgium", "integrator", "BE", "LA"),
    ("Chloé", "Drone Start", "sme", "FR", "L"),
    ("Dirk", "Police of Antwerp", "public_authority", "BE", "A"),
    ("Eva", "TU Delft", "research", "NL", "La"),
    ("Frank", "Port of Sines", "end_user", "PT", "A"),
]
#: (key, breakout, who, sensitivity, title): the needs as they were stated.
STATED = [
    ("a", "Ports", "Ana", "public", "Drones over the terminals at night"),
    ("b", "Ports", "Bert", "public", "Drones seen over the cranes"),
    ("c", "Ports", "Chloé", "public", "Cyber-attacks on crane controls"),
    ("d", "Ports", "Eva", "anonymous", "Unattended luggage at the ferry"),
    ("e", "Ports", "Bert", "internal", "Informant network gaps"),
    ("f", "Stations", "Ana", "public", "Crowd flow sensors on platforms"),
    ("g", "Stations", "Chloé", "public", "Intrusion onto the tracks"),
    ("h", "Stations", "Eva", "public", "Ticket fraud at the gates"),
    ("i", "Stations", "Eva", "internal", "Undercover patrol rota"),
    ("j", "Borders", "Dirk", "public", "Drone incursions at the border"),
    ("k", "Borders", "Frank", "public", "Scanning containers faster"),
    ("l", "Borders", "Dirk", "internal", "Smuggling informants exposed"),
]
#: (new key, merged keys): m2 merges a merge (m1) with a need of another breakout; m3 crosses workshops.
MERGES = [("m1", ("a", "b")), ("m2", ("m1", "f")), ("m3", ("g", "j")), ("m4", ("e", "i"))]
INTERNAL = ("e", "i", "l")

#: What each breakout logged: (breakout, needs logged, merged into others, internal).
EXPECTED_BREAKOUTS = {
    "Lisbon 2021": [["Ports", "5", "3", "1"], ["Stations", "4", "3", "1"]],
    "Antwerp 2021": [["Borders", "3", "1", "1"]],
}
EXPECTED_ALL = ["All breakouts", "12", "7", "3"]
EXPECTED_TYPES = {
    organisation_type_label("end_user"): "2",  # Ana and Frank; Ana once though she came twice
    organisation_type_label("integrator"): "1",
    organisation_type_label("sme"): "1",
    organisation_type_label("public_authority"): "1",
    organisation_type_label("research"): "1",
}
EXPECTED_COUNTRIES = {"Portugal": "2", "Belgium": "2", "France": "1", "Netherlands": "1"}


@dataclass
class Consultation:
    call_id: int
    organiser: object
    use_case_id: int
    needs: dict[str, Need] = field(default_factory=dict)


def _statement(key: str) -> str:
    return f"Statement {key}: what the speaker asked for, in their words."


def _merge(db, organiser, originals: list[Need]) -> Need:
    return merging.merge_needs(
        session=db, originals=originals, values=merging.merged_values(originals), author=organiser
    )


@pytest.fixture
def consultation(app, db) -> Consultation:
    with app.app_context():
        security = factories.make_domain(db, name="Security")
        start = datetime(2027, 11, 16, 8, tzinfo=UTC)
        lisbon = factories.make_workshop(db, title="Lisbon 2021", starts_at=start, ends_at=start + timedelta(hours=7))
        later = start + timedelta(days=14)
        antwerp = factories.make_workshop(db, title="Antwerp 2021", starts_at=later, ends_at=later + timedelta(hours=7))
        breakouts = {
            "Ports": factories.make_breakout(db, lisbon, title="Ports", hour=1),
            "Stations": factories.make_breakout(db, lisbon, title="Stations", hour=3),
            "Borders": factories.make_breakout(db, antwerp, title="Borders", hour=1),
        }
        people = {}
        for name, organisation, kind, country, attends in PEOPLE:
            person = factories.make_user(
                db, name=name, organisation=organisation, organisation_type=kind, country=country
            )
            people[name] = person
            for letter, workshop in (("L", lisbon), ("A", antwerp), ("a", antwerp)):
                if letter in attends:
                    state = "cancelled" if letter == "a" else "confirmed"
                    factories.make_registration(db, workshop, person, state=state)
        organiser = factories.make_user(db, role="organiser", organisation="Safe Cluster", organisation_type="cluster")
        found = _log(db, breakouts, people, security.id)
        for key, merged in MERGES:
            found[key] = _merge(db, organiser, [found[k] for k in merged])
        needs.dismiss_need(session=db, need=found["h"], reason="Out of scope for this call.")  # still logged
        use_case = _use_case(db, security.id, [found[k] for k in ("m2", "m3", "c", "d", "m4", "l", "k")])
        call = OpenCall(
            name="Open Call 3",
            slug="open-call-3",
            timezone="Europe/Brussels",
            opens_at=datetime(2028, 1, 10, 8, tzinfo=UTC),
            closes_at=datetime(2028, 4, 10, 15, tzinfo=UTC),
        )
        db.add(call)
        db.commit()
        composition.add_challenges(db, call, use_case_ids=[use_case.id])
        return Consultation(call_id=call.id, organiser=organiser, use_case_id=use_case.id, needs=found)


def _log(db, breakouts, people, domain_id, stated=STATED) -> dict[str, Need]:
    found = {}
    for key, breakout, who, sensitivity, title in stated:
        person = people[who]
        values = needs.NeedInput(
            title=title,
            statement=_statement(key),
            domain_id=domain_id,
            organisation=person.organisation,
            organisation_type=person.organisation_type,
            country=person.country,
            sensitivity=sensitivity,
        )
        found[key] = needs.log_need(session=db, breakout=breakouts[breakout], values=values, author=person)[0]
    return found


def _use_case(db, domain_id: int, linked: list[Need]) -> UseCase:
    use_case = UseCase(title="Drones and ports", summary="See drones.", domain_id=domain_id, state="accepted")
    db.add(use_case)
    db.flush()
    db.add_all([UseCaseNeed(use_case_id=use_case.id, need_id=n.id) for n in linked])
    db.commit()
    return use_case


def _built(app, db, consultation: Consultation) -> report.Report:
    with app.app_context():
        return report.build(db, exports.read(db, db.get(OpenCall, consultation.call_id)))


# --- Reading each format back -----------------------------------------------------------------


class _Blocks(HTMLParser):
    """The headings, paragraphs and tables of an HTML document, in order, as text."""

    HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

    def __init__(self):
        super().__init__()
        self.blocks: list[tuple[str, object]] = []
        self._text: list[str] | None = None
        self._table: list[list[str]] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in (*self.HEADINGS, "p", "td", "th"):
            self._text = []
        elif tag == "table":
            self._table = []
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        text = "".join(self._text or []).strip()
        if tag in self.HEADINGS:
            self.blocks.append(("heading", text))
        elif tag == "p" and self._table is None:
            self.blocks.append(("p", text))
        elif tag in ("td", "th"):
            self._row.append(text)
        elif tag == "tr":
            self._table.append(self._row)
        elif tag == "table":
            self.blocks.append(("table", self._table))
            self._table = None
        if tag in (*self.HEADINGS, "p", "td", "th"):
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def _html_blocks(page: str) -> list[tuple[str, object]]:
    parsed = _Blocks()
    parsed.feed(page)
    parsed.close()
    return parsed.blocks


def _docx_blocks(data: bytes) -> list[tuple[str, object]]:
    blocks = []
    for item in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(item, Table):
            blocks.append(("table", [[cell.text for cell in row.cells] for row in item.rows]))
        elif item.style.name.startswith("Heading"):
            blocks.append(("heading", item.text))
        elif item.text.strip():
            blocks.append(("p", item.text))
    return blocks


def _every_format(built: report.Report) -> dict[str, list[tuple[str, object]]]:
    """Each format of the report, read back as blocks by a real parser."""
    return {
        "md": _html_blocks(str(render_markdown(report.markdown(built)))),
        "html": _html_blocks(report.html(built)),
        "docx": _docx_blocks(report.docx(built)),
    }


def _sections(blocks) -> dict[str, list[tuple[str, object]]]:
    """What follows each heading, up to the next one."""
    found, current = {}, None
    for kind, content in blocks:
        if kind == "heading":
            current = found.setdefault(content, [])
        elif current is not None:
            current.append((kind, content))
    return found


def _tables(section) -> list[list[list[str]]]:
    return [content for kind, content in section if kind == "table"]


def _paragraphs(section) -> list[str]:
    return [content for kind, content in section if kind == "p"]


def _all_text(blocks) -> str:
    lines = []
    for kind, content in blocks:
        lines += [" | ".join(row) for row in content] if kind == "table" else [content]
    return "\n".join(lines)


# --- The overall totals and the needs logged, in every format ----------------------------------


def test_the_report_totals_people_once_over_all_workshops(app, db, consultation):
    built = _built(app, db, consultation)
    assert [(p.workshop.title, p.participants) for p in built.workshops] == [("Lisbon 2021", 4), ("Antwerp 2021", 4)]
    overall = built.overall
    assert (overall.workshops, overall.participants, overall.returning, overall.purged) == (2, 6, 2, 0)
    assert {label: str(n) for label, n in overall.by_type} == EXPECTED_TYPES
    assert {name: str(n) for name, n in overall.by_country} == EXPECTED_COUNTRIES
    assert overall.by_type[0] == (organisation_type_label("end_user"), 2)  # the largest first
    # The overall table uses the labels of the workshops' own tables.
    assert {label for label, _ in overall.by_type} == {label for p in built.workshops for label, _ in p.by_type}


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_every_format_shows_the_overall_totals_and_the_needs_logged(app, db, consultation, fmt):
    blocks = _every_format(_built(app, db, consultation))[fmt]
    sections = _sections(blocks)
    headings = [content for kind, content in blocks if kind == "heading"]
    workshops = headings.index("Workshops")
    assert headings[workshops + 1 : workshops + 4] == ["All workshops", "Lisbon 2021", "Antwerp 2021"]

    overall = sections["All workshops"]
    assert _paragraphs(overall)[0] == (
        "6 participants in all, each counted once: 2 of them took part in more than one workshop."
    )
    assert any(p.startswith("Needs logged counts every need stated in a breakout") for p in _paragraphs(overall))
    types, countries, logged = _tables(overall)
    assert types[0] == ["Type of organisation", "Participants"]
    assert dict(map(tuple, types[1:])) == EXPECTED_TYPES
    assert countries[0] == ["Country", "Participants"]
    assert dict(map(tuple, countries[1:])) == EXPECTED_COUNTRIES
    assert logged == [["Breakout", "Needs logged", "Merged into others", "Internal"], EXPECTED_ALL]

    for title, expected in EXPECTED_BREAKOUTS.items():
        section = sections[title]
        assert _paragraphs(section)[1] == {"Lisbon 2021": "4 participants.", "Antwerp 2021": "4 participants."}[title]
        *_, breakouts = _tables(section)
        assert breakouts == [["Breakout", "Needs logged", "Merged into others", "Internal"], *expected]


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_the_needs_behind_a_challenge_name_their_countries_in_every_format(app, db, consultation, fmt):
    sections = _sections(_every_format(_built(app, db, consultation))[fmt])
    [needs_table] = _tables(sections["Challenge 1.1: Drones and ports"])
    header, *rows = needs_table
    country = header.index("Country")
    by_title = {row[0]: row[country] for row in rows}
    # m2 was stated by Ana (Portugal), Bert (Belgium) and Ana again; m3 by Chloé (France) and Dirk (Belgium).
    assert by_title[consultation.needs["m2"].title] == "Portugal; Belgium"
    assert by_title[consultation.needs["m3"].title] == "France; Belgium"
    assert by_title["Scanning containers faster"] == "Portugal"
    codes = {"PT", "BE", "FR", "NL"}
    assert not codes & {cell for row in rows for cell in row}, "a country shown as its code"
    # The participants' tables name countries too.
    [_, countries, _] = _tables(sections["All workshops"])
    assert not codes & {row[0] for row in countries}


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_no_internal_need_is_named_or_quoted_in_any_format(app, db, consultation, fmt):
    text = _all_text(_every_format(_built(app, db, consultation))[fmt])
    titles = {key: title for key, _, _, _, title in STATED}
    for key in INTERNAL:
        assert titles[key] not in text, key
        assert _statement(key) not in text, key
    # The internal merge (m4) bears the first internal need's title: it is left out too, while the
    # public needs behind the challenge are listed.
    assert consultation.needs["m4"].title not in text
    assert consultation.needs["m2"].title in text and titles["c"] in text and titles["k"] in text


def test_the_queries_do_not_grow_with_the_breakouts(app, db, consultation, count_queries):
    engine = app.extensions["workshops.engine"]

    def statements() -> tuple[int, report.Report]:
        with app.app_context(), Session(engine) as session:
            call_text = exports.read(session, session.get(OpenCall, consultation.call_id))
            with count_queries() as run:
                built = report.build(session, call_text)
                for write in (report.markdown, report.html, report.docx):
                    write(built)  # writing reads nothing more
            return len(run), built

    before, small = statements()
    _grow(app, db, consultation)
    after, large = statements()
    assert len(large.workshops) == len(small.workshops) + 1
    assert sum(len(p.breakouts) for p in large.workshops) == 6
    assert large.overall.needs.needs == 18 and large.overall.participants == 7
    assert after == before


def _grow(app, db, consultation: Consultation) -> None:
    """A third workshop with three breakouts, their needs merged across them and linked to the challenge."""
    with app.app_context():
        start = datetime(2027, 12, 7, 8, tzinfo=UTC)
        gdansk = factories.make_workshop(db, title="Gdansk 2021", starts_at=start, ends_at=start + timedelta(hours=7))
        breakouts = {t: factories.make_breakout(db, gdansk, title=t, hour=h) for t, h in (("P", 1), ("Q", 3), ("R", 5))}
        person = factories.make_user(db, name="Greta", organisation="Port of Gdansk", country="PL")
        factories.make_registration(db, gdansk, person)
        kinds = ((1, "public"), (2, "internal"))
        stated = [(f"{b}{n}", b, "Greta", s, f"Need {b}{n}") for b in "PQR" for n, s in kinds]
        found = _log(db, breakouts, {"Greta": person}, None, stated=stated)
        merged = _merge(db, consultation.organiser, [found["P1"], found["Q1"]])
        db.add(UseCaseNeed(use_case_id=consultation.use_case_id, need_id=merged.id))
        db.add(UseCaseNeed(use_case_id=consultation.use_case_id, need_id=found["R1"].id))
        db.commit()
