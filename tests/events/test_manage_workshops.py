"""Organisers set up workshops: create, edit (telling registrants), copy, close, cancel, write, count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import icalendar
import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, post_form
from workshops.events import registration as reg
from workshops.events import services
from workshops.events.models import Breakout, BreakoutFacilitator, Registration, Workshop, WorkshopMessage

NEW = "/manage/workshops/new"


@pytest.fixture
def register(app, db):
    """Register people through the registration service, in an application context of its own."""

    def register(workshop, user, *breakouts, mode="on_site"):
        choices = reg.Choices(mode=mode, breakout_ids=tuple(b.id for b in breakouts))
        with app.app_context():
            return reg.register(session=db, workshop=workshop, user=user, choices=choices).registration

    return register


def _workshop(db, **overrides) -> Workshop:
    """A published workshop on whole minutes, as the form stores them: 16 Nov 2031, 09:30–17:00 in Brussels."""
    start = datetime(2031, 11, 16, 8, 30, tzinfo=UTC)
    return factories.make_workshop(db, **{"starts_at": start, "ends_at": start + timedelta(hours=7.5), **overrides})


def _form(**overrides) -> dict:
    """A valid workshop form, as a browser sends it."""
    values = {
        "title": "Port security needs",
        "slug": "port-security-2021",
        "cluster_id": "",
        "state": "published",
        "format": "on_site",
        "timezone": "Europe/Paris",
        "starts_at": "2031-11-16T09:30",
        "ends_at": "2031-11-16T17:00",
        "venue": "Palais du Pharo, Marseille",
        "online_link": "",
        "onsite_capacity": "40",
        "online_capacity": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "description": "Meet the **port** operators.",
    }
    values.update(overrides)
    return values


def _edit_form(workshop: Workshop, **overrides) -> dict:
    """The edit form of a factory workshop (Europe/Brussels), unchanged unless told otherwise."""
    zone = workshop.zone
    values = _form(
        title=workshop.title,
        slug=workshop.slug,
        state=workshop.state,
        format=workshop.format,
        timezone=workshop.timezone,
        starts_at=workshop.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        ends_at=workshop.ends_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        venue=workshop.venue,
        online_link=workshop.online_link,
        onsite_capacity="" if workshop.onsite_capacity is None else str(workshop.onsite_capacity),
        online_capacity="" if workshop.online_capacity is None else str(workshop.online_capacity),
        registration_opens_at=workshop.registration_opens_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        description=workshop.description,
    )
    values.update(overrides)
    return values


def _edit(client, workshop, **overrides):
    url = f"/manage/workshops/{workshop.id}/edit"
    return post_form(client, url, _edit_form(workshop, **overrides))


def _fresh(db, model, row_id):
    db.rollback()
    db.expire_all()
    return db.get(model, row_id)


def _subjects(outbox) -> list[str]:
    return sorted(message["Subject"] for message in outbox())


def _ics(message) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def _text(page: str) -> str:
    """What a reader sees: the page without its tags."""
    return re.sub(r"<[^>]+>", "", page)


def _local_input(moment: datetime, workshop: Workshop) -> str:
    return moment.astimezone(workshop.zone).strftime("%Y-%m-%dT%H:%M")


# --- Creating -----------------------------------------------------------------------------------


def test_new_workshop_form_defaults_to_the_configured_zone_and_lists_every_zone(app, organiser_client):
    app.config["TIMEZONE"] = "Europe/Brussels"  # no programme zone chosen (tests/programme covers that)
    page = organiser_client.get(NEW).get_data(as_text=True)
    assert '<option selected value="Europe/Brussels">' in page
    assert 'value="Pacific/Auckland"' in page
    assert 'type="datetime-local"' in page


def test_creating_a_workshop_stores_local_times_as_utc(organiser_client, db):
    response = post_form(organiser_client, NEW, _form(starts_at="2021-11-16T09:30", ends_at="2021-11-16T17:00"))
    workshop = db.exec(select(Workshop).where(Workshop.slug == "port-security-2021")).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    assert workshop.starts_at == datetime(2021, 11, 16, 8, 30, tzinfo=UTC)  # Paris is UTC+1 in November
    assert workshop.ends_at == datetime(2021, 11, 16, 16, 0, tzinfo=UTC)
    assert (workshop.timezone, workshop.onsite_capacity, workshop.online_capacity) == ("Europe/Paris", 40, None)
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tue 16 Nov 2021, 09:30–17:00" in _text(page)
    assert "<strong>port</strong>" in page


def test_summer_times_convert_with_summer_offset(organiser_client, db):
    post_form(organiser_client, NEW, _form(starts_at="2031-07-01T09:30", ends_at="2031-07-01T12:00"))
    workshop = db.exec(select(Workshop)).one()
    assert workshop.starts_at == datetime(2031, 7, 1, 7, 30, tzinfo=UTC)  # CEST is UTC+2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title."),
        ({"title": "x" * 201}, "title", "Use at most 200 characters."),
        ({"slug": "Port Security!"}, "slug", "Use lowercase letters, digits and single hyphens only"),
        ({"ends_at": "2031-11-16T09:00"}, "ends_at", "The end must be after the start."),
        ({"starts_at": ""}, "starts_at", "Enter the start."),
        ({"starts_at": "next tuesday"}, "starts_at", "Enter a date and a time"),
        ({"venue": ""}, "venue", "Enter the venue&#39;s address"),
        ({"format": "online", "venue": ""}, "online_link", "Enter the online link"),
        ({"format": "hybrid", "venue": ""}, "venue", "Enter the venue&#39;s address"),
        ({"format": "hybrid", "online_link": ""}, "online_link", "Enter the online link"),
        ({"online_link": "javascript:alert(1)"}, "online_link", "Enter a full web address"),
        ({"online_link": "meet.example.eu/room"}, "online_link", "Enter a full web address"),
        ({"onsite_capacity": "-1"}, "onsite_capacity", "Enter a number from 0 to"),
        ({"online_capacity": "many"}, "online_capacity", "Not a valid integer value."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice."),
        ({"state": "cancelled"}, "state", "Not a valid choice."),
        (
            {"registration_opens_at": "2031-11-01T09:00", "registration_closes_at": "2031-10-01T09:00"},
            "registration_closes_at",
            "Registration must close after it opens.",
        ),
        ({"starts_at": "2031-03-30T02:30"}, "starts_at", "This time does not exist in Europe/Paris"),
        ({"description": "x" * 20_001}, "description", "Use at most 20,000 characters."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(organiser_client, db, overrides, field, message):
    response = post_form(organiser_client, NEW, _form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', page, re.S), page
    assert 'class="error-summary"' in page
    assert db.exec(select(Workshop)).all() == []


def test_what_was_typed_is_kept_after_an_error(organiser_client):
    page = post_form(organiser_client, NEW, _form(slug="Bad Slug", title="Kept title")).get_data(as_text=True)
    assert 'value="Kept title"' in page
    assert 'value="2031-11-16T09:30"' in page
    assert '<option selected value="Europe/Paris">' in page


def test_slugs_are_unique(organiser_client, db):
    factories.make_workshop(db, slug="port-security-2021")
    page = post_form(organiser_client, NEW, _form()).get_data(as_text=True)
    assert "Another workshop has this short name" in page
    assert len(db.exec(select(Workshop)).all()) == 1


def test_capacities_may_be_empty_meaning_no_limit(organiser_client, db):
    post_form(
        organiser_client, NEW, _form(format="hybrid", online_link="https://meet.example.eu/x", onsite_capacity="")
    )
    workshop = db.exec(select(Workshop)).one()
    assert (workshop.onsite_capacity, workshop.online_capacity, workshop.online_link) == (
        None,
        None,
        "https://meet.example.eu/x",
    )


# --- Editing ------------------------------------------------------------------------------------


def test_edit_form_shows_times_in_the_workshops_zone(organiser_client, db):
    workshop = factories.make_workshop(
        db,
        timezone="Europe/Vilnius",
        starts_at=datetime(2031, 11, 16, 7, 30, tzinfo=UTC),
        ends_at=datetime(2031, 11, 16, 15, tzinfo=UTC),
    )
    page = organiser_client.get(f"/manage/workshops/{workshop.id}/edit").get_data(as_text=True)
    assert 'value="2031-11-16T09:30"' in page  # Vilnius is UTC+2 in November
    assert 'value="2031-11-16T17:00"' in page


def test_changing_the_time_tells_registrants_and_raises_the_calendar_sequence(organiser_client, db, register, outbox):
    workshop = _workshop(db, title="Harbour day")
    for person in (factories.make_user(db), factories.make_user(db)):
        register(workshop, person)
    later = workshop.starts_at + timedelta(hours=1)
    response = _edit(organiser_client, workshop, starts_at=_local_input(later, workshop))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    stored = _fresh(db, Workshop, workshop.id)
    assert stored.starts_at == later
    assert stored.calendar_sequence == 1
    changed = [m for m in outbox() if m["Subject"] == "Changed: Harbour day"]
    assert len(changed) == 2
    assert _ics(changed[0]).walk("VEVENT")[0]["SEQUENCE"] == 1
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The time changed: 2 registrants were told" in page


def test_changing_the_place_tells_registrants(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db, title="Harbour day")
    register(workshop, factories.make_user(db))
    _edit(organiser_client, workshop, venue="Quai 2, Antwerp")
    assert _fresh(db, Workshop, workshop.id).calendar_sequence == 1
    [message] = outbox()
    assert message["Subject"] == "Changed: Harbour day"
    assert "The place of the workshop has changed" in message.get_body(("plain",)).get_content()


def test_saving_without_a_change_of_time_or_place_tells_no_one(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db)
    register(workshop, factories.make_user(db))
    response = _edit(organiser_client, workshop, title="A better title", description="New *agenda*")
    assert response.status_code == 302
    stored = _fresh(db, Workshop, workshop.id)
    assert (stored.title, stored.calendar_sequence) == ("A better title", 0)
    assert outbox() == []


def test_raising_the_capacity_promotes_the_waiting_list(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db, title="Harbour day", onsite_capacity=1)
    people = [factories.make_user(db) for _ in range(4)]
    for person in people:
        register(workshop, person)
    response = _edit(organiser_client, workshop, onsite_capacity="3")
    assert response.status_code == 302
    db.rollback()
    states = {
        r.user_id: (r.state, r.waitlist_position)
        for r in db.exec(select(Registration).where(Registration.workshop_id == workshop.id))
    }
    assert [states[p.id] for p in people] == [
        ("confirmed", None),
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
    ]
    assert _subjects(outbox) == ["A place is yours: Harbour day"] * 2
    assert "2 people moved up from a waiting list" in organiser_client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_removing_the_capacity_confirms_everyone_waiting(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    for _ in range(3):
        register(workshop, factories.make_user(db))
    _edit(organiser_client, workshop, onsite_capacity="")
    db.rollback()
    assert {r.state for r in db.exec(select(Registration))} == {"confirmed"}
    assert len(outbox()) == 2


def test_lowering_the_capacity_moves_no_one(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db, onsite_capacity=5)
    for _ in range(3):
        register(workshop, factories.make_user(db))
    _edit(organiser_client, workshop, onsite_capacity="2")
    db.rollback()
    assert [r.state for r in db.exec(select(Registration))] == ["confirmed"] * 3
    assert outbox() == []


def test_breakouts_move_with_the_workshop_when_asked(organiser_client, db):
    workshop = _workshop(db)
    breakout = factories.make_breakout(db, workshop, hour=1)
    start, end = breakout.starts_at, breakout.ends_at
    next_week = workshop.starts_at + timedelta(days=7)
    _edit(
        organiser_client,
        workshop,
        starts_at=_local_input(next_week, workshop),
        ends_at=_local_input(workshop.ends_at + timedelta(days=7), workshop),
        move_breakouts="y",
    )
    moved = _fresh(db, Breakout, breakout.id)
    assert (moved.starts_at, moved.ends_at) == (start + timedelta(days=7), end + timedelta(days=7))


def test_a_breakout_left_outside_the_workshop_is_refused(organiser_client, db):
    workshop = factories.make_workshop(db)
    factories.make_breakout(db, workshop, hour=1, title="Drones over the docks")
    next_week = workshop.starts_at + timedelta(days=7)
    response = _edit(
        organiser_client,
        workshop,
        starts_at=_local_input(next_week, workshop),
        ends_at=_local_input(workshop.ends_at + timedelta(days=7), workshop),
    )  # the box "move the breakouts" left unticked
    assert "The breakout “Drones over the docks” would fall outside the workshop" in response.get_data(as_text=True)
    assert _fresh(db, Workshop, workshop.id).starts_at == workshop.starts_at


def test_busy_workshop_answers_409(organiser_client, db, monkeypatch):
    workshop = factories.make_workshop(db)

    def busy(*_args, **_kwargs):
        raise reg.Busy

    monkeypatch.setattr(reg, "run_locked", busy)
    response = _edit(organiser_client, workshop, onsite_capacity="4")
    assert response.status_code == 409
    assert "Please try again" in response.get_data(as_text=True)


# --- Copy, close, cancel ------------------------------------------------------------------------


def test_copying_starts_a_draft_with_the_breakouts_and_their_facilitators(organiser_client, db, facilitator):
    workshop = factories.make_workshop(db, slug="marseille-2021", title="Marseille", onsite_capacity=30)
    breakout = factories.make_breakout(db, workshop, title="Drones over the docks", capacity=8)
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    overview = f"/manage/workshops/{workshop.id}"
    response = post_form(organiser_client, f"{overview}/copy", form_url=overview)
    copy = db.exec(select(Workshop).where(Workshop.slug == "marseille-2021-copy")).one()
    assert response.headers["Location"] == f"/manage/workshops/{copy.id}/edit"
    assert (copy.state, copy.title, copy.onsite_capacity) == ("draft", "Marseille (copy)", 30)
    assert (copy.starts_at, copy.ends_at, copy.calendar_sequence) == (workshop.starts_at, workshop.ends_at, 0)
    [copied] = copy.breakouts
    assert (copied.title, copied.capacity, copied.starts_at) == ("Drones over the docks", 8, breakout.starts_at)
    assert copied.code != breakout.code
    assert [f.id for f in copied.facilitators] == [facilitator.id]
    again = post_form(organiser_client, f"{overview}/copy", form_url=overview)
    db.rollback()
    assert db.exec(select(Workshop).where(Workshop.slug == "marseille-2021-copy-2")).one()
    assert again.status_code == 302


def test_copying_keeps_registrations_with_the_original(organiser_client, db, register):
    workshop = factories.make_workshop(db, slug="lille")
    register(workshop, factories.make_user(db))
    overview = f"/manage/workshops/{workshop.id}"
    post_form(organiser_client, f"{overview}/copy", form_url=overview)
    copy = db.exec(select(Workshop).where(Workshop.slug == "lille-copy")).one()
    assert db.exec(select(Registration).where(Registration.workshop_id == copy.id)).all() == []


def test_closing_registration_keeps_registrations(organiser_client, db, register):
    workshop = factories.make_workshop(db)
    register(workshop, factories.make_user(db))
    overview = f"/manage/workshops/{workshop.id}"
    response = post_form(organiser_client, f"{overview}/close", form_url=overview)
    assert response.headers["Location"] == overview
    assert _fresh(db, Workshop, workshop.id).state == "closed"
    db.rollback()
    assert [r.state for r in db.exec(select(Registration))] == ["confirmed"]
    assert "Registration is closed." in organiser_client.get(overview).get_data(as_text=True)
    with pytest.raises(reg.RegistrationError, match="closed"):
        register(workshop, factories.make_user(db))


def test_cancelling_needs_the_confirmation_box(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db)
    register(workshop, factories.make_user(db))
    overview = f"/manage/workshops/{workshop.id}"
    response = post_form(organiser_client, f"{overview}/cancel", form_url=overview)
    assert "Tick the box to confirm the cancellation." in response.get_data(as_text=True)
    assert _fresh(db, Workshop, workshop.id).state == "published"
    assert outbox() == []


def test_cancelling_cancels_every_registration_and_tells_everyone(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db, title="Harbour day", onsite_capacity=1)
    breakout = factories.make_breakout(db, workshop, capacity=1)
    for _ in range(3):
        register(workshop, factories.make_user(db), breakout)
    overview = f"/manage/workshops/{workshop.id}"
    response = post_form(organiser_client, f"{overview}/cancel", {"confirm": "y"}, form_url=overview)
    assert response.headers["Location"] == overview
    assert _fresh(db, Workshop, workshop.id).state == "closed"
    db.rollback()
    assert [r.state for r in db.exec(select(Registration))] == ["cancelled"] * 3
    messages = outbox()
    assert [m["Subject"] for m in messages] == ["Cancelled: Harbour day"] * 3  # nobody was promoted on the way
    calendar = _ics(messages[0])
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert "3 registrants were told" in organiser_client.get(overview).get_data(as_text=True)


# --- Writing to registrants ---------------------------------------------------------------------


def test_message_to_one_breakout_reaches_only_its_registrants(organiser_client, organiser, db, register, outbox):
    workshop = factories.make_workshop(db)
    docks = factories.make_breakout(db, workshop, hour=1, title="Drones over the docks")
    cranes = factories.make_breakout(db, workshop, hour=3, title="Cyber attacks on cranes")
    in_docks = factories.make_user(db, email="docks@example.org")
    register(workshop, in_docks, docks)
    register(workshop, factories.make_user(db, email="cranes@example.org"), cranes)
    url = f"/manage/workshops/{workshop.id}/message"
    form = {"audience": str(docks.id), "subject": "Bring your badge", "body": "Room 4.\nSee you there."}
    response = post_form(organiser_client, url, form)
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    [message] = outbox()
    assert (message["To"], message["Subject"]) == ("docks@example.org", "Bring your badge")
    assert "Room 4." in message.get_body(("plain",)).get_content()
    stored = db.exec(select(WorkshopMessage)).one()
    assert (stored.breakout_id, stored.recipient_count, stored.sent_by_id) == (docks.id, 1, organiser.id)


def test_messages_are_listed_newest_first(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db)
    for _ in range(2):
        register(workshop, factories.make_user(db))
    url = f"/manage/workshops/{workshop.id}/message"
    post_form(organiser_client, url, {"audience": "all", "subject": "First note", "body": "One."})
    post_form(organiser_client, url, {"audience": "all", "subject": "Second note", "body": "Two."})
    assert len(outbox()) == 4
    page = organiser_client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert page.index("Second note") < page.index("First note")
    assert "to 2 people" in page


def test_a_message_needs_a_subject_and_a_body(organiser_client, db, outbox):
    workshop = factories.make_workshop(db)
    page = post_form(
        organiser_client, f"/manage/workshops/{workshop.id}/message", {"subject": "", "body": ""}
    ).get_data(as_text=True)
    assert "Enter a subject." in page and "Write the message." in page
    assert db.exec(select(WorkshopMessage)).all() == []


# --- Counts -------------------------------------------------------------------------------------


def _fill(db, workshop, breakouts, number):
    """``number`` registrations: most confirmed with a seat, every fifth waiting, every third checked in."""
    for i in range(number):
        person = factories.make_user(db)
        waiting = i % 5 == 4
        registration = factories.make_registration(
            db,
            workshop,
            person,
            state="waitlisted" if waiting else "confirmed",
            waitlist_position=(i // 5 + 1) if waiting else None,
            checked_in_at=None if waiting or i % 3 else workshop.starts_at,
        )
        factories.make_seat(
            db, registration, breakouts[i % len(breakouts)], state="requested" if waiting else "confirmed"
        )


def test_overview_shows_live_counts(organiser_client, db):
    workshop = _workshop(db, onsite_capacity=40)
    breakouts = [factories.make_breakout(db, workshop, hour=h, capacity=10, title=f"At {h}") for h in (1, 3)]
    _fill(db, workshop, breakouts, 10)
    page = organiser_client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    # 8 confirmed (i = 0..3, 5..8), 2 waiting (i = 4, 9), checked in: i = 0, 3, 6.
    assert "On site 8 of 40 confirmed 2 waiting 3 checked in" in " ".join(_text(page).split())
    # Breakout 1 holds i = 0, 2, 6, 8 confirmed (0 and 6 checked in); i = 4 asked while waiting.
    text = " ".join(_text(page).split())
    assert "At 1 Sun 16 Nov, 10:30–11:30 4 of 10 confirmed 0 waiting 2 checked in 1 more asked" in text
    listing = organiser_client.get("/manage/workshops").get_data(as_text=True)
    assert re.search(r'data-label="Confirmed" class="setup-number">8<', listing)


def test_page_queries_do_not_grow_with_registrations(organiser_client, db, count_queries):
    small, large = factories.make_workshop(db), factories.make_workshop(db)
    for workshop, number in ((small, 5), (large, 50)):
        breakouts = [factories.make_breakout(db, workshop, hour=h) for h in (1, 3, 5)]
        _fill(db, workshop, breakouts, number)
    for path in ("/manage/workshops/{}", "/manage/workshops"):
        counted = []
        for workshop in (small, large, small):  # the first request warms up what is cached per process
            with count_queries() as statements:
                assert organiser_client.get(path.format(workshop.id)).status_code == 200
            counted.append(len(statements))
        assert counted[1] == counted[2], (path, counted)


def test_list_shows_workshops_latest_first_in_their_own_zone(organiser_client, db):
    factories.make_workshop(
        db,
        title="Vilnius",
        timezone="Europe/Vilnius",
        starts_at=datetime(2031, 3, 1, 7, tzinfo=UTC),
        ends_at=datetime(2031, 3, 1, 15, tzinfo=UTC),
    )
    factories.make_workshop(
        db,
        title="Draft for later",
        state="draft",
        starts_at=datetime(2032, 1, 1, 8, tzinfo=UTC),
        ends_at=datetime(2032, 1, 1, 9, tzinfo=UTC),
    )
    page = organiser_client.get("/manage/workshops").get_data(as_text=True)
    assert page.index("Draft for later") < page.index("Vilnius")
    assert "Sat 01 Mar 2031, 09:00–17:00" in _text(page)
    assert 'href="/manage/workshops/new"' in page


# --- Who may -------------------------------------------------------------------------------------


def _pages(workshop, breakout) -> list[tuple[str, str]]:
    base = f"/manage/workshops/{workshop.id}"
    return [
        ("GET", "/manage/workshops"),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", base),
        ("GET", f"{base}/edit"),
        ("POST", f"{base}/edit"),
        ("POST", f"{base}/close"),
        ("POST", f"{base}/copy"),
        ("POST", f"{base}/cancel"),
        ("GET", f"{base}/message"),
        ("POST", f"{base}/message"),
        ("GET", f"{base}/breakouts/new"),
        ("POST", f"{base}/breakouts/new"),
        ("GET", f"/manage/breakouts/{breakout.id}/edit"),
        ("POST", f"/manage/breakouts/{breakout.id}/edit"),
        ("POST", f"/manage/breakouts/{breakout.id}/delete"),
    ]


@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_participants_and_facilitators_are_refused(request, db, role):
    client = request.getfixturevalue(f"{role}_client")
    workshop = factories.make_workshop(db)
    breakout = factories.make_breakout(db, workshop)
    token = csrf_token(client, "/me")
    for method, url in _pages(workshop, breakout):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (role, method, url)
    assert _fresh(db, Workshop, workshop.id).state == "published"


def test_anonymous_people_are_sent_to_log_in(client, db):
    workshop = factories.make_workshop(db)
    breakout = factories.make_breakout(db, workshop)
    token = csrf_token(client, "/login")
    for method, url in _pages(workshop, breakout):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login?next="), (method, url)


def test_unknown_workshops_and_breakouts_are_404(organiser_client):
    token = csrf_token(organiser_client, "/manage/workshops")
    workshop = breakout = SimpleNamespace(id=999999)
    for method, url in _pages(workshop, breakout)[3:]:
        response = organiser_client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, url)


# --- Services, without HTTP ---------------------------------------------------------------------


def test_copies_get_free_slugs_that_fit(app, db):
    long_slug = "a" * 80
    original = factories.make_workshop(db, slug="lille")
    longest = factories.make_workshop(db, slug=long_slug, title="t" * 200)
    with app.app_context():
        first = services.copy_workshop(session=db, workshop=original)
        second = services.copy_workshop(session=db, workshop=first)
        long_copy = services.copy_workshop(session=db, workshop=longest)
    assert (first.slug, second.slug) == ("lille-copy", "lille-copy-2")
    assert len(long_copy.slug) <= 80 and long_copy.slug.endswith("-copy")
    assert len(long_copy.title) == 200 and long_copy.title.endswith(" (copy)")


def test_counts_of_several_workshops_come_from_one_query(app, db, count_queries):
    first, second, empty = (factories.make_workshop(db) for _ in range(3))
    for workshop, number in ((first, 3), (second, 7)):
        for _ in range(number):
            factories.make_registration(db, workshop, factories.make_user(db))
    factories.make_registration(db, second, factories.make_user(db), mode="online", state="cancelled")
    with count_queries() as statements:
        counts = services.workshop_counts(session=db, workshop_ids=[first.id, second.id, empty.id])
    assert len(statements) == 1
    assert [counts[w.id].total.confirmed for w in (first, second, empty)] == [3, 7, 0]


def test_organiser_text_is_shown_escaped(organiser_client, db):
    workshop = factories.make_workshop(db, title='"><script>alert(1)</script>', description="<script>x()</script>")
    page = organiser_client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<script>x()</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("title", ["Ports\r\nBcc: x@example.org", "Ports\x00", "Ports\u2028Bcc: x"])
def test_a_title_with_a_line_break_or_control_character_is_refused_and_kept(organiser_client, db, title):
    page = post_form(organiser_client, "/manage/workshops/new", _form(title=title)).get_data(as_text=True)
    assert "Keep this to one line, without line breaks or control characters." in page
    assert "Palais du Pharo" in page  # the rest of what was typed stays
    assert db.exec(select(Workshop)).all() == []


def test_a_message_subject_with_a_line_break_is_refused_and_nothing_is_sent(organiser_client, db, register, outbox):
    workshop = factories.make_workshop(db)
    register(workshop, factories.make_user(db))
    sent_before = len(outbox())
    response = post_form(
        organiser_client,
        f"/manage/workshops/{workshop.id}/message",
        {"audience": "all", "subject": "Hi\r\nBcc: x@example.org", "body": "Room 4."},
    )
    assert "Keep this to one line" in response.get_data(as_text=True)
    assert len(outbox()) == sent_before
    assert db.exec(select(WorkshopMessage)).all() == []
