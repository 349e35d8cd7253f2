"""Password hashing and the rules for new passwords."""

from __future__ import annotations

import pytest

from workshops.auth.passwords import hash_password, password_problem, verify_password


def test_production_parameters_are_argon2id_defaults(make_app):
    app = make_app({"SECRET_KEY": "s" * 40})
    with app.app_context():
        hashed = hash_password("correct horse battery staple")
        assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(hashed, "correct horse battery staple")
        assert not verify_password(hashed, "correct horse battery stapl")


def test_a_stored_weaker_hash_is_upgraded_at_login(app, db, client):
    from tests import factories
    from tests.conftest import log_in

    app.config["ARGON2_TIME_COST"] = 2
    user = factories.make_user(db)
    log_in(client, user)
    db.refresh(user)
    assert ",t=2," in user.password_hash


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("short", True),
        ("password1234", True),
        ("iloveyou1234567", True),
        ("aaaaaaaaaaaaaaaa", True),
        ("maria.silva@example.pt", True),
        ("harbour ferry lantern", False),
        ("Zürich-Bärengraben-7", False),
        ("x" * 1024, True),
        ("a long passphrase with spaces " * 3, False),
    ],
)
def test_password_rules(password, refused, app):
    with app.app_context():
        problem = password_problem(password, personal=["maria.silva@example.pt", "Maria Silva"])
    assert (problem is not None) is refused, problem
