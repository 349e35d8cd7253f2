"""The database going away: a quick 503 in the site's layout, nothing typed lost, recovery by itself.

The outage is real. On SQLite another connection holds the file in exclusive locking mode, so that
not even a read gets through after the busy timeout. On PostgreSQL the application reaches the
server through a TCP relay in this test, which is cut (connections dropped, port closed) and
restored, so that the pool's pre-ping has to notice and reconnect on its own. An unreachable
PostgreSQL address (a closed port) is tried on every run, with no server needed.

How long ``/healthz`` took is printed (``-rP`` shows it), never asserted; that an answer came at all
is, within the five seconds a load balancer waits (``CLIENT_TIMEOUT``). A server that accepts
connections and never answers (``BlackHole``) shows why the health check has its own budget.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
from contextlib import suppress

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tests import factories
from tests.conftest import CHEAP_ARGON2, csrf_token, log_in
from tests.liveserver import free_port
from workshops.auth.models import User
from workshops.db import get_session

#: How long a client (a load balancer's health check, a browser's patience) waits for an answer.
CLIENT_TIMEOUT = 5
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")
NOT_ANSWERING = "The database is not answering; please try again in a moment"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
SIGN_UP = {
    "name": "Ana Ionescu",
    "email": "ana.ionescu@example.org",
    "password": "ferry harbour lantern 42",
    "organisation": "Port of Constanța",
    "organisation_type": "end_user",
    "country": "RO",
    "cluster_id": "",
}


def _assert_guarded(response) -> None:
    """Every security header, and no caching, on an answer given while the database is away."""
    for header in SECURITY_HEADERS:
        assert response.headers.get(header), f"{header} missing on {response.status_code}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def _answered_in_time(send):
    """Send a request as a client that waits ``CLIENT_TIMEOUT`` seconds at most: its answer, and how long it took."""
    answers = []
    worker = threading.Thread(target=lambda: answers.append(send()), daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(CLIENT_TIMEOUT)
    assert answers, f"no answer within {CLIENT_TIMEOUT} s"
    return answers[0], time.perf_counter() - started


class BlackHole:
    """A server that accepts connections and never says a word: a database host that hangs."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        """Stop listening and drop every connection held."""
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for held in self.held:
            held.close()


class Relay:
    """A TCP relay to the PostgreSQL server, cut and restored like a server that stops and comes back."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        """Listen on the relay's port and forward every connection to the server."""
        if self.listener is not None:
            return
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection and close the port: connecting is refused from now on."""
        if self.listener is not None:
            with suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for end in self.sockets:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self.sockets.clear()


class SqliteOutage:
    """The suite's SQLite file held by another connection in exclusive locking mode, with a write under way."""

    def __init__(self, database_url: str, engines):
        self.url = database_url
        self.path = make_url(database_url).database
        self.engines = engines
        self.holder: sqlite3.Connection | None = None

    def cut(self) -> None:
        """Take the file for this connection alone; the application's connections are closed first."""
        for engine in self.engines():
            engine.dispose()
        self.holder = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.holder.execute("BEGIN EXCLUSIVE")
        self.holder.execute("UPDATE privacy_notice SET body = body")

    def restore(self) -> None:
        """Roll the write back and let the file go."""
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def close(self) -> None:
        """Give the file back, whatever the test did."""
        self.restore()


class PostgresOutage:
    """The suite's PostgreSQL database reached through a relay that is cut and restored."""

    def __init__(self, database_url: str):
        server = make_url(database_url)
        self.relay = Relay(server.host or "127.0.0.1", server.port or 5432)
        self.url = server.set(host="127.0.0.1", port=self.relay.port).render_as_string(hide_password=False)
        self.relay.start()

    def cut(self) -> None:
        """Stop the way to the server."""
        self.relay.cut()

    def restore(self) -> None:
        """Open the way again, on the same port."""
        self.relay.start()

    def close(self) -> None:
        """Close the application's connections, then the relay for good."""
        self.app.extensions["workshops.engine"].dispose()
        self.relay.cut()


@pytest.fixture
def down(request, app, db, make_app, database_url, tmp_path):
    """An application whose database can be taken away (``down.cut()``) and given back (``down.restore()``).

    It forgets an outage at once (``DATABASE_OUTAGE_HOLD`` 0) unless a test asks for a hold with
    ``@pytest.mark.parametrize("hold", [...])``.
    """
    hold = request.getfixturevalue("hold") if "hold" in request.fixturenames else 0
    made = []
    if database_url.startswith("postgresql"):
        outage = PostgresOutage(database_url)
    else:
        outage = SqliteOutage(database_url, lambda: [app.extensions["workshops.engine"], *engines(made)])
    application = make_app(
        {
            "TESTING": True,
            "DATABASE_URL": outage.url,
            "SECRET_KEY": "test-" + "k" * 40,
            "BASE_URL": "http://workshops.test",
            "DATABASE_BUSY_TIMEOUT": 0.3,
            "DATABASE_CONNECT_TIMEOUT": 1,
            "DATABASE_OUTAGE_HOLD": hold,
            **CHEAP_ARGON2,
        }
    )
    made.append(application)
    outage.app = application
    db.close()
    try:
        yield outage
    finally:
        outage.close()


def engines(apps) -> list:
    """The engines of these applications."""
    return [application.extensions["workshops.engine"] for application in apps]


def _timed_health(client) -> tuple[int, float]:
    response, seconds = _answered_in_time(lambda: client.get("/healthz"))
    return response.status_code, seconds


def test_health_check_answers_503_while_the_database_is_away_and_200_once_it_is_back(down, database_url):
    client = down.app.test_client()
    assert client.get("/healthz").status_code == 200
    down.cut()
    status, seconds = _timed_health(client)
    assert status == 503
    assert client.get("/healthz").get_json() == {"status": "error", "database": "unavailable"}
    print(f"/healthz with the database away ({make_url(database_url).get_backend_name()}): {seconds:.3f} s")
    down.restore()
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("hold", [60])
def test_after_an_outage_is_seen_pages_answer_503_at_once_until_the_health_check_finds_the_database(hold, down):
    client = down.app.test_client()
    down.cut()
    assert client.get("/").status_code == 503
    down.restore()
    engine = down.app.extensions["workshops.engine"]
    checked_out = []

    def count(*_args) -> None:
        checked_out.append(1)

    event.listen(engine, "checkout", count)
    try:
        response = client.get("/")
        assert response.status_code == 503 and response.headers["Retry-After"] == "10"
        assert NOT_ANSWERING in response.get_data(as_text=True)
        assert checked_out == []  # answered without waiting for the database again
        assert client.get("/healthz").status_code == 200  # the health check always tries, and ends the hold
        assert client.get("/").status_code == 200
        assert checked_out
    finally:
        event.remove(engine, "checkout", count)


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "logged-in"])
def test_pages_answer_503_in_the_layout_with_every_header_and_recover(down, db, logged_in):
    client = down.app.test_client()
    if logged_in:
        person = factories.make_user(db, name="Dana Down", email="dana@example.org")
        db.close()
        log_in(client, person)
    path = "/me" if logged_in else "/"
    assert client.get(path).status_code == 200
    down.cut()

    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert NOT_ANSWERING in page
    assert 'class="site-header"' in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert response.headers["Retry-After"] == "10"
    _assert_guarded(response)

    down.restore()
    response = client.get(path)
    assert response.status_code == 200
    if logged_in:
        assert "Dana Down" in response.get_data(as_text=True)  # still logged in: the session was never touched


def test_scripts_are_answered_503_in_json(down):
    client = down.app.test_client()
    down.cut()
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("The database is not answering")
    assert response.headers["Retry-After"] == "10"
    _assert_guarded(response)


def test_a_sign_up_answered_503_keeps_everything_but_the_password(down, db):
    client = down.app.test_client()
    token = csrf_token(client, "/signup")
    down.cut()
    response = client.post("/signup", data={**SIGN_UP, "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    kept = dict(HIDDEN.findall(page))
    assert kept["name"] == "Ana Ionescu" and kept["organisation"] == "Port of Constanța"
    assert "password" not in kept
    assert SIGN_UP["password"] not in page
    assert "Open the form again" in page

    down.restore()
    again = client.post("/signup", data=kept)
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    assert 'value="Ana Ionescu"' in page and 'value="Port of Constanța"' in page
    assert db.exec(select(User).where(User.email == SIGN_UP["email"])).first() is None


def test_a_profile_answered_503_is_sent_again_as_typed(down, db):
    person = factories.make_user(db, name="Dana Down", email="dana@example.org")
    db.close()
    client = down.app.test_client()
    log_in(client, person)
    token = csrf_token(client, "/me")
    typed = {"name": "Dana Up", "organisation": "Back Online BV", "organisation_type": "sme", "country": "NL"}
    down.cut()
    response = client.post("/me", data={**typed, "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Send it again" in page
    kept = dict(HIDDEN.findall(page))
    assert {name: kept[name] for name in typed} == typed

    down.restore()
    assert client.post("/me", data=kept).status_code == 302
    stored = db.exec(select(User).where(User.id == person.id)).one()
    assert (stored.name, stored.organisation) == ("Dana Up", "Back Online BV")


def test_a_log_out_while_the_database_is_away_still_logs_this_browser_out(down, db):
    person = factories.make_user(db, name="Dana Down", email="dana@example.org")
    db.close()
    client = down.app.test_client()
    log_in(client, person)
    token = csrf_token(client, "/me")
    down.cut()
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    down.restore()
    assert client.get("/me").status_code == 302
    assert "we could not log out your other devices" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "logged-in"])
def test_the_500_page_renders_while_the_database_is_away(down, db, logged_in):
    @down.app.route("/test/fails-without-the-database")
    def fails():
        raise RuntimeError("something unrelated to the database")

    client = down.app.test_client()
    if logged_in:
        person = factories.make_user(db, name="Dana Down", email="dana@example.org")
        db.close()
        log_in(client, person)
    down.cut()
    response = client.get("/test/fails-without-the-database")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and 'class="site-header"' in page
    assert "something unrelated" not in page
    _assert_guarded(response)


def test_a_broken_request_session_still_gets_its_error_page_and_the_next_request_works(app, db, participant):
    @app.route("/test/breaks-the-session")
    def breaks():
        session = get_session()
        session.add(User(email=participant.email, name="Twin", password_hash="x"))
        with suppress(IntegrityError):
            session.flush()  # the session now needs a rollback that nobody does
        return str(session.exec(select(User.id)).first())

    client = app.test_client()
    log_in(client, participant)
    response = client.get("/test/breaks-the-session")
    assert response.status_code == 503
    assert NOT_ANSWERING in response.get_data(as_text=True)
    _assert_guarded(response)
    page = client.get("/me")
    assert page.status_code == 200 and "Pat Participant" in page.get_data(as_text=True)


def test_a_faulty_query_is_a_500_logged_with_its_trace_not_an_outage(app, caplog):
    @app.route("/test/faulty-query")
    def faulty():
        return str(get_session().execute(text("SELECT nothing FROM no_such_table")).all())

    response = app.test_client().get("/test/faulty-query")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert any(record.exc_info for record in caplog.records if "unhandled error" in record.getMessage())


def test_an_error_page_that_cannot_render_falls_back_to_a_plain_one_with_the_headers(app, monkeypatch):
    @app.route("/test/fails")
    def fails():
        raise RuntimeError("boom")

    def broken_template(*_args, **_kwargs):
        raise RuntimeError("the layout itself fails")

    monkeypatch.setattr("workshops.errors.render_template", broken_template)
    response = app.test_client().get("/test/fails")
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert "Something went wrong" in response.get_data(as_text=True)
    _assert_guarded(response)


def test_an_unreachable_postgresql_server_answers_503_and_the_health_check_says_so(make_app):
    """A closed port on this machine: the connection is refused, and every answer is a quick, guarded 503."""
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/workshops"
    application = make_app({"TESTING": True, "DATABASE_URL": unreachable, "SECRET_KEY": "test-" + "k" * 40})
    client = application.test_client()
    status, seconds = _timed_health(client)
    assert status == 503
    print(f"/healthz with PostgreSQL unreachable: {seconds:.3f} s")
    response = client.get("/")
    assert response.status_code == 503
    assert NOT_ANSWERING in response.get_data(as_text=True)
    _assert_guarded(response)


@pytest.fixture
def black_hole():
    """A PostgreSQL address whose host accepts the connection and then hangs."""
    hole = BlackHole()
    yield f"postgresql+psycopg://postgres@127.0.0.1:{hole.port}/workshops"
    hole.close()


def test_a_hanging_database_host_still_gets_answers_in_time(make_app, black_hole):
    """The health check gives up at its budget, and pages at the connection time-out: never a hung request."""
    config = {"TESTING": True, "DATABASE_URL": black_hole, "SECRET_KEY": "test-" + "k" * 40}
    client = make_app(config).test_client()
    status, seconds = _timed_health(client)
    assert status == 503
    print(f"/healthz with a hanging PostgreSQL host: {seconds:.3f} s")
    response, seconds = _answered_in_time(lambda: client.get("/"))
    assert response.status_code == 503
    assert NOT_ANSWERING in response.get_data(as_text=True)
    _assert_guarded(response)
    print(f"a page with a hanging PostgreSQL host: {seconds:.3f} s")
