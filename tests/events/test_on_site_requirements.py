"""Dietary requirements are asked, checked and kept only for on-site attendance; accessibility always."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.events import registration as reg
from workshops.events.models import Registration

LONG = "x" * 301  # over the 300 characters the column holds


@pytest.fixture
def hybrid(db):
    return factories.make_workshop(
        db, slug="hybrid", format="hybrid", online_link="https://meet.example.eu/port", onsite_capacity=1
    )


def _register(client, workshop, **data):
    values = {"consent_processing": "y", **data}
    return post_form(client, f"/workshops/{workshop.slug}/register", values)


def _stored(db) -> Registration:
    db.rollback()
    db.expire_all()
    return db.exec(select(Registration)).one()


def _switch(client, registration, **data):
    url = f"/me/registrations/{registration.id}"
    return post_form(client, f"{url}/mode", data, form_url=url)


def test_the_dietary_field_is_marked_to_follow_the_attendance_mode(participant_client, hybrid):
    page = participant_client.get("/workshops/hybrid/register").get_data(as_text=True)
    part = re.search(r'<div class="on-site-only" data-shown-when="mode=on_site">(.*?)</div>\s*</div>', page, re.S)
    assert part and 'name="dietary"' in part.group(1) and "Only if you attend on site" in part.group(1)
    assert 'name="accessibility"' not in part.group(1) and 'name="accessibility"' in page
    assert "captions" in page  # online people are told accessibility needs are for them too
    assert "js/events/attendance_mode.js" in page


def test_an_online_workshop_does_not_ask_for_dietary_requirements(participant_client, db):
    factories.make_workshop(db, slug="online", format="online", online_link="https://meet.example.eu/x")
    page = participant_client.get("/workshops/online/register").get_data(as_text=True)
    assert 'name="dietary"' not in page and 'name="accessibility"' in page


def test_online_registration_ignores_dietary_answers_but_keeps_accessibility(participant_client, db, hybrid):
    response = _register(participant_client, hybrid, mode="online", dietary="Vegetarian", accessibility="Live captions")
    assert response.status_code == 302
    registration = _stored(db)
    assert (registration.mode, registration.dietary, registration.accessibility) == (
        "online",
        "",
        "Live captions",
    )


def test_an_over_long_dietary_answer_does_not_block_an_online_registration(participant_client, db, hybrid):
    assert _register(participant_client, hybrid, mode="online", dietary=LONG).status_code == 302
    assert _stored(db).dietary == ""


def test_on_site_registration_keeps_and_checks_dietary_answers(participant_client, db, hybrid):
    refused = _register(participant_client, hybrid, mode="on_site", dietary=LONG)
    assert refused.status_code == 200 and LONG in refused.get_data(as_text=True)
    assert db.exec(select(Registration)).all() == []
    _register(participant_client, hybrid, mode="on_site", dietary="No nuts", accessibility="Step-free access")
    registration = _stored(db)
    assert (registration.dietary, registration.accessibility) == ("No nuts", "Step-free access")
    page = participant_client.get(f"/me/registrations/{registration.id}").get_data(as_text=True)
    assert "No nuts" in page and "Step-free access" in page


def test_switching_online_clears_the_dietary_answer(participant_client, db, hybrid):
    _register(participant_client, hybrid, mode="on_site", dietary="No nuts", accessibility="Step-free access")
    registration = _stored(db)
    page = participant_client.get(f"/me/registrations/{registration.id}").get_data(as_text=True)
    switch = re.search(r'<form[^>]*action="[^"]*/mode".*?</form>', page, re.S).group(0)
    assert 'name="dietary"' not in switch  # already on site: the switch has nothing to ask
    assert page.count('name="dietary"') == 1  # only the requirements form, holding the answer
    _switch(participant_client, registration, mode="online", dietary="Vegan")
    registration = _stored(db)
    assert (registration.mode, registration.dietary, registration.accessibility) == (
        "online",
        "",
        "Step-free access",
    )
    page = participant_client.get(f"/me/registrations/{registration.id}").get_data(as_text=True)
    assert "No nuts" not in page


def test_switching_on_site_asks_for_and_keeps_dietary_answers(participant_client, db, hybrid):
    _register(participant_client, hybrid, mode="online")
    registration = _stored(db)
    page = participant_client.get(f"/me/registrations/{registration.id}").get_data(as_text=True)
    assert re.search(r'data-shown-when="mode=on_site">.*?name="dietary"', page, re.S)
    refused = _switch(participant_client, registration, mode="on_site", dietary=LONG)
    assert refused.status_code == 200 and LONG in refused.get_data(as_text=True)
    assert _stored(db).mode == "online"
    _switch(participant_client, registration, mode="on_site", dietary="Halal")
    assert (_stored(db).mode, _stored(db).dietary) == ("on_site", "Halal")


def test_the_service_never_keeps_dietary_answers_for_online_attendance(app, db, hybrid, participant):
    """Whoever calls it, the registration service applies the rule, not only the form."""
    with app.app_context():
        outcome = reg.register(
            session=db,
            workshop=hybrid,
            user=participant,
            choices=reg.Choices(mode="online", dietary="Vegetarian", accessibility="Captions"),
        )
        assert (outcome.registration.dietary, outcome.registration.accessibility) == ("", "Captions")
        reg.switch_mode(session=db, registration=outcome.registration, mode="on_site", dietary="Vegan")
        assert _stored(db).dietary == "Vegan"
        reg.switch_mode(session=db, registration=_stored(db), mode="online", dietary="Ignored")
        assert (_stored(db).dietary, _stored(db).accessibility) == ("", "Captions")


def test_dietary_answers_are_shown_escaped(participant_client, db, hybrid):
    _register(participant_client, hybrid, mode="on_site", dietary='"><script>alert(1)</script>')
    page = participant_client.get(f"/me/registrations/{_stored(db).id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_another_persons_registration_cannot_be_switched(app, db, hybrid, participant_client):
    other = factories.make_user(db, email="other@example.org")
    with app.app_context():
        theirs = reg.register(session=db, workshop=hybrid, user=other, choices=reg.Choices(mode="online")).registration
    response = post_form(
        participant_client, f"/me/registrations/{theirs.id}/mode", {"mode": "on_site", "dietary": "x"}, form_url="/me"
    )
    assert response.status_code == 404
    assert (_stored(db).mode, _stored(db).dietary) == ("online", "")
