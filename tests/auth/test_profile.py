"""The profile page: one's own details and password."""

from __future__ import annotations

from tests import factories
from tests.conftest import log_in, post_form

NEW = "seven orange kites over Leuven"


def test_profile_shows_and_saves_details(participant_client, db, participant):
    page = participant_client.get("/me").get_data(as_text=True)
    assert 'value="Pat Participant"' in page
    response = post_form(
        participant_client,
        "/me",
        {"name": "Patricia P.", "organisation": "Politie Antwerpen", "organisation_type": "end_user", "country": "BE"},
    )
    assert response.status_code == 302
    db.refresh(participant)
    assert (participant.name, participant.organisation) == ("Patricia P.", "Politie Antwerpen")


def test_profile_ignores_extra_fields_like_role(participant_client, db, participant):
    post_form(
        participant_client,
        "/me",
        {
            "name": "Pat",
            "organisation": "X",
            "organisation_type": "sme",
            "country": "BE",
            "role": "organiser",
            "email": "boss@example.org",
        },
    )
    db.refresh(participant)
    assert participant.role == "participant"
    assert participant.email == "pat@example.org"


def test_profile_errors_keep_input(participant_client, db, participant):
    response = post_form(
        participant_client, "/me", {"name": "", "organisation": "Kept org", "organisation_type": "sme", "country": "BE"}
    )
    page = response.get_data(as_text=True)
    assert "Enter your name." in page
    assert 'value="Kept org"' in page
    db.refresh(participant)
    assert participant.name == "Pat Participant"


def test_change_password_needs_the_current_one(participant_client, participant):
    response = post_form(
        participant_client,
        "/me/password",
        {"current_password": "wrong wrong wrong", "password": NEW, "confirm": NEW},
        form_url="/me",
    )
    assert "This is not your current password." in response.get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_others(app, participant_client, participant):
    elsewhere = app.test_client()
    log_in(elsewhere, participant)
    response = post_form(
        participant_client,
        "/me/password",
        {"current_password": factories.PASSWORD, "password": NEW, "confirm": NEW},
        form_url="/me",
    )
    assert response.status_code == 302
    assert participant_client.get("/me").status_code == 200
    assert elsewhere.get("/me").status_code == 302
    log_in(app.test_client(), participant, NEW)
