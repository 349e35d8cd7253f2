"""Fixtures shared by the whole suite: an app on a migrated database, clients per role, helpers.

The database is migrated once per run with Alembic (the same path ``init-db`` takes) and emptied
after every test. ``make test`` runs on SQLite; ``make test-pg`` sets ``WORKSHOPS_TEST_POSTGRES``
to a server URL, and a fresh database is created on it for the run and dropped afterwards.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from tests import factories
from workshops import create_app
from workshops.db import make_engine
from workshops.migrate import upgrade
from workshops.models import metadata
from workshops.privacy.defaults import DEFAULT_NOTICE
from workshops.privacy.models import PrivacyNotice
from workshops.timeutil import utcnow

CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated database for the whole run: SQLite by default, PostgreSQL when asked."""
    server = os.environ.get("WORKSHOPS_TEST_POSTGRES")
    if not server:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url
        return
    name = f"workshops_test_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # fails loudly when the server is down: no silent skip
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """An application on the test database; every table is emptied afterwards."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-" + "k" * 40,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "BASE_URL": "http://workshops.test",
            "MAIL_IN_BACKGROUND": False,  # the tests read the outbox as soon as a request answers
            **CHEAP_ARGON2,
        }
    )
    yield app
    engine = app.extensions["workshops.engine"]
    _empty_tables(engine)
    engine.dispose()


def _empty_tables(engine) -> None:
    """Empty every table, then put back the rows the migrations insert and the application relies on."""
    tables = list(reversed(metadata().sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        connection.execute(
            PrivacyNotice.__table__.insert().values(version=1, body=DEFAULT_NOTICE, published_at=utcnow())
        )


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build extra applications on the test database (other configurations); disposed afterwards."""
    made = []

    def make(config: dict | None = None):
        app = create_app({"DATABASE_URL": database_url, "MAIL_OUTBOX": str(tmp_path / "outbox"), **(config or {})})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["workshops.engine"].dispose()


@pytest.fixture
def db(app):
    """A session on the test database, for arranging data and checking what a request stored.

    It holds no application context: a request in the test must get its own, as in production.
    """
    from sqlmodel import Session

    with Session(app.extensions["workshops.engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    """A browser without a session."""
    return app.test_client()


@pytest.fixture
def outbox(app):
    """Read the messages the app wrote to its outbox, oldest first."""

    def read() -> list[email.message.EmailMessage]:
        folder = Path(app.config["MAIL_OUTBOX"])
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]

    return read


def csrf_token(client, url: str = "/login") -> str:
    """Fetch a page holding a form and return its CSRF token for this client's session."""
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
    """POST ``data`` to ``url`` the way a browser does: with the CSRF token of a page's form."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, form_url or url))
    return client.post(url, data=data, **kwargs)


def log_in(client, user, password: str = factories.PASSWORD):
    """Log ``client`` in as ``user`` through the log-in form."""
    response = post_form(client, "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def mail_link(message, path_prefix: str) -> str:
    """Return the path of the first link in a message's text part that starts with ``path_prefix``."""
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://workshops\.test(" + re.escape(path_prefix) + r"\S+)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


@pytest.fixture
def participant(db):
    """A confirmed participant."""
    return factories.make_user(db, name="Pat Participant", email="pat@example.org")


@pytest.fixture
def facilitator(db):
    """A confirmed facilitator."""
    return factories.make_user(db, name="Fay Facilitator", email="fay@example.org", role="facilitator")


@pytest.fixture
def organiser(db):
    """A confirmed organiser."""
    return factories.make_user(db, name="Otto Organiser", email="otto@example.org", role="organiser")


@pytest.fixture
def participant_client(app, participant):
    """A client logged in as the participant."""
    client = app.test_client()
    log_in(client, participant)
    return client


@pytest.fixture
def facilitator_client(app, facilitator):
    """A client logged in as the facilitator."""
    client = app.test_client()
    log_in(client, facilitator)
    return client


@pytest.fixture
def organiser_client(app, organiser):
    """A client logged in as the organiser."""
    client = app.test_client()
    log_in(client, organiser)
    return client


@pytest.fixture
def count_queries(app):
    """Give a context manager that lists the SQL statements run inside it."""

    @contextmanager
    def counter():
        statements: list[str] = []
        engine = app.extensions["workshops.engine"]

        def record(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter
