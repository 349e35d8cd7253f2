"""The organisers' page of accounts and roles."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import log_in, post_form


def test_anonymous_is_sent_to_login(client):
    response = client.get("/manage/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["participant_client", "facilitator_client"])
def test_other_roles_are_refused(request, who):
    assert request.getfixturevalue(who).get("/manage/users").status_code == 403


def test_organiser_finds_people(organiser_client, db):
    factories.make_user(db, name="Jonas Petraitis", organisation="Vilnius City")
    factories.make_user(db, name="Marie Dubois", organisation="Ville de Nice")
    page = organiser_client.get("/manage/users?q=vilnius").get_data(as_text=True)
    assert "Jonas Petraitis" in page
    assert "Marie Dubois" not in page
    page = organiser_client.get("/manage/users?role=organiser").get_data(as_text=True)
    assert "Otto Organiser" in page
    assert "Jonas Petraitis" not in page


def test_organiser_gives_a_role_which_holds_at_once(app, organiser_client, db, participant):
    participant_session = app.test_client()
    log_in(participant_session, participant)
    response = post_form(
        organiser_client,
        f"/manage/users/{participant.id}/role",
        {"role": "facilitator", "next": "/manage/users?q=pat"},
        form_url="/manage/users",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/users?q=pat"
    db.refresh(participant)
    assert participant.role == "facilitator"
    # The person's sessions ended with the change: the next request asks them to log in again.
    assert participant_session.get("/me").status_code == 302


def test_role_change_redirect_stays_on_the_list(organiser_client, participant):
    response = post_form(
        organiser_client,
        f"/manage/users/{participant.id}/role",
        {"role": "facilitator", "next": "https://evil.example/manage/users"},
        form_url="/manage/users",
    )
    assert response.headers["Location"] == "/manage/users"


def test_last_organiser_cannot_be_demoted(organiser_client, db, organiser):
    post_form(organiser_client, f"/manage/users/{organiser.id}/role", {"role": "participant"}, form_url="/manage/users")
    db.refresh(organiser)
    assert organiser.role == "organiser"
    assert "only organiser" in organiser_client.get("/manage/users").get_data(as_text=True)


def test_unknown_account_is_404(organiser_client):
    response = post_form(organiser_client, "/manage/users/99999/role", {"role": "organiser"}, form_url="/manage/users")
    assert response.status_code == 404


def test_bad_role_value_changes_nothing(organiser_client, db, participant):
    response = post_form(
        organiser_client, f"/manage/users/{participant.id}/role", {"role": "king"}, form_url="/manage/users"
    )
    assert response.status_code == 400
    db.refresh(participant)
    assert participant.role == "participant"


def test_query_count_does_not_grow_with_rows(organiser_client, db, count_queries):
    cluster = factories.make_cluster(db)
    for _ in range(4):
        factories.make_user(db, cluster_id=cluster.id)
    with count_queries() as small:
        assert organiser_client.get("/manage/users").status_code == 200
    for _ in range(45):
        factories.make_user(db, cluster_id=cluster.id)
    with count_queries() as large:
        page = organiser_client.get("/manage/users").get_data(as_text=True)
    assert page.count('class="role-form"') == 50
    assert len(large) == len(small)


def test_removed_organiser_role_holds_on_the_very_next_request(app, organiser_client, db, organiser):
    second = factories.make_user(db, name="Second Organiser", role="organiser")
    second_client = app.test_client()
    log_in(second_client, second)
    assert second_client.get("/manage/users").status_code == 200
    post_form(organiser_client, f"/manage/users/{second.id}/role", {"role": "participant"}, form_url="/manage/users")
    assert second_client.get("/manage/users").status_code == 302  # the old session is gone
    log_in(second_client, second)
    assert second_client.get("/manage/users").status_code == 403  # and the role with it
