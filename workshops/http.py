"""How the pages' scripts and the server understand each other: one way to ask for JSON, one error shape.

A script that wants JSON sends ``Accept: application/json`` (``static/js/lib/fetch.js`` does, for
every script); a browser's own requests never prefer it. A piece of a page (the live board, the
check-in results, a preview) has its own address instead. Every JSON answer that is not a success
has the shape ``{"error": message, "errors": {field: [messages]}, "form_errors": [messages]}``.

What a request may hold is settled here too, before any view reads it: an address with a control
character names nothing (404), a query value with one is refused (400), an id in a path or a number
in a query string is ASCII digits within what a column holds (``number``, ``ids``, ``IdConverter``).
Form fields get the same rules from ``workshops.forms.Form``.
"""

from __future__ import annotations

import re

from flask import Flask, Response, abort, g, request
from werkzeug.routing import IntegerConverter

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

#: What no text sent to this site may hold: control characters other than tab and line breaks (C0,
#: DEL, C1), and halves of surrogate pairs (a JSON body can carry one), which no database stores.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

#: The smallest and the largest number a column holds (a 32-bit integer on PostgreSQL): the largest
#: is also the largest id, and a number outside this range is no number of ours.
MIN_INTEGER = -2_147_483_648
MAX_ID = 2_147_483_647
#: A whole number as people and pages write it: ASCII digits, perhaps after a minus; ten digits at most.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")


def init_app(app: Flask) -> None:
    """Refuse bad addresses and query values before any view, and give form refusals of bad input their status.

    Called before the blueprints are registered: their routes' ``<int:…>`` must use ``IdConverter``.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_control_characters)
    app.after_request(_refused_input_status)


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits up to ``MAX_ID``, so that any other path is simply not found.

    Werkzeug's own converter takes any Unicode digit (``/needs/٣``) and numbers no column holds,
    which made the database refuse the query (a 500) instead of the page answering 404.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed=False):
        """Werkzeug's converter, with ``MAX_ID`` as the default largest value."""
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse_control_characters() -> None:
    """Before any view: 404 for an address with a control character, 400 for a query string with one.

    Line breaks and tabs are fine in a query value (the similar-needs look-up sends a statement as
    typed), never in a path or a parameter's name.
    """
    if CONTROL_CHARACTERS.search(request.path):
        abort(404)
    for name, value in request.args.items(multi=True):
        if CONTROL_CHARACTERS.search(name) or FORBIDDEN_CHARACTERS.search(value):
            abort(400)


def refuse_input() -> None:
    """Note that a form refused what was sent as no text or number of ours: the page that says so answers 422."""
    g.input_refused = True


def _refused_input_status(response: Response) -> Response:
    if response.status_code == 200 and g.get("input_refused"):
        response.status_code = 422
    return response


def integer(text: str | None, *, low: int = MIN_INTEGER, high: int = MAX_ID) -> int | None:
    """A whole number sent as text, from ``low`` to ``high``; ``None`` for anything else.

    Only ASCII digits count, perhaps after a minus and surrounded by spaces: ``int()`` also takes
    "٣" and "1_000", and ``"²".isdigit()`` is true while ``int("²")`` fails.
    """
    if not isinstance(text, str) or not _WHOLE_NUMBER.fullmatch(text := text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def number(text: str | None) -> int | None:
    """A page number, an id or a count sent in a query string or a hidden field: ASCII digits, 0 to ``MAX_ID``."""
    return integer(text, low=0)


def ids(values: list[str]) -> list[int]:
    """The ids among request values, once each, in the order given: plain ASCII digits, in range.

    ``"²".isdigit()`` is true and ``int("²")`` fails, and an id past ``MAX_ID`` makes PostgreSQL
    refuse the query: both are simply not ids.
    """
    return list(dict.fromkeys(found for found in map(number, values) if found))
