"""Rate limits: failed log-ins per account and per address, sign-ups and reset requests per account and per address."""

from __future__ import annotations

import re

from limits import parse
from sqlmodel import select

from tests import factories
from tests.auth.test_signup import GOOD as SIGNUP
from tests.conftest import csrf_token, log_in
from workshops import security
from workshops.audit.models import AuditEntry
from workshops.auth.models import User


def _fail_login(client, email, token, **kwargs):
    return client.post("/login", data={"email": email, "password": "wrong password!", "csrf_token": token}, **kwargs)


def test_failed_logins_per_account_are_limited_and_successes_do_not_count(app, db, participant):
    owner = app.test_client()
    for _ in range(5):
        log_in(owner, participant)
        owner.post("/logout", data={"csrf_token": csrf_token(owner, "/me")})
    client = app.test_client()  # a browser where the account never logged in (tests/auth/test_lockout.py: the others)
    token = csrf_token(client)
    for attempt in range(10):
        assert _fail_login(client, participant.email, token).status_code == 200, attempt
    refused = _fail_login(client, participant.email, token)
    assert refused.status_code == 429
    assert "try again in" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # Even the right password waits in that browser: the account is being guessed at.
    right = client.post(
        "/login", data={"email": participant.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429
    # Another account from the same address is not affected.
    assert _fail_login(client, "someone.else@example.org", token).status_code == 200
    actions = [e.action for e in db.exec(select(AuditEntry))]
    assert "login_throttled" in actions


def test_failed_logins_per_address_are_limited(app):
    client = app.test_client()
    token = csrf_token(client)
    for n in range(50):
        assert _fail_login(client, f"guess{n}@example.org", token).status_code == 200
    assert _fail_login(client, "guess-last@example.org", token).status_code == 429


def test_client_address_comes_from_the_trusted_proxy(make_app, tmp_path):
    app = make_app(
        {
            "TESTING": True,
            "SECRET_KEY": "p" * 40,
            "PROXY_FIX_HOPS": 1,
            "MAIL_OUTBOX": str(tmp_path),
        }
    )
    client = app.test_client()
    token = csrf_token(client)
    first = {"X-Forwarded-For": "198.51.100.7"}
    for n in range(50):
        _fail_login(client, f"g{n}@example.org", token, headers=first)
    assert _fail_login(client, "x@example.org", token, headers=first).status_code == 429
    assert _fail_login(client, "x@example.org", token, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200


def test_forwarded_header_is_ignored_without_a_proxy(app):
    client = app.test_client()
    token = csrf_token(client)
    for n in range(50):
        _fail_login(client, f"g{n}@example.org", token, headers={"X-Forwarded-For": f"10.0.0.{n}"})
    assert _fail_login(client, "x@example.org", token, headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 429


def _sign_up(app, email: str, **changes):
    """Sign up as a new person in their own browser, from the one address every test client shares."""
    client = app.test_client()
    data = {**SIGNUP, "email": email, "csrf_token": csrf_token(client, "/signup"), **changes}
    return client.post("/signup", data=data)


def test_a_room_behind_one_address_signs_up_within_the_hour(app, db, outbox):
    answers = [_sign_up(app, f"attendee{n}@example.org").status_code for n in range(40)]
    assert answers == [302] * 40
    assert len(db.exec(select(User)).all()) == 40
    assert len(outbox()) == 40
    assert parse(security.SIGNUP_PER_ADDRESS).amount >= 3 * 300  # 300 people, each sending it up to three times


def test_one_address_signed_up_again_and_again_is_refused_after_its_own_limit(app, db, outbox):
    for _ in range(4):  # refused forms send nothing and do not count
        assert _sign_up(app, "ana@example.org", password="password1234").status_code == 200
    answers = [_sign_up(app, email).status_code for email in ("ana@example.org", "Ana@Example.org", " ANA@example.org")]
    assert answers == [302] * 3
    refused = _sign_up(app, "ana@EXAMPLE.org")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "This e-mail address has been signed up several times in the last hour" in page
    assert re.search(r"Please try again in \d+ minutes?\.", page)
    assert int(refused.headers["Retry-After"]) > 0
    assert len(outbox()) == 3  # one confirmation, then two "you already have an account"
    # Other people at the same address are not slowed down.
    assert _sign_up(app, "bo@example.org").status_code == 302


def test_a_flood_of_sign_ups_from_one_address_is_stopped(app, db, outbox):
    client = app.test_client()
    token = csrf_token(client, "/signup")
    flood = parse(security.SIGNUP_PER_ADDRESS).amount
    answers = {
        client.post("/signup", data={"csrf_token": token, "email": f"s{n}@x.org"}).status_code for n in range(flood)
    }
    assert answers == {200}  # incomplete forms: each one is refused, and counted
    refused = client.post("/signup", data={"csrf_token": token, "email": "last@x.org"})
    assert refused.status_code == 429
    assert "You have tried this too often" in refused.get_data(as_text=True)
    # A whole, valid sign-up from that address now waits too, and nothing is stored or sent.
    assert _sign_up(app, "real@example.org").status_code == 429
    assert db.exec(select(User)).all() == []
    assert outbox() == []


def test_reset_requests_per_account_are_limited(client, outbox, participant):
    token = csrf_token(client, "/password/forgot")
    answers = [
        client.post("/password/forgot", data={"csrf_token": token, "email": participant.email}).status_code
        for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]
    assert len(outbox()) == 5


def test_limits_use_the_configured_storage(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert type(app.extensions["limiter"].pop()._storage).__name__ == "MemoryStorage"
