"""Organisers list, add and edit test beds."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, post_form
from workshops.events.models import TestBed


@pytest.fixture
def domain(db):
    return factories.make_domain(db, name="Sensitive infrastructure protection")


def test_list_shows_test_beds_with_their_domain(organiser_client, db, domain):
    factories.make_test_bed(db, name="Port of Antwerp", domain_id=domain.id, location="Antwerp, Belgium")
    page = organiser_client.get("/manage/test-beds").get_data(as_text=True)
    assert "Port of Antwerp" in page and "Sensitive infrastructure protection" in page and "Antwerp, Belgium" in page


def test_adding_a_test_bed(organiser_client, db, domain):
    data = {
        "name": "  Port of Antwerp ",
        "domain_id": str(domain.id),
        "location": "Antwerp",
        "description": "A *port*.",
    }
    response = post_form(organiser_client, "/manage/test-beds/new", data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/test-beds"
    test_bed = db.exec(select(TestBed)).one()
    assert (test_bed.name, test_bed.domain_id, test_bed.description) == ("Port of Antwerp", domain.id, "A *port*.")


def test_editing_a_test_bed(organiser_client, db, domain):
    test_bed = factories.make_test_bed(db, name="Port", domain_id=domain.id)
    other = factories.make_domain(db, name="Disaster resilience")
    url = f"/manage/test-beds/{test_bed.id}/edit"
    assert 'value="Port"' in organiser_client.get(url).get_data(as_text=True)
    post_form(organiser_client, url, {"name": "Port", "domain_id": str(other.id), "location": "Ghent"})
    db.rollback()
    db.refresh(test_bed)
    assert (test_bed.domain_id, test_bed.location) == (other.id, "Ghent")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "domain_id": "D"}, "Enter the test bed&#39;s name."),
        ({"name": "Taken", "domain_id": "D"}, "Another test bed has this name."),
        ({"name": "x" * 161, "domain_id": "D"}, "Use at most 160 characters."),
        ({"name": "New", "domain_id": ""}, "Choose a domain."),
        ({"name": "New", "domain_id": "999999"}, "Not a valid choice."),
        ({"name": "New", "domain_id": "D", "description": "x" * 20_001}, "Use at most 20,000"),
    ],
)
def test_bad_input_is_refused(organiser_client, db, domain, data, message):
    factories.make_test_bed(db, name="Taken", domain_id=domain.id)
    data = {key: str(domain.id) if value == "D" else value for key, value in data.items()}
    response = post_form(organiser_client, "/manage/test-beds/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert len(db.exec(select(TestBed)).all()) == 1


@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_only_organisers_may(request, db, domain, role):
    client = request.getfixturevalue(f"{role}_client")
    test_bed = factories.make_test_bed(db, domain_id=domain.id)
    token = csrf_token(client, "/me")
    for url in ("/manage/test-beds", "/manage/test-beds/new", f"/manage/test-beds/{test_bed.id}/edit"):
        assert client.get(url).status_code == 403, url
    for url in ("/manage/test-beds/new", f"/manage/test-beds/{test_bed.id}/edit"):
        assert (
            client.post(url, data={"csrf_token": token, "name": "Mine", "domain_id": str(domain.id)}).status_code == 403
        )
    assert len(db.exec(select(TestBed)).all()) == 1


def test_anonymous_people_are_sent_to_log_in(client):
    for url in ("/manage/test-beds", "/manage/test-beds/new", "/manage/test-beds/1/edit"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url


def test_unknown_test_bed_is_404(organiser_client):
    assert organiser_client.get("/manage/test-beds/999999/edit").status_code == 404
