"""Countries as people read them: full names on every screen, codes kept only in machine columns.

Stored values stay ISO 3166-1 alpha-2 codes (PRODUCT.md); the CSV files keep their ``country`` code
column where readers find it and add the name in a column of its own.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from tests import factories
from tests.conftest import post_form
from workshops.countries import country_choices, country_name
from workshops.events.models import Registration
from workshops.needs import services as needs
from workshops.usecases.models import UseCase, UseCaseNeed


class _Cells(HTMLParser):
    """The text of every cell of every table row, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(page)
    return parser.rows


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_names_come_from_the_iso_list_and_unknown_codes_show_as_typed():
    assert country_name("PT") == "Portugal" and country_name("CZ") == "Czechia"
    assert country_name("") == "" and country_name(None) == "" and country_name("XX") == "XX"
    assert len(country_choices()) >= 249 and dict(country_choices())["NL"] == "Netherlands"


@pytest.fixture
def linked(app, db):
    """A use case fed by needs from Portugal and Austria (and one with no country)."""
    ports = factories.make_breakout(db, factories.make_workshop(db, title="Lisbon 2021"), title="Ports", capacity=20)
    people = [
        ("Port of Lisbon", "PT"),
        ("Wiener Netze", "AT"),
        ("Somewhere", ""),
    ]
    use_case = UseCase(title="Drones over ports", state="in_review")
    db.add(use_case)
    db.commit()
    with app.app_context():
        for organisation, country in people:
            person = factories.make_attendee(app, db, ports, organisation=organisation, country=country)
            values = needs.NeedInput(title=f"Need of {organisation}", statement="We need it.",
                                     organisation=organisation, country=country)  # fmt: skip
            need = needs.log_need(session=db, breakout=ports, values=values, author=person)[0]
            db.add(UseCaseNeed(use_case_id=use_case.id, need_id=need.id))
    db.commit()
    return use_case


def test_the_traceability_table_names_countries(organiser_client, linked):
    page = organiser_client.get(f"/manage/use-cases/{linked.id}").get_data(as_text=True)
    panel = page.split('aria-labelledby="trace-title"', 1)[1].split("</section>", 1)[0]
    header, *rows = table_rows(panel)
    country = header.index("Country")
    assert {row[0]: row[country] for row in rows} == {
        "Need of Port of Lisbon": "Portugal",
        "Need of Wiener Netze": "Austria",
        "Need of Somewhere": "—",
    }


def test_the_needs_csv_keeps_the_code_and_adds_the_name(organiser_client, linked):
    response = post_form(organiser_client, "/manage/needs.csv", form_url="/manage/needs")
    rows = {row["title"]: row for row in _csv(response)}
    assert (rows["Need of Port of Lisbon"]["country"], rows["Need of Port of Lisbon"]["country_name"]) == (
        "PT",
        "Portugal",
    )
    assert (rows["Need of Somewhere"]["country"], rows["Need of Somewhere"]["country_name"]) == ("", "")


def test_the_attendee_csv_keeps_the_code_and_adds_the_name(organiser_client, db):
    workshop = factories.make_workshop(db, title="Vilnius 2031")
    person = factories.make_user(db, name="Rūta", country="LT")
    db.add(Registration(workshop_id=workshop.id, user_id=person.id, mode="on_site", state="confirmed"))
    db.commit()
    url = f"/manage/workshops/{workshop.id}/attendees"
    [row] = _csv(post_form(organiser_client, f"{url}.csv", form_url=url))
    assert (row["country"], row["country name"]) == ("LT", "Lithuania")


def test_the_people_and_clusters_lists_name_countries(organiser_client, db):
    factories.make_user(db, name="Rūta Petraitė", country="LT")
    factories.make_cluster(db, name="L3CE", country="LT")
    people = table_rows(organiser_client.get("/manage/users").get_data(as_text=True))
    assert any("Rūta Petraitė" in " ".join(row) and "Lithuania" in row for row in people)
    clusters = table_rows(organiser_client.get("/manage/clusters").get_data(as_text=True))
    assert any(row and row[0].startswith("L3CE") and "Lithuania" in row for row in clusters)
