"""My data: the page and the JSON download hold everything about the person, and nothing about anyone else."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.audit.models import AuditAction, AuditEntry
from workshops.events import consents
from workshops.events import registration as reg
from workshops.events.models import Registration
from workshops.needs import services as needs
from workshops.needs import votes
from workshops.needs.models import Need
from workshops.timeutil import utcnow
from workshops.usecases import services as usecases
from workshops.usecases.models import UseCase


@dataclass
class Everything:
    """A person with one of everything, and another person with their own."""

    person: object
    other: object
    registration: Registration
    other_registration: Registration
    stated: Need
    captured: Need
    other_need: Need
    use_case: UseCase


@pytest.fixture
def everything(app, db, facilitator, organiser) -> Everything:
    """Ada with one of everything, and Bob with his own.

    Ada: registered (a seat, and a waiting-list place in a full breakout), checked in, two needs, a
    vote, a comment, audit entries about her and her consents. Bob: his own of each.
    """
    cluster = factories.make_cluster(db, name="Pôle SCS")
    ada = factories.make_user(
        db, name="Ada Everything", email="ada@example.org", organisation="Port of Lisbon", cluster_id=cluster.id
    )
    bob = factories.make_user(db, name="Bob Else", email="bob@example.org", organisation="Bob's Secret Agency")
    workshop = factories.make_workshop(db, title="Lisbon 2021")
    morning = factories.make_breakout(db, workshop, hour=1, title="Drones at the port", capacity=10)
    afternoon = factories.make_breakout(db, workshop, hour=3, title="Flood gauges", capacity=1)
    with app.app_context():
        bob_registration = reg.register(
            session=db,
            workshop=workshop,
            user=bob,
            choices=reg.Choices(mode="on_site", breakout_ids=(morning.id, afternoon.id), dietary="Bob's diet"),
        ).registration
        registration = reg.register(
            session=db,
            workshop=workshop,
            user=ada,
            choices=reg.Choices(
                mode="on_site",
                breakout_ids=(morning.id, afternoon.id),
                dietary="Vegetarian",
                accessibility="Step-free access",
                consent_listing=True,
                consent_updates=True,
            ),
        ).registration
        registration = db.get(Registration, registration.id, populate_existing=True)
        registration.checked_in_at = utcnow()
        db.add(registration)
        db.commit()
        stated, _ = needs.log_need(
            session=db,
            breakout=morning,
            values=needs.NeedInput(title="Drone detection", statement="We need to see drones at night."),
            author=ada,
        )
        captured, _ = needs.log_need(
            session=db,
            breakout=morning,
            values=needs.NeedInput(title="Fence alerts", statement="We need to know who climbs the fence."),
            author=facilitator,
            speaker=ada,
        )
        other_need, _ = needs.log_need(
            session=db,
            breakout=morning,
            values=needs.NeedInput(title="Bob's hidden need", statement="Bob needs secrecy."),
            author=bob,
        )
        db.commit()
        votes.vote(session=db, need=other_need, user=ada)
        votes.vote(session=db, need=stated, user=bob)
        db.commit()
        use_case = UseCase(title="Drones over ports", body="## Context\n\nDrones.")
        db.add(use_case)
        db.commit()
        usecases.add_comment(session=db, use_case=use_case, author=ada, body="Ada's comment on drones.")
        usecases.add_comment(session=db, use_case=use_case, author=bob, body="Bob's private remark.")
    db.add_all(
        [
            AuditEntry(action="role_changed", actor_id=organiser.id, target_type="account", target_id=ada.id),
            AuditEntry(action="login_failed", actor_id=ada.id, detail="ada-own-entry"),
            AuditEntry(action="role_changed", actor_id=organiser.id, target_type="account", target_id=bob.id),
            AuditEntry(action="login_failed", actor_id=bob.id, detail="bob-own-entry"),
        ]
    )
    db.commit()
    return Everything(ada, bob, registration, bob_registration, stated, captured, other_need, use_case)


def _download(client):
    return post_form(client, "/me/data.json", form_url="/me/data")


def test_the_download_holds_one_of_everything_and_nothing_of_anyone_else(app, db, everything, organiser):
    client = app.test_client()
    log_in(client, everything.person)
    response = _download(client)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="my-data-{utcnow():%Y-%m-%d}.json"'
    text = response.get_data(as_text=True)
    data = json.loads(text)

    account = data["account"]
    assert account["email"] == "ada@example.org" and account["name"] == "Ada Everything"
    assert account["organisation"] == "Port of Lisbon" and account["cluster"] == "Pôle SCS"
    assert account["created_at"].endswith("+00:00") and account["last_login_at"].endswith("+00:00")
    assert "password_hash" not in account and "session_token" not in account
    person = db.get(type(everything.person), everything.person.id)
    assert person.password_hash not in text and person.session_token not in text

    assert sorted((c["kind"], c["notice_version"], c["withdrawn_at"]) for c in data["consents"]) == [
        ("listing", 1, None),
        ("processing", 1, None),
        ("updates", 1, None),
    ]
    assert all(c["given_at"].endswith("+00:00") for c in data["consents"])

    [registration] = data["registrations"]
    assert registration["workshop"]["title"] == "Lisbon 2021"
    assert (registration["state"], registration["mode"]) == ("confirmed", "on_site")
    assert (registration["dietary"], registration["accessibility"]) == ("Vegetarian", "Step-free access")
    assert registration["checked_in_at"].endswith("+00:00")
    assert [(s["breakout"], s["state"], s["waitlist_position"]) for s in registration["breakouts"]] == [
        ("Drones at the port", "confirmed", None),
        ("Flood gauges", "waitlisted", 1),
    ]

    by_title = {need["title"]: need for need in data["needs"]}
    assert set(by_title) == {"Drone detection", "Fence alerts"}
    assert by_title["Drone detection"]["statement"] == "We need to see drones at night."
    assert by_title["Drone detection"]["captured_by_a_facilitator"] is False
    assert by_title["Fence alerts"]["captured_by_a_facilitator"] is True
    assert by_title["Fence alerts"]["breakout"] == "Drones at the port"
    assert "similarity_vector" not in by_title["Drone detection"] and "search_text" not in by_title["Fence alerts"]
    assert by_title["Drone detection"]["created_at"].endswith("+00:00")

    assert [(v["need_id"], v["need_title"], v["breakout"]) for v in data["votes"]] == [
        (everything.other_need.id, "Bob's hidden need", "Drones at the port")
    ]
    assert [(c["use_case"], c["body"]) for c in data["use_case_comments"]] == [
        ("Drones over ports", "Ada's comment on drones.")
    ]

    audit = data["audit_entries"]
    assert {entry["action"] for entry in audit} == {"role_changed", "login_failed"}
    assert any(e["target_type"] == "account" and e["target_id"] == everything.person.id for e in audit)
    assert all(
        e["actor_id"] == everything.person.id or (e["target_type"], e["target_id"]) == ("account", person.id)
        for e in audit
    )

    # Nothing of Bob's: his registration, his need, his vote, his comment, his entries.
    for secret in ("Bob", "bob@example.org", "Bob needs secrecy.", "bob-own-entry", "Bob's diet"):
        assert secret not in text.replace("Bob's hidden need", ""), secret
    assert everything.other_registration.id not in [r["id"] for r in data["registrations"]]


def test_the_download_is_recorded_in_the_audit_log(app, db, everything):
    client = app.test_client()
    log_in(client, everything.person)
    _download(client)
    db.rollback()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).one()
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.detail) == (
        everything.person.id,
        "account",
        everything.person.id,
        "my data",
    )
    # The next download holds the entry of the first.
    data = json.loads(_download(client).get_data(as_text=True))
    assert any(e["action"] == "export" and e["detail"] == "my data" for e in data["audit_entries"])


def test_the_download_needs_the_csrf_token(app, everything):
    client = app.test_client()
    log_in(client, everything.person)
    assert client.post("/me/data.json").status_code == 400


def test_the_page_shows_everything_readably(app, db, everything):
    client = app.test_client()
    log_in(client, everything.person)
    page = client.get("/me/data").get_data(as_text=True)
    for expected in (
        "Ada Everything",
        "ada@example.org",
        "Port of Lisbon",
        "Pôle SCS",
        "Belgium",
        "Processing of my registration&#39;s details",
        "Listing my organisation among the participating organisations",
        'href="/privacy/1"',
        "Required: ends with the registration or with your account.",
        "Lisbon 2021",
        "Drones at the port",
        "waiting list: number 1",
        "Vegetarian",
        "Step-free access",
        "Drone detection",
        "Fence alerts",
        "captured for you by a facilitator",
        "Bob&#39;s hidden need",  # the need Ada voted for
        "Ada&#39;s comment on drones.",
        "Remove my organisation from the list",
        "Stop these e-mails",
        "Download all my data (JSON)",
    ):
        assert expected in page, expected
    for secret in ("bob@example.org", "Bob needs secrecy.", "Bob&#39;s private remark.", "Bob&#39;s diet"):
        assert secret not in page
    assert "style=" not in page.split("<main", 1)[1] and "<script" not in page.split("<main", 1)[1]


def test_the_page_links_to_account_deletion_only_when_it_exists(app, participant_client):
    page = participant_client.get("/me/data").get_data(as_text=True)
    assert ("/me/delete" in page) == ("personal.delete_account" in app.view_functions)


def test_a_withdrawn_listing_offers_to_list_again(app, db, everything):
    client = app.test_client()
    log_in(client, everything.person)
    with app.app_context():
        consents.withdraw(session=db, user=everything.person, kind="listing", registration=everything.registration)
    page = client.get("/me/data").get_data(as_text=True)
    assert "List my organisation" in page and "Remove my organisation from the list" not in page
