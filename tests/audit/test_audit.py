"""The audit log: what is recorded, what is never recorded, and who may read it."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from tests.conftest import csrf_token, post_form
from workshops.audit.models import AuditAction, AuditEntry
from workshops.audit.services import record


def _entries(db, action=None):
    db.rollback()
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return db.exec(statement).all()


def test_failed_login_is_recorded_without_the_password(client, db, participant):
    post_form(client, "/login", {"email": participant.email, "password": "hunter2 is my secret"})
    post_form(client, "/login", {"email": "nobody@example.org", "password": "hunter2 is my secret"})
    first, second = _entries(db, "login_failed")
    assert (first.target_type, first.target_id, first.detail) == ("account", participant.id, "wrong password")
    assert first.ip == "127.0.0.1"
    assert second.target_id is None
    for entry in (first, second):
        assert "hunter2" not in entry.detail
        assert "nobody@example.org" not in entry.detail


def test_role_change_is_recorded_with_who_and_what(organiser_client, db, organiser, participant):
    post_form(
        organiser_client, f"/manage/users/{participant.id}/role", {"role": "facilitator"}, form_url="/manage/users"
    )
    [entry] = _entries(db, "role_changed")
    assert (entry.actor_id, entry.target_id, entry.detail) == (
        organiser.id,
        participant.id,
        "participant -> facilitator",
    )
    assert entry.at.tzinfo is not None


def test_refused_page_is_recorded(participant_client, db, participant):
    participant_client.get("/manage/audit")
    [entry] = _entries(db, "access_denied")
    assert (entry.actor_id, entry.detail) == (participant.id, "GET /manage/audit")


def test_csrf_failure_is_recorded(client, db):
    client.post("/login", data={"email": "a@example.org", "password": "x"})
    [entry] = _entries(db, "csrf_failed")
    assert entry.detail == "POST /login"


def test_crlf_in_recorded_values_is_escaped(app, db):
    with app.test_request_context("/"):
        record(AuditAction.export, detail="call.md\r\nexport forged")
    [entry] = _entries(db, "export")
    assert entry.detail == "call.md\\r\\nexport forged"


def test_tokens_in_refused_links_are_not_recorded(client, db):
    client.post("/confirm/SECRETTOKENVALUE", data={})
    [entry] = _entries(db, "csrf_failed")
    assert entry.detail == "POST /confirm/[token]"


def test_organiser_reads_and_filters_the_log(organiser_client, participant_client, participant):
    participant_client.get("/manage/users")
    page = organiser_client.get("/manage/audit?action=access_denied").get_data(as_text=True)
    assert "access denied" in page
    assert "GET /manage/users" in page
    assert "Pat Participant" in page


def test_export_is_a_post_that_is_itself_recorded(organiser_client, db, participant_client):
    participant_client.get("/manage/audit")
    assert organiser_client.get("/manage/audit.csv").status_code == 405
    response = organiser_client.post(
        "/manage/audit.csv", data={"csrf_token": csrf_token(organiser_client, "/manage/audit")}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["access_denied"]
    assert rows[0]["detail"] == "GET /manage/audit"
    assert [e.detail for e in _entries(db, "export")] == ["audit log (all actions)"]
