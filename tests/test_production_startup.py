"""Production start-up: rate limits kept in one process's memory are warned about, and refused for several.

With ``RATELIMIT_STORAGE_URI=memory://`` every gunicorn worker counts on its own, so two workers
allow twice the configured log-in attempts. Each process warns in the log; gunicorn, through
``gunicorn.conf.py``, refuses to start more than one worker so; a shared store (the Redis server
on this machine) starts.
"""

from __future__ import annotations

import http.client
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from limits import parse

from tests.conftest import CSRF_PATTERN
from workshops.security import LOGIN_FAILURES_PER_ACCOUNT, MEMORY_STORAGE_WARNING, check_server_processes

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS = "redis://127.0.0.1:6379/0"
WAIT = 30  # seconds: a deadline, never a measured time
REFUSAL = "Refusing to start 2 worker processes with WORKSHOPS_RATELIMIT_STORAGE_URI=memory:// in production"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn started from the repository (so with its ``gunicorn.conf.py``) in production."""

    def __init__(self, folder: Path, database_url: str, *options: str, **environment: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "gunicorn.log"
        env = {key: value for key, value in os.environ.items() if key != "WEB_CONCURRENCY"}
        env.update(
            WORKSHOPS_ENV="production",
            WORKSHOPS_SECRET_KEY="p" * 48,
            WORKSHOPS_DATABASE_URL=database_url,
            WORKSHOPS_BASE_URL=self.url,
            WORKSHOPS_MAIL_OUTBOX=str(folder / "outbox"),
            **environment,
        )
        command = [GUNICORN, *options, "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "wsgi:app"]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def text(self) -> str:
        """What gunicorn and the application logged."""
        return self.log.read_text()

    def healthy(self) -> bool:
        """Whether the health check answers 200, waiting for it up to the deadline."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Stop gracefully and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def gunicorn(tmp_path, database_url):
    """Start gunicorn in production with options and ``WORKSHOPS_*``/other variables; stopped afterwards."""
    started = []

    def start(*options: str, **environment: str) -> Gunicorn:
        server = Gunicorn(tmp_path, database_url, *options, **environment)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_two_workers_with_memory_storage_are_refused_with_a_clear_message(gunicorn):
    server = gunicorn("-w", "2")
    assert server.process.wait(timeout=WAIT) == 1
    log = server.text()
    assert REFUSAL in log
    assert "Set WORKSHOPS_RATELIMIT_STORAGE_URI to a shared store" in log
    assert "Booting worker" not in log


def test_web_concurrency_counts_as_the_number_of_workers(gunicorn):
    server = gunicorn(WEB_CONCURRENCY="2")
    assert server.process.wait(timeout=WAIT) == 1
    assert REFUSAL in server.text()


def test_memory_storage_given_outright_is_refused_too(gunicorn):
    server = gunicorn("--workers=3", WORKSHOPS_RATELIMIT_STORAGE_URI="memory://")
    assert server.process.wait(timeout=WAIT) == 1
    assert "Refusing to start 3 worker processes" in server.text()


def test_two_workers_with_a_shared_store_start(gunicorn):
    server = gunicorn("-w", "2", WORKSHOPS_RATELIMIT_STORAGE_URI=REDIS)
    assert server.healthy(), server.text()
    log = server.text()
    assert log.count("Booting worker") == 2
    assert "Refusing" not in log
    assert MEMORY_STORAGE_WARNING not in log


def test_two_workers_with_a_shared_store_count_one_accounts_failures_together(gunicorn):
    """Ten wrong passwords pause the account, however the requests fall on the workers (each on a new connection)."""
    server = gunicorn(
        "-w", "2", WORKSHOPS_RATELIMIT_STORAGE_URI=REDIS, WORKSHOPS_RATELIMIT_KEY_PREFIX=secrets.token_hex(8)
    )
    assert server.healthy(), server.text()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    connection.request("GET", "/login")
    form = connection.getresponse()
    # The session cookie is Secure in production; this plain-HTTP client sends it back by hand.
    cookie = form.getheader("Set-Cookie").split(";", 1)[0]
    token = CSRF_PATTERN.search(form.read().decode()).group(1)
    connection.close()
    body = urllib.parse.urlencode({"email": "someone@example.org", "password": "not this one", "csrf_token": token})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    answers = []
    for _ in range(parse(LOGIN_FAILURES_PER_ACCOUNT).amount + 1):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        connection.request("POST", "/login", body, headers)
        answers.append(connection.getresponse().status)
        connection.close()
    assert answers == [200] * parse(LOGIN_FAILURES_PER_ACCOUNT).amount + [429]


def test_one_worker_with_memory_storage_starts_and_warns_in_the_log(gunicorn):
    server = gunicorn("-w", "1")
    assert server.healthy(), server.text()
    assert MEMORY_STORAGE_WARNING in server.text()


def test_every_production_process_warns_about_memory_storage(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="workshops.security"):
        make_app({"ENV": "production", "SECRET_KEY": "s" * 48, "BASE_URL": "https://ws.example.eu"})
    assert MEMORY_STORAGE_WARNING in caplog.text


def test_a_shared_store_or_development_does_not_warn(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="workshops.security"):
        make_app({"ENV": "production", "SECRET_KEY": "s" * 48, "RATELIMIT_STORAGE_URI": REDIS})
        make_app({"SECRET_KEY": "s" * 48})
    assert MEMORY_STORAGE_WARNING not in caplog.text


@pytest.mark.parametrize(
    ("env", "storage", "workers", "refused"),
    [
        ("production", "memory://", 2, True),
        ("production", None, 4, True),  # memory:// is the default
        ("production", "memory://", 1, False),
        ("production", REDIS, 8, False),
        ("development", "memory://", 2, False),
    ],
)
def test_which_servers_are_refused(env, storage, workers, refused):
    config = {"ENV": env, "RATELIMIT_STORAGE_URI": storage}
    if refused:
        with pytest.raises(RuntimeError, match=f"Refusing to start {workers} worker processes"):
            check_server_processes(config, workers)
    else:
        check_server_processes(config, workers)
