"""Organisers move people between breakouts, promote waiting people by hand and remove people."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.events import attendance_views
from workshops.events import registration as reg
from workshops.events.models import BreakoutFacilitator, BreakoutSeat, Registration


@pytest.fixture
def register(app, db):
    """Register a person through the service, the way the registration page does.

    The service reads configuration, so it runs in an application context of its own: one left open
    would be shared by the test client's requests (and with it ``g``, the CSRF token and the session).
    """

    def register(workshop, user, *breakouts):
        choices = reg.Choices(mode="on_site", breakout_ids=tuple(b.id for b in breakouts))
        with app.app_context():
            return reg.register(session=db, workshop=workshop, user=user, choices=choices).registration

    return register


@pytest.fixture
def people(db):
    return {name: factories.make_user(db, name=name) for name in ("Ana", "Bo", "Cy", "Dee")}


def _list(workshop, query=""):
    return f"/manage/workshops/{workshop.id}/attendees" + (f"?{query}" if query else "")


def _post(client, workshop, registration, action, data=None, **kwargs):
    url = f"/manage/registrations/{registration.id}/{action}"
    return post_form(client, url, data, form_url=_list(workshop), **kwargs)


def _fresh(db):
    db.rollback()
    db.expire_all()


def _workshop_place(db, user, workshop):
    _fresh(db)
    r = db.exec(select(Registration).where(Registration.user_id == user.id, Registration.workshop_id == workshop.id))
    registration = r.one()
    return registration.state, registration.waitlist_position


def _seats(db, breakout):
    _fresh(db)
    seats = db.exec(
        select(BreakoutSeat)
        .where(BreakoutSeat.breakout_id == breakout.id)
        .order_by(BreakoutSeat.state, BreakoutSeat.waitlist_position)
    ).all()
    return [(s.registration.user.name, s.state, s.waitlist_position) for s in seats]


def _mails(outbox):
    return sorted((str(m["To"]), str(m["Subject"]).split(":")[0]) for m in outbox())


@pytest.fixture
def room(db):
    """A workshop whose Antwerp and Lille breakouts run at the same time (one seat each); the festival later."""
    workshop = factories.make_workshop(db, title="Ports")
    antwerp = factories.make_breakout(db, workshop, hour=1, title="Antwerp", capacity=1)
    lille = factories.make_breakout(db, workshop, hour=1, title="Lille", capacity=1)
    festival = factories.make_breakout(db, workshop, hour=3, title="Festival")
    return workshop, antwerp, lille, festival


def test_moving_a_person_frees_their_seat_for_the_next_in_line(register, db, organiser_client, outbox, people, room):
    workshop, antwerp, lille, festival = room
    ana = register(workshop, people["Ana"], antwerp, festival)
    for name in ("Bo", "Cy"):
        register(workshop, people[name], antwerp)
    response = _post(organiser_client, workshop, ana, "move", {"from_breakout": antwerp.id, "to_breakout": lille.id})
    assert response.status_code == 302 and response.headers["Location"] == _list(workshop)
    assert _seats(db, lille) == [("Ana", "confirmed", None)]
    assert _seats(db, antwerp) == [("Bo", "confirmed", None), ("Cy", "waitlisted", 1)]
    assert _seats(db, festival) == [("Ana", "confirmed", None)]
    assert _mails(outbox) == [
        (people["Ana"].email, "Your registration is updated"),
        (people["Bo"].email, "A breakout seat is yours"),
    ]
    page = organiser_client.get(_list(workshop)).get_data(as_text=True)
    assert "Ana moved from “Antwerp” to “Lille”." in page


def test_moving_into_a_full_breakout_joins_its_waiting_list(register, db, organiser_client, outbox, people, room):
    workshop, antwerp, lille, _festival = room
    ana = register(workshop, people["Ana"], antwerp)
    register(workshop, people["Bo"], lille)
    register(workshop, people["Cy"], lille)
    response = _post(
        organiser_client,
        workshop,
        ana,
        "move",
        {"from_breakout": antwerp.id, "to_breakout": lille.id},
        follow_redirects=True,
    )
    assert "“Lille” is full: Ana is on its waiting list, at 2." in response.get_data(as_text=True)
    assert _seats(db, lille) == [("Bo", "confirmed", None), ("Cy", "waitlisted", 1), ("Ana", "waitlisted", 2)]
    assert _seats(db, antwerp) == []


def test_a_move_into_a_clashing_breakout_is_refused_and_changes_nothing(
    register, db, organiser_client, outbox, people, room
):
    workshop, antwerp, lille, festival = room
    ana = register(workshop, people["Ana"], antwerp, festival)
    response = _post(
        organiser_client,
        workshop,
        ana,
        "move",
        {"from_breakout": festival.id, "to_breakout": lille.id},
        follow_redirects=True,
    )
    assert "“Lille” takes place at the same time as “Antwerp”" in response.get_data(as_text=True)
    assert _seats(db, festival) == [("Ana", "confirmed", None)] and _seats(db, lille) == []
    assert outbox() == []


def test_the_move_form_offers_only_breakouts_that_fit(register, db, organiser_client, people, room):
    workshop, antwerp, _lille, festival = room
    register(workshop, people["Ana"], antwerp, festival)
    page = organiser_client.get(_list(workshop)).get_data(as_text=True)
    # From the festival, Lille would clash with Antwerp and Antwerp is hers already: nowhere to go.
    assert f'name="from_breakout" value="{festival.id}"' not in page
    move_from_antwerp = page.split(f'name="from_breakout" value="{antwerp.id}"')[1].split("</form>")[0]
    assert "Lille" in move_from_antwerp and "Festival" not in move_from_antwerp


def test_a_move_to_a_breakout_of_another_workshop_is_404(register, db, organiser_client, people, room):
    workshop, antwerp, _lille, _festival = room
    elsewhere = factories.make_breakout(db, factories.make_workshop(db))
    ana = register(workshop, people["Ana"], antwerp)
    response = _post(
        organiser_client, workshop, ana, "move", {"from_breakout": antwerp.id, "to_breakout": elsewhere.id}
    )
    assert response.status_code == 404
    assert _seats(db, antwerp) == [("Ana", "confirmed", None)]


def test_promoting_by_hand_confirms_over_capacity_and_closes_the_gap(register, db, organiser_client, outbox, people):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    festival = factories.make_breakout(db, workshop, hour=3, title="Festival", capacity=5)
    registrations = {name: register(workshop, user, festival) for name, user in people.items()}
    page = organiser_client.get(_list(workshop)).get_data(as_text=True)
    assert "Promote by hand" in page and "Organiser override: confirms the place even if the workshop is full." in page
    response = _post(organiser_client, workshop, registrations["Cy"], "promote", follow_redirects=True)
    assert "Cy has a confirmed place (organiser override)" in response.get_data(as_text=True)
    assert [_workshop_place(db, people[name], workshop) for name in ("Ana", "Bo", "Cy", "Dee")] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("confirmed", None),
        ("waitlisted", 2),
    ]
    assert ("Cy", "confirmed", None) in _seats(db, festival)  # the seat Cy requested is now taken
    assert _mails(outbox) == [(people["Cy"].email, "A place is yours")]


def test_promoting_a_breakout_seat_by_hand(register, db, organiser_client, outbox, people, room):
    workshop, antwerp, _lille, _festival = room
    registrations = {name: register(workshop, user, antwerp) for name, user in people.items()}
    response = _post(organiser_client, workshop, registrations["Cy"], "promote", {"breakout": antwerp.id})
    assert response.status_code == 302
    assert _seats(db, antwerp) == [
        ("Ana", "confirmed", None),
        ("Cy", "confirmed", None),
        ("Bo", "waitlisted", 1),
        ("Dee", "waitlisted", 2),
    ]
    assert _mails(outbox) == [(people["Cy"].email, "A breakout seat is yours")]


def test_promoting_someone_already_confirmed_is_refused(register, db, organiser_client, outbox, people):
    workshop = factories.make_workshop(db)
    ana = register(workshop, people["Ana"])
    response = _post(organiser_client, workshop, ana, "promote", follow_redirects=True)
    assert "Ana already has a confirmed place." in response.get_data(as_text=True)
    assert outbox() == []


def test_removing_a_person_promotes_the_next_in_line(register, db, organiser_client, outbox, people, room):
    workshop, antwerp, _lille, _festival = room
    workshop_id = workshop.id
    db.get(type(workshop), workshop_id).onsite_capacity = 1
    db.commit()
    registrations = {name: register(workshop, user, antwerp) for name, user in people.items()}
    back = _list(workshop, "state=confirmed")
    response = _post(organiser_client, workshop, registrations["Ana"], "remove", {"next": back})
    assert response.headers["Location"] == back
    assert [_workshop_place(db, people[name], workshop) for name in ("Ana", "Bo", "Cy", "Dee")] == [
        ("cancelled", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert _seats(db, antwerp)[0] == ("Bo", "confirmed", None)
    assert _mails(outbox) == sorted(
        [(people["Ana"].email, "Your registration is cancelled"), (people["Bo"].email, "A place is yours")]
    )
    page = organiser_client.get(back).get_data(as_text=True)
    assert "Ana is removed; 1 person moved up from a waiting list." in page


def test_removing_twice_says_so_and_sends_nothing(register, db, organiser_client, outbox, people):
    workshop = factories.make_workshop(db)
    ana = register(workshop, people["Ana"])
    _post(organiser_client, workshop, ana, "remove")
    response = _post(organiser_client, workshop, ana, "remove", follow_redirects=True)
    assert "already cancelled" in response.get_data(as_text=True)
    assert len(outbox()) == 1


def test_return_address_stays_on_the_workshops_list(register, db, organiser_client, people):
    workshop = factories.make_workshop(db)
    ana = register(workshop, people["Ana"])
    for foreign in ("//evil.example/", "https://evil.example/", "/manage/users"):
        response = _post(organiser_client, workshop, ana, "promote", {"next": foreign})
        assert response.headers["Location"] == _list(workshop)


def test_facilitators_may_not_move_promote_or_remove(register, db, facilitator_client, facilitator, people, room):
    workshop, antwerp, lille, _festival = room
    db.add(BreakoutFacilitator(breakout_id=antwerp.id, user_id=facilitator.id))
    db.commit()
    ana = register(workshop, people["Ana"], antwerp)
    page = facilitator_client.get(_list(workshop)).get_data(as_text=True)
    assert "Promote by hand" not in page and "Move to" not in page and "Remove from workshop" not in page
    for action, data in [
        ("move", {"from_breakout": antwerp.id, "to_breakout": lille.id}),
        ("promote", {}),
        ("remove", {}),
    ]:
        assert _post(facilitator_client, workshop, ana, action, data).status_code == 403
    assert _workshop_place(db, people["Ana"], workshop) == ("confirmed", None)


def test_unknown_registration_is_404(organiser_client, db):
    workshop = factories.make_workshop(db)
    for action in ("move", "promote", "remove", "check-in", "undo-check-in"):
        response = post_form(organiser_client, f"/manage/registrations/999999/{action}", form_url=_list(workshop))
        assert response.status_code == 404


def test_a_busy_database_answers_409(register, db, organiser_client, outbox, people, monkeypatch):
    workshop = factories.make_workshop(db)
    ana = register(workshop, people["Ana"])

    def busy(**_arguments):
        raise reg.Busy

    monkeypatch.setattr(attendance_views.attendance, "remove", busy)
    response = _post(organiser_client, workshop, ana, "remove")
    assert response.status_code == 409
    assert "try again" in response.get_data(as_text=True)
    assert _workshop_place(db, people["Ana"], workshop) == ("confirmed", None)
    assert outbox() == []
