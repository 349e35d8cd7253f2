"""The explorer keeps what was ticked across pages and searches, and merges needs of several breakouts."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.events.models import BreakoutFacilitator
from workshops.needs import provenance
from workshops.needs import services as needs
from workshops.needs.models import Need
from workshops.usecases import traceability
from workshops.usecases.explorer.filters import Filters


@pytest.fixture
def domains(db):
    return factories.make_domain(db, name="Ports"), factories.make_domain(db, name="Borders")


@pytest.fixture
def boards(app, db, domains):
    """Two breakouts of two workshops, each with a need from its own organisation."""
    ports, borders = domains
    antwerp = factories.make_breakout(
        db, factories.make_workshop(db, title="Antwerp 2021"), title="Port security", domain_id=ports.id, capacity=20
    )
    vilnius = factories.make_breakout(
        db, factories.make_workshop(db, title="Vilnius 2021"), title="Green border", domain_id=borders.id, capacity=20
    )
    return antwerp, vilnius


def _log(app, db, breakout, title, **person) -> Need:
    author = factories.make_attendee(app, db, breakout, **person)
    values = needs.NeedInput(
        title=title,
        statement=f"We need {title.lower()}.",
        organisation=author.organisation,
        country=author.country,
        organisation_type="end_user",
    )
    return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


@pytest.fixture
def drones(app, db, boards):
    antwerp, vilnius = boards
    return (
        _log(app, db, antwerp, "Drones over the quays", organisation="Port of Antwerp-Bruges", country="BE"),
        _log(app, db, vilnius, "Drones over the border", organisation="State Border Guard", country="LT"),
    )


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="(/manage/needs[^"]*)"', page)]


def test_ticks_travel_with_every_page_filter_and_search_link(organiser_client, db, drones, boards):
    first, second = drones
    for i in range(60):  # enough for a second page
        db.add(Need(breakout_id=boards[0].id, title=f"Other need {i}", statement="Something else entirely."))
    db.commit()
    page = organiser_client.get(f"/manage/needs?need={first.id}&need={second.id}&q=drones").get_data(as_text=True)
    assert re.search(rf'value="{first.id}" form="synthesis-form" checked', page)  # ticked where shown
    assert "2 needs ticked." in page
    page = organiser_client.get(f"/manage/needs?need={first.id}&need={second.id}&q=other").get_data(as_text=True)
    assert f'value="{first.id}" form="synthesis-form"' not in page  # a new search leaves them out
    # Not on this page: they travel as hidden fields of the synthesis form and of the search form.
    synthesis = re.search(r'<form id="synthesis-form".*?</form>', page, re.S).group(0)
    search = re.search(r'<form id="explorer-filters".*?</form>', page, re.S).group(0)
    for form in (synthesis, search):
        assert f'name="need" value="{first.id}"' in form and f'name="need" value="{second.id}"' in form
    assert "2 needs ticked, 2 of them on other pages or outside these filters." in page
    carried = [link for link in _links(page) if "page=2" in link or "Clear" in link]
    carried += [html.unescape(h) for h in re.findall(r'href="([^"]*)" data-keeps-choice', page)]
    assert carried and all(f"need={first.id}&need={second.id}" in link for link in carried)
    untick = re.search(r'href="([^"]*)" data-clear-choice', page).group(1)
    assert "need=" not in html.unescape(untick)


def test_a_ticked_id_must_be_plain_digits():
    filters = Filters.from_args({"need": ["12", "²", "12", " 7 ", "-3", "x", "9" * 12]})
    assert filters.chosen == (12, 7)
    assert filters.args()["need"] == [12, 7]


def test_needs_of_two_breakouts_merge_from_the_explorer_onto_the_board_chosen(organiser_client, db, drones, boards):
    first, second = drones
    vilnius = boards[1]
    url = f"/manage/needs/merge?need={first.id}&need={second.id}&back=explorer"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "These needs come from 2 breakouts: where does the merged need live?" in page
    assert 'href="/manage/needs?need=' in page  # back to the explorer, not to a board
    chosen = organiser_client.get(url + f"&into={vilnius.id}").get_data(as_text=True)
    assert "goes on the board of “Green border” (Vilnius 2021)" in chosen
    form = {
        "needs": f"{first.id},{second.id}",
        "into": str(vilnius.id),
        "back": "explorer",
        "title": "Drones over quays and borders",
        "statement": "We need to detect small drones at ports and borders.",
        "urgency": "3",
        "sensitivity": "public",
        "organisation_type": "other",
    }
    response = post_form(organiser_client, "/manage/needs/merge", form, form_url=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.rollback()
    merged = db.exec(select(Need).where(Need.title == "Drones over quays and borders")).one()
    assert response.headers["Location"] == f"/manage/needs?need={merged.id}"  # ticked, ready for a use case
    assert (merged.breakout_id, merged.domain_id) == (vilnius.id, vilnius.domain_id)
    totals = traceability.totals_of(provenance.origins(db, [merged.id])[merged.id])
    assert (totals.needs, totals.organisations, totals.countries) == (2, 2, 2)


def test_the_board_asked_for_must_be_one_of_the_needs_boards(organiser_client, db, drones, boards):
    first, second = drones
    elsewhere = factories.make_breakout(db, boards[0].workshop, title="Elsewhere")
    form = {
        "needs": f"{first.id},{second.id}",
        "into": str(elsewhere.id),
        "title": "Merged",
        "statement": "We need it.",
        "urgency": "3",
        "sensitivity": "public",
        "organisation_type": "other",
    }
    url = f"/manage/needs/merge?need={first.id}&need={second.id}"
    assert post_form(organiser_client, "/manage/needs/merge", form, form_url=url).status_code == 302
    db.rollback()
    merged = db.exec(select(Need).where(Need.title == "Merged")).one()
    assert merged.breakout_id == first.breakout_id  # an unknown board falls back to the first need's


def test_a_facilitator_of_one_breakout_cannot_merge_across(app, db, drones, boards, facilitator):
    first, second = drones
    db.add(BreakoutFacilitator(breakout_id=boards[0].id, user_id=facilitator.id))
    db.commit()
    client = app.test_client()
    log_in(client, facilitator)
    response = client.get(f"/manage/needs/merge?need={first.id}&need={second.id}&back=explorer")
    assert response.status_code == 403  # a facilitator of each breakout, or an organiser
    db.rollback()
    db.add(BreakoutFacilitator(breakout_id=boards[1].id, user_id=facilitator.id))
    db.commit()
    assert client.get(f"/manage/needs/merge?need={first.id}&need={second.id}&back=explorer").status_code == 200


def test_a_merge_without_a_token_is_refused(organiser_client, db, drones):
    first, second = drones
    form = {"needs": f"{first.id},{second.id}", "title": "Merged", "statement": "We need it.", "urgency": "3"}
    assert organiser_client.post("/manage/needs/merge", data=form).status_code == 400


def test_needs_already_merged_are_refused_before_anything_is_typed(organiser_client, db, drones):
    first, second = drones
    second.state = "dismissed"
    db.add(second)
    db.commit()
    response = organiser_client.get(f"/manage/needs/merge?need={first.id}&need={second.id}&back=explorer")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/needs?need={first.id}&need={second.id}"
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Only open needs can be merged, and #{second.id} “Drones over the border” is not open any more." in page
    nothing = organiser_client.get("/manage/needs/merge?back=explorer")
    assert nothing.headers["Location"] == "/manage/needs"


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999", "2147483648", "-1", "0"])
def test_what_is_no_id_is_never_a_server_error(organiser_client, drones, value):
    first, _second = drones
    merge = organiser_client.get(f"/manage/needs/merge?need={first.id}&need={value}")
    assert merge.status_code == 302  # one need is not enough to merge: said, not a 500
    assert organiser_client.get(f"/manage/use-cases/new?need={value}").status_code == 200  # an empty draft
