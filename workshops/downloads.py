"""Downloads, once: a safe attachment header for every file, and the one CSV writer.

A file name comes from titles people type, so it is reduced to harmless characters before it
reaches a header. CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str, *, default: str = "download") -> str:
    """Reduce a file name to ASCII letters, digits, dot, dash, underscore and space."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("-", ascii_name).strip(" .-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:120]
    return cleaned or default


def attachment(data: bytes | str, *, filename: str, mimetype: str) -> Response:
    """A response that the browser saves as ``filename`` rather than showing it."""
    # A media type that names its charset is used as given (Werkzeug would add a second one).
    response = Response(data, content_type=mimetype) if "charset=" in mimetype else Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def neutralise(value: object) -> str:
    """A cell value that spreadsheets show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """Write rows as CSV with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


@dataclass(frozen=True)
class Table:
    """A table to download: its columns, its rows and the name the file is saved under."""

    header: list[str]
    rows: list[list[object]]
    filename: str

    def csv(self) -> Response:
        """The table as a CSV download."""
        return csv_response(header=self.header, rows=self.rows, filename=self.filename)


def csv_response(*, header: list[str], rows: Iterable[Iterable[object]], filename: str) -> Response:
    """A CSV download (UTF-8 with a byte-order mark, so that spreadsheet programs read accents right)."""
    return attachment("\ufeff" + csv_text(header, rows), filename=filename, mimetype="text/csv")
