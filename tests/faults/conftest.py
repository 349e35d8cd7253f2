"""The fault battery's harness: gunicorn on SQLite and on PostgreSQL, people by the hundred, a report of figures.

Every test of the battery talks to real gunicorn servers (``tests.liveserver``) on a database of
its module: a SQLite file, or a fresh PostgreSQL database on the test server
(``WORKSHOPS_TEST_POSTGRES``, by default the one on 127.0.0.1:5432), migrated with ``flask init-db``
and dropped afterwards. A test that takes the ``backend`` fixture runs once on each. Servers listen
on ports 5400-5589 (5590-5599 are for the throw-away PostgreSQL clusters of the outage test).

Each test writes its figures (requests, statuses, 5xx, rows checked, durations) to
``test-artifacts/faults-report.txt``; they are also printed at the end of the pytest output, so that
CI logs show them. A missing PostgreSQL or Redis fails the battery: nothing is skipped.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from tests import factories
from tests.liveserver import BIN, ROOT, Browser, LiveServer, port_in
from workshops import create_app
from workshops.auth.models import User
from workshops.db import make_engine
from workshops.events.models import Breakout, BreakoutSeat, Registration
from workshops.timeutil import utcnow

POSTGRES_SERVER = os.environ.get("WORKSHOPS_TEST_POSTGRES") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")
SERVER_PORTS = range(5400, 5590)
REPORT = ROOT / "test-artifacts" / "faults-report.txt"
#: Every server hashes as cheaply as the seeded accounts (so that no log-in rehashes) and logs no request lines.
SERVER_CONFIG = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1, "LOG_REQUESTS": "false"}

_ports = itertools.cycle(SERVER_PORTS)
_report_lines: list[str] = []


def server_port() -> int:
    """A free port of the battery's range, a different one each time while there are others."""
    return port_in(next(_ports) for _ in SERVER_PORTS)


def write_report(line: str) -> None:
    """Add a line to the battery's report (the file, and the end of the pytest output)."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as report:
        if not _report_lines:
            report.write(f"== fault battery, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        report.write(line + "\n")
    _report_lines.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the battery's figures where CI logs show them."""
    if _report_lines:
        terminalreporter.section("fault battery figures")
        for line in _report_lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(also in {REPORT.relative_to(ROOT)})")


@pytest.fixture
def faults_report(request):
    """Give a function that writes one line of this test's figures to the report."""

    def report(line: str) -> None:
        write_report(f"{request.node.name}: {line}")

    return report


class Database:
    """A migrated database of the battery, and the quick ways to fill it and read it back."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    def session(self) -> Session:
        """A session for arranging rows and counting what requests stored."""
        return Session(self.engine, expire_on_commit=False)

    def add_people(self, prefix: str, count: int, **values) -> list[User]:
        """``count`` confirmed participants ``{prefix}-{n}@example.org``, inserted at once with the test password."""
        with self.session() as session:
            return factories.make_people(session, prefix, count, **values)

    def add_attendees(self, breakout: Breakout, people: list[User]) -> None:
        """Confirmed on-site registrations with a confirmed seat in ``breakout``, inserted at once."""
        with self.session() as session:
            session.execute(
                insert(Registration),
                [
                    {
                        "workshop_id": breakout.workshop_id,
                        "user_id": person.id,
                        "mode": "on_site",
                        "state": "confirmed",
                        "consent_processing_at": utcnow(),
                        "created_at": utcnow(),
                        "updated_at": utcnow(),
                    }
                    for person in people
                ],
            )
            registrations = session.exec(
                select(Registration.id).where(
                    Registration.workshop_id == breakout.workshop_id,
                    Registration.user_id.in_([person.id for person in people]),
                )
            ).all()
            session.execute(
                insert(BreakoutSeat),
                [
                    {"registration_id": rid, "breakout_id": breakout.id, "state": "confirmed", "created_at": utcnow()}
                    for rid in registrations
                ],
            )
            session.commit()

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


def migrate(url: str) -> None:
    """Bring a database to the newest schema the way an installation does: ``flask init-db``."""
    env = {**os.environ, "WORKSHOPS_DATABASE_URL": url, "WORKSHOPS_SECRET_KEY": secrets.token_urlsafe(48)}
    command = [BIN / "flask", "--app", "workshops", "init-db"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"flask init-db failed on {url}:\n{done.stdout}{done.stderr[-3000:]}")


class Databases:
    """The databases of one test module, made on first use: a SQLite file, or a new PostgreSQL database."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[tuple[str, str], Database] = {}
        self.created: list[tuple[str, str]] = []

    def get(self, backend: str, *, server: str = POSTGRES_SERVER) -> Database:
        """The module's database on ``backend`` (on ``server`` for PostgreSQL), created and migrated once."""
        key = (backend, server if backend == "postgresql" else "")
        if key not in self.made:
            if backend == "sqlite":
                url = f"sqlite:///{self.folder / f'battery-{len(self.made)}.db'}"
            else:
                url = self._create_postgres(server)
            migrate(url)
            self.made[key] = Database(url)
        return self.made[key]

    def _create_postgres(self, server: str) -> str:
        name = f"workshops_faults_{secrets.token_hex(4)}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:  # fails loudly when the server is down: no silent skip
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.created.append((server, name))
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    def release(self, server: str) -> None:
        """Dispose the databases made on a PostgreSQL server and drop them, before that server goes away."""
        for key in [key for key in self.made if key == ("postgresql", server)]:
            self.made.pop(key).dispose()
        for made in [made for made in self.created if made[0] == server]:
            self.created.remove(made)
            _drop(*made)

    def close(self) -> None:
        """Dispose every engine and drop the PostgreSQL databases made."""
        for database in self.made.values():
            database.dispose()
        for server, name in self.created:
            _drop(server, name)


def _drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    """The module's databases, dropped when its tests are done."""
    made = Databases(tmp_path_factory.mktemp("battery"))
    yield made
    made.close()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database the test runs on: each test of the battery runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def live_database(databases, backend) -> Database:
    """The module's database on this test's backend."""
    return databases.get(backend)


@pytest.fixture
def serve(tmp_path, faults_report):
    """Give a function that starts gunicorn on a database; every server is stopped after the test.

    The tracebacks a server logged are counted in the report, so that a failure is explained there too.
    """
    started: list[LiveServer] = []

    def start(database: Database, *, workers: int = 2, threads: int = 4, **config) -> LiveServer:
        folder = tmp_path / f"server-{len(started)}-{workers}x{threads}"
        folder.mkdir()
        server = LiveServer(
            folder,
            database_url=database.url,
            workers=workers,
            threads=threads,
            port=server_port(),
            **{**SERVER_CONFIG, **config},
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
        if server.log_path.exists() and (found := server.tracebacks()):
            faults_report(
                f"{server.folder.name} logged {len(found)} tracebacks; the first ends: {found[0].splitlines()[-1]}"
            )


@pytest.fixture
def battery_port():
    """Give a function that finds a free port of the battery's range (for a mail server, say)."""
    return server_port


@pytest.fixture
def signed_in():
    """Give a function that makes logged-in browsers for people, as if each had just logged in.

    The session cookie is signed with the server's key, as the log-in form would have done, so that
    tests of registrations and needs do not depend on hundreds of log-ins first.
    """

    def browsers(server: LiveServer, people: list[User]) -> list[Browser]:
        app = create_app({"SECRET_KEY": server.secret_key, "DATABASE_URL": server.database_url, "LOG_REQUESTS": False})
        serializer = app.session_interface.get_signing_serializer(app)
        made = []
        for person in people:
            with app.test_request_context():
                flask_session.update({"_user_id": person.session_token, "_fresh": True})
                token = generate_csrf()
                cookie = serializer.dumps(dict(flask_session))
            browser = Browser(server.url)
            browser.cookies[app.config["SESSION_COOKIE_NAME"]] = cookie
            browser.csrf_token = token
            made.append(browser)
        app.extensions["workshops.engine"].dispose()
        return made

    return browsers
