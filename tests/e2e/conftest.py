"""End-to-end fixtures: the app served by gunicorn with two workers, driven by Debian's Chromium.

Each test gets the demo database, a fresh outbox, and helpers that scan every page with axe-core
and keep a screenshot of it under ``test-artifacts/screens/``.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCREENS = ROOT / "test-artifacts" / "screens"
BLOCKING_IMPACTS = {"serious", "critical"}
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use the system Chromium: Playwright cannot download its own browser here."""
    if not Path(CHROMIUM).exists():
        pytest.fail("The end-to-end tests need Chromium: sudo apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The application served by gunicorn on a loopback port, with its outbox."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = folder / "outbox"
        self.pidfile = folder / "gunicorn.pid"
        self.env = {
            **os.environ,
            "WORKSHOPS_DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
            "WORKSHOPS_SECRET_KEY": secrets.token_urlsafe(48),
            "WORKSHOPS_MAIL_OUTBOX": str(self.outbox),
            "WORKSHOPS_BASE_URL": self.url,
        }

    def flask(self, *args: str) -> None:
        """Run a ``flask --app workshops`` command against the server's database."""
        subprocess.run([BIN / "flask", "--app", "workshops", *args], cwd=ROOT, env=self.env, check=True)

    def start(self) -> None:
        """Migrate, load the demo, serve, and wait until the health check answers."""
        self.flask("init-db")
        self.flask("seed-demo")
        self.log = (self.folder / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--pid", str(self.pidfile), "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer; see " + str(self.folder / "gunicorn.log"))

    def stop(self) -> None:
        """Stop gunicorn and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()

    def messages(self) -> list[email.message.EmailMessage]:
        """The messages in the outbox, oldest first."""
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.outbox.glob("*.eml"))
        ]

    def link_in_last_message(self, to: str, path_prefix: str) -> str:
        """The link starting with ``path_prefix`` in the newest message sent to ``to``."""
        for message in reversed(self.messages()):
            if message["To"] == to:
                body = message.get_body(("plain",)).get_content()
                match = re.search(re.escape(self.url + path_prefix) + r"\S+", body)
                if match:
                    return match.group(0)
        raise AssertionError(f"no {path_prefix} link sent to {to}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One server for the session: the tests use distinct accounts, so they do not interfere."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(page, live_server):
    """A browser page with the server's address as base URL."""
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def check_page(request):
    """Scan the page with axe-core (no serious or critical violation) and keep a screenshot."""
    axe = Axe()
    counter = iter(range(1, 100))
    folder = SCREENS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)

    def check(page, label: str) -> None:
        page.screenshot(path=folder / f"{next(counter):02d}-{label}.png", full_page=True)
        violations = axe.run(page).response["violations"]
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert blocking == [], f"axe on {label} ({page.url}):\n" + "\n".join(blocking)

    return check
