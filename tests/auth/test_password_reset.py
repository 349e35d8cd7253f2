"""Forgotten passwords: a signed, expiring, single-use link."""

from __future__ import annotations

from tests import factories
from tests.conftest import log_in, mail_link, post_form

NEW = "seven orange kites over Leuven"


def test_reset_link_sets_a_new_password_and_logs_in(app, client, outbox, participant):
    response = post_form(client, "/password/forgot", {"email": "Pat@Example.org"})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.get_data(as_text=True)
    [message] = outbox()
    link = mail_link(message, "/password/reset/")

    response = post_form(client, link, {"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert client.get("/me").status_code == 200

    fresh = app.test_client()
    assert post_form(fresh, "/login", {"email": participant.email, "password": factories.PASSWORD}).status_code == 200
    log_in(fresh, participant, NEW)


def test_reset_link_works_once(client, outbox, participant):
    post_form(client, "/password/forgot", {"email": participant.email})
    link = mail_link(outbox()[0], "/password/reset/")
    post_form(client, link, {"password": NEW, "confirm": NEW})
    response = client.get(link)
    assert response.status_code == 410
    assert "used already" in response.get_data(as_text=True)


def test_expired_reset_link_offers_a_new_one(app, client, outbox, participant):
    post_form(client, "/password/forgot", {"email": participant.email})
    link = mail_link(outbox()[0], "/password/reset/")
    app.config["RESET_LINK_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 410
    assert "/password/forgot" in response.get_data(as_text=True)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, outbox, participant):
    known = post_form(client, "/password/forgot", {"email": participant.email}).get_data(as_text=True)
    unknown = post_form(client, "/password/forgot", {"email": "nobody@example.org"}).get_data(as_text=True)
    assert known.replace(participant.email, "X") == unknown.replace("nobody@example.org", "X")
    assert len(outbox()) == 1


def test_reset_ends_other_sessions(app, client, outbox, participant):
    elsewhere = app.test_client()
    log_in(elsewhere, participant)
    post_form(client, "/password/forgot", {"email": participant.email})
    post_form(client, mail_link(outbox()[0], "/password/reset/"), {"password": NEW, "confirm": NEW})
    assert elsewhere.get("/me").status_code == 302


def test_mismatched_and_weak_new_passwords_are_refused(client, outbox, participant):
    post_form(client, "/password/forgot", {"email": participant.email})
    link = mail_link(outbox()[0], "/password/reset/")
    page = post_form(client, link, {"password": NEW, "confirm": NEW + "x"}).get_data(as_text=True)
    assert "The two passwords differ." in page
    page = post_form(client, link, {"password": "qwertyuiop123", "confirm": "qwertyuiop123"}).get_data(as_text=True)
    assert "too common" in page
    assert client.get(link).status_code == 200  # still unused
