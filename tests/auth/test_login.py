"""Log-in and log-out."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import log_in, post_form

NEXT_ATTACKS = [
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "/\r\nSet-Cookie:x=1",
    "\t//evil.example",
    "///evil.example",
]


def test_login_with_right_password_goes_to_next(client, participant):
    response = post_form(client, "/login", {"email": "PAT@example.org", "password": factories.PASSWORD, "next": "/me"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    assert "Pat Participant" in client.get("/me").get_data(as_text=True)


def test_login_page_has_the_stable_labels(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert ">Log in</button>" in page


@pytest.mark.parametrize("email", ["pat@example.org", "nobody@example.org"])
def test_wrong_password_and_unknown_address_answer_alike(client, participant, email):
    response = post_form(client, "/login", {"email": email, "password": "not the right one"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The e-mail address or the password is not right." in page
    assert f'value="{email}"' in page
    assert "not the right one" not in page
    assert client.get("/me").status_code == 302


def test_unconfirmed_account_is_sent_a_new_link_instead(client, db, outbox):
    user = factories.make_user(db, email="new@example.org", confirmed=False)
    response = post_form(client, "/login", {"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 200
    assert "confirm your e-mail address first" in response.get_data(as_text=True)
    assert [m["To"] for m in outbox()] == ["new@example.org"]
    assert client.get("/me").status_code == 302


@pytest.mark.parametrize("target", NEXT_ATTACKS)
def test_next_never_leaves_the_site(client, participant, target):
    response = post_form(client, "/login", {"email": participant.email, "password": factories.PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_protected_page_sends_to_login_with_next(client):
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fme"


def test_logout_is_post_only(participant_client):
    assert participant_client.get("/logout").status_code == 405
    assert participant_client.get("/me").status_code == 200


def test_logout_ends_the_session_and_a_copied_cookie(app, participant):
    client = app.test_client()
    log_in(client, participant)
    copied = client.get_cookie("session").value
    response = post_form(client, "/logout", form_url="/me")
    assert response.status_code == 302
    assert client.get("/me").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/me").status_code == 302


def test_login_starts_a_fresh_session(app, participant):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, participant)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_records_the_time(client, db, participant):
    log_in(client, participant)
    db.refresh(participant)
    assert participant.last_login_at is not None


def test_remember_me_cookie_is_worthless_after_logout(app, participant):
    client = app.test_client()
    post_form(client, "/login", {"email": participant.email, "password": factories.PASSWORD, "remember": "y"})
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    assert remembered.http_only
    assert remembered.same_site == "Lax"
    post_form(client, "/logout", form_url="/me")

    replay = app.test_client()
    replay.set_cookie("remember_token", remembered.value)
    assert replay.get("/me").status_code == 302


def test_remember_me_restores_a_session_until_then(app, participant):
    client = app.test_client()
    post_form(client, "/login", {"email": participant.email, "password": factories.PASSWORD, "remember": "y"})
    fresh = app.test_client()
    fresh.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert fresh.get("/me").status_code == 200
