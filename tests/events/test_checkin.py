"""Check-in at the door: search as you type, one tap by form or by the page's script (JSON), undo."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events.models import BreakoutFacilitator, Registration
from workshops.timeutil import local


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db, title="Door workshop", timezone="America/New_York")


@pytest.fixture
def facilitating(db, facilitator, workshop):
    breakout = factories.make_breakout(db, workshop)
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return breakout


@pytest.fixture
def ana(db, workshop):
    person = factories.make_user(db, name="Ana Alves", organisation="Port Authority")
    return factories.make_registration(db, workshop, person)


@pytest.fixture
def waiting(db, workshop):
    person = factories.make_user(db, name="Wes Wait", organisation="Port Police")
    return factories.make_registration(db, workshop, person, state="waitlisted", waitlist_position=1)


def _page(workshop, q=None):
    return f"/manage/workshops/{workshop.id}/check-in" + (f"?q={q}" if q else "")


def _stored(db, registration) -> Registration:
    db.rollback()
    db.expire_all()  # rows the test stored itself are not expired by a rollback outside a transaction
    return db.get(Registration, registration.id)


def test_search_finds_by_name_or_organisation(db, organiser_client, workshop, ana, waiting):
    cancelled = factories.make_registration(db, workshop, factories.make_user(db, name="Ana Gone"), state="cancelled")
    by_name = organiser_client.get(_page(workshop, "ana")).get_data(as_text=True)
    assert "Ana Alves" in by_name and "Ana Gone" not in by_name and "Wes Wait" not in by_name
    assert f"/manage/registrations/{cancelled.id}/" not in by_name
    by_organisation = organiser_client.get(_page(workshop, "port")).get_data(as_text=True)
    assert "Ana Alves" in by_organisation and "Wes Wait" in by_organisation
    assert "Nobody matches “zzz”" in organiser_client.get(_page(workshop, "zzz")).get_data(as_text=True)


def test_page_works_without_script_and_loads_its_script_from_a_file(organiser_client, workshop, ana):
    page = organiser_client.get(_page(workshop, "ana")).get_data(as_text=True)
    assert '<form class="checkin-search" method="get"' in page
    assert f'action="/manage/registrations/{ana.id}/check-in"' in page and 'name="csrf_token"' in page
    assert 'name="q" value="ana"' in page
    assert re.search(r'id="checkin-results"[^>]*data-csrf="[^"]+"', page)
    assert '<script src="/static/js/checkin.js" defer></script>' in page
    assert "<script>" not in page  # the Content-Security-Policy allows no inline script


def test_fragment_is_the_results_list_alone(organiser_client, workshop, ana):
    response = organiser_client.get(f"/manage/workshops/{workshop.id}/check-in/results?q=ana")
    body = response.get_data(as_text=True).strip()
    assert response.status_code == 200
    assert "<html" not in body and "{#" not in body
    assert '<ul class="checkin-list" id="checkin-list">' in body and "Ana Alves" in body


def test_check_in_by_form_returns_to_the_search(db, organiser_client, workshop, ana):
    response = post_form(
        organiser_client, f"/manage/registrations/{ana.id}/check-in", {"q": "ana"}, form_url=_page(workshop, "ana")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == _page(workshop, "ana")
    stored = _stored(db, ana)
    assert stored.checked_in_at is not None
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    time = local(stored.checked_in_at, workshop.timezone, "%H:%M")
    assert f"Ana Alves: checked in {time}." in page  # the flash
    assert f"Checked in {time}" in page  # the row
    assert f'action="/manage/registrations/{ana.id}/undo-check-in"' in page
    assert "1 of 1 confirmed person checked in" in page


def test_check_in_by_script_answers_json(db, facilitator_client, workshop, facilitating, ana):
    token = csrf_token(facilitator_client, _page(workshop, "ana"))
    response = facilitator_client.post(
        f"/manage/registrations/{ana.id}/check-in",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200
    stored = _stored(db, ana)
    assert response.json == {
        "checked_in_at": stored.checked_in_at.isoformat(),
        "label": f"Checked in {local(stored.checked_in_at, 'America/New_York', '%H:%M')}",
    }


def test_a_second_tap_keeps_the_first_time(db, organiser_client, workshop, ana):
    headers = {"X-CSRFToken": csrf_token(organiser_client, _page(workshop)), "Accept": "application/json"}
    first = organiser_client.post(f"/manage/registrations/{ana.id}/check-in", headers=headers).json
    second = organiser_client.post(f"/manage/registrations/{ana.id}/check-in", headers=headers).json
    assert first == second


def test_undo_check_in_by_script_and_by_form(db, organiser_client, workshop, ana):
    headers = {"X-CSRFToken": csrf_token(organiser_client, _page(workshop)), "Accept": "application/json"}
    organiser_client.post(f"/manage/registrations/{ana.id}/check-in", headers=headers)
    response = organiser_client.post(f"/manage/registrations/{ana.id}/undo-check-in", headers=headers)
    assert response.json == {"checked_in_at": None, "label": "Not checked in"}
    assert _stored(db, ana).checked_in_at is None
    organiser_client.post(f"/manage/registrations/{ana.id}/check-in", headers=headers)
    response = post_form(organiser_client, f"/manage/registrations/{ana.id}/undo-check-in", form_url=_page(workshop))
    assert response.headers["Location"] == _page(workshop)
    assert "The check-in of Ana Alves is taken back." in organiser_client.get(_page(workshop)).get_data(as_text=True)
    assert _stored(db, ana).checked_in_at is None


def test_check_in_needs_the_csrf_token(db, organiser_client, workshop, ana):
    response = organiser_client.post(f"/manage/registrations/{ana.id}/check-in", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert _stored(db, ana).checked_in_at is None


def test_a_waiting_person_is_not_checked_in(db, organiser_client, facilitator_client, workshop, facilitating, waiting):
    page = facilitator_client.get(_page(workshop, "wes")).get_data(as_text=True)
    assert "Waiting list, 1" in page and "ask an organiser" in page
    assert f"/manage/registrations/{waiting.id}/check-in" not in page
    assert "promote by hand" in organiser_client.get(_page(workshop, "wes")).get_data(as_text=True)
    headers = {"X-CSRFToken": csrf_token(organiser_client, _page(workshop)), "Accept": "application/json"}
    response = organiser_client.post(f"/manage/registrations/{waiting.id}/check-in", headers=headers)
    assert response.status_code == 422 and "waiting list" in response.json["error"]
    response = post_form(
        organiser_client,
        f"/manage/registrations/{waiting.id}/check-in",
        form_url=_page(workshop),
        follow_redirects=True,
    )
    assert "Wes Wait is on the waiting list" in response.get_data(as_text=True)
    assert _stored(db, waiting).checked_in_at is None


def test_who_may_check_in(db, app, client, participant_client, facilitator, workshop, ana):
    other = factories.make_workshop(db)
    db.add(BreakoutFacilitator(breakout_id=factories.make_breakout(db, other).id, user_id=facilitator.id))
    db.commit()
    stranger = app.test_client()
    log_in(stranger, facilitator)  # facilitates another workshop only
    url = f"/manage/registrations/{ana.id}/check-in"
    assert post_form(stranger, url, form_url=f"/manage/workshops/{other.id}/check-in").status_code == 404
    assert post_form(participant_client, url, form_url="/me").status_code == 403
    assert participant_client.get(_page(workshop)).status_code == 403
    response = post_form(client, url, form_url="/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert post_form(stranger, "/manage/registrations/999999/check-in", form_url="/me").status_code == 404
    assert _stored(db, ana).checked_in_at is None


def test_check_in_rules_refuse_get(app):
    rules = {r.rule: r for r in app.url_map.iter_rules()}
    for action in ("check-in", "undo-check-in"):
        rule = rules[f"/manage/registrations/<int:registration_id>/{action}"]
        assert "GET" not in rule.methods
