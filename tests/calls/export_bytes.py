"""Build every export of one call in this process and print them, for comparing bytes across processes.

    python -m tests.calls.export_bytes DATABASE_URL CALL_ID

prints one JSON object from "call.md", "call.docx", …, "report.docx" (each format of
``CALL_FORMATS`` and ``REPORT_FORMATS``) to the export's bytes in base64. A test runs it twice, with
other hash seeds, time zones and clock readings, and compares: a difference is something an export
takes from the process (set order, the time, the zone) instead of from the data.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile

from sqlmodel import Session

from workshops import create_app
from workshops.calls import exports, report
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import OpenCall


def build(database_url: str, call_id: int) -> dict[str, bytes]:
    """Every export of the call, read as the download views read it."""
    with tempfile.TemporaryDirectory() as outbox:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t" * 40, "MAIL_OUTBOX": outbox})
        engine = app.extensions["workshops.engine"]
        try:
            with app.app_context(), Session(engine) as session:
                call_text = exports.read(session, session.get(OpenCall, call_id))
                found = {f"call.{key}": format_.data(call_text) for key, format_ in CALL_FORMATS.items()}
                consultation = report.build(session, call_text)
                found |= {f"report.{key}": format_.data(consultation) for key, format_ in REPORT_FORMATS.items()}
        finally:
            engine.dispose()
    return found


def main(argv: list[str]) -> None:
    database_url, call_id = argv
    built = build(database_url, int(call_id))
    print(json.dumps({name: base64.b64encode(data).decode("ascii") for name, data in built.items()}))


if __name__ == "__main__":
    main(sys.argv[1:])
