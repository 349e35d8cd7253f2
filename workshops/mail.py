"""Mail, once: every message is built here from a text and an HTML template and sent.

With ``MAIL_SERVER`` set, messages go over SMTP (STARTTLS when ``MAIL_USE_TLS``); without it, each
message is written to ``instance/outbox/`` as one ``.eml`` file, so that a local run needs no mail
server and a person can open their confirmation link from there.

A message sent while answering a request leaves the request path: once the server has sent the
answer, the message goes into a bounded queue, from which one sender thread per process takes it,
in order, builds it (when its template needs only plain values, as the account e-mails do) and
delivers it, retrying a mail server that fails for a while. A page then answers as fast whether or
not a message goes out: "forgot password" tells nobody by its speed whether the address has an
account, and a slow mail server slows no page down. At exit the queue is drained for at most
``MAIL_DRAIN_SECONDS``, so a server process that stops gracefully sends what it holds. The command
line sends at once, in its own thread, since it has no page to answer.
"""

from __future__ import annotations

import atexit
import logging
import os
import smtplib
import ssl
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import Flask, Response, current_app, g, has_request_context, render_template

from workshops.http import CONTROL_CHARACTERS
from workshops.timeutil import utcnow

log = logging.getLogger(__name__)

#: Values a template may be given to be rendered in the sender thread: they stay valid after the
#: request. Database rows do not (their session belongs to the request), so a message about a
#: workshop or a call is built on the request thread and only its delivery waits in the queue.
PLAIN_VALUES = (str, bytes, int, float, bool, type(None), date, datetime, time_of_day)
_AFTER_THE_ANSWER = "workshops_mail_after_the_answer"


def init_app(app: Flask) -> None:
    """Queue a request's messages once its answer has gone out; the sender thread starts with the first."""
    app.extensions["workshops.mail"] = True
    app.after_request(_queue_after_the_answer)
    app.teardown_request(_queue_what_is_left)


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


def send_mail(*, to: str, subject: str, template: str, **context) -> None:
    """Send a message built from ``mail/<template>``: off the request path while answering a request.

    Links in ``context`` are built by the caller (``external_url``), so nothing in the message
    depends on the request. Outside a request (the command line), or with ``MAIL_IN_BACKGROUND``
    off, the message is built and delivered before this returns, and a failure raises.
    """
    app = current_app._get_current_object()
    if not (app.config["MAIL_IN_BACKGROUND"] and has_request_context()):
        deliver(build_message(to=to, subject=subject, template=template, **context))
        return
    fields = {"to": to, "subject": subject, "template": template, **context}
    if _plain(fields):
        job = _Job(app=app, template=template, fields=fields)
    else:
        job = _Job(app=app, template=template, message=build_message(**fields))
    g.setdefault(_AFTER_THE_ANSWER, []).append(job)


def _queue_after_the_answer(response: Response) -> Response:
    """Hand the request's messages to the sender once the server has sent the answer (WSGI ``close``).

    Until then the sender thread stays idle, so building a message takes no time from the answer.
    """
    jobs = g.pop(_AFTER_THE_ANSWER, None)
    if jobs:
        response.call_on_close(lambda: _queue(jobs))
    return response


def _queue_what_is_left(_error: BaseException | None) -> None:
    """Queue at once what was sent after the answer was made (a teardown's message): nothing is dropped."""
    jobs = g.pop(_AFTER_THE_ANSWER, None)
    if jobs:
        _queue(jobs)


def _queue(jobs: list[_Job]) -> None:
    for job in jobs:
        if not _sender.put(job, job.app.config["MAIL_QUEUE_SIZE"]):
            log.warning("mail queue full: %s sent by the request's own thread", job.template)
            job.run()


def drain(timeout: float) -> bool:
    """Wait until this process has handed over every queued message, at most ``timeout`` seconds.

    Returns whether the queue emptied in time. The exit hook calls it; so may a test that reads
    the outbox after a request.
    """
    return _sender.drain(timeout)


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


def transient(error: Exception) -> bool:
    """Whether a failed delivery may succeed later: a 4xx answer, a dropped or refused connection.

    A 5xx answer (an unknown recipient, refused credentials) stays the same however often it is
    asked again, so it is logged at once.
    """
    if isinstance(error, (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError)):
        return False  # the server lacks STARTTLS, or its certificate is not to be trusted
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPServerDisconnected, OSError))


@dataclass
class _Job:
    """One message waiting for the sender: either built already, or the values to build it from."""

    app: Flask
    template: str
    fields: dict = field(default_factory=dict)
    message: EmailMessage | None = None

    def run(self) -> None:
        """Build the message if need be and deliver it, retrying transient failures; log the end."""
        with self.app.app_context():
            try:
                message = self.message or build_message(**self.fields)
            except Exception:
                log.exception("mail %s could not be built", self.template)
                return
            delays = list(self.app.config["MAIL_RETRY_DELAYS"])
            attempt = 1
            while True:
                try:
                    deliver(message)
                    return
                except Exception as error:
                    if not delays or not transient(error):
                        log.error(
                            "mail %s (%s) not sent after %d attempt%s: %s %s",
                            message["Message-ID"],
                            self.template,
                            attempt,
                            "" if attempt == 1 else "s",
                            type(error).__name__,
                            getattr(error, "smtp_code", ""),
                        )
                        return
                    log.warning(
                        "mail %s (%s): attempt %d failed (%s %s), trying again",
                        message["Message-ID"],
                        self.template,
                        attempt,
                        type(error).__name__,
                        getattr(error, "smtp_code", ""),
                    )
                    time.sleep(delays.pop(0))
                    attempt += 1


class _Sender:
    """The process's sender thread and its queue of messages, oldest first."""

    def __init__(self) -> None:
        self._forget()

    def _forget(self) -> None:
        """Start empty, with no thread: how a forked process begins (its parent sends what it held)."""
        self._changed = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._unfinished = 0
        self._thread: threading.Thread | None = None
        self.drain_seconds = 0.0

    def put(self, job: _Job, capacity: int) -> bool:
        """Queue ``job`` unless ``capacity`` messages are waiting already; start the thread if need be."""
        with self._changed:
            if len(self._jobs) >= capacity:
                return False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="workshops-mail", daemon=True)
                self._thread.start()
            self._jobs.append(job)
            self._unfinished += 1
            self.drain_seconds = float(job.app.config["MAIL_DRAIN_SECONDS"])
            self._changed.notify_all()
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until no message is queued or being sent, at most ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unfinished == 0, timeout)

    def waiting(self) -> int:
        """How many messages are queued or being sent."""
        with self._changed:
            return self._unfinished

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._jobs)
                job = self._jobs.popleft()
            try:
                job.run()
            except Exception:  # the thread must outlive any one message
                log.exception("mail %s failed", job.template)
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()


_sender = _Sender()
os.register_at_fork(after_in_child=_sender._forget)


def waiting() -> int:
    """How many messages this process still has to hand over (queued or being sent)."""
    return _sender.waiting()


@atexit.register
def _drain_at_exit() -> None:
    """At exit, give the queue ``MAIL_DRAIN_SECONDS`` to empty; log what could not be sent."""
    if not _sender.waiting():
        return
    seconds = _sender.drain_seconds
    if not _sender.drain(seconds):
        log.error("%d mail message(s) not sent: the process stopped after waiting %s s", _sender.waiting(), seconds)


def _plain(value: object) -> bool:
    """Whether ``value`` holds only plain values (see ``PLAIN_VALUES``), however nested."""
    if isinstance(value, PLAIN_VALUES):
        return True
    if isinstance(value, dict):
        return all(_plain(key) and _plain(item) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_plain(item) for item in value)
    return False


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    # Names sort by time; the random part keeps two messages of the same microsecond apart.
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    # Written under another name, then renamed: whoever reads the outbox never sees half a message.
    part = path.with_suffix(".part")
    part.write_bytes(bytes(message))
    part.replace(path)
    return path


def _sender_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"
