"""Log-out ends the session whatever the database does; a password or role change is all or nothing.

Twenty people log out at the same moment against gunicorn (two processes of four threads, on the
suite's database): every one is answered without a 5xx, and no copy of their session cookie opens
a page any more. Before, on SQLite, 6 of 20 answered 500 "database is locked" and those sessions
still opened ``/me``.

When the write lock stays taken (another connection holds it here, longer than the short write
deadline these tests configure), log-out still logs this browser out and says that the other
devices could not be; a password or role change answers 409 and changes nothing at all. Each is
answered within the five seconds a person waits: the deadline shortens SQLite's 10-second busy
timeout and PostgreSQL's 5-second lock timeout.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from tests import factories
from tests.conftest import CHEAP_ARGON2, csrf_token, log_in, post_form
from tests.liveserver import Browser, LiveServer, burst, each, port_in
from workshops.auth.models import User

PEOPLE = 20
PORTS = range(5200, 5300)
NEW_PASSWORD = "seven orange kites over Leuven"
#: How long a person waits for an answer.
CLIENT_TIMEOUT = 5
OTHER_DEVICES = "You are logged out on this device; we could not log out your other devices, please try again"


def test_twenty_simultaneous_log_outs_each_end_their_session(db, tmp_path, database_url):
    people = [factories.make_user(db, email=f"leaving{n}@example.org") for n in range(PEOPLE)]
    server = LiveServer(
        tmp_path,
        database_url=database_url,
        workers=2,
        threads=4,
        port=port_in(PORTS),
        LOG_REQUESTS="false",
        **CHEAP_ARGON2,
    ).start()
    try:

        def logged_in(person: User) -> Browser:
            browser = Browser(server.url)
            browser.open_form("/login")
            answer = browser.post("/login", {"email": person.email, "password": factories.PASSWORD, "next": ""})
            assert answer.status == 302, answer.body[:300]
            browser.open_form("/me")  # the page's log-out button carries this token
            return browser

        browsers = each(people, logged_in)
        copies = []
        for browser in browsers:
            copy = Browser(server.url)
            copy.cookies = dict(browser.cookies)  # the session cookie as someone who copied it holds it
            copies.append(copy)

        crowd = burst([lambda browser=browser: browser.post("/logout") for browser in browsers])
        print(f"2x4 on {db.get_bind().dialect.name}: {crowd.figures()}")
        assert crowd.server_errors == 0, server.problems()
        assert crowd.statuses == {302: PEOPLE}, server.problems()
        assert {answer.location for answer in crowd.answers} == {"/"}

        assert [browser.get("/me").status for browser in browsers] == [302] * PEOPLE
        replayed = [copy.get("/me") for copy in copies]
        assert [answer.status for answer in replayed] == [302] * PEOPLE
        assert {answer.location for answer in replayed} == {"/login?next=%2Fme"}
    finally:
        server.stop()


@contextmanager
def write_lock_taken(database_url: str, user_id: int):
    """Another connection holds the lock a change of this account needs, until the block ends.

    SQLite: the database's write lock (``BEGIN IMMEDIATE``; reads go on in WAL mode). PostgreSQL:
    the account's row (``FOR UPDATE``).
    """
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT id FROM account WHERE id = :id FOR UPDATE"), {"id": user_id})
            yield
            connection.rollback()
        engine.dispose()
        return
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def impatient(app, make_app):
    """The application with a write deadline of half a second, which the lock held here outlasts."""
    return make_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-" + "k" * 40,
            "BASE_URL": "http://workshops.test",
            "DATABASE_WRITE_DEADLINE": 0.5,
            **CHEAP_ARGON2,
        }
    )


def answered_in_time(send):
    """Send a request as a person who waits ``CLIENT_TIMEOUT`` seconds at most; fail when no answer came."""
    answers = []
    worker = threading.Thread(target=lambda: answers.append(send()), daemon=True)
    worker.start()
    worker.join(CLIENT_TIMEOUT)
    assert answers, f"no answer within {CLIENT_TIMEOUT} s"
    return answers[0]


def test_a_log_out_the_database_cannot_store_still_logs_this_device_out_and_says_so(
    impatient, db, database_url, participant
):
    device, other_device = impatient.test_client(), impatient.test_client()
    post_form(device, "/login", {"email": participant.email, "password": factories.PASSWORD, "remember": "y"})
    log_in(other_device, participant)
    token = csrf_token(device, "/me")

    with write_lock_taken(database_url, participant.id):
        response = answered_in_time(lambda: device.post("/logout", data={"csrf_token": token}))
        assert response.status_code == 302 and response.headers["Location"] == "/"
        # The token still opens sessions, so the remember-me cookie must go too, or it would log back in.
        assert device.get_cookie("remember_token") is None
        home = device.get("/").get_data(as_text=True)
        assert OTHER_DEVICES in home
        assert "Log in" in home
        assert device.get("/me").status_code == 302

    # As the page said, the other device is still logged in; logging in and out again ends it.
    assert other_device.get("/me").status_code == 200
    log_in(device, participant)
    assert device.post("/logout", data={"csrf_token": csrf_token(device, "/me")}).status_code == 302
    assert "You are logged out." in device.get("/").get_data(as_text=True)
    assert other_device.get("/me").status_code == 302


def test_a_password_change_the_database_cannot_store_answers_409_and_changes_nothing(
    impatient, db, database_url, participant
):
    device, other_device = impatient.test_client(), impatient.test_client()
    log_in(device, participant)
    log_in(other_device, participant)
    token = csrf_token(device, "/me")
    form = {"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}

    with write_lock_taken(database_url, participant.id):
        response = answered_in_time(lambda: device.post("/me/password", data={**form, "csrf_token": token}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "try again" in page.lower() and "Open the form again" in page
    assert NEW_PASSWORD not in page and factories.PASSWORD not in page

    db.rollback()
    stored = db.exec(select(User).where(User.id == participant.id)).one()
    assert (stored.password_hash, stored.session_token) == (participant.password_hash, participant.session_token)
    assert device.get("/me").status_code == 200
    assert other_device.get("/me").status_code == 200
    log_in(impatient.test_client(), participant)  # the old password still works


def test_a_role_change_the_database_cannot_store_answers_409_and_changes_nothing(
    impatient, db, database_url, organiser, participant
):
    organiser_device, participant_device = impatient.test_client(), impatient.test_client()
    log_in(organiser_device, organiser)
    log_in(participant_device, participant)
    token = csrf_token(organiser_device, "/manage/users")

    with write_lock_taken(database_url, participant.id):
        form = {"role": "facilitator", "next": "", "csrf_token": token}
        response = answered_in_time(lambda: organiser_device.post(f"/manage/users/{participant.id}/role", data=form))
    assert response.status_code == 409
    assert "try again" in response.get_data(as_text=True).lower()

    db.rollback()
    stored = db.exec(select(User).where(User.id == participant.id)).one()
    assert (stored.role, stored.session_token) == ("participant", participant.session_token)
    assert participant_device.get("/me").status_code == 200
