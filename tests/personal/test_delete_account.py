"""Deleting an account: by the person after re-entering the password, or by an organiser on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, mail_link, post_form
from workshops.audit.models import AuditEntry
from workshops.auth.models import User
from workshops.auth.passwords import verify_password
from workshops.events import registration as reg
from workshops.events.models import Registration
from workshops.needs.models import Need, Vote
from workshops.personal import deletion
from workshops.privacy.models import Consent
from workshops.timeutil import utcnow
from workshops.usecases import services as use_cases
from workshops.usecases.models import UseCaseComment


@pytest.fixture
def person(db):
    """A participant with details worth erasing: a cluster, a past registration with requirements, consents."""
    cluster = factories.make_cluster(db, name="Safe Cluster")
    user = factories.make_user(
        db,
        name="Marie Dubois",
        email="marie@ville-nice.fr",
        organisation="Ville de Nice",
        organisation_type="public_authority",
        country="FR",
        cluster_id=cluster.id,
    )
    past = factories.make_workshop(
        db, starts_at=utcnow() - timedelta(days=60), ends_at=utcnow() - timedelta(days=60) + timedelta(hours=7)
    )
    registration = factories.make_registration(
        db, past, user, dietary="No gluten", accessibility="Step-free access", consent_listing_at=utcnow()
    )
    db.add(Consent(user_id=user.id, kind="processing", registration_id=registration.id, notice_version=1))
    db.add(Consent(user_id=user.id, kind="updates", notice_version=1))
    db.commit()
    return user


@pytest.fixture
def person_client(app, person):
    client = app.test_client()
    log_in(client, person)
    return client


def _delete(client, password: str = factories.PASSWORD):
    return post_form(client, "/me/delete", {"password": password})


def _fresh(db, model, key):
    db.rollback()
    return db.get(model, key, populate_existing=True)


def _need(db, breakout, user, **changes) -> Need:
    values = {
        "breakout_id": breakout.id,
        "title": "Crowd flows on the Promenade",
        "statement": "We need to see crowd density along the Promenade des Anglais in real time.",
        "organisation": "Ville de Nice",
        "organisation_type": "public_authority",
        "country": "FR",
        "stated_by_id": user.id,
        **changes,
    }
    need = Need(**values)
    db.add(need)
    db.commit()
    return need


# --- The page and the password -----------------------------------------------------------------


def test_profile_links_to_the_page_that_explains_what_is_erased_and_kept(person_client):
    assert 'href="/me/delete"' in person_client.get("/me").get_data(as_text=True)
    page = person_client.get("/me/delete").get_data(as_text=True)
    assert "Delete your account" in page
    for words in ["Erased at once", "Cancelled", "Kept, without your name", "Use cases and published open calls"]:
        assert words in page
    assert "Delete my account" in page and 'autocomplete="current-password"' in page


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/me/delete")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_wrong_password_changes_nothing(db, person_client, person):
    response = _delete(person_client, "not my password at all")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page and "This is not your password" in page
    user = _fresh(db, User, person.id)
    assert (user.name, user.email, user.deleted_at, user.confirmed_at is not None) == (
        "Marie Dubois",
        "marie@ville-nice.fr",
        None,
        True,
    )
    assert person_client.get("/me").status_code == 200
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "account_deleted")).all() == []


# --- What a deletion does ----------------------------------------------------------------------


def test_deletion_blanks_the_account_and_everything_personal(app, db, person_client, person):
    old_session_token = person.session_token
    response = _delete(person_client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Your account is deleted." in person_client.get("/").get_data(as_text=True)

    user = _fresh(db, User, person.id)
    assert user.name == "A participant"
    assert user.email == f"deleted-{person.id}@deleted.invalid"
    assert (user.organisation, user.country, user.cluster_id) == ("", "", None)
    assert user.organisation_type == "public_authority"  # kept: needs show only the type
    assert user.role == "participant"
    assert user.confirmed_at is None and user.last_login_at is None
    assert user.deleted_at is not None
    assert user.session_token != old_session_token
    with app.app_context():
        assert not verify_password(user.password_hash, factories.PASSWORD)
        assert not verify_password(user.password_hash, "")
    [registration] = db.exec(select(Registration).where(Registration.user_id == person.id)).all()
    assert (registration.dietary, registration.accessibility, registration.consent_listing_at) == ("", "", None)
    assert registration.state == "confirmed"  # a past workshop's attendance still counts
    consents = db.exec(select(Consent).where(Consent.user_id == person.id)).all()
    assert len(consents) == 2 and all(c.withdrawn_at is not None for c in consents)
    [entry] = db.exec(select(AuditEntry).where(AuditEntry.action == "account_deleted")).all()
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.detail) == (
        person.id,
        "account",
        person.id,
        "by the person",
    )


def test_deletion_ends_every_session_and_refuses_the_next_log_in(app, db, person):
    kept = app.test_client()
    post_form(kept, "/login", {"email": person.email, "password": factories.PASSWORD, "remember": "y"})
    assert kept.get_cookie("remember_token") is not None
    deleting = app.test_client()
    log_in(deleting, person)
    assert _delete(deleting).status_code == 302

    assert deleting.get("/me").status_code == 302
    assert kept.get("/me").status_code == 302  # the other session's cookie is refused
    kept.delete_cookie("session")
    assert kept.get("/me").status_code == 302  # and so is its remember-me cookie

    for email in [person.email, f"deleted-{person.id}@deleted.invalid"]:
        client = app.test_client()
        again = post_form(client, "/login", {"email": email, "password": factories.PASSWORD})
        assert again.status_code == 200
        assert client.get("/me").status_code == 302


def test_a_future_registration_is_cancelled_and_the_waiting_list_promoted(app, db, outbox, person_client, person):
    workshop = factories.make_workshop(db, title="Nice 2027", onsite_capacity=1)
    breakout = factories.make_breakout(db, workshop, title="Beach safety", capacity=1)
    second = factories.make_user(db, email="second@example.org")
    with app.app_context():
        choices = reg.Choices(mode="on_site", breakout_ids=(breakout.id,), dietary="Vegan")
        mine = reg.register(session=db, workshop=workshop, user=person, choices=choices).registration
        theirs = reg.register(session=db, workshop=workshop, user=second, choices=choices).registration
    assert (mine.state, theirs.state, theirs.waitlist_position) == ("confirmed", "waitlisted", 1)
    sent_before = len(outbox())

    assert _delete(person_client).status_code == 302

    mine, theirs = _fresh(db, Registration, mine.id), _fresh(db, Registration, theirs.id)
    assert (mine.state, mine.dietary) == ("cancelled", "")
    assert (theirs.state, theirs.waitlist_position) == ("confirmed", None)
    assert {seat.state for seat in theirs.seats} == {"confirmed"}
    sent = [(m["To"], m["Subject"]) for m in outbox()[sent_before:]]
    assert ("marie@ville-nice.fr", "Your registration is cancelled: Nice 2027") in sent
    assert ("second@example.org", "A place is yours: Nice 2027") in sent


def test_needs_keep_their_text_and_show_a_participant_with_the_organisation_type(
    app, db, person_client, person, organiser_client
):
    workshop = factories.make_workshop(db, title="Nice 2027")
    breakout = factories.make_breakout(db, workshop, title="Promenade")
    need = _need(db, breakout, person)
    voter = factories.make_user(db)
    db.add(Vote(need_id=need.id, user_id=person.id, breakout_id=breakout.id))
    db.add(Vote(need_id=need.id, user_id=voter.id, breakout_id=breakout.id))
    db.commit()
    before = organiser_client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Stated by Marie Dubois, Ville de Nice" in before

    assert _delete(person_client).status_code == 302

    stored = _fresh(db, Need, need.id)
    assert stored.statement == need.statement and stored.title == need.title
    assert (stored.organisation, stored.stated_by_name, stored.stated_by_id) == ("", "", person.id)
    assert stored.organisation_type == "public_authority"
    assert "dubois" not in stored.search_text and "ville de nice" not in stored.search_text
    assert len(db.exec(select(Vote).where(Vote.need_id == need.id)).all()) == 2
    page = organiser_client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Stated by a participant, Public authority" in page
    assert "Crowd flows on the Promenade" in page
    board = organiser_client.get(f"/b/{breakout.code}/board").get_data(as_text=True)
    assert "a participant, Public authority" in board and "Crowd flows on the Promenade" in board
    for text in (page, board):
        assert "Marie Dubois" not in text and "Ville de Nice" not in text


def test_a_use_case_comment_shows_a_participant(app, db, organiser, organiser_client):
    author = factories.make_user(db, name="Jonas Petraitis", role="facilitator")
    with app.app_context():
        use_case = use_cases.create_use_case(
            session=db,
            author=organiser,
            values=use_cases.UseCaseInput(title="Drones over ports", body="Ports."),
            need_ids=[],
        )
    db.add(UseCaseComment(use_case_id=use_case.id, author_id=author.id, body="Ask the port of Klaipėda too."))
    db.commit()
    with app.test_request_context():
        deletion.delete_account(session=db, user=author, by=author)
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "Ask the port of Klaipėda too." in page
    assert "A participant" in page and "Jonas Petraitis" not in page


def test_the_address_can_sign_up_again_as_a_new_person(app, db, outbox, person_client, person):
    assert _delete(person_client).status_code == 302
    client = app.test_client()
    response = post_form(
        client,
        "/signup",
        {
            "name": "Marie Dubois",
            "email": "marie@ville-nice.fr",
            "password": "blue harbour lanterns at dusk",
            "organisation": "Métropole Nice Côte d'Azur",
            "organisation_type": "public_authority",
            "country": "FR",
        },
    )
    assert response.status_code == 302
    [message] = [m for m in outbox() if m["Subject"] == "Confirm your e-mail address"]
    assert message["To"] == "marie@ville-nice.fr"
    new = db.exec(select(User).where(User.email == "marie@ville-nice.fr")).one()
    assert new.id != person.id and new.deleted_at is None
    confirm = mail_link(message, "/confirm/")
    assert post_form(client, confirm).status_code == 302
    assert client.get("/me").status_code == 200


def test_the_only_organiser_cannot_delete_their_account(db, organiser, organiser_client):
    page = organiser_client.get("/me/delete").get_data(as_text=True)
    assert "This is the only organiser" in page
    response = post_form(organiser_client, "/me/delete", {"password": factories.PASSWORD}, form_url="/me")
    assert response.status_code == 200
    assert _fresh(db, User, organiser.id).deleted_at is None


def test_an_old_confirmation_link_does_not_bring_a_deleted_account_back(app, db, organiser_client, outbox):
    client = app.test_client()
    post_form(
        client,
        "/signup",
        {
            "name": "Ingrid Nilsson",
            "email": "ingrid@example.se",
            "password": "lantern harbour ferry 2026",
            "organisation": "Malmö stad",
            "organisation_type": "end_user",
            "country": "SE",
        },
    )
    link = mail_link(outbox()[-1], "/confirm/")
    user = db.exec(select(User).where(User.email == "ingrid@example.se")).one()
    url = f"/manage/users/{user.id}/delete"
    assert post_form(organiser_client, url, {"reason": "email"}).status_code == 302
    assert client.get(link).status_code == 404
    assert _fresh(db, User, user.id).confirmed_at is None


# --- Organisers, on request --------------------------------------------------------------------


def test_an_organiser_deletes_an_account_on_request_and_the_audit_log_says_so(
    app, db, outbox, organiser, organiser_client, person, person_client
):
    url = f"/manage/users/{person.id}/delete"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "Delete the account of Marie Dubois" in page and "How did the person ask?" in page
    missing = post_form(organiser_client, url, {"reason": ""})
    assert missing.status_code == 200 and "Choose how the person asked" in missing.get_data(as_text=True)
    assert _fresh(db, User, person.id).deleted_at is None

    response = post_form(organiser_client, url, {"reason": "letter"})
    assert response.status_code == 302 and response.headers["Location"] == "/manage/users"
    assert "The account of Marie Dubois is deleted." in organiser_client.get("/manage/users").get_data(as_text=True)
    user = _fresh(db, User, person.id)
    assert (user.name, user.deleted_at is not None) == ("A participant", True)
    assert person_client.get("/me").status_code == 302
    [entry] = db.exec(select(AuditEntry).where(AuditEntry.action == "account_deleted")).all()
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.detail) == (
        organiser.id,
        "account",
        person.id,
        "on request (letter)",
    )
    again = organiser_client.get(url).get_data(as_text=True)
    assert "This account is already deleted." in again


def test_other_roles_cannot_use_the_organisers_route(db, person, participant_client, facilitator_client):
    url = f"/manage/users/{person.id}/delete"
    for client in (participant_client, facilitator_client):
        assert client.get(url).status_code == 403
        assert post_form(client, url, {"reason": "email"}, form_url="/me").status_code == 403
    assert _fresh(db, User, person.id).deleted_at is None


def test_an_unknown_account_is_not_found(organiser_client):
    assert organiser_client.get("/manage/users/999999/delete").status_code == 404


# --- One transaction ---------------------------------------------------------------------------


def test_a_failure_midway_leaves_nothing_half_anonymised(app, db, person):
    workshop = factories.make_workshop(db, title="Nice 2027")
    breakout = factories.make_breakout(db, workshop)
    need = _need(db, breakout, person)
    session_token = person.session_token

    def fail_on_needs(session, _context, _instances):
        if any(isinstance(obj, Need) for obj in session.dirty):
            raise RuntimeError("the database went away")

    event.listen(db, "before_flush", fail_on_needs)
    try:
        with app.test_request_context(), pytest.raises(RuntimeError):
            deletion.delete_account(session=db, user=person, by=person)
    finally:
        event.remove(db, "before_flush", fail_on_needs)

    user = _fresh(db, User, person.id)
    assert (user.name, user.email, user.organisation, user.country) == (
        "Marie Dubois",
        "marie@ville-nice.fr",
        "Ville de Nice",
        "FR",
    )
    assert user.deleted_at is None and user.confirmed_at is not None and user.cluster_id is not None
    assert user.session_token == session_token
    [registration] = db.exec(select(Registration).where(Registration.user_id == person.id)).all()
    assert (registration.dietary, registration.accessibility) == ("No gluten", "Step-free access")
    assert all(c.withdrawn_at is None for c in db.exec(select(Consent).where(Consent.user_id == person.id)))
    assert _fresh(db, Need, need.id).organisation == "Ville de Nice"
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "account_deleted")).all() == []
