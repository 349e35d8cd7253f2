"""Mail, once: every message is built here from a text and an HTML template and sent.

With ``MAIL_SERVER`` set, messages go over SMTP (STARTTLS when ``MAIL_USE_TLS``); without it, each
message is written to ``instance/outbox/`` as one ``.eml`` file, so that a local run needs no mail
server and a person can open their confirmation link from there.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import Flask, current_app, render_template

from workshops.http import CONTROL_CHARACTERS
from workshops.timeutil import utcnow

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Nothing to bind yet; kept so the factory reads the same for every helper."""
    app.extensions["workshops.mail"] = True


def build_message(
    *, to: str, subject: str, template: str, attachments: list[tuple[str, str, bytes]] = (), **context
) -> EmailMessage:
    """Render ``mail/<template>.txt`` and ``.html`` into a message with both parts.

    ``attachments`` are ``(filename, mime type, bytes)`` triples, e.g. a calendar file.
    """
    config = current_app.config
    context.setdefault("base_url", config["BASE_URL"])
    context.setdefault("programme_name", config["PROGRAMME_NAME"])
    message = EmailMessage()
    message["Subject"] = subject = one_line(subject)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_sender_domain(config["MAIL_SENDER"]))
    message.set_content(render_template(f"mail/{template}.txt", subject=subject, **context))
    message.add_alternative(render_template(f"mail/{template}.html", subject=subject, **context), subtype="html")
    for filename, mime_type, data in attachments:
        maintype, subtype = mime_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def one_line(text: str) -> str:
    """A header's text on one line: each run of control characters becomes one space.

    A subject holds stored values (a workshop's title, an organiser's subject line); a line break in
    one would either let it add headers or make the message impossible to build after the change it
    reports was stored. Forms refuse such characters; this keeps mail safe from whatever is stored.
    """
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def send_mail(*, to: str, subject: str, template: str, **context) -> EmailMessage:
    """Build a message and deliver it by SMTP or into the outbox; return what was sent."""
    message = build_message(to=to, subject=subject, template=template, **context)
    deliver(message)
    return message


def deliver(message: EmailMessage) -> None:
    """Hand a built message to the configured transport."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        path = _write_to_outbox(message, Path(config["MAIL_OUTBOX"]))
        log.info("mail written to outbox: %s", path.name)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    log.info("mail sent by SMTP: %s", message["Message-ID"])


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    # Names sort by time; the random part keeps two messages of the same microsecond apart.
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    return path


def _sender_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"
