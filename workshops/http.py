"""How the pages' scripts and the server understand each other: one way to ask for JSON, one error shape.

A script that wants JSON sends ``Accept: application/json`` (``static/js/lib/fetch.js`` does, for
every script); a browser's own requests never prefer it. A piece of a page (the live board, the
check-in results, a preview) has its own address instead. Every JSON answer that is not a success
has the shape ``{"error": message, "errors": {field: [messages]}, "form_errors": [messages]}``.
"""

from __future__ import annotations

import re

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


#: Line breaks and other control characters (C0, DEL, C1, the Unicode line and paragraph separators):
#: what a one-line input (a title, a subject) never holds, and what a mail header must never carry.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

#: The largest id a table holds (a 32-bit integer on PostgreSQL): a larger number is no id.
MAX_ID = 2_147_483_647


def ids(values: list[str]) -> list[int]:
    """The ids among request values, once each, in the order given: plain ASCII digits, in range.

    ``"²".isdigit()`` is true and ``int("²")`` fails, and an id past ``MAX_ID`` makes PostgreSQL
    refuse the query: both are simply not ids.
    """
    found = (value.strip() for value in values)
    numbers = (int(text) for text in found if text.isascii() and text.isdigit() and len(text) <= 10)
    return list(dict.fromkeys(number for number in numbers if 0 < number <= MAX_ID))
