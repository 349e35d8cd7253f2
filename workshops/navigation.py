"""Where to send a person next: only ever to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def safe_next(target: str | None) -> str | None:
    r"""Return ``target`` if it is a local path, else ``None``.

    Refuses what browsers read as another host or a script: ``//evil``, ``/\\evil``, absolute URLs,
    ``javascript:`` and anything with control characters or backslashes.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(char) < 32 or char == "\\" or ord(char) == 127 for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def next_or_home(target: str | None) -> str:
    """The safe target, or the home page."""
    return safe_next(target) or url_for("main.index")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails and calendar files, built on ``BASE_URL``, never on the Host header."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # command line: no request to build URLs from
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"] + path
