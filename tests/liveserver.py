"""The application served by gunicorn on a loopback port, and browsers that talk to it, for live tests.

``LiveServer`` runs gunicorn with its own configuration (``WORKSHOPS_*`` variables), keeps its log,
and can kill one of its workers. ``Browser`` is one person's browser: its own cookies, the CSRF
token of the last form it opened, a fresh connection per request. ``burst`` sends many people's
requests at the same moment, from one thread each, released together at a barrier.
"""

from __future__ import annotations

import email
import email.policy
import functools
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: A traceback in the log, up to the line naming the exception.
TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n)+\S.*$", re.MULTILINE)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in(ports: Iterable[int]) -> int:
    """The first port of ``ports`` that can be bound on loopback now (the way gunicorn binds it)."""
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


@functools.cache
def _gunicorn_options() -> str:
    return subprocess.run([BIN / "gunicorn", "--help"], capture_output=True, text=True, check=False).stdout


class LiveServer:
    """gunicorn serving ``application`` (``wsgi:app``) with its own configuration through ``WORKSHOPS_*`` variables."""

    def __init__(
        self,
        folder: Path,
        *,
        database_url: str | None = None,
        workers: int = 2,
        threads: int = 1,
        application: str = "wsgi:app",
        port: int | None = None,
        **config,
    ):
        self.folder = folder
        self.application = application
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = folder / "outbox"
        self.pidfile = folder / "gunicorn.pid"
        self.log_path = folder / "gunicorn.log"
        self.secret_key = secrets.token_urlsafe(48)
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "WORKSHOPS_DATABASE_URL": database_url or f"sqlite:///{folder / 'live.db'}",
            "WORKSHOPS_SECRET_KEY": self.secret_key,
            "WORKSHOPS_MAIL_OUTBOX": str(self.outbox),
            "WORKSHOPS_BASE_URL": self.url,
            **{f"WORKSHOPS_{key}": str(value) for key, value in config.items()},
        }

    @property
    def database_url(self) -> str:
        """The database the server works on."""
        return self.env["WORKSHOPS_DATABASE_URL"]

    def flask(self, *args: str) -> None:
        """Run a ``flask --app workshops`` command against the server's database."""
        subprocess.run([BIN / "flask", "--app", "workshops", *args], cwd=ROOT, env=self.env, check=True)

    def start(self) -> LiveServer:
        """Serve, and wait until the health check answers."""
        self.log = self.log_path.open("w")
        command = [
            BIN / "gunicorn",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--pid",
            str(self.pidfile),
        ]
        if "--no-control-socket" in _gunicorn_options():
            # gunicorn 27 shares one control socket (~/.gunicorn/gunicorn.ctl) between all its servers.
            command.append("--no-control-socket")
        if self.threads > 1:
            command += ["--threads", str(self.threads), "-k", "gthread"]
        self.process = subprocess.Popen(
            [*command, self.application], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer; its log ({self.log_path}):\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        """Stop gunicorn and wait for it (killed if it does not stop within 15 s)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()
        self.process = None

    def worker_pids(self) -> set[int]:
        """The process ids of the master's live workers (its children)."""
        master = self.process.pid
        children = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process ended while we looked
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == master and state != "Z":
                children.add(int(entry.name))
        return children

    def kill_worker(self) -> int:
        """Kill one worker with SIGKILL, as the kernel's OOM killer would; return its process id."""
        victim = min(self.worker_pids())
        os.kill(victim, signal.SIGKILL)
        return victim

    def wait_for_workers(self, *, gone: Iterable[int] = (), timeout: float = 30) -> set[int]:
        """Wait until the master runs its full number of workers again, none of them ``gone``; return their ids."""
        gone = set(gone)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not pids & gone:
                return pids
            time.sleep(0.1)
        raise AssertionError(
            f"gunicorn runs workers {self.worker_pids()} after {timeout} s, not {self.workers} new ones"
        )

    def log_text(self) -> str:
        """What gunicorn and the application wrote."""
        return self.log_path.read_text()

    def tracebacks(self) -> list[str]:
        """The tracebacks in the log, oldest first."""
        return TRACEBACK.findall(self.log_text())

    def problems(self, limit: int = 6000) -> str:
        """For a failing assertion: the log's tracebacks grouped by their error, or the end of the log."""
        found = self.tracebacks()
        if not found:
            return "gunicorn log ends:\n" + self.log_text()[-limit:]
        by_error: dict[str, list[str]] = {}
        for traceback in found:
            by_error.setdefault(traceback.splitlines()[-1], []).append(traceback)
        parts = [f"{len(found)} tracebacks in the gunicorn log ({self.log_path}):"]
        for error, examples in by_error.items():
            parts.append(f"{len(examples)} x {error}; the first passes through:\n{_own_frames(examples[0])}")
        return "\n\n".join(parts)[:limit]

    def messages(self) -> list[email.message.EmailMessage]:
        """The messages in the outbox, oldest first."""
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.outbox.glob("*.eml"))
        ]

    def wait_for_messages(self, count: int, *, timeout: float = 30) -> list[email.message.EmailMessage]:
        """The outbox once it holds at least ``count`` messages (mail may be sent in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.messages_written()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages()

    def messages_where(
        self, wanted: Callable[[email.message.EmailMessage], bool], *, count: int = 1, timeout: float = 30
    ) -> list[email.message.EmailMessage]:
        """The outbox's messages that ``wanted`` accepts, oldest first, once there are ``count`` (or at the deadline).

        Mail leaves the server's request path: a page can answer before its message is written.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [message for message in self.messages() if wanted(message)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def messages_written(self) -> list[Path]:
        """The outbox's message files, without reading them."""
        return sorted(self.outbox.glob("*.eml"))

    def link_in_last_message(self, to: str, path_prefix: str, *, timeout: float = 10) -> str:
        """The link starting with ``path_prefix`` in the newest message sent to ``to``, waiting for it a while."""
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(self.messages()):
                if message["To"] == to:
                    body = message.get_body(("plain",)).get_content()
                    match = re.search(re.escape(self.url + path_prefix) + r"\S+", body)
                    if match:
                        return match.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {path_prefix} link sent to {to}")
            time.sleep(0.1)


def _own_frames(traceback: str) -> str:
    """The frames of a traceback in the application's own code, with their lines, and the error."""
    lines = traceback.splitlines()
    own = str(ROOT / "workshops")
    kept = [f"{line}\n{lines[n + 1]}" for n, line in enumerate(lines[:-1]) if own in line]
    return "\n".join([*(kept or lines[-16:-1]), lines[-1]])


@dataclass
class Answer:
    """What one request got back: status 0 when no answer came (connection refused, dropped, timed out)."""

    method: str
    path: str
    status: int
    seconds: float
    location: str = ""
    body: str = ""
    error: str = ""
    sent_at: float = 0.0

    @property
    def failed_on_server(self) -> bool:
        """A 5xx answer."""
        return self.status >= 500


class Browser:
    """One person's browser: its cookies, the CSRF token of the last form it opened, no redirects followed."""

    def __init__(self, url: str, *, timeout: float = 90, headers: dict[str, str] | None = None):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None

    def request(
        self, method: str, path: str, form: dict | None = None, *, headers: dict[str, str] | None = None
    ) -> Answer:
        """Send one request on a new connection; keep the cookies it sets."""
        body = urlencode(form, doseq=True) if form is not None else None
        sent = {**self.headers, **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            return Answer(method, path, 0, time.perf_counter() - started, error=repr(error), sent_at=started)
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                deleted = morsel["max-age"] == "0" or (morsel.value == "" and morsel["expires"])
                if deleted:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(
            method,
            path,
            response.status,
            time.perf_counter() - started,
            location=response.headers.get("Location", ""),
            body=text,
            sent_at=started,
        )

    def get(self, path: str, **kwargs) -> Answer:
        """GET a page."""
        return self.request("GET", path, **kwargs)

    def open_form(self, path: str) -> Answer:
        """GET a page with a form and keep its CSRF token; fail when there is none."""
        answer = self.get(path)
        match = CSRF_PATTERN.search(answer.body)
        if not match:
            raise AssertionError(f"no CSRF token on {path} ({answer.status} {answer.error})")
        self.csrf_token = match.group(1)
        return answer

    def post(self, path: str, form: dict | None = None, **kwargs) -> Answer:
        """POST a form with the CSRF token of the last form opened, as a browser does."""
        return self.request("POST", path, {**(form or {}), "csrf_token": self.csrf_token}, **kwargs)


@dataclass(repr=False)
class Burst:
    """The answers of requests sent at the same moment, and how long until the last one came."""

    answers: list[Answer]
    seconds: float
    statuses: Counter = field(init=False)

    def __post_init__(self):
        self.statuses = Counter(answer.status for answer in self.answers)

    def __repr__(self) -> str:
        return f"Burst({self.figures()})"

    @property
    def server_errors(self) -> int:
        """How many answered 5xx."""
        return sum(answer.failed_on_server for answer in self.answers)

    def figures(self) -> str:
        """A line of figures for the report."""
        times = sorted(answer.seconds for answer in self.answers) or [0.0]
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return (
            f"requests {len(self.answers)}, statuses {{{statuses}}}, 5xx {self.server_errors}, "
            f"duration {self.seconds:.2f} s, answer times median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )


def burst(tasks: list[Callable[[], Answer | list[Answer]]], *, on_release: Callable[[], None] | None = None) -> Burst:
    """Run each task in its own thread, all released together at a barrier; ``on_release`` runs alongside them."""
    results: list[Answer | list[Answer] | None] = [None] * len(tasks)
    parties = len(tasks) + 1 + (on_release is not None)
    barrier = threading.Barrier(parties)

    def run(index: int, task: Callable) -> None:
        barrier.wait()
        try:
            results[index] = task()
        except Exception as error:  # a task that broke counts as a request without an answer
            results[index] = Answer("?", "?", 0, 0.0, error=repr(error))

    def alongside() -> None:
        barrier.wait()
        on_release()

    threads = [threading.Thread(target=run, args=(i, task)) for i, task in enumerate(tasks)]
    if on_release is not None:
        threads.append(threading.Thread(target=alongside))
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    answers: list[Answer] = []
    for result in results:
        answers.extend(result if isinstance(result, list) else [result])
    return Burst(answers, time.perf_counter() - started)


def each(items: Iterable, work: Callable, *, threads: int = 16) -> list:
    """Apply ``work`` to every item with a few threads at a time (getting people's forms ready); results in order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, items))
