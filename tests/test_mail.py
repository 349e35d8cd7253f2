"""The mail helper: outbox files without a server, real SMTP with one."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from workshops.mail import send_mail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_without_server_each_message_is_one_eml_file(app, outbox):
    with app.test_request_context():
        send_mail(
            to="ana@example.org",
            subject="Reset your password",
            template="reset_password",
            name="Ana <b>",
            link="http://x/y",
        )
    [message] = outbox()
    assert message["Subject"] == "Reset your password"
    assert message["From"] == app.config["MAIL_SENDER"]
    assert "http://x/y" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ana &lt;b&gt;" in html  # names are escaped in the HTML part
    assert "Ana <b>" in message.get_body(("plain",)).get_content()


def test_with_server_messages_go_over_smtp(app, smtp_server, outbox):
    controller, handler = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    with app.test_request_context():
        send_mail(
            to="lena@example.org",
            subject="Confirm your e-mail address",
            template="confirm_account",
            name="Lena",
            link="http://l",
        )
    assert outbox() == []
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["lena@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Confirm your e-mail address"
    assert "http://l" in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)) is not None


def test_signup_mail_links_use_the_base_url_not_the_host_header(client, outbox):
    from tests.auth.test_signup import GOOD
    from tests.conftest import post_form

    post_form(client, "/signup", GOOD)
    body = outbox()[0].get_body(("plain",)).get_content()
    assert "http://workshops.test/confirm/" in body
    assert "localhost" not in body


def test_a_subject_with_line_breaks_is_sent_on_one_line_and_adds_no_header(app, smtp_server):
    controller, handler = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    with app.test_request_context():
        send_mail(
            to="lena@example.org",
            subject="Hi\r\nBcc: x@example.org\x00\u2028there",
            template="confirm_account",
            name="Lena",
            link="http://l",
        )
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["lena@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Hi Bcc: x@example.org there"
    assert message["Bcc"] is None
