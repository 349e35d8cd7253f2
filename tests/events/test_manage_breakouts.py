"""Organisers add, change and delete the breakouts of a workshop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.events import registration as reg
from workshops.events.models import Breakout, BreakoutSeat

START = datetime(2031, 11, 16, 8, 30, tzinfo=UTC)  # 09:30 in Paris


@pytest.fixture
def workshop(db):
    """A day in Marseille: 09:30–17:00, Paris time."""
    return factories.make_workshop(
        db, title="Marseille", timezone="Europe/Paris", starts_at=START, ends_at=START + timedelta(hours=7.5)
    )


@pytest.fixture
def test_bed(db):
    return factories.make_test_bed(db, name="Port of Marseille")


@pytest.fixture
def register(app, db):
    """Register people through the registration service, in an application context of its own."""

    def register(workshop, user, *breakouts):
        choices = reg.Choices(mode="on_site", breakout_ids=tuple(b.id for b in breakouts))
        with app.app_context():
            return reg.register(session=db, workshop=workshop, user=user, choices=choices).registration

    return register


def _form(test_bed=None, **overrides) -> dict:
    values = {
        "title": "Drones over the docks",
        "test_bed_id": str(test_bed.id) if test_bed else "",
        "domain_id": "",
        "starts_at": "2031-11-16T10:00",
        "ends_at": "2031-11-16T11:30",
        "room": "Salle Pharo",
        "online_room": "",
        "capacity": "12",
    }
    values.update(overrides)
    return values


def _new(client, workshop, data):
    return post_form(client, f"/manage/workshops/{workshop.id}/breakouts/new", data)


def _fresh_breakouts(db, workshop):
    db.rollback()
    db.expire_all()
    return db.exec(select(Breakout).where(Breakout.workshop_id == workshop.id).order_by(Breakout.id)).all()


def test_adding_a_breakout_stores_local_times_as_utc(organiser_client, db, workshop, test_bed, facilitator, organiser):
    data = _form(test_bed) | {"facilitator_ids": [str(facilitator.id), str(organiser.id)]}
    response = _new(organiser_client, workshop, data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    [breakout] = _fresh_breakouts(db, workshop)
    assert (breakout.starts_at, breakout.ends_at) == (START + timedelta(minutes=30), START + timedelta(hours=2))
    assert (breakout.capacity, breakout.room, breakout.test_bed_id) == (12, "Salle Pharo", test_bed.id)
    assert breakout.domain_id == test_bed.domain_id  # a test bed's breakout is in the test bed's domain
    assert {f.id for f in breakout.facilitators} == {facilitator.id, organiser.id}
    assert len(breakout.code) >= 6
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Drones over the docks" in page and "Fay Facilitator" in page and f"/b/{breakout.code}" in page


def test_new_breakout_form_starts_at_the_workshops_start(organiser_client, workshop):
    page = organiser_client.get(f"/manage/workshops/{workshop.id}/breakouts/new").get_data(as_text=True)
    assert 'value="2031-11-16T09:30"' in page
    assert 'value="2031-11-16T10:30"' in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"starts_at": "2031-11-16T09:00"}, "ends_at", "within the workshop"),
        ({"ends_at": "2031-11-16T17:30"}, "ends_at", "within the workshop"),
        ({"starts_at": "2031-11-17T10:00", "ends_at": "2031-11-17T11:00"}, "ends_at", "within the workshop"),
        ({"ends_at": "2031-11-16T09:45"}, "ends_at", "The end must be after the start."),
        ({"title": ""}, "title", "Enter a title."),
        ({"title": "t" * 201}, "title", "Use at most 200 characters."),
        ({"room": "r" * 121}, "room", "Use at most 120 characters."),
        ({"capacity": "-3"}, "capacity", "Enter a number from 0 to"),
        ({"test_bed_id": ""}, "domain_id", "Choose a test bed or a domain."),
        ({"test_bed_id": "999999"}, "test_bed_id", "Not a valid choice."),
    ],
)
def test_bad_breakouts_are_refused_next_to_the_field(
    organiser_client, db, workshop, test_bed, overrides, field, message
):
    response = _new(organiser_client, workshop, _form(test_bed, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', page, re.S), page
    assert _fresh_breakouts(db, workshop) == []


def test_a_domain_breakout_needs_no_test_bed(organiser_client, db, workshop):
    domain = factories.make_domain(db, name="Disaster resilience")
    _new(organiser_client, workshop, _form(domain_id=str(domain.id)))
    [breakout] = _fresh_breakouts(db, workshop)
    assert (breakout.test_bed_id, breakout.domain_id) == (None, domain.id)


def test_only_facilitators_and_organisers_may_facilitate(
    organiser_client, db, workshop, test_bed, participant, facilitator
):
    page = organiser_client.get(f"/manage/workshops/{workshop.id}/breakouts/new").get_data(as_text=True)
    assert "Fay Facilitator" in page
    assert "Pat Participant" not in page
    response = _new(organiser_client, workshop, _form(test_bed) | {"facilitator_ids": [str(participant.id)]})
    assert "Only people with the facilitator or organiser role" in response.get_data(as_text=True)
    assert _fresh_breakouts(db, workshop) == []


def test_editing_a_breakout_keeps_what_was_not_changed(organiser_client, db, workshop, test_bed, facilitator):
    breakout = factories.make_breakout(db, workshop, title="Old title", test_bed_id=test_bed.id, capacity=5)
    url = f"/manage/breakouts/{breakout.id}/edit"
    page = organiser_client.get(url).get_data(as_text=True)
    assert 'value="2031-11-16T10:30"' in page  # an hour after the start, in Paris time
    data = _form(test_bed, title="New title", starts_at="2031-11-16T10:30", ends_at="2031-11-16T11:30", capacity="5")
    response = post_form(organiser_client, url, data | {"facilitator_ids": [str(facilitator.id)]})
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    [stored] = _fresh_breakouts(db, workshop)
    assert (stored.title, stored.starts_at, stored.code) == ("New title", breakout.starts_at, breakout.code)
    assert [f.id for f in stored.facilitators] == [facilitator.id]


def test_raising_a_breakouts_capacity_promotes_its_waiting_list(
    organiser_client, db, workshop, test_bed, register, outbox
):
    breakout = factories.make_breakout(db, workshop, title="Drones", test_bed_id=test_bed.id, capacity=1)
    people = [factories.make_user(db) for _ in range(3)]
    for person in people:
        register(workshop, person, breakout)
    data = _form(test_bed, title="Drones", starts_at="2031-11-16T10:30", ends_at="2031-11-16T11:30", capacity="2")
    response = post_form(organiser_client, f"/manage/breakouts/{breakout.id}/edit", data)
    assert response.status_code == 302
    db.rollback()
    seats = db.exec(select(BreakoutSeat).where(BreakoutSeat.breakout_id == breakout.id).order_by(BreakoutSeat.id))
    assert [(s.state, s.waitlist_position) for s in seats] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
    ]
    [message] = outbox()
    assert message["Subject"] == "A breakout seat is yours: Marseille"
    assert "1 person moved up from the waiting list" in organiser_client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_deleting_a_breakout_frees_its_seats(organiser_client, db, workshop, test_bed, register):
    breakout = factories.make_breakout(db, workshop, title="Drones", test_bed_id=test_bed.id)
    other = factories.make_breakout(db, workshop, hour=3)
    register(workshop, factories.make_user(db), breakout, other)
    url = f"/manage/breakouts/{breakout.id}/edit"
    assert "1 person holds a seat or a waiting-list place" in organiser_client.get(url).get_data(as_text=True)
    response = post_form(organiser_client, f"/manage/breakouts/{breakout.id}/delete", form_url=url)
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    assert [b.id for b in _fresh_breakouts(db, workshop)] == [other.id]
    assert [s.breakout_id for s in db.exec(select(BreakoutSeat))] == [other.id]
