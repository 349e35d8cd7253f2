"""Benchmark of Workshops: throughput and latency under load, and SQL statements per page.

Run it with ``make bench`` (``make bench QUICK=1`` for a shorter run), or directly::

    .venv/bin/python bench/run.py [--quick] [--duration SECONDS] [--accounts N]

In one run it

1. builds a SQLite database in a temporary folder with ``flask init-db`` and ``flask seed-demo``,
   copies it as the *small* database (demo plus 5 accounts) and adds thousands of accounts to the
   *large* one (5,000; 1,000 with ``--quick``);
2. serves the large database with gunicorn (2 sync workers) and, as the baseline, a bare Flask
   "hello" application (``bench/hello.py``) with the same settings;
3. logs in as the demo organiser to load the organiser pages too;
4. loads each route from a separate process, ``wrk`` (``-t2 -c16 --latency``) or, when wrk is
   missing and cannot be installed, ``bench/load.py``; the baseline is measured before and after
   the application so that drift on a shared machine shows;
5. counts the SQL statements of each page in-process (Flask test client) on the small and the
   large database, and flags a page whose count grows with the data;
6. prints both tables and writes everything to ``bench/results/latest.json``.

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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "latest.json"
#: The virtual environment's scripts (flask, gunicorn) sit next to the Python running this file.
BIN = Path(sys.executable).parent

ORGANISER_EMAIL = "organiser@example.org"
DEMO_PASSWORD = "demo-password-2021"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

LARGE_ACCOUNTS = 5000
LARGE_ACCOUNTS_QUICK = 1000
SMALL_EXTRA_ACCOUNTS = 5
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
#: Two hello runs further apart than this share mean the machine was busy during the run.
DRIFT_WARNING_PERCENT = 20
STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 15


class BenchError(Exception):
    """The benchmark, or a part of it, could not run."""


@dataclass(frozen=True)
class Route:
    """One address to load: on which server, and whether the organiser's session cookie is sent."""

    label: str
    server: str
    path: str
    logged_in: bool = False


BASELINE = Route("hello /", "hello", "/")
BASELINE_AGAIN = Route("hello / (again)", "hello", "/")
APP_ROUTES = [
    Route("/healthz", "app", "/healthz"),
    Route("/", "app", "/"),
    Route("/login", "app", "/login"),
    Route("/signup", "app", "/signup"),
    Route("/manage/users (organiser)", "app", "/manage/users", logged_in=True),
    Route("/manage/users?q=a (organiser)", "app", "/manage/users?q=a", logged_in=True),
]
#: Pages whose SQL statements are counted: (path, logged in as the organiser).
QUERY_ROUTES = [
    ("/", False),
    ("/login", False),
    ("/signup", False),
    ("/healthz", False),
    ("/", True),
    ("/manage/users", True),
    ("/manage/users?q=a", True),
]


@dataclass
class LoadResult:
    """What loading one route measured."""

    label: str
    path: str
    logged_in: bool
    status: int | None = None
    requests: int = 0
    requests_per_second: float = 0.0
    ratio_to_hello_percent: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    skipped: str | None = None


@dataclass
class QueryCount:
    """SQL statements and in-process time of one page on the small and the large database."""

    path: str
    logged_in: bool
    small: int | None = None
    large: int | None = None
    status_small: int | None = None
    status_large: int | None = None
    #: Median in-process time of one request, in milliseconds.
    ms_small: float | None = None
    ms_large: float | None = None
    statements_large: list[str] = field(default_factory=list)

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


def account_rows(count: int, *, password_hash: str, cluster_ids: list[int], seed: int) -> list[dict]:
    """Generate ``count`` confirmed participant accounts as rows of the ``account`` table."""
    from workshops.auth.models import new_session_token

    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = []
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = now - timedelta(days=rng.randint(1, 700), seconds=rng.randint(0, 86_400))
        rows.append(
            {
                "email": f"{first}.{last}.{seed}-{number}@bench.example.org".lower(),
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


def add_accounts(config: dict, count: int, *, seed: int) -> int:
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
                rows = account_rows(count, password_hash=password_hash, cluster_ids=cluster_ids, seed=seed)
                connection.execute(insert(User.__table__), rows)
            return connection.execute(select(func.count()).select_from(User.__table__)).scalar_one()
    finally:
        engine.dispose()


def build_databases(paths: Paths, env: dict[str, str], secret_key: str, large_accounts: int) -> dict[str, int]:
    """Build the large and the small database; return how many accounts each holds."""
    paths.outbox.mkdir()
    run_flask("init-db", env)
    run_flask("seed-demo", env)
    copy_database(paths.large_db, paths.small_db)
    small = add_accounts(app_config(paths.small_db, paths, secret_key), SMALL_EXTRA_ACCOUNTS, seed=1)
    large = add_accounts(app_config(paths.large_db, paths, secret_key), large_accounts, seed=2)
    return {"small": small, "large": large}


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


def free_port() -> int:
    """Ask the system for a TCP port nobody listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def get(base_url: str, path: str, cookie: str | None = None, timeout: float = 10) -> int:
    """Send one ``GET`` without following redirects; return the status code."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": f"session={cookie}"} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


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


def log_in(base_url: str) -> str:
    """Log in through the form as the demo organiser; return the ``session`` cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base_url + "/login", timeout=10) as response:
        page = response.read().decode()
    match = CSRF_PATTERN.search(page)
    if match is None:
        raise BenchError("no CSRF token on the log-in page")
    form = urllib.parse.urlencode(
        {"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD, "csrf_token": match.group(1)}
    ).encode()
    request = urllib.request.Request(base_url + "/login", data=form)
    with opener.open(request, timeout=30) as response:
        response.read()
    cookie = next((cookie.value for cookie in jar if cookie.name == "session" and cookie.value), None)
    if cookie is None:
        raise BenchError("the log-in set no session cookie")
    status = get(base_url, "/manage/users", cookie)
    if status != 200:
        raise BenchError(f"the organiser's session cookie gets {status} from /manage/users, not 200")
    return cookie


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


def load_with_wrk(wrk: str, url: str, duration: int, cookie: str | None) -> dict:
    """Load ``url`` with wrk in its own process and return its figures."""
    command = [wrk, f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 60, check=False)
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


def load_with_python(url: str, duration: int, cookie: str | None) -> dict:
    """Load ``url`` with ``bench/load.py`` in its own process and return its figures."""
    command = [sys.executable, str(BENCH / "load.py"), url, "--duration", str(duration)]
    command += ["--connections", str(CONNECTIONS)]
    if cookie:
        command += ["--header", f"Cookie: session={cookie}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    if result.returncode != 0:
        raise BenchError(f"bench/load.py failed ({result.returncode}):\n{result.stderr}")
    figures = json.loads(result.stdout)
    figures.pop("seconds", None)
    return figures


def load_route(
    route: Route,
    server: Server,
    *,
    loader: Callable[[str, int, str | None], dict],
    duration: int,
    cookie: str | None,
) -> LoadResult:
    """Warm a route up, check its status, then load it."""
    result = LoadResult(label=route.label, path=route.path, logged_in=route.logged_in)
    if route.logged_in and cookie is None:
        result.skipped = "no organiser session"
        return result
    session = cookie if route.logged_in else None
    for _ in range(WARM_UP_REQUESTS):
        result.status = get(server.base_url, route.path, session)
    for key, value in loader(server.base_url + route.path, duration, session).items():
        setattr(result, key, value)
    return result


# --------------------------------------------------------------------------------------------
# SQL statements per page


@dataclass(frozen=True)
class PageSample:
    """One page measured in-process: status, statements sent and median time of a request."""

    status: int
    statements: list[str]
    median_ms: float


def sample_pages(config: dict) -> dict[tuple[str, bool], PageSample]:
    """Count the statements of each page of ``QUERY_ROUTES`` and time it, on a warm application.

    Returns ``{(path, logged_in): PageSample}``; organiser pages are missing when the test client
    cannot log in. Each page is requested once first, so one-off work (first connection, template
    compilation, caches) is neither counted nor timed; the time is the median of ``TIMED_REQUESTS``.
    """
    from sqlalchemy import event

    from workshops import create_app

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    anonymous, organiser = app.test_client(), app.test_client()
    match = CSRF_PATTERN.search(organiser.get("/login").get_data(as_text=True))
    logged_in = False
    if match:
        form = {"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD, "csrf_token": match.group(1)}
        organiser.post("/login", data=form)
        logged_in = organiser.get("/manage/users").status_code == 200
    samples = {}
    try:
        for path, as_organiser in QUERY_ROUTES:
            if as_organiser and not logged_in:
                continue
            client = organiser if as_organiser else anonymous
            client.get(path)
            event.listen(engine, "before_cursor_execute", record)
            statements.clear()
            status = client.get(path).status_code
            event.remove(engine, "before_cursor_execute", record)
            timings = []
            for _ in range(TIMED_REQUESTS):
                started = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            samples[(path, as_organiser)] = PageSample(status, list(statements), round(median(timings), 2))
    finally:
        engine.dispose()
    return samples


def query_table(
    small: dict[tuple[str, bool], PageSample], large: dict[tuple[str, bool], PageSample]
) -> list[QueryCount]:
    """Pair the samples of the small and the large database, route by route."""
    rows = []
    for key in QUERY_ROUTES:
        row = QueryCount(path=key[0], logged_in=key[1])
        if key in small:
            row.status_small, row.small, row.ms_small = (
                small[key].status,
                len(small[key].statements),
                small[key].median_ms,
            )
        if key in large:
            sample = large[key]
            row.status_large, row.large, row.ms_large = sample.status, len(sample.statements), sample.median_ms
            row.statements_large = sample.statements
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Report


def print_load_table(results: list[LoadResult], tool: str, duration: int) -> None:
    """Print throughput and latency per route."""
    print()
    print(f"Load: {tool}, {WRK_THREADS} threads, {CONNECTIONS} connections, {duration} s per route")
    header = f"{'route':<32} {'status':>6} {'req/s':>9} {'vs hello':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
    print(header + f" {'non-2xx/3xx':>11}")
    print("-" * (len(header) + 12))
    for r in results:
        if r.skipped:
            print(f"{r.label:<32} skipped: {r.skipped}")
            continue
        ratio = f"{r.ratio_to_hello_percent:.1f} %" if r.ratio_to_hello_percent is not None else "-"
        lat = r.latency_ms
        print(
            f"{r.label:<32} {r.status or '-':>6} {r.requests_per_second:>9.1f} {ratio:>9} "
            f"{lat.get('50', 0):>8.2f} {lat.get('90', 0):>8.2f} {lat.get('99', 0):>8.2f} "
            f"{r.non_2xx_3xx + r.socket_errors:>11}"
        )
    print("(vs hello: share of the mean of the two hello runs; non-2xx/3xx includes socket errors)")
    drift = hello_drift_percent(results)
    if drift is not None and drift > DRIFT_WARNING_PERCENT:
        print(
            f"NOTE: the two hello runs differ by {drift:.0f} % of their mean: the machine was busy "
            "during the run, so read the ratios with care (or run again)."
        )


def hello_drift_percent(results: list[LoadResult]) -> float | None:
    """Return how far apart the hello runs are, as a share of their mean; ``None`` without two runs."""
    rates = [r.requests_per_second for r in results if r.label.startswith("hello") and not r.skipped]
    if len(rates) < 2 or not sum(rates):
        return None
    return round(100 * (max(rates) - min(rates)) / (sum(rates) / len(rates)), 1)


def print_query_table(rows: list[QueryCount], accounts: dict[str, int]) -> None:
    """Print the statements per page on both databases and flag the pages that grow."""
    print()
    print("SQL statements per page (in-process test client, BEGIN included) and median ms of one request")
    print(f"small = {accounts['small']} accounts, large = {accounts['large']} accounts")
    print(f"{'route':<32} {'small':>6} {'large':>6} {'ms small':>9} {'ms large':>9}")
    print("-" * 66)
    for row in rows:
        label = row.path + (" (organiser)" if row.logged_in else "")
        small = "-" if row.small is None else str(row.small)
        large = "-" if row.large is None else str(row.large)
        ms_small = "-" if row.ms_small is None else f"{row.ms_small:.2f}"
        ms_large = "-" if row.ms_large is None else f"{row.ms_large:.2f}"
        statuses = {row.status_small, row.status_large} - {None, 200}
        notes = []
        if row.grows:
            notes.append("<-- MORE STATEMENTS ON LARGE DATA")
        if statuses:
            notes.append(f"(status {', '.join(str(s) for s in sorted(statuses))})")
        print(f"{label:<32} {small:>6} {large:>6} {ms_small:>9} {ms_large:>9}  {' '.join(notes)}".rstrip())


def write_results(report: dict) -> None:
    """Write the report as JSON to ``bench/results/latest.json``."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# Main


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """Print what is being done and how long it took."""
    print(f"· {text} …", end="", flush=True)
    started = time.perf_counter()
    yield
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def run_load(paths: Paths, env: dict[str, str], duration: int, skipped: list[str]) -> tuple[list[LoadResult], str]:
    """Start both servers, load every route and stop the servers; return the results and the tool."""
    wrk = ensure_wrk()
    if wrk:
        tool = wrk_version(wrk)

        def loader(url: str, seconds: int, cookie: str | None) -> dict:
            return load_with_wrk(wrk, url, seconds, cookie)
    else:
        tool = "bench/load.py (wrk not available)"
        loader = load_with_python

    with contextlib.ExitStack() as stack:
        with step("starting gunicorn: Workshops and the hello baseline"):
            app = start_server("app", "wsgi:app", cwd=ROOT, env=env, folder=paths.folder, stack=stack)
            hello = start_server("hello", "hello:app", cwd=BENCH, env=env, folder=paths.folder, stack=stack)
            wait_until_ready(app, "/healthz")
            wait_until_ready(hello, "/")
        cookie = None
        try:
            with step("logging in as the organiser"):
                cookie = log_in(app.base_url)
        except (BenchError, OSError, http.client.HTTPException) as error:
            print(f" failed: {error}")
            skipped.append(f"organiser pages under load: {error}")
        with step(f"warming up both servers ({WARM_UP_SECONDS} s of load each, not counted)"):
            for server in (hello, app):
                loader(server.base_url + "/", WARM_UP_SECONDS, None)
        results = []
        plan = [(BASELINE, hello), *((route, app) for route in APP_ROUTES), (BASELINE_AGAIN, hello)]
        with step(f"loading {len(plan)} routes with {tool.split()[0]}, {duration} s each"):
            for route, server in plan:
                results.append(load_route(route, server, loader=loader, duration=duration, cookie=cookie))
    hello_runs = [r.requests_per_second for r in results if r.label.startswith("hello") and not r.skipped]
    hello_rate = sum(hello_runs) / len(hello_runs) if hello_runs else 0.0
    for result in results:
        if hello_rate and not result.skipped:
            result.ratio_to_hello_percent = round(100 * result.requests_per_second / hello_rate, 1)
    return results, tool


def main() -> int:
    """Run the benchmark; return the process exit status."""
    parser = argparse.ArgumentParser(description="Benchmark Workshops against a bare Flask application.")
    parser.add_argument("--quick", action="store_true", help="fewer accounts, shorter loads")
    parser.add_argument("--duration", type=int, help="seconds of load per route (default 5, quick 2)")
    parser.add_argument("--accounts", type=int, help="accounts added to the large database (default 5000)")
    args = parser.parse_args()
    duration = args.duration or (DURATION_QUICK if args.quick else DURATION)
    large_accounts = args.accounts or (LARGE_ACCOUNTS_QUICK if args.quick else LARGE_ACCOUNTS)

    started = time.perf_counter()
    secret_key = secrets.token_urlsafe(36)  # 48 characters
    skipped: list[str] = []
    title = "Workshops benchmark" + (" (quick)" if args.quick else "")
    print(f"{title}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    try:
        with tempfile.TemporaryDirectory(prefix="workshops-bench-") as folder:
            paths = Paths(Path(folder))
            env = app_environment(paths, secret_key)
            with step(f"building the databases (demo + {SMALL_EXTRA_ACCOUNTS} / {large_accounts} accounts)"):
                accounts = build_databases(paths, env, secret_key, large_accounts)
            load, tool = run_load(paths, env, duration, skipped)
            with step("counting SQL statements per page on both databases"):
                small = sample_pages(app_config(paths.small_db, paths, secret_key))
                large = sample_pages(app_config(paths.large_db, paths, secret_key))
            queries = query_table(small, large)
            if not all(row.small is not None and row.large is not None for row in queries):
                skipped.append("statement counts of organiser pages: the test client could not log in")
    except (BenchError, OSError, subprocess.SubprocessError) as error:
        print(f"\nThe benchmark could not run: {error}", file=sys.stderr)
        return 1

    print_load_table(load, tool, duration)
    print_query_table(queries, accounts)
    if skipped:
        print()
    for reason in skipped:
        print(f"WARNING: skipped {reason}")
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "load_tool": tool,
            "threads": WRK_THREADS,
            "connections": CONNECTIONS,
            "duration_s": duration,
            "gunicorn_workers": GUNICORN_WORKERS,
        },
        "accounts": accounts,
        "hello_drift_percent": hello_drift_percent(load),
        "load": [asdict(result) for result in load],
        "queries": [{**asdict(row), "grows": row.grows} for row in queries],
        "skipped": skipped,
        "seconds_total": round(time.perf_counter() - started, 1),
    }
    write_results(report)
    print(f"\nResults written to {os.path.relpath(RESULTS, ROOT)} ({report['seconds_total']} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
