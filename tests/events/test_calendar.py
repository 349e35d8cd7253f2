"""Calendar files by RFC 5545, read back with icalendar as a calendar program would read them.

What a participant relies on: every update replaces the events they hold (same UID, higher
SEQUENCE), a cancellation removes all of them (METHOD:CANCEL, STATUS:CANCELLED on every event),
the event says where to go (the meeting link online, the venue and room on site), and each chosen
breakout is an event of its own at its own time.
"""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.events import participation, services
from workshops.events import registration as reg
from workshops.events.models import Registration

LINK = "https://meet.example.eu/harbour"
VENUE = "Rue de la Loi 1, Brussels"


@pytest.fixture
def workshop(db):
    return factories.make_workshop(
        db,
        title="Harbour security day",
        slug="harbour",
        format="hybrid",
        venue=VENUE,
        online_link=LINK,
        timezone="Europe/Vilnius",
    )


@pytest.fixture
def breakouts(db, workshop):
    return [
        factories.make_breakout(
            db, workshop, hour=1, title="Drones over the docks", room="Room A", online_room=LINK + "/drones"
        ),
        factories.make_breakout(db, workshop, hour=1, title="Cyber attacks on cranes", room="Room B"),
        factories.make_breakout(db, workshop, hour=3, length=2, title="Crowd flows at the ferry", room="Room C"),
    ]


def _calendars(message) -> list[tuple[str, icalendar.Calendar]]:
    """Each calendar attachment as (its MIME method parameter, the calendar parsed from its bytes)."""
    return [
        (part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True)))
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]


def _only_calendar(message) -> icalendar.Calendar:
    [(method, calendar)] = _calendars(message)
    assert method == str(calendar["METHOD"])  # the MIME type says what the file says (RFC 6047)
    return calendar


def _events(calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _uid(kind: str, thing) -> str:
    return f"{kind}-{thing.id}@workshops.test"


def _register(client, workshop, **data):
    return post_form(client, f"/workshops/{workshop.slug}/register", {"consent_processing": "y", **data})


def _mine(db) -> Registration:
    db.rollback()
    db.expire_all()
    return db.exec(select(Registration).order_by(Registration.id)).first()


def test_sequence_rises_through_register_change_and_cancel_under_the_same_uids(
    participant_client, db, outbox, workshop, breakouts
):
    drones, _cranes, ferry = breakouts
    _register(participant_client, workshop, mode="on_site", breakouts=[str(drones.id)])
    mine = _mine(db)
    page = f"/me/registrations/{mine.id}"
    post_form(participant_client, page, {"breakouts": [str(drones.id), str(ferry.id)]})
    post_form(participant_client, f"{page}/mode", {"mode": "online"}, form_url=page)
    post_form(participant_client, f"{page}/cancel", form_url=f"{page}/cancel")

    registered, changed, switched, cancelled = outbox()
    files = [_only_calendar(m) for m in (registered, changed, switched)] + [_calendars(cancelled)[0][1]]
    methods = [str(calendar["METHOD"]) for calendar in files]
    assert methods == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    workshop_sequences = [_events(c)[_uid("workshop", workshop)]["SEQUENCE"] for c in files]
    assert workshop_sequences == sorted(set(workshop_sequences))  # strictly rising
    assert workshop_sequences[0] == 0
    # The drones breakout's event, held from the start, rises with them and is cancelled under its UID.
    drone_sequences = [_events(c)[_uid("breakout", drones)]["SEQUENCE"] for c in files]
    assert drone_sequences == workshop_sequences

    events = _events(files[-1])
    assert set(events) == {_uid("workshop", workshop), _uid("breakout", drones), _uid("breakout", ferry)}
    assert {str(event["STATUS"]) for event in events.values()} == {"CANCELLED"}
    assert cancelled["Subject"] == "Your registration is cancelled: Harbour security day"
    text = cancelled.get_body(("plain",)).get_content()
    assert "removes the workshop and your breakouts from your calendar" in text
    assert "Drones over the docks" in text and "Crowd flows at the ferry" in text


def test_a_cancellation_by_the_organisers_cancels_every_event_too(app, db, outbox, organiser, workshop, breakouts):
    person = factories.make_attendee(app, db, breakouts[0])
    registration = db.exec(select(Registration).where(Registration.user_id == person.id)).one()
    with app.app_context():
        reg.change_breakouts(session=db, registration=registration, breakout_ids=[breakouts[0].id, breakouts[2].id])
        before = len(outbox())
        services.cancel_workshop(session=db, workshop=workshop)

    [notice] = outbox()[before:]
    calendar = _only_calendar(notice)
    assert str(calendar["METHOD"]) == "CANCEL"
    events = _events(calendar)
    assert len(events) == 3
    assert {str(event["STATUS"]) for event in events.values()} == {"CANCELLED"}
    assert events[_uid("workshop", workshop)]["SEQUENCE"] >= 1


def test_leaving_a_breakout_sends_its_cancellation_beside_the_update(
    participant_client, db, outbox, workshop, breakouts
):
    drones, cranes, ferry = breakouts
    _register(participant_client, workshop, mode="on_site", breakouts=[str(drones.id), str(ferry.id)])
    mine = _mine(db)
    post_form(participant_client, f"/me/registrations/{mine.id}", {"breakouts": [str(cranes.id), str(ferry.id)]})

    registered, changed = outbox()
    first = _events(_only_calendar(registered))
    [(request_method, update), (cancel_method, left)] = _calendars(changed)
    assert (request_method, cancel_method) == ("REQUEST", "CANCEL")
    assert set(_events(update)) == {_uid("workshop", workshop), _uid("breakout", cranes), _uid("breakout", ferry)}
    [dropped] = left.walk("VEVENT")
    assert str(dropped["UID"]) == _uid("breakout", drones)
    assert str(dropped["STATUS"]) == "CANCELLED"
    assert dropped["SEQUENCE"] > first[_uid("breakout", drones)]["SEQUENCE"]
    text = changed.get_body(("plain",)).get_content()
    assert "A second one removes the breakouts you left: Drones over the docks." in text


def test_one_event_per_chosen_breakout_at_its_own_time(participant_client, db, outbox, workshop, breakouts):
    drones, _cranes, ferry = breakouts
    _register(participant_client, workshop, mode="on_site", breakouts=[str(drones.id), str(ferry.id)])

    calendar = _only_calendar(outbox()[-1])
    events = _events(calendar)
    assert len(calendar.walk("VEVENT")) == 1 + 2
    main = events[_uid("workshop", workshop)]
    assert (main["DTSTART"].dt, main["DTEND"].dt) == (workshop.starts_at, workshop.ends_at)
    assert str(main["SUMMARY"]) == "Harbour security day"
    for breakout in (drones, ferry):
        event = events[_uid("breakout", breakout)]
        assert str(event["SUMMARY"]) == breakout.title
        assert (event["DTSTART"].dt, event["DTEND"].dt) == (breakout.starts_at, breakout.ends_at)
        assert event["DTSTART"].params["TZID"] == "Europe/Vilnius"  # shown in the workshop's zone
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["RELATED-TO"]) == _uid("workshop", workshop)
    assert events[_uid("breakout", ferry)]["DTEND"].dt - events[_uid("breakout", ferry)]["DTSTART"].dt == timedelta(
        hours=2
    )
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Vilnius"


def test_location_is_the_venue_on_site_and_the_meeting_link_online(app, db, outbox, workshop, breakouts):
    drones, _cranes, ferry = breakouts
    on_site, online = factories.make_user(db), factories.make_user(db)
    with app.app_context():
        for user, mode in ((on_site, "on_site"), (online, "online")):
            participation.register(
                session=db,
                workshop=workshop,
                user=user,
                choices=reg.Choices(mode=mode, breakout_ids=(drones.id, ferry.id)),
            )
    by_person = {m["To"]: _events(_only_calendar(m)) for m in outbox()}

    venue = by_person[on_site.email]
    assert str(venue[_uid("workshop", workshop)]["LOCATION"]) == VENUE
    assert str(venue[_uid("breakout", drones)]["LOCATION"]) == f"Room A, {VENUE}"
    assert all(LINK not in event.to_ical().decode() for event in venue.values())

    link = by_person[online.email]
    assert str(link[_uid("workshop", workshop)]["LOCATION"]) == LINK
    assert str(link[_uid("breakout", drones)]["LOCATION"]) == LINK + "/drones"  # the breakout's own online room
    assert str(link[_uid("breakout", ferry)]["LOCATION"]) == LINK  # none of its own: the workshop's
    assert all(VENUE not in str(event.get("LOCATION")) for event in link.values())


def test_an_online_person_waiting_for_a_place_gets_no_link(app, db, workshop, participant, participant_client):
    workshop.online_capacity = 0
    db.add(workshop)
    db.commit()
    _register(participant_client, workshop, mode="online")
    mine = _mine(db)
    assert mine.state == "waitlisted"

    response = participant_client.get(f"/me/registrations/{mine.id}/calendar.ics")

    calendar = icalendar.Calendar.from_ical(response.get_data())
    [event] = calendar.walk("VEVENT")
    assert str(event["LOCATION"]) == "Online"
    assert str(event["STATUS"]) == "TENTATIVE"
    assert LINK not in response.get_data(as_text=True)


def test_a_seat_promoted_from_the_waiting_list_confirms_the_event_with_a_higher_sequence(
    app, db, outbox, workshop, breakouts
):
    drones = breakouts[0]
    drones.capacity = 1
    db.add(drones)
    db.commit()
    first, second = factories.make_user(db), factories.make_user(db)
    with app.app_context():
        for user in (first, second):
            participation.register(
                session=db, workshop=workshop, user=user, choices=reg.Choices(mode="on_site", breakout_ids=(drones.id,))
            )
        waiting = _events(_only_calendar(outbox()[-1]))[_uid("breakout", drones)]
        holder = db.exec(select(Registration).where(Registration.user_id == first.id)).one()
        participation.cancel(session=db, registration=holder)

    [promoted] = [m for m in outbox() if m["To"] == second.email and m["Subject"].startswith("A breakout seat")]
    seated = _events(_only_calendar(promoted))[_uid("breakout", drones)]
    assert (str(waiting["STATUS"]), str(seated["STATUS"])) == ("TENTATIVE", "CONFIRMED")
    assert seated["SEQUENCE"] > waiting["SEQUENCE"]


def test_a_new_time_for_the_workshop_raises_every_registrants_sequence(app, db, outbox, workshop, breakouts):
    person = factories.make_user(db)
    moved_to = breakouts[0].starts_at + timedelta(hours=1)
    values = {
        "starts_at": workshop.starts_at + timedelta(hours=1),
        "ends_at": workshop.ends_at + timedelta(hours=1),
        "venue": VENUE,
        "online_link": LINK,
        "onsite_capacity": None,
        "online_capacity": None,
    }
    with app.app_context():
        choices = reg.Choices(mode="on_site", breakout_ids=(breakouts[0].id,))
        participation.register(session=db, workshop=workshop, user=person, choices=choices)
        before = _events(_only_calendar(outbox()[-1]))[_uid("workshop", workshop)]["SEQUENCE"]
        services.update_workshop(session=db, workshop=workshop, values=values, move_breakouts=True)

    changed = [m for m in outbox() if m["To"] == person.email][-1]
    assert changed["Subject"] == "Changed: Harbour security day"
    events = _events(_only_calendar(changed))
    assert events[_uid("workshop", workshop)]["SEQUENCE"] > before
    assert events[_uid("breakout", breakouts[0])]["DTSTART"].dt == moved_to


def test_a_breakout_moved_by_the_organisers_raises_the_sequence(app, db, workshop, breakouts):
    before = workshop.calendar_sequence
    values = {"title": "Drones over the docks", "starts_at": breakouts[0].starts_at + timedelta(minutes=30)}
    with app.app_context():
        services.update_breakout(session=db, breakout=breakouts[0], values=values, facilitator_ids=[])
    db.expire_all()
    assert db.get(type(workshop), workshop.id).calendar_sequence == before + 1


def test_the_download_is_a_copy_to_keep_and_a_cancellation_once_cancelled(participant_client, db, workshop, breakouts):
    _register(participant_client, workshop, mode="on_site", breakouts=[str(breakouts[2].id)])
    mine = _mine(db)
    url = f"/me/registrations/{mine.id}/calendar.ics"

    kept = icalendar.Calendar.from_ical(participant_client.get(url).get_data())
    assert str(kept["METHOD"]) == "PUBLISH"
    assert len(kept.walk("VEVENT")) == 2
    assert all("ATTENDEE" not in event for event in kept.walk("VEVENT"))  # a copy, not an invitation

    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    gone = icalendar.Calendar.from_ical(participant_client.get(url).get_data())
    assert str(gone["METHOD"]) == "CANCEL"
    assert {str(event["STATUS"]) for event in gone.walk("VEVENT")} == {"CANCELLED"}
    assert gone.walk("VEVENT")[0]["SEQUENCE"] > kept.walk("VEVENT")[0]["SEQUENCE"]


def test_the_invitation_names_the_registrant_and_escapes_their_name(app, db, outbox, workshop):
    person = factories.make_user(db, name='Ana "Nana" Ribeiro;\r\nX-EVIL:1')
    with app.app_context():
        participation.register(session=db, workshop=workshop, user=person, choices=reg.Choices(mode="on_site"))
    [part] = outbox()[-1].iter_attachments()
    raw = part.get_payload(decode=True).decode()
    assert "\r\nX-EVIL:1" not in raw  # no property injected by a name
    [event] = icalendar.Calendar.from_ical(raw.encode()).walk("VEVENT")
    attendee = event["ATTENDEE"]
    assert str(attendee).lower() == f"mailto:{person.email}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert str(event["ORGANIZER"]).lower().startswith("mailto:")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


def test_the_cancellation_over_real_smtp_is_read_as_one(app, db, workshop, breakouts, participant):
    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
        client = app.test_client()
        log_in(client, participant)
        _register(client, workshop, mode="online", breakouts=[str(breakouts[0].id)])
        mine = _mine(db)
        post_form(client, f"/me/registrations/{mine.id}/cancel")
    finally:
        controller.stop()

    message = email.message_from_bytes(handler.envelopes[-1].original_content, policy=email.policy.default)
    calendar = _only_calendar(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert [str(e["STATUS"]) for e in calendar.walk("VEVENT")] == ["CANCELLED", "CANCELLED"]
