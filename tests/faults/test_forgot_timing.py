"""How long "forgot password" takes for an address with an account and for one without (issue 20.4).

If the answer for an existing account waits for its e-mail to be sent, the time tells whether an
address has an account. Two hundred requests of each kind, interleaved one at a time, against
gunicorn whose mail goes to a real SMTP server that takes 100 ms to accept each message, and again
with the outbox. Both medians are reported, never asserted (timings move with the machine's load);
what is asserted is what a person relies on: the same page either way, and the reset link sent to
every existing account and to nobody else.

Each request comes from its own client address (``X-Forwarded-For`` behind one trusted proxy) and
each account is asked for once, so that the rate limits, left on, never answer instead.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from aiosmtpd.controller import Controller

from tests.liveserver import Answer, Browser

PAIRS = 200
#: How long the SMTP server takes to accept one message.
SMTP_DELAY = 0.1


class SlowMailServer:
    """An aiosmtpd handler that takes ``SMTP_DELAY`` to accept each message, as a distant server would."""

    def __init__(self):
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(SMTP_DELAY)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@pytest.fixture
def mail_server(battery_port):
    """A real SMTP server on a port of the battery's range."""
    handler = SlowMailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=battery_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _figures(answers: list[Answer]) -> str:
    times = sorted(a.seconds * 1000 for a in answers)
    return f"median {statistics.median(times):.1f} ms, p90 {times[int(len(times) * 0.9)]:.1f} ms"


@pytest.mark.parametrize("transport", ["smtp", "outbox"])
def test_forgot_password_answers_alike_for_known_and_unknown_addresses(
    request, backend, transport, live_database, serve, faults_report
):
    people = live_database.add_people(f"forgot-{backend}-{transport}", PAIRS)
    unknown = [f"nobody-{backend}-{transport}-{n}@example.org" for n in range(PAIRS)]
    config = {"PROXY_FIX_HOPS": 1}
    if transport == "smtp":
        controller, handler = request.getfixturevalue("mail_server")
        config |= {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_USE_TLS": "false"}
    server = serve(live_database, workers=2, threads=4, **config)
    browser = Browser(server.url)
    browser.open_form("/password/forgot")

    def ask(address: str, n: int) -> Answer:
        client = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.{1 + n % 3}"}
        return browser.post("/password/forgot", {"email": address, "next": ""}, headers=client)

    known_answers, unknown_answers = [], []
    started = time.perf_counter()
    for n in range(PAIRS):  # alternate which kind goes first, so that neither always follows the other
        first, second = (people[n].email, unknown[n]) if n % 2 == 0 else (unknown[n], people[n].email)
        answers = [ask(first, 2 * n), ask(second, 2 * n + 1)]
        known, other = answers if n % 2 == 0 else answers[::-1]
        known_answers.append(known)
        unknown_answers.append(other)
    duration = time.perf_counter() - started

    expected = sorted(person.email for person in people)
    if transport == "smtp":
        deadline = time.monotonic() + 60
        while len(handler.recipients) < PAIRS and time.monotonic() < deadline:
            time.sleep(0.1)
        received = sorted(handler.recipients)
    else:
        received = sorted(message["To"] for message in server.wait_for_messages(PAIRS, timeout=60))
    known_median = statistics.median(a.seconds for a in known_answers) * 1000
    unknown_median = statistics.median(a.seconds for a in unknown_answers) * 1000
    faults_report(
        f"{backend} {transport}: {2 * PAIRS} requests in {duration:.1f} s; existing address {_figures(known_answers)}; "
        f"unknown address {_figures(unknown_answers)}; difference of medians {known_median - unknown_median:+.1f} ms; "
        f"messages {len(received)}"
    )
    statuses = {a.status for a in known_answers + unknown_answers}
    assert statuses == {200}, (statuses, server.problems())
    pages = {
        answer.body.replace(address, "ADDRESS")
        for answer, address in zip(known_answers + unknown_answers, [p.email for p in people] + unknown, strict=True)
    }
    assert len(pages) == 1, "the page tells an existing address from an unknown one"
    assert received == expected  # a link for every account, none for the unknown addresses
