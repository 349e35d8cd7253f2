"""'My breakouts': a facilitator finds today's breakouts, live one first, with counts and one-click links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshops.events.models import BreakoutFacilitator, Registration
from workshops.needs import my_breakouts as listing
from workshops.needs.models import Need
from workshops.timeutil import utcnow

CARD = re.compile(r'<li class="card my-breakout[^"]*" data-state="(\w+)">\s*<article aria-labelledby="breakout-(\d+)-')


def _cards(response) -> list[tuple[int, str]]:
    """The breakouts listed, as (id, state), in the order of the page."""
    assert response.status_code == 200, response.status_code
    return [(int(breakout_id), state) for state, breakout_id in CARD.findall(response.get_data(as_text=True))]


def _card_html(response, breakout) -> str:
    page = response.get_data(as_text=True)
    start = page.index(f'aria-labelledby="breakout-{breakout.id}-title"')
    return page[start : page.index("</article>", start)]


def _facilitate(db, user, *breakouts) -> None:
    for breakout in breakouts:
        db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=user.id))
    db.commit()


def _breakout(db, workshop, title: str, start: int, end: int, **values):
    """A breakout from ``start`` to ``end`` minutes from now."""
    now = utcnow().replace(microsecond=0)
    return factories.make_breakout(
        db,
        workshop,
        title=title,
        starts_at=now + timedelta(minutes=start),
        ends_at=now + timedelta(minutes=end),
        **values,
    )


@pytest.fixture
def today(db):
    """A workshop running now, in Lisbon's zone, and another that is still to come."""
    now = utcnow().replace(microsecond=0)
    return factories.make_workshop(
        db,
        slug="today",
        title="Workshop today",
        timezone="Europe/Lisbon",
        starts_at=now - timedelta(hours=3),
        ends_at=now + timedelta(hours=6),
    )


@pytest.fixture
def day(db, today, facilitator):
    """The facilitator's day: created out of order, so that the page has to sort them."""
    later = factories.make_workshop(db, slug="later", title="Workshop later")
    breakouts = {
        "later": factories.make_breakout(db, later, title="Next month"),
        "upcoming": _breakout(db, today, "This afternoon", 120, 180),
        "ended": _breakout(db, today, "This morning", -170, -110),
        "soon": _breakout(db, today, "In an hour", 60, 110),
        "locked": _breakout(db, today, "Locked early", -30, 30, locked_at=utcnow() - timedelta(minutes=5)),
        "live": _breakout(db, today, "Right now", -20, 40),
    }
    _facilitate(db, facilitator, *breakouts.values())
    breakouts["other"] = _breakout(db, today, "Someone else's", -20, 40)
    return breakouts


def test_the_facilitator_sees_exactly_theirs_live_first_then_upcoming_then_closed(day, facilitator_client):
    cards = _cards(facilitator_client.get("/manage/my-breakouts"))

    assert cards == [
        (day["live"].id, "live"),
        (day["soon"].id, "upcoming"),
        (day["upcoming"].id, "upcoming"),
        (day["later"].id, "upcoming"),
        (day["locked"].id, "closed"),  # the latest closed first
        (day["ended"].id, "closed"),
    ]


def test_each_breakout_shows_its_time_in_the_workshops_zone_and_its_state(day, facilitator_client):
    response = facilitator_client.get("/manage/my-breakouts")
    live = day["live"]

    card = _card_html(response, live)
    lisbon = live.starts_at.astimezone(live.workshop.zone)
    assert lisbon.strftime("%a %d %b %Y, %H:%M") in card
    assert live.ends_at.astimezone(live.workshop.zone).strftime("%H:%M ") in card
    assert "Live now" in card and "Workshop today" in card
    assert "still takes needs" in _card_html(response, day["ended"])  # over, never locked
    assert "still takes needs" not in _card_html(response, day["locked"])


def test_counts_are_open_needs_and_confirmed_attendees_with_arrivals(app, db, day, facilitator_client):
    live = day["live"]
    for title, state in [("Radar", "open"), ("Drones", "open"), ("Old", "dismissed"), ("Twin", "merged")]:
        db.add(Need(breakout_id=live.id, title=title, statement=f"We need {title}.", state=state))
    db.add(Need(breakout_id=day["soon"].id, title="Elsewhere", statement="Another breakout's need."))
    db.commit()
    arrived = factories.make_attendee(app, db, live, name="Ana Arrived")
    factories.make_attendee(app, db, live, name="Bo Booked")
    registration = factories.make_registration(
        db, live.workshop, factories.make_user(db, name="Cy Cancelled"), state="cancelled"
    )
    factories.make_seat(db, registration, live)
    waiting = factories.make_registration(db, live.workshop, factories.make_user(db, name="Wu Waiting"))
    factories.make_seat(db, waiting, live, state="waitlisted", waitlist_position=1)
    arrival = db.exec(select(Registration).where(Registration.user_id == arrived.id)).one()
    arrival.checked_in_at = utcnow()
    db.commit()

    card = _card_html(facilitator_client.get("/manage/my-breakouts"), live)

    assert re.search(r"<strong>2</strong> needs", card)
    assert re.search(r"<strong>2</strong> attendees", card)
    assert re.search(r"<strong>1</strong> checked in", card)


def test_every_link_opens_in_one_click_for_the_facilitator(day, facilitator_client):
    response = facilitator_client.get("/manage/my-breakouts")
    live = day["live"]
    card = _card_html(response, live)

    links = {
        "Capture console": f"/manage/breakouts/{live.id}/capture",
        "Projector": f"/b/{live.code}/projector",
        "Check-in": f"/manage/workshops/{live.workshop_id}/check-in",
        "QR code": f"/manage/breakouts/{live.id}/qr-code",
    }
    for label, href in links.items():
        assert f'href="{href}">{label}<span class="visually-hidden">' in card, label
        assert facilitator_client.get(href).status_code == 200, href
    assert f'Short link: <a href="/b/{live.code}">workshops.test/b/{live.code}</a>' in card
    assert facilitator_client.get(f"/b/{live.code}").status_code == 200


def test_an_organiser_sees_every_breakout_of_today_and_later(db, day, organiser_client):
    unstaffed = _breakout(db, day["live"].workshop, "Nobody facilitates", 200, 230)

    listed = {breakout_id for breakout_id, _ in _cards(organiser_client.get("/manage/my-breakouts"))}

    assert listed == {b.id for b in day.values()} | {unstaffed.id}


def test_past_breakouts_are_one_click_away_and_not_in_todays_list(db, today, facilitator, facilitator_client):
    now = utcnow().replace(microsecond=0)
    cutoff = listing.start_of_today("UTC", now)  # the tests' programme zone (TIMEZONE)
    earlier_today = factories.make_workshop(
        db, slug="earlier", starts_at=cutoff, ends_at=cutoff + (now - cutoff) / 2, title="Earlier today"
    )
    yesterday = factories.make_workshop(
        db, slug="yesterday", starts_at=cutoff - timedelta(hours=8), ends_at=cutoff - timedelta(minutes=1)
    )
    long_ago = factories.make_workshop(
        db, slug="2021", starts_at=now - timedelta(days=900), ends_at=now - timedelta(days=899.7)
    )
    this_morning = factories.make_breakout(db, earlier_today, hour=0, length=0)
    last = factories.make_breakout(db, yesterday)
    first = factories.make_breakout(db, long_ago)
    _facilitate(db, facilitator, this_morning, last, first)

    current = facilitator_client.get("/manage/my-breakouts")
    past = facilitator_client.get("/manage/my-breakouts?when=past")

    assert _cards(current) == [(this_morning.id, "closed")]
    assert 'href="/manage/my-breakouts?when=past"' in current.get_data(as_text=True)
    assert _cards(past) == [(last.id, "closed"), (first.id, "closed")]


def test_as_many_queries_for_12_breakouts_as_for_2(db, today, facilitator, facilitator_client, count_queries):
    def breakouts(n: int) -> None:
        """``n`` breakouts, each of its own workshop and test bed, so that nothing is loaded once for all."""
        made = []
        for i in range(n):
            workshop = factories.make_workshop(db, starts_at=today.starts_at, ends_at=today.ends_at)
            test_bed = factories.make_test_bed(db)
            made.append(_breakout(db, workshop, f"Breakout {i}", -60 + 30 * i, -30 + 30 * i, test_bed_id=test_bed.id))
        _facilitate(db, facilitator, *made)
        for breakout in made:
            db.add(Need(breakout_id=breakout.id, title="A need", statement="We need it."))
        db.commit()

    breakouts(2)
    facilitator_client.get("/manage/my-breakouts")  # warm: the session's user, the programme's zone
    with count_queries() as few:
        assert len(_cards(facilitator_client.get("/manage/my-breakouts"))) == 2
    breakouts(10)
    with count_queries() as many:
        assert len(_cards(facilitator_client.get("/manage/my-breakouts"))) == 12

    assert len(many) == len(few)
    assert len(few) <= 8


def test_participants_get_403_and_anonymous_people_the_log_in_page(client, participant_client):
    assert participant_client.get("/manage/my-breakouts").status_code == 403
    response = client.get("/manage/my-breakouts")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_facilitator_without_breakouts_is_told_whom_to_ask(facilitator_client, organiser_client):
    page = facilitator_client.get("/manage/my-breakouts").get_data(as_text=True)
    assert "You facilitate no breakout of today's or upcoming workshops." in page
    assert "The programme's organisers name each breakout's facilitators" in page

    page = organiser_client.get("/manage/my-breakouts").get_data(as_text=True)
    assert "No workshop today or later has breakouts yet." in page
    assert 'href="/manage/workshops"' in page


def test_titles_and_workshop_names_are_escaped(db, facilitator, facilitator_client):
    workshop = factories.make_workshop(db, title='"><script>alert(1)</script>')
    breakout = factories.make_breakout(db, workshop, title="<img src=x onerror=alert(2)>")
    _facilitate(db, facilitator, breakout)

    page = facilitator_client.get("/manage/my-breakouts").get_data(as_text=True)

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_the_qr_code_page_shows_the_short_link_to_its_facilitators_only(db, day, facilitator_client, organiser_client):
    live, other = day["live"], day["other"]

    page = facilitator_client.get(f"/manage/breakouts/{live.id}/qr-code").get_data(as_text=True)

    assert re.search(r'<svg viewBox="[^"]+" class="qr-code">', page)
    assert f'aria-label="QR code of the link http://workshops.test/b/{live.code}"' in page
    assert facilitator_client.get(f"/manage/breakouts/{other.id}/qr-code").status_code == 404
    assert organiser_client.get(f"/manage/breakouts/{other.id}/qr-code").status_code == 200


def test_states_follow_the_lock_and_the_clock(db, today):
    now = utcnow()
    assert listing.state_of(_breakout(db, today, "Soon", 5, 60), now) is listing.BreakoutState.upcoming
    assert listing.state_of(_breakout(db, today, "Now", -5, 60), now) is listing.BreakoutState.live
    assert listing.state_of(_breakout(db, today, "Over", -60, -1), now) is listing.BreakoutState.closed
    locked = _breakout(db, today, "Locked", -5, 60, locked_at=now)
    assert listing.state_of(locked, now) is listing.BreakoutState.closed
