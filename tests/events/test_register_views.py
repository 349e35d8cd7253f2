"""Journey 1 through HTTP: the workshop pages, registering, and "My registrations"."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events import registration as reg
from workshops.events.models import BreakoutSeat, Registration
from workshops.timeutil import utcnow


@pytest.fixture
def workshop(db):
    return factories.make_workshop(
        db,
        title="Securing the Port of Antwerp",
        slug="port-of-antwerp",
        format="hybrid",
        online_link="https://meet.example.eu/port",
        onsite_capacity=2,
        online_capacity=10,
    )


@pytest.fixture
def breakouts(db, workshop):
    test_bed = factories.make_test_bed(db, name="Port of Antwerp container terminal")
    return [
        factories.make_breakout(
            db, workshop, hour=1, title="Drones over the docks", capacity=1, test_bed_id=test_bed.id
        ),
        factories.make_breakout(db, workshop, hour=1, title="Cyber attacks on cranes", capacity=5),
        factories.make_breakout(db, workshop, hour=3, title="Crowd flows at the ferry", capacity=5),
    ]


def _register(client, workshop, **data):
    values = {"mode": "on_site", "consent_processing": "y", **data}
    return post_form(client, f"/workshops/{workshop.slug}/register", values)


def _ics(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def test_workshop_list_shows_upcoming_and_past_but_not_drafts(client, db, workshop):
    factories.make_workshop(
        db, title="Kick-off 2021", starts_at=utcnow() - timedelta(days=400), ends_at=utcnow() - timedelta(days=399)
    )
    draft = factories.make_workshop(db, title="Secret draft", state="draft")
    page = client.get("/workshops/").get_data(as_text=True)
    assert page.index("Securing the Port of Antwerp") < page.index("Past") < page.index("Kick-off 2021")
    assert "Secret draft" not in page
    assert client.get(f"/workshops/{draft.slug}/").status_code == 404


def test_workshop_page_shows_the_agenda_with_seats_left(client, workshop, breakouts):
    page = client.get("/workshops/port-of-antwerp/").get_data(as_text=True)
    assert page.index("Drones over the docks") < page.index("Crowd flows at the ferry")
    assert "Port of Antwerp container terminal" in page
    assert "1 seat left" in page
    assert "Rue de la Loi 1, Brussels" in page
    assert "meet.example.eu" not in page  # the online link is for confirmed online participants only
    assert 'href="/workshops/port-of-antwerp/register"' in page


def test_register_sends_a_newcomer_to_log_in_and_back(client, workshop):
    response = client.get("/workshops/port-of-antwerp/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fworkshops%2Fport-of-antwerp%2Fregister"


def test_registering_confirms_and_mails_a_calendar_file(
    participant_client, db, outbox, workshop, breakouts, participant
):
    response = _register(
        participant_client, workshop, breakouts=[str(breakouts[0].id), str(breakouts[2].id)], dietary="Vegetarian"
    )
    assert response.status_code == 302
    registration = db.exec(select(Registration)).one()
    assert response.headers["Location"] == f"/me/registrations/{registration.id}"
    assert (registration.state, registration.mode, registration.dietary) == ("confirmed", "on_site", "Vegetarian")
    assert registration.consent_listing_at is None
    assert registration.privacy_notice_version == 1

    [message] = outbox()
    assert message["Subject"] == "Your registration: Securing the Port of Antwerp"
    calendar = _ics(message)
    event, *breakout_events = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"workshop-{workshop.id}@workshops.test"
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].dt == workshop.starts_at
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert "Drones over the docks" in str(event["DESCRIPTION"])
    assert "Crowd flows at the ferry" in str(event["DESCRIPTION"])
    assert [str(e["SUMMARY"]) for e in breakout_events] == ["Drones over the docks", "Crowd flows at the ferry"]
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Brussels"
    assert str(calendar["METHOD"]) == "REQUEST"  # the organiser's invitation (tests/events/test_calendar.py)


def test_consent_is_required_and_nothing_is_stored_without_it(participant_client, db, outbox, workshop):
    response = post_form(participant_client, "/workshops/port-of-antwerp/register", {"mode": "on_site"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Registration needs this consent." in page
    consent_boxes = re.findall(
        r"<input[^>]*consent_[a-z]+[^>]*>",
        participant_client.get("/workshops/port-of-antwerp/register").get_data(as_text=True),
    )
    assert len(consent_boxes) == 3  # processing, listing, updates
    assert not any("checked" in box for box in consent_boxes)  # all start unticked
    assert db.exec(select(Registration)).all() == []
    assert outbox() == []


def test_clashing_breakouts_are_refused_next_to_the_field(participant_client, db, workshop, breakouts):
    response = _register(participant_client, workshop, breakouts=[str(breakouts[0].id), str(breakouts[1].id)])
    page = response.get_data(as_text=True)
    assert "take place at the same time" in page
    assert 'id="breakouts-error"' in page
    assert db.exec(select(Registration)).all() == []


def test_a_mode_the_format_does_not_offer_is_refused(participant_client, db):
    on_site = factories.make_workshop(db, format="on_site", slug="on-site-only")
    response = _register(participant_client, on_site, mode="online")
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.exec(select(Registration)).all() == []


def test_registering_again_leads_to_the_existing_registration(participant_client, db, workshop):
    _register(participant_client, workshop)
    [registration] = db.exec(select(Registration)).all()
    response = participant_client.get("/workshops/port-of-antwerp/register")
    assert response.headers["Location"] == f"/me/registrations/{registration.id}"


def test_closed_registration_is_explained(participant_client, db):
    factories.make_workshop(db, slug="closed-one", state="closed")
    response = participant_client.get("/workshops/closed-one/register")
    assert response.headers["Location"] == "/workshops/closed-one/"
    assert "Registration for this workshop is closed." in participant_client.get("/workshops/closed-one/").get_data(
        as_text=True
    )
    refused = post_form(
        participant_client,
        "/workshops/closed-one/register",
        {"mode": "on_site", "consent_processing": "y"},
        form_url="/me",
    )
    assert refused.headers["Location"] == "/workshops/closed-one/"
    assert db.exec(select(Registration)).all() == []


def test_a_full_venue_puts_people_on_the_waiting_list(app, db, outbox, workshop, participant):
    for _ in range(2):
        other = factories.make_user(db)
        client = app.test_client()
        log_in(client, other)
        _register(client, workshop)
    client = app.test_client()
    log_in(client, participant)
    response = _register(client, workshop)
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "number 1 on the waiting list" in follow
    assert outbox()[-1]["Subject"] == "You are on the waiting list: Securing the Port of Antwerp"


def test_online_link_only_for_confirmed_online_registrants(participant_client, workshop):
    _register(participant_client, workshop, mode="online")
    page = participant_client.get("/workshops/port-of-antwerp/").get_data(as_text=True)
    assert "https://meet.example.eu/port" in page


def test_my_registrations_lists_mine_and_hides_others(app, db, participant_client, workshop, breakouts):
    _register(participant_client, workshop, breakouts=[str(breakouts[0].id)])
    page = participant_client.get("/me/registrations").get_data(as_text=True)
    assert "Securing the Port of Antwerp" in page
    assert "Drones over the docks" in page
    [mine] = db.exec(select(Registration)).all()
    stranger = app.test_client()
    log_in(stranger, factories.make_user(db))
    assert stranger.get(f"/me/registrations/{mine.id}").status_code == 404
    assert stranger.get(f"/me/registrations/{mine.id}/calendar.ics").status_code == 404
    token = csrf_token(stranger, "/me")
    assert stranger.post(f"/me/registrations/{mine.id}/cancel", data={"csrf_token": token}).status_code == 404


def test_swapping_a_breakout_promotes_the_next_in_line(app, db, outbox, participant_client, workshop, breakouts):
    _register(participant_client, workshop, breakouts=[str(breakouts[0].id)])
    second = factories.make_user(db, email="second@example.org")
    other = app.test_client()
    log_in(other, second)
    _register(other, workshop, breakouts=[str(breakouts[0].id)])
    [mine, theirs] = db.exec(select(Registration).order_by(Registration.id)).all()

    response = post_form(participant_client, f"/me/registrations/{mine.id}", {"breakouts": [str(breakouts[1].id)]})
    assert response.status_code == 302
    db.rollback()
    seats = {(s.registration_id, s.breakout_id): s.state for s in db.exec(select(BreakoutSeat))}
    assert seats == {(mine.id, breakouts[1].id): "confirmed", (theirs.id, breakouts[0].id): "confirmed"}
    subjects = [(m["To"], m["Subject"]) for m in outbox()[-2:]]
    assert ("pat@example.org", "Your registration is updated: Securing the Port of Antwerp") in subjects
    assert ("second@example.org", "A breakout seat is yours: Securing the Port of Antwerp") in subjects


def test_cancel_frees_the_place_and_mails_a_cancelling_calendar_file(app, db, outbox, participant_client, workshop):
    _register(participant_client, workshop)
    for n in range(2):
        client = app.test_client()
        log_in(client, factories.make_user(db, email=f"queue{n}@example.org"))
        _register(client, workshop)
    mine = db.exec(select(Registration).order_by(Registration.id)).first()
    response = post_form(
        participant_client, f"/me/registrations/{mine.id}/cancel", form_url=f"/me/registrations/{mine.id}"
    )
    assert response.status_code == 302
    db.rollback()
    states = [(r.state, r.waitlist_position) for r in db.exec(select(Registration).order_by(Registration.id))]
    assert states == [("cancelled", None), ("confirmed", None), ("confirmed", None)]
    cancelled, promoted = outbox()[-2:]
    assert str(_ics(cancelled)["METHOD"]) == "CANCEL"
    assert (promoted["To"], promoted["Subject"]) == (
        "queue1@example.org",
        "A place is yours: Securing the Port of Antwerp",
    )


def test_switching_mode(participant_client, db, workshop):
    _register(participant_client, workshop)
    mine = db.exec(select(Registration)).one()
    post_form(
        participant_client,
        f"/me/registrations/{mine.id}/mode",
        {"mode": "online"},
        form_url=f"/me/registrations/{mine.id}",
    )
    db.rollback()
    assert db.get(Registration, mine.id).mode == "online"


def test_listing_consent_is_withdrawn_in_one_step(participant_client, db, workshop):
    _register(participant_client, workshop, consent_listing="y")
    mine = db.exec(select(Registration)).one()
    assert mine.consent_listing_at is not None
    post_form(participant_client, f"/me/registrations/{mine.id}/listing", form_url=f"/me/registrations/{mine.id}")
    db.rollback()
    assert db.get(Registration, mine.id).consent_listing_at is None


def test_calendar_download(participant_client, db, workshop):
    _register(participant_client, workshop)
    mine = db.exec(select(Registration)).one()
    response = participant_client.get(f"/me/registrations/{mine.id}/calendar.ics")
    assert response.headers["Content-Disposition"] == 'attachment; filename="port-of-antwerp.ics"'
    [event] = icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Securing the Port of Antwerp"


def test_reminders_go_out_once(app, db, outbox, participant):
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Brussels")
    tomorrow = (utcnow().astimezone(zone) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    workshop = factories.make_workshop(db, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=6))
    later = factories.make_workshop(
        db, starts_at=tomorrow + timedelta(days=3), ends_at=tomorrow + timedelta(days=3, hours=6)
    )
    with app.app_context():
        for w in (workshop, later):
            reg.register(session=db, workshop=w, user=participant, choices=reg.Choices(mode="on_site"))
    sent_before = len(outbox())
    runner = app.test_cli_runner()
    assert "Sent 1 reminder." in runner.invoke(args=["send-reminders"]).output
    assert "Sent 0 reminders." in runner.invoke(args=["send-reminders"]).output
    [reminder] = outbox()[sent_before:]
    assert reminder["Subject"] == f"Tomorrow: {workshop.title}"


def test_workshop_page_queries_do_not_grow_with_registrations(app, db, client, count_queries, workshop, breakouts):
    def add(n):
        with app.app_context():
            for _ in range(n):
                user = factories.make_user(db)
                reg.register(
                    session=db,
                    workshop=workshop,
                    user=user,
                    choices=reg.Choices(mode="online", breakout_ids=(breakouts[2].id,)),
                )

    add(5)
    with count_queries() as small:
        client.get("/workshops/port-of-antwerp/")
    add(45)
    with count_queries() as large:
        client.get("/workshops/port-of-antwerp/")
    assert len(large) == len(small)


def test_a_busy_database_keeps_the_form_and_sends_it_again(participant_client, db, workshop, breakouts, monkeypatch):
    """409 "please try again" with a button that sends exactly what the person chose, once it is free."""
    real_register = reg.register

    def busy(**_arguments):
        raise reg.Busy

    monkeypatch.setattr(reg, "register", busy)
    response = _register(participant_client, workshop, breakouts=str(breakouts[1].id), dietary="No nuts")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Send it again" in page and 'value="No nuts"' in page
    assert db.exec(select(Registration)).all() == []

    monkeypatch.setattr(reg, "register", real_register)
    resent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    response = participant_client.post(f"/workshops/{workshop.slug}/register", data=resent)
    assert response.status_code == 302
    db.rollback()
    [registration] = db.exec(select(Registration)).all()
    assert registration.dietary == "No nuts"
    assert db.exec(select(BreakoutSeat.breakout_id)).all() == [breakouts[1].id]


def test_a_title_stored_with_a_line_break_still_confirms_the_registration_by_mail(participant_client, db, outbox):
    workshop = factories.make_workshop(db, title="Ports\r\nBcc: x@example.org", slug="crlf")
    response = _register(participant_client, workshop)
    assert response.status_code == 302
    [message] = outbox()
    assert message["Subject"] == "Your registration: Ports Bcc: x@example.org"
    assert message["Bcc"] is None
