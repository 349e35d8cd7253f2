"""One e-mail rule for the command line and the forms: what one refuses the other refuses too.

The same table of addresses goes through the sign-up form and ``create-user``; every address they
accept makes an account that logs in through the log-in form, and the log-in form never refuses an
address an older account may hold.
"""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlmodel import select

from tests import factories
from tests.auth.test_signup import GOOD
from tests.conftest import post_form
from workshops.auth import services
from workshops.auth.emails import email_problem
from workshops.auth.models import User

PASSWORD = "ferry harbour lantern 42"
#: 64 characters before the @, 189 after: the longest address the column holds (254).
LONGEST = "l" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"

#: (typed, stored): addresses an account may have, and the one form each is stored in.
ACCEPTED = [
    pytest.param("lena@example.org", "lena@example.org", id="plain"),
    pytest.param("Lena.Berg@Example.ORG", "lena.berg@example.org", id="upper case"),
    pytest.param("  lena@example.org ", "lena@example.org", id="surrounding spaces"),
    pytest.param("jürgen.groß@example.de", "jürgen.groß@example.de", id="unicode local part"),
    pytest.param("ana@bücher.de", "ana@bücher.de", id="IDN domain"),
    pytest.param("ana@xn--bcher-kva.de", "ana@bücher.de", id="IDN domain typed in ASCII"),
    pytest.param("用户@例子.广告", "用户@例子.广告", id="unicode throughout"),
    pytest.param(LONGEST, LONGEST, id="254 characters"),
]

#: (typed, part of the reason given): addresses no account may have.
REFUSED = [
    pytest.param("org@securit.test", "special-use or reserved name", id=".test"),
    pytest.param("printer@office.local", "special-use or reserved name", id=".local"),
    pytest.param("admin@localhost", "It should have a period", id="localhost"),
    pytest.param("ana maria@example.org", "invalid characters before the @-sign: SPACE", id="space inside"),
    pytest.param("ana@bob@example.org", "invalid characters: '@'", id="two @"),
    pytest.param("ana@@example.org", "invalid characters: '@'", id="two @ together"),
    pytest.param("ana.example.org", "must have an @-sign", id="no @"),
    pytest.param("x" + LONGEST, "at most 254 characters", id="255 characters"),
]


def _create_user(app, email: str):
    return app.test_cli_runner().invoke(
        args=["create-user", email, "--name", "Lena Berg", "--password-stdin"], input=PASSWORD + "\n"
    )


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_an_address_the_forms_accept_the_command_line_accepts_and_it_logs_in(app, db, outbox, typed, stored):
    result = _create_user(app, typed)
    assert result.exit_code == 0, result.output
    assert db.exec(select(User.email)).all() == [stored]

    client = app.test_client()
    response = post_form(client, "/login", {"email": typed, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Lena Berg" in client.get("/me").get_data(as_text=True)

    # The sign-up form accepts the same address, and finds it is the account just made.
    response = post_form(app.test_client(), "/signup", {**GOOD, "email": typed})
    assert response.status_code == 302
    [message] = outbox()
    assert (message["Subject"], message["To"]) == ("You already have an account", stored)
    assert len(db.exec(select(User)).all()) == 1


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_an_address_the_forms_refuse_the_command_line_refuses_with_the_same_reason(app, db, typed, reason):
    assert reason in email_problem(typed)

    response = post_form(app.test_client(), "/signup", {**GOOD, "email": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert str(escape(email_problem(typed))) in page
    assert f'value="{escape(typed)}"' in page  # what the person typed is kept, to be corrected

    result = _create_user(app, typed)
    assert result.exit_code == 1
    assert "cannot be an account's e-mail address" in result.output
    assert reason in result.output
    assert "Password" not in result.output  # refused before anyone types a password
    assert db.exec(select(User)).all() == []


def test_the_same_mailbox_typed_another_way_logs_in_to_the_same_account(app, db):
    assert _create_user(app, "Ana@xn--bcher-kva.de").exit_code == 0
    response = post_form(app.test_client(), "/login", {"email": "ANA@Bücher.de", "password": PASSWORD})
    assert response.status_code == 302
    assert _create_user(app, "ana@bücher.de").exit_code == 1


def test_an_account_made_before_the_rule_still_logs_in_and_gets_reset_links(app, db, outbox):
    factories.make_user(db, email="org@securit.test", name="Old Account")
    client = app.test_client()
    response = post_form(client, "/login", {"email": "Org@Securit.test", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert "Old Account" in client.get("/me").get_data(as_text=True)

    post_form(app.test_client(), "/password/forgot", {"email": "org@securit.test"})
    assert [m["Subject"] for m in outbox()] == ["Reset your password"]


def test_an_account_stored_in_the_older_form_is_found_by_the_newer_one(app, db):
    """Accounts were stored trimmed and lower-cased as typed, an IDN possibly as ``xn--…``."""
    factories.make_user(db, email="old@xn--bcher-kva.de", name="Old IDN")
    response = post_form(app.test_client(), "/login", {"email": "old@bücher.de", "password": factories.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("url", ["/login", "/password/forgot", "/signup/resend"])
def test_the_lookup_forms_ask_only_for_an_at_sign(client, url):
    response = post_form(client, url, {"email": "ana.example.org", "password": PASSWORD})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter an e-mail address like name@example.org." in page
    assert 'value="ana.example.org"' in page


def test_account_services_refuse_what_the_forms_refuse(app, db):
    profile = services.Profile(name="Demo", organisation="", organisation_type="other", country="")
    with app.app_context(), pytest.raises(services.AccountError, match="special-use"):
        services.create_user(session=db, email="demo@securit.test", password=PASSWORD, profile=profile)
    with app.test_request_context(), pytest.raises(services.AccountError, match="special-use"):
        services.sign_up(session=db, email="demo@securit.test", password=PASSWORD, profile=profile, next_path=None)
    assert db.exec(select(User)).all() == []
