"""The same data gives the same bytes, in every format, whichever process builds the export.

Someone who downloads the call twice, or compares the organisers' copy with the public one, must get
identical files; a checksum published beside a call must stay true. So each format of the call and
of its consultation report is built in two separate processes that differ in everything that is not
data (hash seed, so set and dict order of strings; time zone; the clock, at least two seconds apart,
past the 2-second grain of zip timestamps), and once in this process; all three must be equal.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workshops.calls import composition, exports, report
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import OpenCall

ROOT = Path(__file__).resolve().parents[2]
#: Markdown that takes the DOCX writer through its numbered parts: hyperlinks (relationship ids),
#: ordered lists (numbering instances), a table, a quote and code.
FUNDING = """Up to **EUR 60 000** per challenge; see [the rules](https://example.org/rules) and
[the FAQ](https://example.org/faq), or write to [the helpdesk](mailto:help@example.org).

1. Apply
2. Pitch

3. Sign

| Phase | Share |
| --- | --- |
| Pilot | 60 % |

> Paid in two instalments.

    code block
"""
#: Everything that is not data and that the two processes differ in.
PROCESSES = [
    {"PYTHONHASHSEED": "1", "TZ": "UTC"},
    {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Chatham"},
]
MIN_APART = 2.1  # seconds between the two builds


@pytest.fixture
def published(app, db, call_text, database_url) -> tuple[int, dict[str, bytes]]:
    """Open Call 2 published (so its documents carry a publication date), and its exports built here."""
    with app.app_context():
        call = db.get(OpenCall, call_text.call.id)
        call.funding = FUNDING
        db.commit()
        composition.publish(db, call)
        call_text = exports.read(db, db.get(OpenCall, call.id, populate_existing=True))
        built = {f"call.{key}": format_.data(call_text) for key, format_ in CALL_FORMATS.items()}
        consultation = report.build(db, call_text)
        built |= {f"report.{key}": format_.data(consultation) for key, format_ in REPORT_FORMATS.items()}
    db.rollback()  # no read transaction left open while the other processes read
    return call.id, built


def _build_elsewhere(database_url: str, call_id: int, environment: dict[str, str]) -> dict[str, bytes]:
    """Every export as ``tests/calls/export_bytes.py`` builds it in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.calls.export_bytes", database_url, str(call_id)],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {name: base64.b64decode(data) for name, data in json.loads(done.stdout).items()}


def _first_difference(one: bytes, other: bytes) -> int:
    return next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other)))


def test_every_export_has_the_same_bytes_in_every_process(database_url, published):
    call_id, here = published
    builds = []
    for environment in PROCESSES:
        started = time.monotonic()
        builds.append(_build_elsewhere(database_url, call_id, environment))
        time.sleep(max(0.0, MIN_APART - (time.monotonic() - started)))
    expected = {f"call.{key}" for key in CALL_FORMATS} | {f"report.{key}" for key in REPORT_FORMATS}
    for name in sorted(expected):
        first, second = (build[name] for build in builds)
        assert first == second, f"{name} differs between processes at byte {_first_difference(first, second)}"
        assert first == here[name], f"{name} differs from this process's at byte {_first_difference(first, here[name])}"
    assert set(builds[0]) == set(builds[1]) == set(here) == expected
