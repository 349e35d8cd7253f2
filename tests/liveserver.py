"""The application served by gunicorn on a loopback port, for browser and concurrency tests."""

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

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        **config,
    ):
        self.folder = folder
        self.application = application
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = folder / "outbox"
        self.pidfile = folder / "gunicorn.pid"
        self.secret_key = secrets.token_urlsafe(48)
        self.workers = workers
        self.threads = threads
        self.env = {
            **os.environ,
            "WORKSHOPS_DATABASE_URL": database_url or f"sqlite:///{folder / 'live.db'}",
            "WORKSHOPS_SECRET_KEY": self.secret_key,
            "WORKSHOPS_MAIL_OUTBOX": str(self.outbox),
            "WORKSHOPS_BASE_URL": self.url,
            **{f"WORKSHOPS_{key}": str(value) for key, value in config.items()},
        }

    def flask(self, *args: str) -> None:
        """Run a ``flask --app workshops`` command against the server's database."""
        subprocess.run([BIN / "flask", "--app", "workshops", *args], cwd=ROOT, env=self.env, check=True)

    def start(self) -> LiveServer:
        """Serve, and wait until the health check answers."""
        self.log = (self.folder / "gunicorn.log").open("w")
        command = [
            BIN / "gunicorn",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--pid",
            str(self.pidfile),
        ]
        if self.threads > 1:
            command += ["--threads", str(self.threads), "-k", "gthread"]
        self.process = subprocess.Popen(
            [*command, self.application], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer; see " + str(self.folder / "gunicorn.log"))

    def stop(self) -> None:
        """Stop gunicorn and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()

    def log_text(self) -> str:
        """What gunicorn and the application wrote."""
        return (self.folder / "gunicorn.log").read_text()

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
