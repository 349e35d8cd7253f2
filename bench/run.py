"""Benchmark of Workshops: throughput and latency under load, and SQL statements per page.

Run it with ``make bench`` (``make bench QUICK=1`` for a shorter run), or directly::

    .venv/bin/python bench/run.py [--quick] [--duration SECONDS] [--accounts N]
                                  [--registrations N] [--newcomers N] [--needs N]

In one run it

1. builds a SQLite database in a temporary folder with ``flask init-db`` and ``flask seed-demo``,
   copies it as the *small* database (demo plus 5 accounts) and adds thousands of accounts to the
   *large* one (5,000; 1,000 with ``--quick``); adds to both the workshops of
   ``bench/workshop_data.py``: ``bench-workshop`` with 2,000 registrations (500 with ``--quick``;
   5 on the small database) over six breakouts, some on waiting lists, and ``bench-register``, open
   for registration, with *newcomers*: accounts that have registered for nothing (1,000; 300 with
   ``--quick``), whose logged-in session cookies and CSRF tokens it signs with the servers' key;
   adds the needs of ``bench/needs_data.py``: on both, a live board of 40 needs with votes on the
   first breakout of ``bench-workshop``, which the demo facilitator facilitates; on the large one,
   20,000 archived needs (``--needs``) with their similarity vectors, written in bulk;
2. serves the large database with gunicorn (2 sync workers) and, as the baseline, a bare Flask
   "hello" application (``bench/hello.py``) with the same settings;
3. logs in as the demo organiser to load the organiser pages too, and takes the CSV export's CSRF
   token from the attendee list; and as the demo facilitator, for the live board's poll, loaded
   with a current ETag (304) and an outdated one (200 with the fragment);
4. loads each route from a separate process, ``wrk`` (``-t2 -c16 --latency``; the CSV export, a
   heavy ``POST``, with 4 connections and a Lua script) or, when wrk is missing and cannot be
   installed, ``bench/load.py``; the registration form is posted once by each newcomer from 16
   threads by ``bench/register_load.py``, and the waiting lists it leaves are checked; the baseline
   is measured before and after the application so that drift on a shared machine shows;
5. serves the large database again (its own gunicorn, rate limits off) and times the needs'
   requests one at a time with ``bench/needs_load.py``: the similar-needs look-up (as the
   facilitator, a half-typed need new each time; the issue's target, 150 ms, is printed beside it),
   the need ``POST`` (as an attendee, fetch, a fresh idempotency key), the look-up right after a
   save, and the time from an attendee's submit to the facilitator's polling board showing the need,
   with the server's part apart from the wait for the next poll;
6. counts the SQL statements of each page in-process (Flask test client) on the small and the
   large database, and flags a page whose count grows with the data;
7. prints the tables and writes everything to ``bench/results/latest.json``.

The servers listen on ports the system picks, or on the first free ones of ``BENCH_PORTS`` (such
as ``5500-5589``) when it is set. ``bench/goals.py``, run after it by ``make bench``, reads the JSON
and prints the rows of issue 15 beside their goals.

It reports figures and never fails on one: the exit status is non-zero only when the benchmark
could not run (a server did not start, a database could not be built). A part that cannot run,
such as the organiser log-in, is reported as skipped and the rest still runs.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import json
import logging
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import needs_load
from needs_data import (
    BOARD_NEEDS,
    FACILITATOR_EMAIL,
    SYNTHETIC_NEEDS,
    NeedIds,
    NewTexts,
    add_needs,
    model_available,
    need_form,
)
from workshop_data import (
    BENCH_DOMAIN,
    BIG_SLUG,
    NEWCOMER_DOMAIN,
    REGISTER_SLUG,
    WorkshopIds,
    add_workshops,
    breakout_capacity,
    check_waiting_lists,
    newcomer_tokens,
    registration_requests,
    seat_summary,
    signed_sessions,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "latest.json"
#: The virtual environment's scripts (flask, gunicorn) sit next to the Python running this file.
BIN = Path(sys.executable).parent

ORGANISER_EMAIL = "organiser@example.org"
DEMO_PASSWORD = "demo-password-2021"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|data-csrf="([^"]+)"')

LARGE_ACCOUNTS = 5000
LARGE_ACCOUNTS_QUICK = 1000
SMALL_EXTRA_ACCOUNTS = 5
#: Registrations of ``bench-workshop`` on the large database; the small one has one per extra account.
LARGE_REGISTRATIONS = 2000
LARGE_REGISTRATIONS_QUICK = 500
#: Newcomers who each post the registration form once under load.
NEWCOMERS = 1000
NEWCOMERS_QUICK = 300
#: Newcomers who register one by one before the measured ones, so each worker has loaded what it needs.
REGISTER_WARM_UP = 4
REGISTER_THREADS = 16
#: The CSV export is heavy: a few connections, a few warm-up requests.
EXPORT_CONNECTIONS = 4
EXPORT_WARM_UP = 3
DURATION = 5
DURATION_QUICK = 2
WRK_THREADS = 2
CONNECTIONS = 16
GUNICORN_WORKERS = 2
#: Sequential requests per route before it is loaded, so every worker has compiled its templates.
WARM_UP_REQUESTS = 20
#: Seconds of discarded load on each server before the first measurement: fresh workers run slower.
WARM_UP_SECONDS = 1
#: In-process requests per page whose median time is reported next to the statement count.
TIMED_REQUESTS = 7
#: Newcomers kept aside on each database for the in-process count of the registration form:
#: one to warm up, one counted, the timed ones.
IN_PROCESS_NEWCOMERS = 2 + TIMED_REQUESTS
#: Two hello runs further apart than this share mean the machine was busy during the run.
DRIFT_WARNING_PERCENT = 20
STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 15
#: The needs' requests timed one at a time (``bench/needs_load.py``): look-ups, ``POST`` requests
#: (each followed by a look-up), and needs followed from submit to the polling board.
LOOK_UPS, LOOK_UPS_QUICK = 100, 30
NEED_POSTS, NEED_POSTS_QUICK = 40, 15
DISPLAYS, DISPLAYS_QUICK = 20, 6
#: The issue's target for a similar-needs look-up among 20,000 needs; printed, never checked.
SIMILAR_TARGET_MS = 150


class BenchError(Exception):
    """The benchmark, or a part of it, could not run."""


ANONYMOUS, ORGANISER, NEWCOMER = "anonymous", "organiser", "newcomer"
#: The demo facilitator (who facilitates the breakout of the board), and an attendee of that breakout.
FACILITATOR, ATTENDEE = "facilitator", "attendee"
#: An ETag the board never has: the poll of a page that has not seen the latest change yet.
OUTDATED_ETAG = '"b0-v0-newest-u0-0"'


@dataclass(frozen=True)
class Route:
    """One address to load: on which server, as whom, how, and with how many connections.

    ``label`` and ``path`` may hold ``{big_slug}``, ``{big_id}`` and the other fields of
    ``WorkshopIds.placeholders`` and ``NeedIds.placeholders``, filled in by ``resolved``.
    """

    label: str
    server: str
    path: str
    logged_in: bool = False
    #: Whose session a ``logged_in`` route sends: the organiser's or the facilitator's.
    visitor: str = ORGANISER
    #: Headers sent with every request, besides the session cookie.
    headers: tuple[tuple[str, str], ...] = ()
    #: Send ``If-None-Match`` with the ETag the route answers when loading starts (a page polling).
    conditional: bool = False
    #: One line under the table saying what the row measures.
    explanation: str = ""
    #: A ``POST`` sends the organiser's CSRF token as its form (or, ``once_per_person``, a newcomer's form).
    method: str = "GET"
    connections: int = CONNECTIONS
    warm_up: int = WARM_UP_REQUESTS
    #: The content type the route must answer with, checked once before loading; ``None``: not checked.
    content_type: str | None = None
    #: Each request from a different newcomer, exactly once, by ``bench/register_load.py``.
    once_per_person: bool = False
    #: Names the route for ``bench/goals.py``, which finds its row of the issue's table by it.
    key: str = ""

    def resolved(self, values: dict[str, object]) -> Route:
        """Return the route with its placeholders filled in."""
        return replace(
            self,
            label=self.label.format(**values),
            path=self.path.format(**values),
            explanation=self.explanation.format(**values),
        )


BASELINE = Route("hello /", "hello", "/", key="hello")
BASELINE_AGAIN = Route("hello / (again)", "hello", "/", key="hello")
APP_ROUTES = [
    Route("/healthz", "app", "/healthz"),
    Route("/", "app", "/", key="home"),
    Route("/login", "app", "/login"),
    Route("/signup", "app", "/signup"),
    Route("/manage/users (organiser)", "app", "/manage/users", logged_in=True),
    Route("/manage/users?q=a (organiser)", "app", "/manage/users?q=a", logged_in=True),
    Route("/workshops/{big_slug}/", "app", "/workshops/{big_slug}/", key="workshop_page"),
    Route(
        "/manage/workshops/{big_id}/attendees (organiser)",
        "app",
        "/manage/workshops/{big_id}/attendees",
        logged_in=True,
        key="attendee_list",
    ),
    Route(
        "POST /manage/workshops/{big_id}/attendees.csv (organiser)",
        "app",
        "/manage/workshops/{big_id}/attendees.csv",
        logged_in=True,
        method="POST",
        connections=EXPORT_CONNECTIONS,
        warm_up=EXPORT_WARM_UP,
        content_type="text/csv",
    ),
    Route(
        "GET /b/{board_code}/board, current ETag (facilitator)",
        "app",
        "/b/{board_code}/board",
        logged_in=True,
        visitor=FACILITATOR,
        conditional=True,
        explanation=(
            "GET /b/{board_code}/board, current ETag: the live board's poll (about once a second per viewer) "
            "while nothing changed, answered 304 without a body"
        ),
        key="board_304",
    ),
    Route(
        "GET /b/{board_code}/board, after a change (facilitator)",
        "app",
        "/b/{board_code}/board",
        logged_in=True,
        visitor=FACILITATOR,
        headers=(("If-None-Match", OUTDATED_ETAG),),
        explanation=(
            "GET /b/{board_code}/board, after a change: the same poll once the board changed (its ETag is "
            "outdated), answered 200 with the fragment of ~40 needs with votes"
        ),
        key="board_200",
    ),
    # Last: it adds registrations, which no other route reads.
    Route(
        "POST /workshops/{register_slug}/register",
        "app",
        "/workshops/{register_slug}/register",
        method="POST",
        connections=REGISTER_THREADS,
        once_per_person=True,
    ),
]


@dataclass(frozen=True)
class QueryRoute:
    """A request whose SQL statements are counted in-process, and by whom it is sent.

    A ``NEWCOMER`` is a different fresh person for every request (logged in through the test
    client's session), so that each registration is a first one. A ``POST`` takes its CSRF token
    from the form on ``form_page`` and sends ``form`` with it. Paths and form values may hold the
    placeholders of ``WorkshopIds.placeholders`` and ``NeedIds.placeholders``; ``{lookup}`` (the
    query string of a half-typed need) is new for each request, and a ``need_form`` is a whole
    need, new text and a fresh idempotency key, each time.
    """

    path: str
    visitor: str = ANONYMOUS
    method: str = "GET"
    form_page: str | None = None
    form: tuple[tuple[str, str], ...] = ()
    expected_status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    #: Send ``If-None-Match`` with the ETag the path answers just before (read once, not counted).
    conditional: bool = False
    #: Post the need form (``needs_data.need_form``) with new text each time, instead of ``form``.
    need_form: bool = False
    #: Have the attendee save a need (not counted, not timed) before each request.
    after_save: bool = False
    #: Said after the path in the table, to tell two requests to one path apart.
    note: str = ""
    #: Names the request for the needs' latency table and ``bench/goals.py``, which show its statement count.
    key: str = ""

    def label(self, values: dict[str, object]) -> str:
        """How the table names the request, e.g. ``POST /manage/… (organiser)``."""
        method = "" if self.method == "GET" else f"{self.method} "
        visitor = "" if self.visitor == ANONYMOUS else f" ({self.visitor})"
        note = f", {self.note}" if self.note else ""
        return f"{method}{self.path.format(**values)}{note}{visitor}"


#: Requests whose SQL statements are counted.
QUERY_ROUTES = [
    QueryRoute("/", key="home"),
    QueryRoute("/login"),
    QueryRoute("/signup"),
    QueryRoute("/healthz"),
    QueryRoute("/", ORGANISER),
    QueryRoute("/manage/users", ORGANISER),
    QueryRoute("/manage/users?q=a", ORGANISER),
    QueryRoute("/workshops/{big_slug}/", key="workshop_page"),
    QueryRoute("/manage/workshops/{big_id}/attendees", ORGANISER, key="attendee_list"),
    QueryRoute(
        "/manage/workshops/{big_id}/attendees.csv",
        ORGANISER,
        method="POST",
        form_page="/manage/workshops/{big_id}/attendees",
    ),
    QueryRoute(
        "/workshops/{register_slug}/register",
        NEWCOMER,
        method="POST",
        form_page="/workshops/{register_slug}/register",
        form=(("mode", "on_site"), ("breakouts", "{open_breakout}"), ("consent_processing", "y")),
        expected_status=302,
    ),
    QueryRoute(
        "/b/{board_code}/board",
        FACILITATOR,
        conditional=True,
        expected_status=304,
        note="current ETag",
        key="board_304",
    ),
    QueryRoute(
        "/b/{board_code}/board",
        FACILITATOR,
        headers=(("If-None-Match", OUTDATED_ETAG),),
        note="after a change",
        key="board_200",
    ),
    QueryRoute(
        "/b/{post_code}",
        ATTENDEE,
        method="POST",
        form_page="/b/{post_code}",
        headers=(("Accept", "application/json"),),
        need_form=True,
        expected_status=201,
        note="fetch",
        key="post",
    ),
    QueryRoute(
        "/b/{board_code}/similar?{lookup}", FACILITATOR, headers=(("Accept", "application/json"),), key="similar"
    ),
    QueryRoute(
        "/b/{board_code}/similar?{lookup}",
        FACILITATOR,
        headers=(("Accept", "application/json"),),
        after_save=True,
        note="after a save",
        key="similar_after_save",
    ),
]


@dataclass
class LoadResult:
    """What loading one route measured."""

    label: str
    path: str
    logged_in: bool
    method: str = "GET"
    connections: int = CONNECTIONS
    #: ``Route.key``.
    key: str = ""
    status: int | None = None
    requests: int = 0
    requests_per_second: float = 0.0
    ratio_to_hello_percent: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    #: Responses per status, when the load tool counts them (``bench/register_load.py``).
    statuses: dict[str, int] = field(default_factory=dict)
    #: What to print under the table about this route.
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class QueryCount:
    """SQL statements and in-process time of one page on the small and the large database."""

    label: str
    method: str
    path: str
    #: ``anonymous``, ``organiser`` or ``newcomer``.
    visitor: str
    expected_status: int = 200
    small: int | None = None
    large: int | None = None
    status_small: int | None = None
    status_large: int | None = None
    #: Median in-process time of one request, in milliseconds.
    ms_small: float | None = None
    ms_large: float | None = None
    statements_large: list[str] = field(default_factory=list)
    #: ``QueryRoute.key``: which row of the needs' latency table (and of ``bench/goals.py``) shows this count.
    key: str = ""

    @property
    def grows(self) -> bool:
        """Whether the page sends more statements when there is more data."""
        return self.small is not None and self.large is not None and self.large > self.small


# --------------------------------------------------------------------------------------------
# Databases


@dataclass(frozen=True)
class Paths:
    """Files of one run, all inside the temporary folder."""

    folder: Path

    @property
    def large_db(self) -> Path:
        """The database the servers use."""
        return self.folder / "bench.db"

    @property
    def small_db(self) -> Path:
        """The demo with a handful of accounts, for comparing statement counts."""
        return self.folder / "small.db"

    @property
    def outbox(self) -> Path:
        """Where the application writes e-mails."""
        return self.folder / "outbox"


def database_url(path: Path) -> str:
    """Return the SQLAlchemy address of a SQLite file."""
    return f"sqlite:///{path}"


def app_environment(paths: Paths, secret_key: str) -> dict[str, str]:
    """Return the environment of flask and gunicorn: ours, without other ``WORKSHOPS_*`` keys."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WORKSHOPS_")}
    env.update(
        WORKSHOPS_DATABASE_URL=database_url(paths.large_db),
        WORKSHOPS_SECRET_KEY=secret_key,
        WORKSHOPS_MAIL_OUTBOX=str(paths.outbox),
        WORKSHOPS_LOG_REQUESTS="false",
    )
    return env


def app_config(database: Path, paths: Paths, secret_key: str) -> dict:
    """Return the configuration of an in-process application on ``database``."""
    return {
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url(database),
        "MAIL_OUTBOX": str(paths.outbox),
        "LOG_REQUESTS": False,
    }


def run_flask(command: str, env: dict[str, str]) -> None:
    """Run ``flask --app workshops COMMAND``; raise with its output when it fails."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "workshops", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"flask {command} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database consistently, through SQLite's backup API."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


FIRST_NAMES = [
    "Anna", "Bram", "Chloé", "Dario", "Elif", "Femke", "Gustav", "Hana", "Ilona", "Jonas", "Katarzyna",
    "Lukas", "Marta", "Niels", "Olga", "Pierre", "Rasa", "Sofia", "Tomás", "Ugnė", "Veronika", "Wout",
    "Yannick", "Zofia",
]  # fmt: skip
LAST_NAMES = [
    "Andersen", "Bernard", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Horvath", "Janssens",
    "Kowalski", "Lambert", "Müller", "Novak", "Petrauskas", "Rossi", "Schmidt", "Tanaka", "Urbonas",
    "Visser", "Wójcik",
]  # fmt: skip
ORGANISATIONS = [
    "City of Lyon", "Port of Rotterdam", "Vilnius Police", "Frontex", "Thales", "Airbus Defence",
    "Securitas", "KU Leuven", "TNO", "INRIA", "Brandweer Antwerpen", "Copenhagen Airport",
    "Eurocontrol", "Sopra Steria", "Idemia", "Ministry of Interior", "Red Cross", "SNCF",
]  # fmt: skip
ORGANISATION_TYPES = ["end_user", "integrator", "sme", "research", "public_authority", "cluster", "other"]
COUNTRIES = ["FR", "BE", "NL", "LT", "DK", "PL", "DE", "IT", "ES", "PT", "FI", "SE", "AT", "IE", "GR", "EE"]


def account_rows(
    count: int, *, password_hash: str, cluster_ids: list[int], seed: int, domain: str = BENCH_DOMAIN
) -> list[dict]:
    """Generate ``count`` confirmed participant accounts as rows of the ``account`` table, at ``domain``."""
    from workshops.auth.models import new_session_token

    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = []
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = now - timedelta(days=rng.randint(1, 700), seconds=rng.randint(0, 86_400))
        rows.append(
            {
                "email": f"{first}.{last}.{seed}-{number}@{domain}".lower(),
                "name": f"{first} {last}",
                "organisation": rng.choice(ORGANISATIONS),
                "organisation_type": rng.choice(ORGANISATION_TYPES),
                "country": rng.choice(COUNTRIES),
                "cluster_id": rng.choice(cluster_ids) if cluster_ids and rng.random() < 0.5 else None,
                "role": "participant",
                "password_hash": password_hash,
                "session_token": new_session_token(),
                "confirmed_at": created + timedelta(minutes=rng.randint(1, 600)),
                "created_at": created,
                "last_login_at": None,
            }
        )
    return rows


def add_accounts(config: dict, count: int, *, seed: int, domain: str = BENCH_DOMAIN) -> int:
    """Insert ``count`` accounts in one bulk statement; return how many accounts the database holds."""
    from sqlalchemy import func, insert, select

    from workshops import create_app
    from workshops.auth.models import User
    from workshops.auth.passwords import hash_password
    from workshops.programme.models import Cluster

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    try:
        with app.app_context():
            password_hash = hash_password("bench-password-" + secrets.token_urlsafe(8))
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection:
            with connection.begin():
                cluster_ids = list(connection.execute(select(Cluster.id)).scalars())
                rows = account_rows(
                    count, password_hash=password_hash, cluster_ids=cluster_ids, seed=seed, domain=domain
                )
                connection.execute(insert(User.__table__), rows)
            return connection.execute(select(func.count()).select_from(User.__table__)).scalar_one()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Sizes:
    """How much data the large database gets."""

    accounts: int
    registrations: int
    newcomers: int
    #: Archived needs with similarity vectors (the small database has none).
    needs: int = SYNTHETIC_NEEDS


@dataclass(frozen=True)
class Databases:
    """What ``build_databases`` made: accounts per database and the workshops' identifiers in each.

    ``needs``, added by ``build_needs``: where the needs' requests go in each database.
    """

    accounts: dict[str, int]
    ids: dict[str, WorkshopIds]
    needs: dict[str, NeedIds] = field(default_factory=dict)


def build_needs(paths: Paths, secret_key: str, sizes: Sizes, databases: Databases) -> Databases:
    """Add the board to both databases and the archived needs to the large one (``bench/needs_data.py``)."""
    vectors = model_available()
    made = {
        name: add_needs(app_config(database, paths, secret_key), synthetic=synthetic, seed=seed, vectors=vectors)
        for name, database, synthetic, seed in (
            ("small", paths.small_db, 0, 5),
            ("large", paths.large_db, sizes.needs, 6),
        )
    }
    return replace(databases, needs=made)


def build_databases(paths: Paths, env: dict[str, str], secret_key: str, sizes: Sizes) -> Databases:
    """Build the large and the small database: demo, accounts, workshops, registrations and newcomers."""
    paths.outbox.mkdir()
    run_flask("init-db", env)
    run_flask("seed-demo", env)
    copy_database(paths.large_db, paths.small_db)
    capacity = breakout_capacity(sizes.registrations)
    small_config = app_config(paths.small_db, paths, secret_key)
    large_config = app_config(paths.large_db, paths, secret_key)
    add_accounts(small_config, SMALL_EXTRA_ACCOUNTS, seed=1)
    add_accounts(large_config, sizes.accounts, seed=2)
    small = add_accounts(small_config, IN_PROCESS_NEWCOMERS, seed=3, domain=NEWCOMER_DOMAIN)
    large_newcomers = sizes.newcomers + REGISTER_WARM_UP + IN_PROCESS_NEWCOMERS
    large = add_accounts(large_config, large_newcomers, seed=4, domain=NEWCOMER_DOMAIN)
    return Databases(
        accounts={"small": small, "large": large},
        ids={
            "small": add_workshops(small_config, registrations=SMALL_EXTRA_ACCOUNTS, capacity=capacity),
            "large": add_workshops(large_config, registrations=sizes.registrations, capacity=capacity),
        },
    )


def write_registration_requests(paths: Paths, secret_key: str, ids: WorkshopIds, newcomers: int) -> Path:
    """Sign the sessions of the first newcomers of the large database and write their registration forms.

    Returns the JSON file ``bench/register_load.py`` reads: ``REGISTER_WARM_UP`` + ``newcomers``
    requests, the newcomers kept for the in-process count left out.
    """
    config = app_config(paths.large_db, paths, secret_key)
    tokens = newcomer_tokens(config, ids.register_id)[: REGISTER_WARM_UP + newcomers]
    requests = registration_requests(signed_sessions(config, tokens), ids.register_breakout_ids)
    path = paths.folder / "registrations.json"
    path.write_text(json.dumps({"path": f"/workshops/{REGISTER_SLUG}/register", "requests": requests}))
    return path


# --------------------------------------------------------------------------------------------
# Servers


@dataclass
class Server:
    """A gunicorn server this run started."""

    name: str
    port: int
    process: subprocess.Popen
    pid_file: Path
    log_file: Path

    @property
    def base_url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of its log, to explain a failure."""
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


#: Ports ``free_port`` gave out in this run: a server may not have bound its port yet when the next one asks.
_ports_taken: set[int] = set()


def free_port() -> int:
    """Return a TCP port nobody listens on: the first free one of ``BENCH_PORTS`` (e.g. ``5500-5589``) when set.

    Without ``BENCH_PORTS`` the system picks one; with it, the servers stay inside a range kept for
    the benchmark on a machine shared with other servers.
    """
    wanted = os.environ.get("BENCH_PORTS", "")
    if not wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    first, _, last = wanted.partition("-")
    for port in range(int(first), int(last or first) + 1):
        if port in _ports_taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_taken.add(port)
        return port
    raise BenchError(f"no free port in BENCH_PORTS={wanted}")


def start_server(
    name: str, app: str, *, cwd: Path, env: dict[str, str], folder: Path, stack: contextlib.ExitStack
) -> Server:
    """Start gunicorn serving ``app`` and register its stop on ``stack`` before anything can fail."""
    port = free_port()
    pid_file = folder / f"{name}.pid"
    log_file = folder / f"{name}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(GUNICORN_WORKERS),
                "-b",
                f"127.0.0.1:{port}",
                "--pid",
                str(pid_file),
                app,
            ],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Server(name=name, port=port, process=process, pid_file=pid_file, log_file=log_file)
    stack.callback(stop_server, server)
    return server


def stop_server(server: Server) -> None:
    """Stop a server by the PID in its ``--pid`` file (SIGTERM, then SIGKILL after a grace period)."""
    pid = None
    with contextlib.suppress(OSError, ValueError):
        pid = int(server.pid_file.read_text().strip())
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    elif server.process.poll() is None:
        server.process.terminate()  # died before writing its PID file, or is still starting
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid or server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=STOP_TIMEOUT)


@dataclass(frozen=True)
class Reply:
    """A response read in full."""

    status: int
    content_type: str
    body: bytes
    etag: str = ""


def fetch(
    base_url: str,
    path: str,
    cookie: str | None = None,
    *,
    method: str = "GET",
    form: dict[str, str] | None = None,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request (``form``: url-encoded body) without following redirects; return the response."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(
            response.status, response.getheader("Content-Type", ""), response.read(), response.getheader("ETag", "")
        )
    finally:
        connection.close()


def get(base_url: str, path: str, cookie: str | None = None, timeout: float = 10) -> int:
    """Send one ``GET`` without following redirects; return the status code."""
    return fetch(base_url, path, cookie, timeout=timeout).status


def csrf_token(page: str) -> str | None:
    """Return the CSRF token of the first form (or ``data-csrf`` attribute) of an HTML page."""
    match = CSRF_PATTERN.search(page)
    return (match.group(1) or match.group(2)) if match else None


def wait_until_ready(server: Server, path: str) -> None:
    """Poll ``path`` until it answers 200; raise if the server exits or the time is up."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} server exited with code {server.process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.pid_file.exists() and get(server.base_url, path, timeout=2) == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{server.name} server did not answer {path} within {STARTUP_TIMEOUT} s:\n{server.log_tail()}")


def log_in(base_url: str, email: str = ORGANISER_EMAIL, check: str = "/manage/users") -> str:
    """Log in through the form as a demo account; return the ``session`` cookie's value.

    The cookie must then get a 200 from ``check``, a page only that account may see.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base_url + "/login", timeout=10) as response:
        page = response.read().decode()
    token = csrf_token(page)
    if token is None:
        raise BenchError("no CSRF token on the log-in page")
    form = urllib.parse.urlencode({"email": email, "password": DEMO_PASSWORD, "csrf_token": token}).encode()
    request = urllib.request.Request(base_url + "/login", data=form)
    with opener.open(request, timeout=30) as response:
        response.read()
    cookie = next((cookie.value for cookie in jar if cookie.name == "session" and cookie.value), None)
    if cookie is None:
        raise BenchError("the log-in set no session cookie")
    status = get(base_url, check, cookie)
    if status != 200:
        raise BenchError(f"the session cookie of {email} gets {status} from {check}, not 200")
    return cookie


def page_csrf_token(base_url: str, path: str, cookie: str) -> str:
    """Return the CSRF token of the form on a page the organiser sees."""
    reply = fetch(base_url, path, cookie)
    token = csrf_token(reply.body.decode(errors="replace"))
    if reply.status != 200 or token is None:
        raise BenchError(f"no CSRF token on {path} (status {reply.status})")
    return token


# --------------------------------------------------------------------------------------------
# Load


def ensure_wrk() -> str | None:
    """Return the path of wrk, installing it with apt-get when missing and we are root; else ``None``."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("  wrk is missing; installing it with apt-get …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for commands in (
            [["apt-get", "install", "-y", "wrk"]],
            [["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]],
        ):
            ok = all(
                subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False).returncode == 0
                for cmd in commands
            )
            if ok and shutil.which("wrk"):
                return shutil.which("wrk")
    return None


def wrk_version(wrk: str) -> str:
    """Return wrk's version line (wrk prints it with its usage and exits 1)."""
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10, check=False)
    first_line = (result.stdout or result.stderr).splitlines()[:1]
    return first_line[0].split(" Copyright")[0].strip() if first_line else "wrk"


TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> dict:
    """Read requests, requests per second, latency percentiles and errors from wrk's ``--latency`` output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rate is None or total is None:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    latency = {
        share: round(float(value) * TIME_UNITS_MS[unit], 2)
        for share, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": int(total.group(1)),
        "requests_per_second": float(rate.group(1)),
        "latency_ms": {share: latency.get(share, 0.0) for share in ("50", "90", "99")},
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0,
    }


@dataclass(frozen=True)
class LoadSpec:
    """One load run: where, how long, how many connections, and what each request carries."""

    url: str
    duration: int
    connections: int = CONNECTIONS
    cookie: str | None = None
    method: str = "GET"
    #: The url-encoded form body of a ``POST``.
    body: str | None = None
    #: Headers besides the session cookie.
    headers: tuple[tuple[str, str], ...] = ()


#: A load tool: runs a ``LoadSpec`` and returns requests, requests per second, latency and errors.
Loader = Callable[[LoadSpec], dict]


def wrk_script(method: str, body: str | None) -> str:
    """Return the Lua script that makes wrk send ``method`` with a url-encoded form ``body``."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines += [
            f"wrk.body = {json.dumps(body)}",
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
        ]
    return "\n".join(lines) + "\n"


def load_with_wrk(wrk: str, spec: LoadSpec) -> dict:
    """Load ``spec.url`` with wrk in its own process (a Lua script for other methods) and return its figures."""
    threads = min(WRK_THREADS, spec.connections)
    command = [wrk, f"-t{threads}", f"-c{spec.connections}", f"-d{spec.duration}s", "--latency"]
    if spec.cookie:
        command += ["-H", f"Cookie: session={spec.cookie}"]
    for name, value in spec.headers:
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory(prefix="workshops-wrk-") as folder:
        if spec.method != "GET":
            script = Path(folder) / "request.lua"
            script.write_text(wrk_script(spec.method, spec.body))
            command += ["-s", str(script)]
        result = subprocess.run(
            [*command, spec.url], capture_output=True, text=True, timeout=spec.duration + 60, check=False
        )
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


def load_with_python(spec: LoadSpec) -> dict:
    """Load ``spec.url`` with ``bench/load.py`` in its own process and return its figures."""
    command = [sys.executable, str(BENCH / "load.py"), spec.url, "--duration", str(spec.duration)]
    command += ["--connections", str(spec.connections), "--method", spec.method]
    if spec.cookie:
        command += ["--header", f"Cookie: session={spec.cookie}"]
    for name, value in spec.headers:
        command += ["--header", f"{name}: {value}"]
    if spec.body is not None:
        command += ["--data", spec.body]
    result = subprocess.run(command, capture_output=True, text=True, timeout=spec.duration + 60, check=False)
    if result.returncode != 0:
        raise BenchError(f"bench/load.py failed ({result.returncode}):\n{result.stderr}")
    figures = json.loads(result.stdout)
    figures.pop("seconds", None)
    return figures


def load_route(
    route: Route, server: Server, *, loader: Loader, duration: int, cookie: str | None, csrf: str | None
) -> LoadResult:
    """Warm a route up, check its status (and content type), then load it.

    A ``POST`` sends the organiser's CSRF token ``csrf`` as its form.
    """
    result = LoadResult(
        label=route.label,
        path=route.path,
        logged_in=route.logged_in,
        method=route.method,
        connections=route.connections,
        key=route.key,
    )
    if route.explanation:
        result.notes.append(route.explanation)
    if route.logged_in and cookie is None:
        result.skipped = f"no {route.visitor} session"
        return result
    session = cookie if route.logged_in else None
    form = None
    if route.method == "POST":
        if csrf is None:
            result.skipped = "no CSRF token for the organiser's form"
            return result
        form = {"csrf_token": csrf}
    headers = dict(route.headers)
    reply = fetch(server.base_url, route.path, session, method=route.method, form=form, timeout=60, headers=headers)
    result.status = reply.status
    if route.content_type and (reply.status != 200 or not reply.content_type.startswith(route.content_type)):
        result.skipped = f"answered {reply.status} {reply.content_type or '(no type)'}, not 200 {route.content_type}"
        return result
    if route.conditional:
        if not reply.etag:
            result.skipped = f"answered {reply.status} without an ETag"
            return result
        headers["If-None-Match"] = reply.etag
    for _ in range(route.warm_up - 1):
        result.status = fetch(
            server.base_url, route.path, session, method=route.method, form=form, timeout=60, headers=headers
        ).status
    spec = LoadSpec(
        url=server.base_url + route.path,
        duration=duration,
        connections=route.connections,
        cookie=session,
        method=route.method,
        body=None if form is None else urllib.parse.urlencode(form),
        headers=tuple(headers.items()),
    )
    for key, value in loader(spec).items():
        setattr(result, key, value)
    return result


def load_registrations(route: Route, server: Server, requests_file: Path) -> LoadResult:
    """Post the registration form once per newcomer with ``bench/register_load.py``; expect 302 each time."""
    result = LoadResult(
        label=route.label,
        path=route.path,
        logged_in=False,
        method=route.method,
        connections=route.connections,
        key=route.key,
    )
    command = [sys.executable, str(BENCH / "register_load.py"), server.base_url, str(requests_file)]
    command += ["--threads", str(route.connections), "--warm-up", str(REGISTER_WARM_UP)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if completed.returncode != 0:
        result.skipped = f"bench/register_load.py failed ({completed.returncode}): {completed.stderr.strip()[-300:]}"
        return result
    figures = json.loads(completed.stdout)
    result.requests = figures["requests"]
    result.requests_per_second = figures["requests_per_second"]
    result.latency_ms = figures["latency_ms"]
    result.non_2xx_3xx = figures["non_2xx_3xx"]
    result.socket_errors = figures["socket_errors"]
    result.statuses = figures["statuses"]
    if result.statuses:
        result.status = int(max(result.statuses, key=result.statuses.__getitem__))
    unexpected = {
        "measured": sum(n for status, n in result.statuses.items() if status != "302") + result.socket_errors,
        "warm-up": sum(n for status, n in figures["warm_up_statuses"].items() if status != "302")
        + figures["warm_up_socket_errors"],
    }
    counts = ", ".join(f"{status} × {n}" for status, n in result.statuses.items()) or "none"
    result.notes.append(
        f"{route.label}: {result.requests} newcomers posted once each from {route.connections} threads "
        f"({REGISTER_WARM_UP} more before, not measured); statuses {counts}"
        + (f", socket errors × {result.socket_errors}" if result.socket_errors else "")
    )
    for part, count in unexpected.items():
        if count:
            result.notes.append(f"WARNING: {count} {part} registrations did not get a 302 (see the app's log)")
    return result


# --------------------------------------------------------------------------------------------
# SQL statements per page


@dataclass(frozen=True)
class PageSample:
    """One page measured in-process: status, statements sent and median time of a request."""

    status: int
    statements: list[str]
    median_ms: float


def sample_pages(config: dict, ids: WorkshopIds, needs: NeedIds, texts: NewTexts) -> dict[QueryRoute, PageSample]:
    """Count the statements of each request of ``QUERY_ROUTES`` and time it, on a warm application.

    Returns ``{route: PageSample}``; a route is missing when its visitor cannot be had (the test
    client cannot log in, no newcomer is left) or its form has no CSRF token, and the needs' ``POST``
    and look-up when the similarity model is missing. Each request is sent once first, so one-off
    work (first connection, template compilation, caches, the index of needs) is neither counted nor
    timed; the time is the median of ``TIMED_REQUESTS``. Only the request itself is counted and
    timed: fetching the form that gives a ``POST`` its CSRF token, the ETag a conditional request
    sends, and logging a newcomer in, are not. ``texts`` makes the needs' texts: give both databases
    the same one, so that no text is sent twice and no part's embedding comes from this process's cache.
    """
    from sqlalchemy import event

    from workshops import create_app
    from workshops.needs import suggestions

    values = ids.placeholders() | needs.placeholders()
    newcomers = iter(newcomer_tokens(config, ids.register_id, newest_first=True)[:IN_PROCESS_NEWCOMERS])
    app = create_app(config)
    # The application logs each e-mail and audited export at INFO; here that would drown the report.
    logging.getLogger("workshops").setLevel(logging.WARNING)
    # Each process keeps the vectors of all needs; here one process reads two databases in turn.
    suggestions._needs = suggestions.NeedIndex()
    engine = app.extensions["workshops.engine"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    def logged_in_as(email: str, check: str) -> object | None:
        """A test client logged in through the form, or ``None`` when ``check`` does not then answer 200."""
        client = app.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))
        if not token:
            return None
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        return client if client.get(check).status_code == 200 else None

    anonymous = app.test_client()
    clients = {
        ORGANISER: logged_in_as(ORGANISER_EMAIL, "/manage/users"),
        FACILITATOR: logged_in_as(FACILITATOR_EMAIL, f"/b/{needs.board_code}/board"),
    }
    attendee = app.test_client()
    with attendee.session_transaction() as session:
        session.update({"_user_id": needs.attendee_token, "_fresh": True})
    clients[ATTENDEE] = attendee

    attendee_csrf: list[str] = []

    def save_need() -> None:
        """The attendee saves a need in the other breakout, as before a look-up ``after_save``."""
        if not attendee_csrf:
            page = attendee.get(f"/b/{needs.post_code}").get_data(as_text=True)
            attendee_csrf.append(csrf_token(page) or "")
        form = need_form(texts.whole(), attendee_csrf[0])
        attendee.post(f"/b/{needs.post_code}", data=form, headers={"Accept": "application/json"})

    def fresh() -> dict[str, object]:
        """The values that are new for each request: the text of a half-typed need."""
        return values | {"lookup": urllib.parse.urlencode(texts.half_typed())}

    def prepare(route: QueryRoute) -> Callable[[], int] | None:
        """Get the visitor and the form ready; return what sends the request once, or ``None``."""
        if route.key in ("post", "similar", "similar_after_save") and not needs.vectors:
            return None
        if route.visitor == NEWCOMER:
            person = next(newcomers, None)
            if person is None:
                return None
            client = app.test_client()
            with client.session_transaction() as session:
                session.update({"_user_id": person, "_fresh": True})
        elif route.visitor == ANONYMOUS:
            client = anonymous
        else:
            client = clients.get(route.visitor)
            if client is None:
                return None
        headers = dict(route.headers)
        if route.conditional:
            etag = client.get(route.path.format(**values), headers=headers).headers.get("ETag")
            if not etag:
                return None
            headers["If-None-Match"] = etag
        if route.form_page is None:
            return lambda: client.open(route.path.format(**fresh()), method=route.method, headers=headers).status_code
        token = csrf_token(client.get(route.form_page.format(**values)).get_data(as_text=True))
        if token is None:
            return None
        path = route.path.format(**values)
        if route.need_form:
            return lambda: (
                client.open(
                    path, method=route.method, data=need_form(texts.whole(), token), headers=headers
                ).status_code
            )
        form = {name: value.format(**values) for name, value in route.form} | {"csrf_token": token}
        return lambda: client.open(path, method=route.method, data=form, headers=headers).status_code

    def senders(route: QueryRoute) -> list[Callable[[], int]] | None:
        """One sender per request (warm-up, counted, timed): a new newcomer each time, else the same visitor."""
        if route.visitor == NEWCOMER:
            made = [prepare(route) for _ in range(2 + TIMED_REQUESTS)]
        else:
            made = [prepare(route)] * (2 + TIMED_REQUESTS)
        return None if any(send is None for send in made) else made

    samples = {}
    try:
        for route in QUERY_ROUTES:
            sends = senders(route)
            if sends is None:
                continue
            warm_up, counted, *timed = sends
            before = save_need if route.after_save else lambda: None
            before()
            warm_up()
            before()
            event.listen(engine, "before_cursor_execute", record)
            statements.clear()
            status = counted()
            event.remove(engine, "before_cursor_execute", record)
            timings = []
            for send in timed:
                before()
                started = time.perf_counter()
                send()
                timings.append((time.perf_counter() - started) * 1000)
            samples[route] = PageSample(status, list(statements), round(median(timings), 2))
    finally:
        engine.dispose()
    return samples


def query_table(
    small: dict[QueryRoute, PageSample], large: dict[QueryRoute, PageSample], values: dict[str, object]
) -> list[QueryCount]:
    """Pair the samples of the small and the large database, route by route (``values``: the large one's)."""
    rows = []
    for route in QUERY_ROUTES:
        row = QueryCount(
            label=route.label(values),
            method=route.method,
            path=route.path.format(**values),
            visitor=route.visitor,
            expected_status=route.expected_status,
            key=route.key,
        )
        if route in small:
            sample = small[route]
            row.status_small, row.small, row.ms_small = sample.status, len(sample.statements), sample.median_ms
        if route in large:
            sample = large[route]
            row.status_large, row.large, row.ms_large = sample.status, len(sample.statements), sample.median_ms
            row.statements_large = sample.statements
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Report


def print_load_table(results: list[LoadResult], tool: str, duration: int) -> None:
    """Print throughput and latency per route, then the notes of the routes."""
    print()
    print(
        f"Load: {tool}, {WRK_THREADS} threads, {duration} s per route with the connections shown; "
        f"the registration form: each newcomer once, {REGISTER_THREADS} threads (bench/register_load.py)"
    )
    width = max(len(r.label) for r in results) + 1
    header = (
        f"{'route':<{width}} {'conns':>5} {'status':>6} {'req/s':>9} {'vs hello':>9} "
        f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'non-2xx/3xx':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.skipped:
            print(f"{r.label:<{width}} skipped: {r.skipped}")
            continue
        ratio = f"{r.ratio_to_hello_percent:.1f} %" if r.ratio_to_hello_percent is not None else "-"
        lat = r.latency_ms
        print(
            f"{r.label:<{width}} {r.connections:>5} {r.status or '-':>6} {r.requests_per_second:>9.1f} {ratio:>9} "
            f"{lat.get('50', 0):>8.2f} {lat.get('90', 0):>8.2f} {lat.get('99', 0):>8.2f} "
            f"{r.non_2xx_3xx + r.socket_errors:>11}"
        )
    print("(vs hello: share of the mean of the two hello runs; non-2xx/3xx includes socket errors)")
    for r in results:
        for note in r.notes:
            print(note)
    drift = hello_drift_percent(results)
    if drift is not None and drift > DRIFT_WARNING_PERCENT:
        print(
            f"NOTE: the two hello runs differ by {drift:.0f} % of their mean: the machine was busy "
            "during the run, so read the ratios with care (or run again)."
        )


#: One line per row of the needs' table, saying what it measures.
NEEDS_EXPLANATIONS = {
    "similar": (
        "similar: the need form's look-up of a half-typed need (a title and half a statement, new text each "
        "time, so every part goes through the model) among every open need a facilitator may read"
    ),
    "post": (
        "post: an attendee's need saved by the page's script (fetch, a fresh idempotency key, new text: its "
        "three parts are embedded before the write), answered 201 with JSON; into another breakout of theirs, "
        "so that the polled board keeps its ~40 needs"
    ),
    "similar_after_save": (
        "similar after a save: a look-up right after each of those needs was saved: its worker first reads "
        "the needs changed and rebuilds its index of vectors"
    ),
    "display": (
        "submit to display: from the start of the attendee's POST to the end of the facilitator's first board "
        "poll that shows the need (polls 1 s after each answer, as static/js/needs.js does, at a random phase)"
    ),
    "display_server": "  the server's part: that POST plus the one board GET that brought the need (no waiting)",
    "display_wait": "  the rest: waiting for the next poll, between 0 and the 1 s interval (half of it on average)",
}


def print_needs_table(summaries: list[dict], queries: list[QueryCount], databases: Databases) -> None:
    """Print the needs' requests timed one at a time, with their statement counts on the large database."""
    if not summaries:
        return
    needs = databases.needs["large"]
    statements = {row.key: row.large for row in queries if row.key}
    print()
    print(
        f"Needs' requests one at a time on the large database ({needs.needs_total} needs; the board: "
        f"{needs.board_needs} needs, {needs.board_votes} votes): gunicorn {GUNICORN_WORKERS} workers, "
        "OPENBLAS_NUM_THREADS=1, rate limits off"
    )
    width = max(len(summary["label"]) for summary in summaries) + 1
    header = f"{'request':<{width}} {'n':>4} {'status':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'SQL':>5}"
    print(header)
    print("-" * len(header))
    for summary in summaries:
        count = {
            "similar": statements.get("similar"),
            "post": statements.get("post"),
            "similar_after_save": statements.get("similar_after_save"),
            "display_server": _sum_or_none(statements.get("post"), statements.get("board_200")),
        }.get(summary["key"])
        sql = "-" if count is None else str(count)
        expected = str(summary["expected_status"])
        others = {status: n for status, n in summary["statuses"].items() if status != expected}
        status = f"{expected}×{summary['statuses'].get(expected, 0)}"
        notes = []
        if summary["key"] == "similar":
            notes.append(f"(the issue's target: under {SIMILAR_TARGET_MS} ms)")
        if others:
            notes.append("WARNING: also " + ", ".join(f"{s}×{n}" for s, n in others.items()))
        print(
            f"{summary['label']:<{width}} {summary['requests']:>4} {status:>9} {summary['p50_ms']:>8.1f} "
            f"{summary['p95_ms']:>8.1f} {summary['max_ms']:>8.1f} {sql:>5}  {' '.join(notes)}".rstrip()
        )
    print(
        "(SQL: statements of one request on the large database, from the table below; the server's part: POST + board)"
    )
    for summary in summaries:
        print(NEEDS_EXPLANATIONS.get(summary["key"], summary["label"]))
        for note in summary["notes"]:
            print(f"  {note}")


def _sum_or_none(*counts: int | None) -> int | None:
    return None if any(count is None for count in counts) else sum(counts)


def hello_drift_percent(results: list[LoadResult]) -> float | None:
    """Return how far apart the hello runs are, as a share of their mean; ``None`` without two runs."""
    rates = [r.requests_per_second for r in results if r.key == "hello" and not r.skipped]
    if len(rates) < 2 or not sum(rates):
        return None
    return round(100 * (max(rates) - min(rates)) / (sum(rates) / len(rates)), 1)


def print_query_table(rows: list[QueryCount], databases: Databases, sizes: Sizes) -> None:
    """Print the statements per request on both databases and flag the requests that grow."""
    print()
    print("SQL statements per request (in-process test client, BEGIN included) and median ms of one request")
    accounts = databases.accounts
    print(
        f"small = {accounts['small']} accounts, {BIG_SLUG} with {SMALL_EXTRA_ACCOUNTS} registrations; "
        f"large = {accounts['large']} accounts, {BIG_SLUG} with {sizes.registrations} registrations "
        f"and {REGISTER_SLUG} with those of the load"
    )
    width = max(len(row.label) for row in rows) + 1
    header = f"{'route':<{width}} {'small':>6} {'large':>6} {'ms small':>9} {'ms large':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        small = "-" if row.small is None else str(row.small)
        large = "-" if row.large is None else str(row.large)
        ms_small = "-" if row.ms_small is None else f"{row.ms_small:.2f}"
        ms_large = "-" if row.ms_large is None else f"{row.ms_large:.2f}"
        statuses = {row.status_small, row.status_large} - {None, row.expected_status}
        notes = []
        if row.grows:
            notes.append("<-- MORE STATEMENTS ON LARGE DATA")
        if statuses:
            notes.append(f"(status {', '.join(str(s) for s in sorted(statuses))}, not {row.expected_status})")
        print(f"{row.label:<{width}} {small:>6} {large:>6} {ms_small:>9} {ms_large:>9}  {' '.join(notes)}".rstrip())
    print("(newcomer: a person registered for nothing, a different one for each request; the registration expects 302)")


def hello_rate(results: list[LoadResult]) -> float | None:
    """Return the mean requests per second of the hello runs, the figure the ratios are shares of."""
    rates = [r.requests_per_second for r in results if r.key == "hello" and not r.skipped]
    return round(sum(rates) / len(rates), 1) if rates else None


@dataclass(frozen=True)
class Measured:
    """Everything one run measured, as ``make_report`` writes it."""

    quick: bool
    tool: str
    duration: int
    sizes: Sizes
    databases: Databases
    load: list[LoadResult]
    #: ``needs_load.Timing.summary()`` of each of the needs' requests.
    needs: list[dict]
    counts: dict[str, int]
    queries: list[QueryCount]
    skipped: list[str]
    seconds_total: float


def make_report(measured: Measured) -> dict:
    """Return the run's figures as the JSON of ``bench/results/latest.json`` (which ``bench/goals.py`` reads)."""
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": measured.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "load_tool": measured.tool,
            "threads": WRK_THREADS,
            "connections": CONNECTIONS,
            "export_connections": EXPORT_CONNECTIONS,
            "register_threads": REGISTER_THREADS,
            "duration_s": measured.duration,
            "gunicorn_workers": GUNICORN_WORKERS,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "needs_server": "its own gunicorn after the load, rate limits off, OPENBLAS_NUM_THREADS=1",
        },
        "sizes": asdict(measured.sizes),
        "accounts": measured.databases.accounts,
        "workshops": {name: asdict(value) for name, value in measured.databases.ids.items()},
        "hello_requests_per_second": hello_rate(measured.load),
        "hello_drift_percent": hello_drift_percent(measured.load),
        "load": [asdict(result) for result in measured.load],
        "needs": {
            "databases": {name: asdict(value) for name, value in measured.databases.needs.items()},
            "counts": measured.counts,
            "similar_target_ms": SIMILAR_TARGET_MS,
            "timings": measured.needs,
        },
        "queries": [{**asdict(row), "grows": row.grows} for row in measured.queries],
        "skipped": measured.skipped,
        "seconds_total": measured.seconds_total,
    }


def write_results(report: dict, path: Path = RESULTS) -> None:
    """Write the report as JSON to ``path`` (``bench/results/latest.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# Main


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """Print what is being done and how long it took."""
    print(f"· {text} …", end="", flush=True)
    started = time.perf_counter()
    yield
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def run_load(
    paths: Paths,
    env: dict[str, str],
    config: dict,
    duration: int,
    skipped: list[str],
    databases: Databases,
    requests_file: Path,
) -> tuple[list[LoadResult], str]:
    """Start both servers, load every route and stop the servers; return the results and the tool.

    ``config`` is the in-process configuration of the served (large) database: the registration
    load's result also notes what the load left there, and whether that is right.
    """
    wrk = ensure_wrk()
    if wrk:
        tool = wrk_version(wrk)

        def loader(spec: LoadSpec) -> dict:
            return load_with_wrk(wrk, spec)
    else:
        tool = "bench/load.py (wrk not available)"
        loader = load_with_python

    ids, needs = databases.ids["large"], databases.needs["large"]
    routes = [route.resolved(ids.placeholders() | needs.placeholders()) for route in APP_ROUTES]
    with contextlib.ExitStack() as stack:
        with step("starting gunicorn: Workshops and the hello baseline"):
            app = start_server("app", "wsgi:app", cwd=ROOT, env=env, folder=paths.folder, stack=stack)
            hello = start_server("hello", "hello:app", cwd=BENCH, env=env, folder=paths.folder, stack=stack)
            wait_until_ready(app, "/healthz")
            wait_until_ready(hello, "/")
        cookies: dict[str, str] = {}
        csrf = None
        for visitor, email, check, pages in (
            (ORGANISER, ORGANISER_EMAIL, "/manage/users", "organiser pages"),
            (FACILITATOR, FACILITATOR_EMAIL, f"/b/{needs.board_code}/board", "the board"),
        ):
            try:
                with step(f"logging in as the {visitor}"):
                    cookies[visitor] = log_in(app.base_url, email, check)
            except (BenchError, OSError, http.client.HTTPException) as error:
                print(f" failed: {error}")
                skipped.append(f"{pages} under load: {error}")
        if ORGANISER in cookies:
            try:
                csrf = page_csrf_token(app.base_url, f"/manage/workshops/{ids.big_id}/attendees", cookies[ORGANISER])
            except (BenchError, OSError, http.client.HTTPException) as error:
                skipped.append(f"the CSV export under load: {error}")
        with step(f"warming up both servers ({WARM_UP_SECONDS} s of load each, not counted)"):
            for server in (hello, app):
                loader(LoadSpec(server.base_url + "/", WARM_UP_SECONDS))
        results = []
        plan = [(BASELINE, hello), *((route, app) for route in routes), (BASELINE_AGAIN, hello)]
        timed = sum(not route.once_per_person for route, _server in plan)
        with step(f"loading {timed} routes with {tool.split()[0]}, {duration} s each, and the registration form"):
            for route, server in plan:
                if route.once_per_person:
                    result = load_registrations(route, server, requests_file)
                    if not result.skipped:
                        result.notes += registration_outcome(config, ids)
                    results.append(result)
                else:
                    results.append(
                        load_route(
                            route,
                            server,
                            loader=loader,
                            duration=duration,
                            cookie=cookies.get(route.visitor),
                            csrf=csrf,
                        )
                    )
    baseline = hello_rate(results)
    for result in results:
        if baseline and not result.skipped:
            result.ratio_to_hello_percent = round(100 * result.requests_per_second / baseline, 1)
    return results, tool


def registration_outcome(config: dict, ids: WorkshopIds) -> list[str]:
    """Describe the registrations the load left, and whether the breakouts' seats are right."""
    summary = seat_summary(config, ids.register_id)
    problems = check_waiting_lists(config, ids.register_id)
    counts = ", ".join(f"{name} {count}" for name, count in summary.items())
    lines = [f"After the registration load: {counts}"]
    if problems:
        lines += [f"WARNING: {problem}" for problem in problems]
    else:
        lines.append("  breakouts: none over capacity, waiting-list positions 1..n without gaps")
    return lines


def run_needs(
    paths: Paths, env: dict[str, str], config: dict, databases: Databases, counts: dict[str, int], skipped: list[str]
) -> list[dict]:
    """Serve the large database again and time the needs' requests one at a time; return their summaries.

    A server of its own, started after the load, so that nothing else runs meanwhile: gunicorn with
    the same two workers, ``OPENBLAS_NUM_THREADS=1`` as README's production set-up advises, and the
    rate limits off (the look-ups would otherwise meet the limit of 120 a minute per account).
    """
    needs = databases.needs["large"]
    if not needs.vectors:
        skipped.append("the needs' look-ups and POST requests: the similarity model is not installed")
        return []
    needs_env = {**env, "WORKSHOPS_RATELIMIT_ENABLED": "false", "OPENBLAS_NUM_THREADS": "1"}
    with contextlib.ExitStack() as stack:
        with step("starting gunicorn for the needs' requests (rate limits off)"):
            server = start_server("needs", "wsgi:app", cwd=ROOT, env=needs_env, folder=paths.folder, stack=stack)
            wait_until_ready(server, "/healthz")
        try:
            facilitator = log_in(server.base_url, FACILITATOR_EMAIL, f"/b/{needs.board_code}/board")
        except (BenchError, OSError, http.client.HTTPException) as error:
            skipped.append(f"the needs' requests: {error}")
            return []
        (attendee, csrf), *_ = signed_sessions(config, [needs.attendee_token])
        people = needs_load.People(facilitator=facilitator, attendee=attendee, attendee_csrf=csrf)
        described = ", ".join(f"{n} {what.replace('_', '-')}" for what, n in counts.items())
        with step(f"timing the needs' requests one at a time ({described})"):
            try:
                timings = needs_load.measure(
                    server.base_url, (needs.board_code, needs.post_code), people, counts, seed=11
                )
            except (OSError, http.client.HTTPException, RuntimeError, ValueError) as error:
                print(f" failed: {error}")
                skipped.append(f"the needs' requests: {error}\n{server.log_tail(10)}")
                return []
    return [timing.summary() for timing in timings]


def main() -> int:
    """Run the benchmark; return the process exit status."""
    parser = argparse.ArgumentParser(description="Benchmark Workshops against a bare Flask application.")
    parser.add_argument("--quick", action="store_true", help="fewer accounts, shorter loads")
    parser.add_argument("--duration", type=int, help="seconds of load per route (default 5, quick 2)")
    parser.add_argument("--accounts", type=int, help="accounts added to the large database (default 5000)")
    parser.add_argument(
        "--registrations", type=int, help="registrations of bench-workshop on the large database (default 2000)"
    )
    parser.add_argument("--newcomers", type=int, help="people who each post the registration form (default 1000)")
    parser.add_argument(
        "--needs",
        type=int,
        help=f"archived needs with similarity vectors on the large database (default {SYNTHETIC_NEEDS})",
    )
    args = parser.parse_args()
    duration = args.duration or (DURATION_QUICK if args.quick else DURATION)
    sizes = Sizes(
        accounts=args.accounts or (LARGE_ACCOUNTS_QUICK if args.quick else LARGE_ACCOUNTS),
        registrations=args.registrations or (LARGE_REGISTRATIONS_QUICK if args.quick else LARGE_REGISTRATIONS),
        newcomers=args.newcomers or (NEWCOMERS_QUICK if args.quick else NEWCOMERS),
        needs=SYNTHETIC_NEEDS if args.needs is None else args.needs,
    )
    counts = {
        "look_ups": LOOK_UPS_QUICK if args.quick else LOOK_UPS,
        "posts": NEED_POSTS_QUICK if args.quick else NEED_POSTS,
        "displays": DISPLAYS_QUICK if args.quick else DISPLAYS,
    }

    # One BLAS thread per process, as README's production set-up has it: set before NumPy loads (the needs'
    # vectors are built in this process), and inherited by the servers. Several threads fight over two
    # cores here and made building the 270 parts' embeddings three times slower.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    started = time.perf_counter()
    secret_key = secrets.token_urlsafe(36)  # 48 characters
    skipped: list[str] = []
    title = "Workshops benchmark" + (" (quick)" if args.quick else "")
    print(f"{title}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    try:
        with tempfile.TemporaryDirectory(prefix="workshops-bench-") as folder:
            paths = Paths(Path(folder))
            env = app_environment(paths, secret_key)
            small_config = app_config(paths.small_db, paths, secret_key)
            large_config = app_config(paths.large_db, paths, secret_key)
            with step(
                f"building the databases (demo + {SMALL_EXTRA_ACCOUNTS} / {sizes.accounts} accounts, "
                f"{SMALL_EXTRA_ACCOUNTS} / {sizes.registrations} registrations, newcomers)"
            ):
                databases = build_databases(paths, env, secret_key, sizes)
            with step(
                f"adding the needs: a board of {BOARD_NEEDS} with votes on both, "
                f"{sizes.needs} archived needs with their similarity vectors on the large one"
            ):
                databases = build_needs(paths, secret_key, sizes, databases)
            ids = databases.ids["large"]
            with step(f"signing the sessions of {sizes.newcomers + REGISTER_WARM_UP} newcomers"):
                requests_file = write_registration_requests(paths, secret_key, ids, sizes.newcomers)
            load, tool = run_load(paths, env, large_config, duration, skipped, databases, requests_file)
            needs = run_needs(paths, env, large_config, databases, counts, skipped)
            with step("counting SQL statements per request on both databases"):
                texts = NewTexts(seed=7)
                small = sample_pages(small_config, databases.ids["small"], databases.needs["small"], texts)
                large = sample_pages(large_config, ids, databases.needs["large"], texts)
            queries = query_table(small, large, ids.placeholders() | databases.needs["large"].placeholders())
            missing = [row.label for row in queries if row.small is None or row.large is None]
            if missing:
                skipped.append(f"statement counts of {', '.join(missing)}: no visitor or no CSRF token")
    except (BenchError, OSError, subprocess.SubprocessError) as error:
        print(f"\nThe benchmark could not run: {error}", file=sys.stderr)
        return 1

    print_load_table(load, tool, duration)
    print_needs_table(needs, queries, databases)
    print_query_table(queries, databases, sizes)
    if skipped:
        print()
    for reason in skipped:
        print(f"WARNING: skipped {reason}")
    report = make_report(
        Measured(
            quick=args.quick,
            tool=tool,
            duration=duration,
            sizes=sizes,
            databases=databases,
            load=load,
            needs=needs,
            counts=counts,
            queries=queries,
            skipped=skipped,
            seconds_total=round(time.perf_counter() - started, 1),
        )
    )
    write_results(report)
    print(f"\nResults written to {os.path.relpath(RESULTS, ROOT)} ({report['seconds_total']} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
