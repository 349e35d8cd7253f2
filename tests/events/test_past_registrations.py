"""A registration is read-only once its workshop has started; organisers still correct the record."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.audit.models import AuditEntry
from workshops.events import participation
from workshops.events import registration as reg
from workshops.events.models import BreakoutSeat, Registration
from workshops.timeutil import utcnow

FROZEN = "your registration can no longer be changed. Write to the organisers if something is wrong."

#: When the workshop starts, relative to now: two that have started, one still ahead.
STARTED = {"yesterday": timedelta(days=-1), "an hour ago": timedelta(hours=-1)}
AHEAD = timedelta(hours=1)


def _workshop(db, starts_in: timedelta, **overrides):
    """A hybrid workshop starting ``starts_in`` from now, with two breakouts that do not clash."""
    start = utcnow().replace(microsecond=0) + starts_in
    workshop = factories.make_workshop(
        db,
        title="Harbour security day",
        format="hybrid",
        online_link="https://meet.example.eu/harbour",
        starts_at=start,
        ends_at=start + timedelta(hours=7),
        timezone="Europe/Vilnius",
        **overrides,
    )
    morning = factories.make_breakout(db, workshop, hour=1, title="Drones over the docks")
    afternoon = factories.make_breakout(db, workshop, hour=3, title="Crowd flows at the ferry")
    return workshop, morning, afternoon


def _registration(db, workshop, user, breakout):
    registration = factories.make_registration(
        db, workshop, user, dietary="Vegetarian", accessibility="Step-free access", consent_processing_at=utcnow()
    )
    factories.make_seat(db, registration, breakout)
    return registration


def _state(db, registration) -> tuple:
    """Everything a participant's change could touch."""
    db.rollback()
    db.expire_all()
    current = db.get(Registration, registration.id)
    seats = db.exec(
        select(BreakoutSeat.breakout_id, BreakoutSeat.state).where(BreakoutSeat.registration_id == current.id)
    )
    return (
        current.state,
        current.mode,
        current.dietary,
        current.accessibility,
        current.cancelled_at,
        current.updated_at,
        sorted(seats.all()),
    )


def _audited(db) -> int:
    return db.exec(select(func.count()).select_from(AuditEntry)).one()


def _started_on(workshop) -> str:
    """The start as the message must give it: in the workshop's zone, not UTC."""
    moment = workshop.starts_at.astimezone(ZoneInfo("Europe/Vilnius"))
    return f"This workshop started on {moment.day} {moment:%B %Y at %H:%M} {moment:%Z}: {FROZEN}"


@pytest.fixture(params=list(STARTED), ids=list(STARTED))
def started(request, db, participant):
    workshop, morning, afternoon = _workshop(db, STARTED[request.param])
    return workshop, morning, afternoon, _registration(db, workshop, participant, morning)


@pytest.fixture
def ahead(db, participant):
    workshop, morning, afternoon = _workshop(db, AHEAD)
    return workshop, morning, afternoon, _registration(db, workshop, participant, morning)


def _http_changes(registration, afternoon) -> dict:
    """Each change a participant can send, as the pages' forms (or a hand-made request) send it."""
    base = f"/me/registrations/{registration.id}"
    return {
        "mode": (f"{base}/mode", {"mode": "online"}),
        "breakouts": (base, {"breakouts": [str(afternoon.id)]}),
        "cancel": (f"{base}/cancel", {}),
        "requirements": (f"{base}/requirements", {"dietary": "Vegan", "accessibility": "Captions"}),
        "undo": (f"{base}/undo", {}),
        # Extra fields a crafted request might add are no way round the rule either.
        "crafted": (f"{base}/mode", {"mode": "online", "state": "cancelled", "dietary": "", "force": "1"}),
    }


@pytest.mark.parametrize("change", ["mode", "breakouts", "cancel", "requirements", "undo", "crafted"])
def test_a_started_workshop_refuses_each_change_over_http(change, started, db, participant_client, outbox):
    workshop, _morning, afternoon, registration = started
    before, audited = _state(db, registration), _audited(db)
    url, data = _http_changes(registration, afternoon)[change]

    response = post_form(participant_client, url, data, form_url="/me/registrations")

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert _started_on(workshop) in page
    assert _state(db, registration) == before
    assert outbox() == []
    assert _audited(db) == audited


SERVICE_CHANGES = {
    "mode": lambda s, r, b: participation.switch_mode(session=s, registration=r, mode="online"),
    "breakouts": lambda s, r, b: participation.change_breakouts(session=s, registration=r, breakout_ids=[b.id]),
    "requirements": lambda s, r, b: participation.change_requirements(
        session=s, registration=r, dietary="Vegan", accessibility="Captions"
    ),
    "cancel": lambda s, r, b: participation.cancel(session=s, registration=r),
}


@pytest.mark.parametrize("change", list(SERVICE_CHANGES))
def test_every_caller_of_the_participants_changes_meets_the_rule(change, started, app, db, outbox):
    workshop, _morning, afternoon, registration = started
    before = _state(db, registration)

    with app.app_context(), pytest.raises(reg.RegistrationFrozen) as refused:
        SERVICE_CHANGES[change](db, registration, afternoon)

    assert str(refused.value) == _started_on(workshop)
    assert _state(db, registration) == before
    assert outbox() == []


@pytest.mark.parametrize("change", list(SERVICE_CHANGES))
def test_a_workshop_an_hour_ahead_still_takes_each_change(change, ahead, app, db, outbox):
    _, _morning, afternoon, registration = ahead
    before = _state(db, registration)

    with app.app_context():
        SERVICE_CHANGES[change](db, registration, afternoon)

    state, mode, dietary, accessibility, _cancelled, _updated, seats = _state(db, registration)
    assert (state, mode, dietary, accessibility, seats) != (before[0], before[1], before[2], before[3], before[6])
    # The calendar changes with every change but the requirements, and then the person is told.
    assert len(outbox()) == (0 if change == "requirements" else 1)


def test_a_workshop_an_hour_ahead_takes_a_change_of_mode_over_http(ahead, db, participant_client, outbox):
    _, _morning, _afternoon, registration = ahead

    response = post_form(
        participant_client, f"/me/registrations/{registration.id}/mode", {"mode": "online"}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "Your attendance mode is changed." in response.get_data(as_text=True)
    assert _state(db, registration)[1] == "online"
    assert len(outbox()) == 1


def test_organisers_still_correct_a_started_workshops_record(started, db, organiser_client, outbox, caplog):
    workshop, morning, afternoon, registration = started
    attendees = f"/manage/workshops/{workshop.id}/attendees"

    with caplog.at_level(logging.INFO, logger="workshops.events.attendance"):
        checked = post_form(organiser_client, f"/manage/registrations/{registration.id}/check-in", form_url=attendees)
    moved = post_form(
        organiser_client,
        f"/manage/registrations/{registration.id}/move",
        {"from_breakout": morning.id, "to_breakout": afternoon.id},
        form_url=attendees,
    )

    assert checked.status_code in (200, 302, 303) and moved.status_code == 302
    state = _state(db, registration)
    assert state[0] == "confirmed" and state[6] == [(afternoon.id, "confirmed")]
    assert db.get(Registration, registration.id).checked_in_at is not None
    assert f"registration {registration.id} checked in by" in caplog.text  # the check-in's trail, as before

    removed = post_form(organiser_client, f"/manage/registrations/{registration.id}/remove", form_url=attendees)

    assert removed.status_code == 302
    assert _state(db, registration)[0] == "cancelled"
    assert outbox()  # the person is told of each override, as before


def test_my_registrations_lists_upcoming_first_then_past_ones_read_only(db, participant, participant_client):
    made = {}
    for title, starts_in in {
        "Kick-off 2021": timedelta(days=-400),
        "Festival safety": timedelta(days=30),
        "Yesterday's port day": timedelta(days=-1),
        "Tomorrow's floods": timedelta(days=1),
    }.items():
        start = utcnow() + starts_in
        workshop = factories.make_workshop(db, title=title, starts_at=start, ends_at=start + timedelta(hours=7))
        made[title] = factories.make_registration(db, workshop, participant, consent_processing_at=utcnow())

    page = participant_client.get("/me/registrations").get_data(as_text=True)

    order = ["Tomorrow's floods", "Festival safety", "Past workshops", "Yesterday's port day", "Kick-off 2021"]
    positions = [page.index(title.replace("'", "&#39;")) for title in order]
    assert positions == sorted(positions)
    upcoming, past = page.split("Past workshops")
    assert upcoming.count("Change or cancel") == 2
    assert "Change or cancel" not in past
    for title in ("Yesterday's port day", "Kick-off 2021"):
        assert f"/me/registrations/{made[title].id}" in past  # still there to read


def test_the_page_of_a_past_registration_holds_no_form(started, db, participant_client):
    workshop, _morning, _afternoon, registration = started

    response = participant_client.get(f"/me/registrations/{registration.id}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    assert "<form" not in main and "<input" not in main and "<button" not in main
    assert _started_on(workshop) in main
    assert "Step-free access" in main  # what was given stays readable


def test_a_past_registration_keeps_the_way_to_withdraw_the_listing_consent(db, participant, participant_client):
    """Withdrawing a consent is not a change of the registration: it stays as easy as giving it was."""
    workshop, morning, _afternoon = _workshop(db, timedelta(days=-1))
    registration = _registration(db, workshop, participant, morning)
    registration.consent_listing_at = utcnow() - timedelta(days=10)
    db.add(registration)
    db.commit()

    page = participant_client.get(f"/me/registrations/{registration.id}").get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]

    assert re.findall(r'<form[^>]*action="([^"]+)"', main) == [f"/me/registrations/{registration.id}/listing"]


def test_another_persons_past_registration_is_not_found(started, db, app):
    _, _morning, _afternoon, registration = started
    stranger = factories.make_user(db, name="Stranger", email="stranger@example.org")
    client = app.test_client()
    log_in(client, stranger)

    assert client.get(f"/me/registrations/{registration.id}").status_code == 404
    cancelled = post_form(client, f"/me/registrations/{registration.id}/cancel", form_url="/me/registrations")
    assert cancelled.status_code == 404
