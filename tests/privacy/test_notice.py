"""The privacy notice: public, versioned, and the version each consent refers to."""

from __future__ import annotations

from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.events.models import Registration


def test_the_notice_is_public(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "Version 1" in page
    assert "<h2>Who processes your data</h2>" in page


def test_organisers_publish_a_new_version_and_new_consents_refer_to_it(organiser_client, participant_client, db):
    response = post_form(
        organiser_client, "/manage/privacy", {"body": "## Controller\n\nSafe Cluster, Aix-en-Provence."}
    )
    assert response.status_code == 302
    page = organiser_client.get("/privacy").get_data(as_text=True)
    assert "Version 2" in page
    assert "Safe Cluster, Aix-en-Provence." in page
    assert 'href="/privacy/1"' in page  # earlier versions stay readable
    assert "Who processes your data" in organiser_client.get("/privacy/1").get_data(as_text=True)

    workshop = factories.make_workshop(db)
    post_form(
        participant_client, f"/workshops/{workshop.slug}/register", {"mode": "on_site", "consent_processing": "y"}
    )
    assert db.exec(select(Registration)).one().privacy_notice_version == 2


def test_the_notice_is_sanitised(organiser_client):
    post_form(organiser_client, "/manage/privacy", {"body": "Hi <script>alert(1)</script> [x](javascript:alert(1))"})
    page = organiser_client.get("/privacy").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page


def test_an_empty_notice_is_refused(organiser_client):
    page = post_form(organiser_client, "/manage/privacy", {"body": ""}).get_data(as_text=True)
    assert "Write the notice." in page
    assert "Version 2" not in organiser_client.get("/privacy").get_data(as_text=True)


def test_only_organisers_publish(participant_client, facilitator_client):
    assert participant_client.get("/manage/privacy").status_code == 403
    assert facilitator_client.get("/manage/privacy").status_code == 403


def test_unknown_version_is_404(client):
    assert client.get("/privacy/99").status_code == 404
