"""How the pages' scripts and the server understand each other: one way to ask for JSON, one error shape.

A script that wants JSON sends ``Accept: application/json`` (``static/js/lib/fetch.js`` does, for
every script); a browser's own requests never prefer it. A piece of a page (the live board, the
check-in results, a preview) has its own address instead. Every JSON answer that is not a success
has the shape ``{"error": message, "errors": {field: [messages]}, "form_errors": [messages]}``.
"""

from __future__ import annotations

from flask import request

JSON = "application/json"


def wants_json() -> bool:
    """Whether the request asks for JSON rather than a page (or a redirect)."""
    return request.accept_mimetypes.best_match(["text/html", JSON]) == JSON


def json_error(
    status: int, message: str, *, errors: dict[str, list[str]] | None = None, form_errors: list[str] | None = None
) -> tuple[dict, int]:
    """The one JSON answer for a refusal or an error: a message for the person, and the fields at fault."""
    return {"error": message, "errors": errors or {}, "form_errors": form_errors or []}, status
