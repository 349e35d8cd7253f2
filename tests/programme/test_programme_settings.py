"""Organisers choose the programme's default time zone; new workshops and calls start in it."""

from __future__ import annotations

from sqlmodel import select

from tests.conftest import post_form
from workshops.programme.models import ProgrammeSettings

SETTINGS = "/manage/programme"


def _settings(db) -> ProgrammeSettings | None:
    db.rollback()
    db.expire_all()
    return db.exec(select(ProgrammeSettings)).one_or_none()


def test_the_programme_zone_becomes_the_default_of_new_workshops_and_calls(organiser_client, db):
    response = post_form(organiser_client, SETTINGS, {"timezone": "Europe/Vilnius"})
    assert response.status_code == 302 and response.headers["Location"] == SETTINGS
    assert _settings(db).timezone == "Europe/Vilnius"
    page = organiser_client.get(SETTINGS).get_data(as_text=True)
    assert "new workshops and calls start in Europe/Vilnius" in page
    assert '<option selected value="Europe/Vilnius">' in page
    for new in ("/manage/workshops/new", "/manage/calls/new"):
        form = organiser_client.get(new).get_data(as_text=True)
        assert '<option selected value="Europe/Vilnius">' in form, new
        assert '<option selected value="UTC">' not in form, new


def test_without_a_programme_zone_new_workshops_start_in_the_configured_zone(app, organiser_client):
    app.config["TIMEZONE"] = "Europe/Lisbon"
    page = organiser_client.get(SETTINGS).get_data(as_text=True)
    assert "None chosen: the server&#39;s zone, Europe/Lisbon" in page
    form = organiser_client.get("/manage/workshops/new").get_data(as_text=True)
    assert '<option selected value="Europe/Lisbon">' in form


def test_choosing_no_zone_again_falls_back_to_the_configured_one(app, organiser_client, db):
    post_form(organiser_client, SETTINGS, {"timezone": "Europe/Vilnius"})
    post_form(organiser_client, SETTINGS, {"timezone": ""})
    assert _settings(db).timezone == ""
    form = organiser_client.get("/manage/workshops/new").get_data(as_text=True)
    assert f'<option selected value="{app.config["TIMEZONE"]}">' in form


def test_an_invalid_zone_is_refused_with_a_clear_message(organiser_client, db):
    post_form(organiser_client, SETTINGS, {"timezone": "Europe/Vilnius"})
    response = post_form(organiser_client, SETTINGS, {"timezone": "Europe/Atlantis<script>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“Europe/Atlantis&lt;script&gt;” is not a time zone: choose one from the list, e.g. Europe/Vilnius." in page
    assert 'class="error-summary"' in page and "<script>" not in page.split("<main", 1)[1].split("</main>")[0]
    assert _settings(db).timezone == "Europe/Vilnius"


def test_a_stored_zone_that_no_longer_exists_falls_back_to_the_configured_one(app, organiser_client, db):
    db.add(ProgrammeSettings(id=1, timezone="Mars/Olympus_Mons"))
    db.commit()
    form = organiser_client.get("/manage/workshops/new").get_data(as_text=True)
    assert f'<option selected value="{app.config["TIMEZONE"]}">' in form


def test_only_organisers_change_the_programme_settings(app, participant, facilitator, db):
    from tests.conftest import log_in

    for person in (participant, facilitator):
        client = app.test_client()
        log_in(client, person)
        assert client.get(SETTINGS).status_code == 403
        response = post_form(client, SETTINGS, {"timezone": "Europe/Vilnius"}, form_url="/me")
        assert response.status_code == 403
    assert _settings(db) is None
    anonymous = app.test_client().get(SETTINGS)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")


def test_the_settings_refuse_a_post_without_its_csrf_token(organiser_client, db):
    response = organiser_client.post(SETTINGS, data={"timezone": "Europe/Vilnius"})
    assert response.status_code == 400
    assert _settings(db) is None


def test_the_workshops_page_links_to_the_programme_settings(organiser_client):
    page = organiser_client.get("/manage/workshops").get_data(as_text=True)
    assert f'href="{SETTINGS}">Programme settings</a>' in page
