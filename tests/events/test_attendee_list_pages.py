"""The attendee list in pages of 100: filters and search kept from page to page, each row's change forms right.

The rows' labels, addresses and choices of breakouts are worked out once a page
(``events.attendance_rows``); what an organiser relies on is that every form still does what it
says, for the person of its row, and brings them back to the page they were on.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests import factories
from tests.conftest import CSRF_PATTERN
from workshops.events.models import BreakoutSeat
from workshops.timeutil import local

NAMES = re.compile(r'<th scope="row" data-label="Name">([^<]+)<')


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db, title="Ports workshop", format="hybrid", timezone="Europe/Paris")


@pytest.fixture
def breakouts(db, workshop):
    """Two breakouts at the same hour (they clash) and one later."""
    return [
        factories.make_breakout(db, workshop, hour=1, title="Drones"),
        factories.make_breakout(db, workshop, hour=1, title="Cranes"),
        factories.make_breakout(db, workshop, hour=3, title="Ferries"),
    ]


def _url(workshop) -> str:
    return f"/manage/workshops/{workshop.id}/attendees"


def _names(page: str) -> list[str]:
    return [unescape(name) for name in NAMES.findall(page)]


def _crowd(db, workshop, breakouts, count: int, prefix: str = "") -> None:
    """``count`` Zeds on site with a seat in "Drones" and one in "Ferries", and as many Ys online with none."""
    for n, person in enumerate(factories.make_people(db, f"{prefix}zed", count, organisation="Zed Port")):
        registration = factories.make_registration(db, workshop, person)
        factories.make_seat(db, registration, breakouts[0])
        factories.make_seat(db, registration, breakouts[2], state="waitlisted", waitlist_position=n + 1)
    for person in factories.make_people(db, f"{prefix}why", count, organisation="Why Port"):
        factories.make_registration(db, workshop, person, mode="online")


def test_the_pages_keep_the_search_and_the_filters(db, organiser_client, workshop, breakouts):
    _crowd(db, workshop, breakouts, 130)
    query = f"?breakout={breakouts[0].id}&mode=on_site&q=zed"
    first = organiser_client.get(_url(workshop) + query).get_data(as_text=True)
    assert "130 people" in first and "Page 1 of 2" in first and len(_names(first)) == 100
    [next_page] = re.findall(r'href="([^"]*)" rel="next"', first)
    second = organiser_client.get(unescape(next_page)).get_data(as_text=True)
    assert "Page 2 of 2" in second and len(_names(second)) == 30
    assert set(_names(first)).isdisjoint(_names(second))
    assert "Why Port" not in first + second  # the filters hold on every page
    for arg in (f"breakout={breakouts[0].id}", "mode=on_site", "q=zed", "page=2"):
        assert arg in unescape(next_page)


def test_every_form_carries_the_session_token_and_comes_back_to_its_page(db, organiser_client, workshop, breakouts):
    _crowd(db, workshop, breakouts, 110)
    path = _url(workshop) + "?q=zed&page=2"
    page = organiser_client.get(path).get_data(as_text=True)
    token = CSRF_PATTERN.search(organiser_client.get("/me").get_data(as_text=True)).group(1)
    forms = re.findall(r'<form class="change[^"]*" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert len(forms) == 10 * 3  # per person: give a seat in Ferries, move from Drones, move from Ferries; remove
    for action, body in forms:
        assert f'name="csrf_token" value="{token}"' in body
        assert unescape(re.search(r'name="next" value="([^"]*)"', body).group(1)) == path
        assert re.fullmatch(r"/manage/registrations/\d+/(promote|move|remove)", action)


def test_a_move_from_the_list_moves_the_person_of_its_row(db, organiser_client, workshop, breakouts):
    _crowd(db, workshop, breakouts, 2)
    ferries = re.escape(f'value="{breakouts[2].id}"')
    page = organiser_client.get(_url(workshop) + "?q=zed").get_data(as_text=True)
    move = re.search(
        r'action="(/manage/registrations/(\d+)/move)">(.*?name="from_breakout" value="'
        + str(breakouts[0].id)
        + r'".*?)</form>',
        page,
        re.S,
    )
    action, registration_id, body = move.groups()
    options = re.findall(r'<option value="(\d+)">([^<]*)</option>', body)
    # From "Drones": "Cranes" at the same hour (the person is in no other breakout then); not "Ferries", theirs.
    cranes = f"{local(breakouts[1].starts_at, workshop.timezone, '%H:%M')} Cranes"
    assert [label for _, label in options] == [cranes] and not re.search(ferries, body)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    response = organiser_client.post(action, data={**fields, "to_breakout": options[0][0]})
    assert response.status_code == 302 and response.headers["Location"].endswith(_url(workshop) + "?q=zed")
    seats = db.exec(BreakoutSeat.__table__.select().where(BreakoutSeat.registration_id == int(registration_id)))
    assert sorted(row.breakout_id for row in seats) == [breakouts[1].id, breakouts[2].id]


def test_facilitators_get_no_change_forms(db, facilitator_client, facilitator, workshop, breakouts):
    from workshops.events.models import BreakoutFacilitator

    db.add(BreakoutFacilitator(breakout_id=breakouts[0].id, user_id=facilitator.id))
    db.commit()
    _crowd(db, workshop, breakouts, 3)
    page = facilitator_client.get(_url(workshop) + f"?breakout={breakouts[0].id}").get_data(as_text=True)
    assert len(_names(page)) == 3 and "Seat" in page
    assert '<form class="change' not in page and "Remove from workshop" not in page


def test_a_page_costs_the_same_statements_for_5_people_as_for_150(db, organiser_client, count_queries):
    def statements(size: int) -> int:
        workshop = factories.make_workshop(db, format="hybrid")
        breakouts = [factories.make_breakout(db, workshop, hour=h, title=f"B{h}") for h in (1, 1, 3)]
        _crowd(db, workshop, breakouts, size, prefix=f"s{size}")
        with count_queries() as sent:
            assert organiser_client.get(_url(workshop)).status_code == 200
        return len(sent)

    # The organiser; the workshop, its breakouts and their facilitators; the count; the page; its seats.
    assert statements(5) == statements(150) == 7
