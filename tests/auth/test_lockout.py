"""Wrong passwords pause an account, yet nobody can lock its owner out by typing them.

A browser where the owner has logged in holds a device cookie and keeps an allowance of its own; a
password reset (the e-mailed link proves the mailbox) lifts the pause; the limit per client
address still holds for everyone.
"""

from __future__ import annotations

import re

from limits import parse
from sqlmodel import select

from tests import factories
from tests.conftest import CSRF_PATTERN, csrf_token, log_in, mail_link, post_form
from workshops import security
from workshops.audit.models import AuditEntry
from workshops.auth import devices

NEW = "seven orange kites over Leuven"
ALLOWED = parse(security.LOGIN_FAILURES_PER_ACCOUNT).amount
WRONG = "wrong password!"


def _try(client, email: str, password: str = WRONG, **kwargs):
    return post_form(client, "/login", {"email": email, "password": password}, **kwargs)


def _pause(app, email: str) -> None:
    """A stranger, in a browser of their own, types wrong passwords for ``email`` until it is paused."""
    stranger = app.test_client()
    for attempt in range(ALLOWED):
        assert _try(stranger, email).status_code == 200, attempt
    assert _try(stranger, email).status_code == 429


def _owners_browser(app, user):
    """A browser where ``user`` has logged in once, and then logged out: it holds their device cookie."""
    browser = app.test_client()
    log_in(browser, user)
    assert post_form(browser, "/logout", form_url="/me").status_code == 302
    assert browser.get_cookie(devices.COOKIE, path="/login") is not None
    return browser


def test_a_stranger_pauses_the_account_for_new_browsers_but_not_for_the_owners_device(app, db, participant):
    owner = _owners_browser(app, participant)
    _pause(app, participant.email)

    newcomer = app.test_client()
    assert _try(newcomer, participant.email, factories.PASSWORD).status_code == 429
    assert newcomer.get("/me").status_code == 302

    response = _try(owner, participant.email, factories.PASSWORD)
    assert response.status_code == 302
    assert owner.get("/me").status_code == 200
    assert "login_throttled" in [entry.action for entry in db.exec(select(AuditEntry))]


def test_the_owners_device_has_its_own_allowance_and_does_not_pause_the_account(app, participant):
    owner = _owners_browser(app, participant)
    for attempt in range(ALLOWED):
        assert _try(owner, participant.email).status_code == 200, attempt
    assert _try(owner, participant.email, factories.PASSWORD).status_code == 429
    # The owner's own typing errors were counted against that browser only.
    log_in(app.test_client(), participant)


def test_a_forged_device_cookie_does_not_get_past_the_pause(app, participant):
    owner = _owners_browser(app, participant)
    genuine = owner.get_cookie(devices.COOKIE, path="/login").value
    _pause(app, participant.email)
    unsigned = genuine.rsplit(".", 1)[0]
    forgeries = [
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # the signature altered
        unsigned + ".",  # no signature
        "not-a-device-cookie",
    ]
    for forged in forgeries:
        browser = app.test_client()
        browser.set_cookie(devices.COOKIE, forged, path="/login")
        assert _try(browser, participant.email, factories.PASSWORD).status_code == 429, forged


def test_a_device_cookie_signed_with_another_key_does_not_get_past_the_pause(app, make_app, participant):
    elsewhere = make_app({"TESTING": True, "SECRET_KEY": "another-" + "k" * 40, "MAIL_IN_BACKGROUND": False})
    foreign = elsewhere.test_client()
    log_in(foreign, participant)
    _pause(app, participant.email)
    browser = app.test_client()
    browser.set_cookie(devices.COOKIE, foreign.get_cookie(devices.COOKIE, path="/login").value, path="/login")
    assert _try(browser, participant.email, factories.PASSWORD).status_code == 429


def test_another_accounts_device_cookie_does_not_get_past_the_pause(app, participant, facilitator):
    facilitators_browser = _owners_browser(app, facilitator)
    _pause(app, participant.email)
    assert _try(facilitators_browser, participant.email, factories.PASSWORD).status_code == 429
    # ... while it still logs its own account in.
    assert _try(facilitators_browser, facilitator.email, factories.PASSWORD).status_code == 302


def test_a_device_cookie_from_before_a_new_password_no_longer_helps(app, db, participant):
    before = _owners_browser(app, participant)
    kept = before.get_cookie(devices.COOKIE, path="/login").value
    participant.password_hash = factories.make_user(db, password=NEW).password_hash  # the password is changed
    db.add(participant)
    db.commit()
    _pause(app, participant.email)
    browser = app.test_client()
    browser.set_cookie(devices.COOKIE, kept, path="/login")
    assert _try(browser, participant.email, NEW).status_code == 429


def test_a_reset_link_lifts_the_pause(app, participant, outbox):
    _pause(app, participant.email)
    mailbox_owner = app.test_client()
    assert post_form(mailbox_owner, "/password/forgot", {"email": participant.email}).status_code == 200
    link = mail_link(outbox()[-1], "/password/reset/")
    assert post_form(mailbox_owner, link, {"password": NEW, "confirm": NEW}).status_code == 302
    assert mailbox_owner.get("/me").status_code == 200

    # Any browser, even one that never logged in, gets in again with the new password.
    assert _try(app.test_client(), participant.email, NEW).status_code == 302


def test_asking_for_a_reset_link_alone_does_not_lift_the_pause(app, client, participant, outbox):
    _pause(app, participant.email)
    post_form(client, "/password/forgot", {"email": participant.email})
    assert client.get(mail_link(outbox()[-1], "/password/reset/")).status_code == 200  # a mail scanner opens it
    assert _try(app.test_client(), participant.email, factories.PASSWORD).status_code == 429


def test_the_pause_page_points_to_the_password_reset(app, participant):
    _pause(app, participant.email)
    response = _try(app.test_client(), participant.email, factories.PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert re.search(r"please try again in \d+ minutes?\.", page)
    assert 'href="/password/forgot"' in page
    assert "Reset your password" in page


def test_the_pause_reads_the_same_for_an_address_without_an_account(app, participant):
    _pause(app, participant.email)
    _pause(app, "nobody@example.org")
    known = _try(app.test_client(), participant.email, factories.PASSWORD)
    unknown = _try(app.test_client(), "nobody@example.org", factories.PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)


def test_a_script_is_told_in_json(app, participant):
    _pause(app, participant.email)
    client = app.test_client()
    data = {"email": participant.email, "password": factories.PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert "reset the password" in response.get_json()["error"]


def test_the_limit_per_client_address_still_holds_for_the_owners_device(app, participant):
    owner = _owners_browser(app, participant)
    guesser = app.test_client()
    for n in range(parse(security.LOGIN_FAILURES_PER_ADDRESS).amount):
        assert _try(guesser, f"guess{n}@example.org").status_code == 200, n
    assert _try(owner, participant.email, factories.PASSWORD).status_code == 429


def test_the_device_cookie_is_httponly_lax_and_sent_only_to_the_login_page(app, participant):
    browser = _owners_browser(app, participant)
    cookie = browser.get_cookie(devices.COOKIE, path="/login")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure  # development serves plain HTTP
    assert cookie.path == "/login"
    assert cookie.expires is not None  # it outlives the browser session
    assert participant.email not in cookie.value and factories.PASSWORD not in cookie.value


def test_the_device_cookie_is_secure_in_production(make_app, participant):
    production = make_app({"ENV": "production", "SECRET_KEY": "s" * 48, "BASE_URL": "https://ws.example.eu"})
    browser = production.test_client()
    site = "https://ws.example.eu"
    page = browser.get("/login", base_url=site).get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    response = browser.post(
        "/login",
        data={"email": participant.email, "password": factories.PASSWORD, "csrf_token": token},
        base_url=site,
        headers={"Referer": site + "/login"},
    )
    assert response.status_code == 302
    cookie = browser.get_cookie(devices.COOKIE, domain="ws.example.eu", path="/login")
    assert cookie.secure
    assert cookie.http_only
    assert cookie.same_site == "Lax"
