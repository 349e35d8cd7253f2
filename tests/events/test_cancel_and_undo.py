"""Cancelling one's registration asks first and says what happens to the seats; for a while it can be undone.

Undo is registering again through the registration service, so a seat given to the next in line
meanwhile stays theirs: the person is told plainly and joins that waiting list.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events.models import BreakoutSeat, Registration
from workshops.timeutil import utcnow


@pytest.fixture
def workshop(db):
    return factories.make_workshop(
        db,
        title="Harbour security day",
        slug="harbour",
        format="hybrid",
        online_link="https://meet.example.eu/harbour",
        registration_closes_at=utcnow() + timedelta(days=20),
    )


@pytest.fixture
def breakouts(db, workshop):
    return [
        factories.make_breakout(db, workshop, hour=1, title="Drones over the docks", capacity=1),
        factories.make_breakout(db, workshop, hour=3, title="Crowd flows at the ferry", capacity=5),
    ]


def _register(client, workshop, **data):
    values = {"mode": "on_site", "consent_processing": "y", **data}
    return post_form(client, f"/workshops/{workshop.slug}/register", values)


def _fresh(db, registration) -> Registration:
    db.rollback()
    db.expire_all()
    return db.get(Registration, registration.id)


def _seats(db, registration) -> dict[int, tuple[str, int | None]]:
    db.rollback()  # read what the requests committed, not an older snapshot
    rows = db.exec(
        select(BreakoutSeat.breakout_id, BreakoutSeat.state, BreakoutSeat.waitlist_position).where(
            BreakoutSeat.registration_id == registration.id
        )
    )
    return {breakout_id: (state, position) for breakout_id, state, position in rows}


@pytest.fixture
def mine(db, participant_client, workshop, breakouts):
    """The participant on site with both breakouts, and requirements that undo must keep."""
    _register(
        participant_client,
        workshop,
        breakouts=[str(b.id) for b in breakouts],
        dietary="Vegetarian",
        accessibility="Step-free access",
        consent_listing="y",
    )
    return db.exec(select(Registration)).one()


def _person_in_line(app, db, workshop, breakouts):
    """Someone else, on the waiting list of the one-seat drones breakout."""
    db.rollback()
    other = factories.make_user(db, email="next@example.org")
    client = app.test_client()
    log_in(client, other)
    _register(client, workshop, breakouts=[str(breakouts[0].id)])
    db.rollback()
    return db.exec(select(Registration).where(Registration.user_id == other.id)).one()


def test_cancel_asks_first_and_says_what_happens_to_each_seat(db, outbox, participant_client, mine, breakouts):
    sent = len(outbox())
    page = participant_client.get(f"/me/registrations/{mine.id}")
    link = f'href="/me/registrations/{mine.id}/cancel"'
    assert link in page.get_data(as_text=True)  # a link to the confirmation, not a one-click form

    response = participant_client.get(f"/me/registrations/{mine.id}/cancel")

    assert response.status_code == 200
    text = " ".join(response.get_data(as_text=True).split())
    assert "Cancel your registration?" in text
    assert "Your on-site place at the workshop is released." in text
    assert "Your seat in the breakout “Drones over the docks”" in text
    assert "Your seat in the breakout “Crowd flows at the ferry”" in text
    assert "goes to the first person on its waiting list" in text
    assert "removes the workshop and your breakouts from your calendar" in text
    assert "For 10 minutes" in text and "register again while registration is open" in text
    assert re.search(r'<form method="post" action="/me/registrations/\d+/cancel">', text)
    assert "Yes, cancel my registration" in text
    # Looking at the question changes nothing.
    assert _fresh(db, mine).state == "confirmed"
    assert len(outbox()) == sent


def test_the_confirmation_of_a_waiting_person_says_they_leave_the_waiting_lists(
    app, db, participant_client, workshop, breakouts
):
    workshop.onsite_capacity = 0
    db.add(workshop)
    db.commit()
    _register(participant_client, workshop, breakouts=[str(breakouts[0].id)])
    mine = db.exec(select(Registration)).one()

    text = " ".join(participant_client.get(f"/me/registrations/{mine.id}/cancel").get_data(as_text=True).split())

    assert "You leave the workshop's waiting list, where you are number 1." in text
    assert "Your choice of the breakout “Drones over the docks”" in text


def test_confirming_cancels_and_offers_undo_which_restores_everything(db, outbox, participant_client, mine, breakouts):
    response = post_form(participant_client, f"/me/registrations/{mine.id}/cancel", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Your registration is cancelled." in page
    assert "Undo the cancellation" in page
    assert "“Drones over the docks”, “Crowd flows at the ferry”" in page
    assert _fresh(db, mine).state == "cancelled"
    assert _seats(db, mine) == {}
    assert outbox()[-1]["Subject"] == "Your registration is cancelled: Harbour security day"

    undone = post_form(participant_client, f"/me/registrations/{mine.id}/undo", follow_redirects=True)

    assert "Your registration is back as it was, with your seats." in undone.get_data(as_text=True)
    restored = _fresh(db, mine)
    assert (restored.state, restored.mode, restored.dietary, restored.accessibility) == (
        "confirmed",
        "on_site",
        "Vegetarian",
        "Step-free access",
    )
    assert restored.consent_listing_at is not None
    assert _seats(db, mine) == {b.id: ("confirmed", None) for b in breakouts}
    assert outbox()[-1]["Subject"] == "Your registration: Harbour security day"
    # Undone once: the button is gone, and a second undo changes nothing.
    assert "Undo the cancellation" not in undone.get_data(as_text=True)
    post_form(participant_client, f"/me/registrations/{mine.id}/undo", form_url=f"/me/registrations/{mine.id}")
    assert len(db.exec(select(Registration)).all()) == 1


def test_undo_does_not_take_back_a_seat_given_to_the_next_in_line(
    app, db, outbox, participant_client, mine, workshop, breakouts
):
    waiting = _person_in_line(app, db, workshop, breakouts)
    assert _seats(db, waiting)[breakouts[0].id] == ("waitlisted", 1)
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    assert _seats(db, waiting)[breakouts[0].id] == ("confirmed", None)  # promoted by the cancellation

    undone = post_form(participant_client, f"/me/registrations/{mine.id}/undo", follow_redirects=True)

    text = " ".join(undone.get_data(as_text=True).split())
    assert (
        "Your registration is back, but not all of it: your seat in “Drones over the docks” had gone: "
        "you are number 1 on its waiting list." in text.replace("&#34;", '"')
    )
    assert _fresh(db, mine).state == "confirmed"
    assert _seats(db, mine) == {breakouts[0].id: ("waitlisted", 1), breakouts[1].id: ("confirmed", None)}
    assert _seats(db, waiting)[breakouts[0].id] == ("confirmed", None)  # theirs it stays


def test_undo_when_the_place_at_the_workshop_has_gone_joins_its_waiting_list(
    app, db, participant_client, workshop, breakouts
):
    workshop.onsite_capacity = 1
    db.add(workshop)
    db.commit()
    _register(participant_client, workshop)
    mine = db.exec(select(Registration)).one()
    other = factories.make_user(db)
    client = app.test_client()
    log_in(client, other)
    _register(client, workshop)
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")

    undone = post_form(participant_client, f"/me/registrations/{mine.id}/undo", follow_redirects=True)

    text = " ".join(undone.get_data(as_text=True).split())
    assert "your place at the workshop had gone to the next in line: you are number 1 on its waiting list" in text
    restored = _fresh(db, mine)
    assert (restored.state, restored.waitlist_position) == ("waitlisted", 1)


def test_undo_is_refused_after_ten_minutes_and_changes_nothing(db, outbox, participant_client, mine):
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    cancelled = _fresh(db, mine)
    cancelled.cancelled_at = utcnow() - timedelta(minutes=11)
    db.add(cancelled)
    db.commit()
    sent = len(outbox())

    page = participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True)
    assert "Undo the cancellation" not in page
    refused = post_form(
        participant_client, f"/me/registrations/{mine.id}/undo", form_url="/me/registrations", follow_redirects=True
    )

    assert "can be undone only within 10 minutes" in refused.get_data(as_text=True)
    assert _fresh(db, mine).state == "cancelled"
    assert len(outbox()) == sent


def test_undo_is_refused_once_registration_has_closed(db, participant_client, mine, workshop):
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    db.rollback()
    workshop = db.get(type(workshop), workshop.id)
    workshop.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.add(workshop)
    db.commit()

    assert "Undo the cancellation" not in participant_client.get(f"/me/registrations/{mine.id}").get_data(as_text=True)
    refused = post_form(
        participant_client, f"/me/registrations/{mine.id}/undo", form_url="/me/registrations", follow_redirects=True
    )

    text = refused.get_data(as_text=True)
    assert "Registration for this workshop has closed. Your cancellation can no longer be undone." in text
    assert _fresh(db, mine).state == "cancelled"


def test_the_confirmation_says_when_a_cancellation_cannot_be_taken_back(db, participant_client, mine, workshop):
    db.rollback()
    workshop = db.get(type(workshop), workshop.id)
    workshop.state = "closed"
    db.add(workshop)
    db.commit()

    text = participant_client.get(f"/me/registrations/{mine.id}/cancel").get_data(as_text=True)

    assert "once cancelled, you cannot undo this or register again" in text


def test_undo_is_offered_only_in_the_browser_that_cancelled(app, db, participant, participant_client, mine):
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    elsewhere = app.test_client()
    log_in(elsewhere, participant)

    page = elsewhere.get(f"/me/registrations/{mine.id}").get_data(as_text=True)
    assert "Undo the cancellation" not in page
    refused = post_form(
        elsewhere, f"/me/registrations/{mine.id}/undo", form_url="/me/registrations", follow_redirects=True
    )

    assert "only be undone from the browser it was made in" in refused.get_data(as_text=True)
    assert _fresh(db, mine).state == "cancelled"


def test_another_persons_cancel_and_undo_are_not_found(app, db, participant_client, mine):
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    db.rollback()
    stranger = app.test_client()
    log_in(stranger, factories.make_user(db))
    token = csrf_token(stranger, "/me")

    assert stranger.get(f"/me/registrations/{mine.id}/cancel").status_code == 404
    assert stranger.post(f"/me/registrations/{mine.id}/undo", data={"csrf_token": token}).status_code == 404
    assert _fresh(db, mine).state == "cancelled"


def test_cancel_and_undo_need_the_forms_token_and_a_post(db, participant_client, mine):
    assert participant_client.post(f"/me/registrations/{mine.id}/cancel", data={}).status_code == 400
    assert _fresh(db, mine).state == "confirmed"
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")
    assert participant_client.get(f"/me/registrations/{mine.id}/undo").status_code == 405
    assert participant_client.post(f"/me/registrations/{mine.id}/undo", data={}).status_code == 400
    assert _fresh(db, mine).state == "cancelled"


def test_a_cancelled_registrations_cancel_page_leads_back_to_it(participant_client, mine):
    post_form(participant_client, f"/me/registrations/{mine.id}/cancel")

    response = participant_client.get(f"/me/registrations/{mine.id}/cancel")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/registrations/{mine.id}"


def test_the_cancel_page_of_a_started_workshop_is_read_only(db, participant, participant_client):
    start = utcnow() - timedelta(hours=1)
    started = factories.make_workshop(db, starts_at=start, ends_at=start + timedelta(hours=7))
    registration = factories.make_registration(db, started, participant, consent_processing_at=utcnow())

    response = participant_client.get(f"/me/registrations/{registration.id}/cancel")

    assert response.status_code == 403
    assert "your registration can no longer be changed" in response.get_data(as_text=True)
    assert "Yes, cancel my registration" not in response.get_data(as_text=True)
