"""Mail off the request path: queued by the request, built and delivered by the process's sender thread.

The rest of the suite sends at once (``MAIL_IN_BACKGROUND`` off) to read the outbox as soon as a
request answers; these tests switch the queue on and watch it work against a real SMTP server
(aiosmtpd) that takes a message only when the test lets it, so that "the page answered first" is
proved by the order of events, not by a stopwatch.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.cookiejar
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests import factories
from tests.conftest import CSRF_PATTERN, mail_link, post_form
from workshops import mail

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WAIT = 30  # seconds; a deadline for things that happen in milliseconds, never a measured time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


class HeldServer:
    """An SMTP handler that takes a sender only once released, and may refuse the first messages.

    ``replies`` are the answers to the first DATA commands (say ``"451 4.3.0 try later"``); after
    them every message is accepted.
    """

    def __init__(self, *, held: bool = False, replies: tuple[str, ...] = ()) -> None:
        self.released = threading.Event()
        self.holding = threading.Event()
        if not held:
            self.released.set()
        self.replies = list(replies)
        self.attempts = 0
        self.envelopes = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 - aiosmtpd's name
        self.holding.set()
        await asyncio.get_running_loop().run_in_executor(None, self.released.wait, WAIT)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        """What was accepted, oldest first."""
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp():
    """Start a real SMTP server on loopback around a ``HeldServer``: ``smtp(held=True, replies=...)``."""
    controllers = []

    def start(**options) -> tuple[HeldServer, int]:
        handler = HeldServer(**options)
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        controllers.append((controller, handler))
        return handler, controller.port

    yield start
    for controller, handler in controllers:
        handler.released.set()
        controller.stop()


@pytest.fixture
def background(app):
    """The app with mail queued as in production; every queued message is handed over by the end."""
    app.config.update(MAIL_IN_BACKGROUND=True, MAIL_RETRY_DELAYS=(0.01, 0.02))
    yield app
    assert mail.drain(WAIT), "the sender thread did not finish"


def _use_smtp(app, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)


def _forgot(client, email: str) -> int:
    """Ask for a reset link; the answer is closed once read, as a WSGI server closes it after sending it."""
    with post_form(client, "/password/forgot", {"email": email}) as response:
        return response.status_code


def test_a_reset_link_queued_by_a_request_arrives_in_the_outbox_and_works(background, client, outbox, participant):
    assert _forgot(client, participant.email) == 200
    assert mail.drain(WAIT)
    [message] = outbox()
    assert message["To"] == participant.email
    assert message["Subject"] == "Reset your password"
    assert client.get(mail_link(message, "/password/reset/")).status_code == 200


def test_forgot_password_answers_before_the_message_is_built_or_sent(
    background, client, participant, smtp, monkeypatch
):
    server, port = smtp(held=True)
    _use_smtp(background, port)
    built_on = []
    build = mail.build_message

    def spy(**fields):
        built_on.append(threading.current_thread().name)
        return build(**fields)

    monkeypatch.setattr(mail, "build_message", spy)
    response = post_form(client, "/password/forgot", {"email": participant.email})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.get_data(as_text=True)
    assert built_on == []  # the whole answer is there, and nothing was built for it
    assert mail.waiting() == 0  # the sender thread stays idle until the answer has gone out

    response.close()  # what the WSGI server does once it has sent the answer
    _until(server.holding.is_set, "the sender to reach the mail server")
    assert mail.waiting() == 1  # the queue holds the message ...
    assert server.envelopes == []  # ... which the slow mail server has not accepted yet
    assert built_on == ["workshops-mail"]
    server.released.set()
    assert mail.drain(WAIT)
    [message] = server.messages()
    assert message["To"] == participant.email
    assert "/password/reset/" in message.get_body(("plain",)).get_content()


def test_an_unknown_address_queues_nothing(background, client, participant, outbox):
    assert _forgot(client, "nobody@example.org") == 200
    assert mail.waiting() == 0
    assert outbox() == []


def test_a_mail_server_that_refuses_for_now_is_tried_again(background, client, participant, smtp, caplog):
    server, port = smtp(replies=("451 4.3.0 Try again later", "421 4.7.0 Too busy"))
    _use_smtp(background, port)
    with caplog.at_level(logging.WARNING, logger="workshops.mail"):
        assert _forgot(client, participant.email) == 200
        assert mail.drain(WAIT)
    assert server.attempts == 3
    [message] = server.messages()
    assert message["To"] == participant.email
    assert caplog.text.count("trying again") == 2


def test_a_mail_server_that_keeps_refusing_is_logged_after_the_last_try(background, client, participant, smtp, caplog):
    server, port = smtp(replies=("451 4.3.0 Try again later",) * 5)
    _use_smtp(background, port)
    with caplog.at_level(logging.WARNING, logger="workshops.mail"):
        assert _forgot(client, participant.email) == 200
        assert mail.drain(WAIT)
    assert server.attempts == 3  # the first try and one per delay in MAIL_RETRY_DELAYS
    assert server.envelopes == []
    [failure] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "not sent after 3 attempts" in failure.getMessage()
    assert "/password/reset/" not in caplog.text  # the link is a secret: never logged
    assert participant.email not in caplog.text


def test_a_permanent_refusal_is_logged_at_once(background, client, participant, smtp, caplog):
    server, port = smtp(replies=("550 5.1.1 No such mailbox",))
    _use_smtp(background, port)
    with caplog.at_level(logging.WARNING, logger="workshops.mail"):
        assert _forgot(client, participant.email) == 200
        assert mail.drain(WAIT)
    assert server.attempts == 1
    assert "not sent after 1 attempt:" in caplog.text


def test_a_mail_server_that_is_down_is_tried_again_then_logged(background, client, participant, caplog):
    _use_smtp(background, _free_port())  # nobody listens there
    with caplog.at_level(logging.WARNING, logger="workshops.mail"):
        assert _forgot(client, participant.email) == 200
        assert mail.drain(WAIT)
    assert "not sent after 3 attempts: ConnectionRefusedError" in caplog.text


def test_messages_leave_in_the_order_they_were_sent(background, db, smtp):
    server, port = smtp(held=True)
    _use_smtp(background, port)
    people = [factories.make_user(db) for _ in range(5)]
    client = background.test_client()
    for person in people:
        assert _forgot(client, person.email) == 200
    server.released.set()
    assert mail.drain(WAIT)
    assert [m["To"] for m in server.messages()] == [person.email for person in people]


def test_a_message_about_database_rows_is_built_by_the_request_and_sent_by_the_thread(
    background, participant, smtp, monkeypatch
):
    server, port = smtp(held=True)
    _use_smtp(background, port)
    built_on = []
    build = mail.build_message

    def spy(**fields):
        built_on.append(threading.current_thread().name)
        return build(**fields)

    monkeypatch.setattr(mail, "build_message", spy)
    with background.test_request_context("/"):
        # A row's lazy attributes need the request's database session: it is rendered here.
        mail.send_mail(
            to=participant.email,
            subject="Reset your password",
            template="reset_password",
            name=participant.name,
            link="http://workshops.test/x",
            user=participant,
        )
        assert built_on == [threading.current_thread().name]
    assert server.envelopes == []
    server.released.set()
    assert mail.drain(WAIT)
    assert [m["To"] for m in server.messages()] == [participant.email]


def test_the_command_line_sends_before_it_goes_on(background, outbox):
    with background.app_context():  # no request: a command such as send-reminders
        mail.send_mail(to="ana@example.org", subject="Hello", template="reset_password", name="Ana", link="http://x")
    assert [m["To"] for m in outbox()] == ["ana@example.org"]


def test_a_message_sent_as_the_request_ends_is_still_sent(background, outbox):
    @background.teardown_request
    def send_as_the_request_ends(_error):
        mail.send_mail(to="ana@example.org", subject="Hello", template="reset_password", name="Ana", link="http://x")

    with background.test_client().get("/") as response:
        assert response.status_code == 200
    assert mail.drain(WAIT)
    assert [m["To"] for m in outbox()] == ["ana@example.org"]


def test_a_full_queue_makes_the_request_send_its_own(background, client, participant, outbox):
    background.config["MAIL_QUEUE_SIZE"] = 0
    assert _forgot(client, participant.email) == 200
    assert [m["To"] for m in outbox()] == [participant.email]  # before any wait: nothing is lost


def test_a_gunicorn_worker_that_stops_gracefully_sends_what_it_holds(database_url, db, tmp_path, smtp):
    """SIGTERM while the mail server holds a reset message: the worker waits for it at exit."""
    participant = factories.make_user(db, email="pat@example.org")
    server, smtp_port = smtp(held=True)
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "WORKSHOPS_DATABASE_URL": database_url,
        "WORKSHOPS_SECRET_KEY": "g" * 48,
        "WORKSHOPS_BASE_URL": f"http://127.0.0.1:{port}",
        "WORKSHOPS_MAIL_SERVER": "127.0.0.1",
        "WORKSHOPS_MAIL_PORT": str(smtp_port),
        "WORKSHOPS_MAIL_USE_TLS": "false",
    }
    command = [BIN / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{port}"
        _until(lambda: _answers(opener, base + "/healthz"), "gunicorn to answer")
        form = opener.open(base + "/password/forgot", timeout=WAIT).read().decode()
        data = {"email": participant.email, "csrf_token": CSRF_PATTERN.search(form).group(1)}
        with opener.open(base + "/password/forgot", urllib.parse.urlencode(data).encode(), timeout=WAIT) as answer:
            assert answer.status == 200
        _until(server.holding.is_set, "the worker to connect to the mail server")

        process.send_signal(signal.SIGTERM)
        _until(lambda: "Worker exiting" in log.read_text(), "the worker to stop serving")
        server.released.set()
        assert process.wait(timeout=WAIT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    [message] = server.messages()
    assert message["To"] == participant.email
    assert "/password/reset/" in message.get_body(("plain",)).get_content()


def _answers(opener, url: str) -> bool:
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
