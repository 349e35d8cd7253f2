"""The requirements given at registration are shown on the registration page and corrected there.

Until registration closes: then the organisers plan catering and access from them, and the page
shows them read-only with the reason. Dietary requirements only for on-site attendance; bad input
is refused next to the field with what was typed kept.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events.models import Registration
from workshops.timeutil import utcnow

LONG = "y" * 301  # over the 300 characters each column holds


@pytest.fixture
def workshop(db):
    return factories.make_workshop(
        db,
        slug="harbour",
        format="hybrid",
        online_link="https://meet.example.eu/harbour",
        registration_closes_at=utcnow() + timedelta(days=20),
    )


def _register(client, workshop, **data):
    values = {"mode": "on_site", "consent_processing": "y", **data}
    return post_form(client, f"/workshops/{workshop.slug}/register", values)


def _stored(db) -> Registration:
    db.rollback()
    db.expire_all()
    return db.exec(select(Registration)).one()


def _save(client, registration, **data):
    page = f"/me/registrations/{registration.id}"
    return post_form(client, f"{page}/requirements", data, form_url=page)


def _requirements_form(page: str) -> str:
    match = re.search(r'<form[^>]*action="[^"]*/requirements".*?</form>', page, re.S)
    return match.group(0) if match else ""


def test_the_page_shows_the_requirements_in_a_form_to_correct_them(participant_client, db, workshop):
    _register(participant_client, workshop, dietary="Vegetarian", accessibility="Step-free access")
    mine = _stored(db)

    page = participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True)

    form = _requirements_form(page)
    assert 'value="Vegetarian"' in form and 'value="Step-free access"' in form
    assert 'data-maxlength="300"' in form  # the length warning, as on the other forms
    assert "until registration closes on" in page


def test_saving_changes_the_requirements_and_nothing_else(participant_client, db, outbox, workshop):
    _register(participant_client, workshop, dietary="Vegetarian", accessibility="Step-free access")
    mine = _stored(db)
    sent = len(outbox())
    before = (mine.state, mine.mode, mine.calendar_sequence)

    response = _save(participant_client, mine, dietary="Vegan, no nuts", accessibility="A hearing loop")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/registrations/{mine.id}#requirements"
    saved = _stored(db)
    assert (saved.dietary, saved.accessibility) == ("Vegan, no nuts", "A hearing loop")
    assert (saved.state, saved.mode, saved.calendar_sequence) == before
    assert len(outbox()) == sent  # nothing in the calendar changed
    page = participant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your requirements are saved." in page


def test_too_long_is_refused_next_to_the_field_and_keeps_what_was_typed(participant_client, db, workshop):
    _register(participant_client, workshop, dietary="Vegetarian", accessibility="Step-free access")
    mine = _stored(db)

    response = _save(participant_client, mine, dietary="Halal", accessibility=LONG)

    assert response.status_code == 200
    form = _requirements_form(response.get_data(as_text=True))
    assert 'id="accessibility-error"' in form and "Use at most 300 characters." in form
    assert LONG in form and 'value="Halal"' in form
    assert (_stored(db).dietary, _stored(db).accessibility) == ("Vegetarian", "Step-free access")


def test_online_attendance_is_asked_only_accessibility_and_keeps_no_dietary_answer(participant_client, db, workshop):
    _register(participant_client, workshop, mode="online", accessibility="Captions")
    mine = _stored(db)

    form = _requirements_form(participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True))
    assert 'name="dietary"' not in form and 'name="accessibility"' in form
    _save(participant_client, mine, dietary="Vegan", accessibility="Captions and slides beforehand")

    assert (_stored(db).dietary, _stored(db).accessibility) == ("", "Captions and slides beforehand")


def test_after_registration_closes_they_are_shown_read_only_and_a_change_is_refused(
    participant_client, db, outbox, workshop
):
    _register(participant_client, workshop, dietary="Vegetarian", accessibility="Step-free access")
    mine = _stored(db)
    token = csrf_token(participant_client, f"/me/registrations/{mine.id}")
    workshop = db.get(type(workshop), workshop.id)
    workshop.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.add(workshop)
    db.commit()

    page = participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True)
    assert _requirements_form(page) == ""
    assert (
        "Registration for this workshop has closed. Write to the organisers if your requirements have changed." in page
    )
    assert "Vegetarian" in page and "Step-free access" in page
    refused = participant_client.post(
        f"/me/registrations/{mine.id}/requirements",
        data={"csrf_token": token, "dietary": "Vegan", "accessibility": "A hearing loop"},
    )

    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "Registration for this workshop has closed." in text and 'value="A hearing loop"' in text
    assert (_stored(db).dietary, _stored(db).accessibility) == ("Vegetarian", "Step-free access")
    # Breakouts and cancelling follow the start of the workshop, not the registration's end.
    assert f'href="/me/registrations/{mine.id}/cancel"' in page


def test_requirements_are_escaped_on_the_page(participant_client, db, workshop):
    _register(participant_client, workshop)
    mine = _stored(db)
    _save(participant_client, mine, dietary='"><script>alert(1)</script>', accessibility="<b>loud</b>")

    page = participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page and "<b>loud</b>" not in page
    assert "&lt;script&gt;" in page or "&#34;&gt;&lt;script&gt;" in page


def test_another_persons_requirements_are_not_found(app, db, participant_client, workshop):
    _register(participant_client, workshop, accessibility="Step-free access")
    mine = _stored(db)
    stranger = app.test_client()
    log_in(stranger, factories.make_user(db))
    token = csrf_token(stranger, "/me")

    response = stranger.post(
        f"/me/registrations/{mine.id}/requirements", data={"csrf_token": token, "accessibility": "Nothing"}
    )

    assert response.status_code == 404
    assert _stored(db).accessibility == "Step-free access"
