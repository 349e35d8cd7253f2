"""Sign-up and e-mail confirmation (journey 1 starts here)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import mail_link, post_form
from workshops.auth.models import User

GOOD = {
    "name": "Ana Ionescu",
    "email": "Ana.Ionescu@Example.org",
    "password": "ferry harbour lantern 42",
    "organisation": "Port of Constanța",
    "organisation_type": "end_user",
    "country": "RO",
    "cluster_id": "",
}


def _sign_up(client, **changes):
    return post_form(client, "/signup", {**GOOD, **changes})


def test_sign_up_creates_unconfirmed_account_and_sends_link(client, db, outbox):
    response = _sign_up(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/signup/check-email"
    assert "Check your e-mail" in client.get("/signup/check-email").get_data(as_text=True)

    user = db.exec(select(User).where(User.email == "ana.ionescu@example.org")).one()
    assert user.confirmed_at is None
    assert user.role == "participant"
    assert user.organisation == "Port of Constanța"
    assert user.password_hash.startswith("$argon2id$")
    [message] = outbox()
    assert message["To"] == "ana.ionescu@example.org"
    assert message["Subject"] == "Confirm your e-mail address"
    assert message.get_body(("html",)) is not None


def test_confirmation_link_confirms_logs_in_and_returns_to_next(client, db, outbox):
    response = post_form(client, "/signup", {**GOOD, "next": "/me?tab=1"}, form_url="/signup?next=/me?tab=1")
    assert response.status_code == 302
    link = mail_link(outbox()[0], "/confirm/")

    # Opening the link changes nothing (mail scanners open links); the button does the work.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm and continue" in page.get_data(as_text=True)
    assert db.exec(select(User)).one().confirmed_at is None

    response = post_form(client, link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me?tab=1"
    db.rollback()  # end the read transaction the assertion above opened
    assert db.exec(select(User)).one().confirmed_at is not None
    assert "Ana Ionescu" in client.get("/me").get_data(as_text=True)


def test_used_confirmation_link_says_so(client, outbox):
    _sign_up(client)
    link = mail_link(outbox()[0], "/confirm/")
    post_form(client, link)
    other = client.application.test_client()
    response = other.get(link)
    assert response.status_code == 410
    assert "already confirmed" in response.get_data(as_text=True)


def test_expired_confirmation_link_offers_a_new_one(app, client, outbox):
    _sign_up(client)
    link = mail_link(outbox()[0], "/confirm/")
    app.config["CONFIRM_LINK_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "expired" in page
    assert "/signup/resend" in page


def test_tampered_confirmation_link_is_refused(client, outbox):
    _sign_up(client)
    link = mail_link(outbox()[0], "/confirm/")
    assert client.get(link[:-3] + "AAA").status_code == 404


def test_existing_address_gets_the_same_answer_and_an_already_message(client, db, outbox, participant):
    response = _sign_up(client, email="PAT@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/signup/check-email"
    assert len(db.exec(select(User)).all()) == 1
    [message] = outbox()
    assert message["Subject"] == "You already have an account"
    body = message.get_body(("plain",)).get_content()
    assert "/login" in body
    assert "/password/forgot" in body


def test_resend_confirmation_sends_a_new_link_only_to_unconfirmed(client, db, outbox):
    factories.make_user(db, email="late@example.org", confirmed=False)
    factories.make_user(db, email="done@example.org")
    post_form(client, "/signup/resend", {"email": "late@example.org"})
    post_form(client, "/signup/resend", {"email": "done@example.org"})
    post_form(client, "/signup/resend", {"email": "nobody@example.org"})
    assert [m["To"] for m in outbox()] == ["late@example.org"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": "x" * 121}, "name", "Field cannot be longer than 120 characters."),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address like"),
        ({"password": "short pass"}, "password", "at least 12 characters"),
        ({"password": "password1234"}, "password", "too common"),
        ({"password": "ana.ionescu@example.org!"}, "password", "e-mail address or name"),
        ({"organisation_type": "overlord"}, "organisation_type", "Not a valid choice"),
        ({"country": "XX"}, "country", "Not a valid choice"),
        ({"cluster_id": "999"}, "cluster_id", "Choose a cluster from the list"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_kept(client, db, outbox, changes, field, message):
    response = _sign_up(client, **changes)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    control = re.search(rf'<(?:input|select)\b[^>]*\bid="{field}"[^>]*>', page)[0]
    assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', control)[1].split()
    if field != "name":
        assert 'value="Ana Ionescu"' in page  # what was typed stays
    if field != "country":
        assert '<option selected value="RO">Romania</option>' in page
    assert "ferry harbour lantern 42" not in page  # but never the password
    assert db.exec(select(User)).all() == []
    assert outbox() == []


def test_long_and_non_ascii_passwords_are_accepted_whole(client, outbox):
    password = "Ünïcödé façade über straße " + "ž" * 40  # 67 characters
    assert len(password) > 64
    _sign_up(client, password=password)
    post_form(client, mail_link(outbox()[0], "/confirm/"))
    client.post("/logout", data={"csrf_token": "x"})  # ignored: bad token, stays logged in
    fresh = client.application.test_client()
    wrong = post_form(fresh, "/login", {"email": GOOD["email"], "password": password[:64]})
    assert wrong.status_code == 200  # nothing was truncated: a prefix is not the password
    right = post_form(fresh, "/login", {"email": GOOD["email"], "password": password})
    assert right.status_code == 302


def test_signup_keeps_only_a_local_next(client):
    page = client.get("/signup?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in page
    page = client.get("/signup?next=/workshops/x/register").get_data(as_text=True)
    assert 'value="/workshops/x/register"' in page


def test_cluster_can_be_chosen(client, db):
    cluster = factories.make_cluster(db, name="Hague Security Delta")
    _sign_up(client, cluster_id=str(cluster.id))
    assert db.exec(select(User)).one().cluster_id == cluster.id
