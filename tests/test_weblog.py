"""One log line per request, without secrets."""

from __future__ import annotations

from tests.conftest import log_in
from workshops.weblog import escape


def test_each_request_logs_method_path_status_duration_and_user(app, participant, caplog):
    client = app.test_client()
    log_in(client, participant)
    caplog.clear()
    client.get("/me")
    [line] = [r.getMessage() for r in caplog.records if r.name == "workshops.request"]
    assert line.startswith("GET /me 200 ")
    assert "ms" in line
    assert line.endswith(f"user={participant.id}")


def test_tokens_in_links_are_not_logged(client, caplog):
    client.get("/password/reset/SECRETTOKENVALUE")
    lines = [r.getMessage() for r in caplog.records if r.name == "workshops.request"]
    assert lines == [lines[0]]
    assert "SECRETTOKENVALUE" not in lines[0]
    assert "/password/reset/[token]" in lines[0]


def test_crlf_in_logged_values_is_escaped():
    assert escape("/a\r\nforged line") == "/a\\r\\nforged line"
