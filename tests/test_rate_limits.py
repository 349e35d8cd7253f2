"""Rate limits: failed log-ins per account and per address, sign-up and reset requests per address."""

from __future__ import annotations

from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in
from workshops.audit.models import AuditEntry


def _fail_login(client, email, token, **kwargs):
    return client.post("/login", data={"email": email, "password": "wrong password!", "csrf_token": token}, **kwargs)


def test_failed_logins_per_account_are_limited_and_successes_do_not_count(app, db, participant):
    client = app.test_client()
    for _ in range(5):
        log_in(client, participant)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/me")})
    token = csrf_token(client)
    for attempt in range(10):
        assert _fail_login(client, participant.email, token).status_code == 200, attempt
    refused = _fail_login(client, participant.email, token)
    assert refused.status_code == 429
    assert "try again in" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # Even the right password waits: the account is being guessed at.
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


def test_signup_requests_per_address_are_limited(client):
    token = csrf_token(client, "/signup")
    answers = [
        client.post("/signup", data={"csrf_token": token, "email": f"s{n}@x.org"}).status_code for n in range(11)
    ]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429


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
