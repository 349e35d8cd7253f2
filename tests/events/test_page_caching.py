"""Public pages served with conditional GETs and their anonymous view kept rendered (``workshops.caching``).

What a visitor relies on: a page asked for again with its ETag costs a 304 and one short query;
the page changes at once when anything it shows changes; and a logged-in person never gets the
anonymous page kept for everyone, nor anyone else's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests import factories
from tests.conftest import log_in
from workshops.auth import services as auth_services
from workshops.auth.services import Profile
from workshops.calls.models import OpenCall
from workshops.events import consents, services
from workshops.events import registration as reg
from workshops.events.models import Workshop
from workshops.privacy.models import ConsentKind
from workshops.timeutil import utcnow


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db, title="Ports under watch", slug="ports", onsite_capacity=3)


@pytest.fixture
def breakout(db, workshop):
    test_bed = factories.make_test_bed(db, name="Container terminal")
    return factories.make_breakout(db, workshop, title="Drones over the docks", capacity=2, test_bed_id=test_bed.id)


def _published_call(db, **values) -> OpenCall:
    now = utcnow().replace(microsecond=0)
    call = OpenCall(
        name="Open call 2027",
        slug="call-2027",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        state="published",
        published_at=now,
        **values,
    )
    db.add(call)
    db.commit()
    return call


def _again(client, path: str, response):
    return client.get(path, headers={"If-None-Match": response.headers["ETag"]})


def _changed(client, path: str, response) -> str:
    """The page asked for again with the ETag it had: it must come whole (200) and with a new ETag."""
    again = _again(client, path, response)
    assert again.status_code == 200 and again.headers["ETag"] != response.headers["ETag"]
    return again.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/workshops/ports/", "/calls/call-2027/"])
def test_asking_again_with_the_etag_gets_304_and_no_body(client, db, workshop, breakout, path):
    _published_call(db)
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]
    again = _again(client, path, first)
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_kept_page_is_the_page_rendered(client, workshop, breakout):
    first = client.get("/workshops/ports/").get_data(as_text=True)
    second = client.get("/workshops/ports/").get_data(as_text=True)
    assert second == first and "Drones over the docks" in second and "2 seats left" in second


def test_a_repeated_visit_costs_one_short_query_whatever_the_size(app, db, count_queries, client):
    def statements(size: int) -> tuple[int, int]:
        workshop = factories.make_workshop(db, onsite_capacity=size * 2)
        for hour in range(1, 4):
            factories.make_breakout(db, workshop, hour=hour, capacity=size)
        for person in factories.make_people(db, f"size{size}", size):
            factories.make_registration(db, workshop, person, consent_listing_at=utcnow())
        client.get(f"/workshops/{workshop.slug}/")
        client.get("/")
        with count_queries() as kept:
            assert client.get(f"/workshops/{workshop.slug}/").status_code == 200
        with count_queries() as home:
            assert client.get("/").status_code == 200
        return len(kept), len(home)

    # The workshop page: its version; the home page: what its two lists show.
    assert statements(3) == statements(40) == (1, 2)


def test_the_page_changes_at_once_after_a_registration(app, db, client, workshop, breakout):
    first = client.get("/workshops/ports/")
    with app.app_context():
        reg.register(
            session=db,
            workshop=workshop,
            user=factories.make_user(db),
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id,)),
        )
    page = _changed(client, "/workshops/ports/", first)
    assert "1 seat left" in page and "2 left" in page  # the breakout's seats and the workshop's places


def test_the_page_changes_at_once_after_a_breakout_edit(app, db, client, workshop, breakout):
    first = client.get("/workshops/ports/")
    with app.app_context():
        services.update_breakout(
            session=db, breakout=breakout, values={"title": "Drones at night", "capacity": 2}, facilitator_ids=[]
        )
    assert "Drones at night" in _changed(client, "/workshops/ports/", first)


def test_the_page_changes_at_once_after_a_workshop_edit(app, db, client, workshop, breakout):
    first = client.get("/workshops/ports/")
    values = {name: getattr(workshop, name) for name in (*services.TIME_FIELDS, *services.PLACE_FIELDS)}
    values |= {"title": "Ports at night", "onsite_capacity": 3, "online_capacity": None}
    with app.app_context():
        services.update_workshop(session=db, workshop=workshop, values=values)
    assert "Ports at night" in _changed(client, "/workshops/ports/", first)
    home = client.get("/").get_data(as_text=True)
    assert "Ports at night" in home and "Ports under watch" not in home


def test_the_page_changes_when_a_test_bed_is_renamed(app, db, client, workshop, breakout):
    first = client.get("/workshops/ports/")
    with app.app_context():
        services.save_test_bed(session=db, test_bed=breakout.test_bed, values={"name": "Bulk terminal"})
    assert "Bulk terminal" in _changed(client, "/workshops/ports/", first)


def test_the_listed_organisations_follow_the_consent_at_once(app, db, client, workshop):
    person = factories.make_user(db, organisation="Port of Lisbon")
    with app.app_context():
        registration = reg.register(
            session=db, workshop=workshop, user=person, choices=reg.Choices(mode="on_site", consent_listing=True)
        ).registration
    first = client.get("/workshops/ports/")
    assert "Port of Lisbon" in first.get_data(as_text=True)
    with app.app_context():
        consents.withdraw(session=db, user=person, kind=ConsentKind.listing, registration=registration)
    assert "Port of Lisbon" not in _changed(client, "/workshops/ports/", first)


def test_the_listed_organisations_follow_a_profile_edit_at_once(app, db, client, workshop):
    person = factories.make_user(db, organisation="Port of Lisbon")
    with app.app_context():
        reg.register(
            session=db, workshop=workshop, user=person, choices=reg.Choices(mode="on_site", consent_listing=True)
        )
    first = client.get("/workshops/ports/")
    assert "Port of Lisbon" in first.get_data(as_text=True)
    with app.app_context():
        profile = Profile(
            name=person.name,
            organisation="Port of Setúbal",
            organisation_type=person.organisation_type,
            country=person.country,
        )
        auth_services.update_profile(session=db, user=person, profile=profile)
    page = _changed(client, "/workshops/ports/", first)
    assert "Port of Setúbal" in page and "Port of Lisbon" not in page


def test_the_page_follows_the_clock_when_registration_closes(db, client, workshop):
    first = client.get("/workshops/ports/")
    assert "Register</a>" in first.get_data(as_text=True)
    # Nothing written through the application: only the time of closing passes.
    db.execute(update(Workshop).where(Workshop.id == workshop.id).values(registration_closes_at=utcnow()))
    db.commit()
    assert "Registration for this workshop has closed." in _changed(client, "/workshops/ports/", first)


def test_home_follows_what_its_lists_show(db, client, workshop):
    first = client.get("/")
    assert "Ports under watch" in first.get_data(as_text=True)
    call = _published_call(db)
    assert "Open call 2027" in _changed(client, "/", first)
    again = client.get("/")
    # A workshop that has ended leaves the upcoming ones as the clock passes its end.
    db.execute(update(Workshop).where(Workshop.id == workshop.id).values(ends_at=utcnow() - timedelta(minutes=1)))
    call.state = "closed"
    db.add(call)
    db.commit()
    page = _changed(client, "/", again)
    assert "Ports under watch" not in page and "Open call 2027" not in page


def test_a_logged_in_person_never_gets_the_anonymous_page(app, client, participant, workshop, breakout):
    anonymous = client.get("/workshops/ports/")
    person = app.test_client()
    log_in(person, participant)
    own = person.get("/workshops/ports/", headers={"If-None-Match": anonymous.headers["ETag"]})
    page = own.get_data(as_text=True)
    assert own.status_code == 200 and "Pat Participant" in page and "Log out" in page
    assert own.headers["Cache-Control"] == "no-store" and "ETag" not in own.headers
    assert "Pat Participant" not in client.get("/workshops/ports/").get_data(as_text=True)


def test_nobody_gets_another_persons_page(app, db, participant, workshop, breakout):
    with app.app_context():
        reg.register(session=db, workshop=workshop, user=participant, choices=reg.Choices(mode="on_site"))
    pat, other = app.test_client(), app.test_client()
    log_in(pat, participant)
    log_in(other, factories.make_user(db, name="Olga Other"))
    assert "You are registered." in pat.get("/workshops/ports/").get_data(as_text=True)
    page = other.get("/workshops/ports/").get_data(as_text=True)
    assert "Olga Other" in page and "Pat Participant" not in page and "You are registered." not in page
    anonymous = app.test_client().get("/workshops/ports/").get_data(as_text=True)
    assert "You are registered." not in anonymous and "csrf_token" not in anonymous and "Log out" not in anonymous


def test_a_message_waiting_is_shown_to_its_visitor_only(app, client, workshop):
    client.get("/")  # the anonymous page is kept
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "You are logged out.")]
    first = client.get("/")
    assert "You are logged out." in first.get_data(as_text=True) and first.headers["Cache-Control"] == "no-store"
    assert "You are logged out." not in client.get("/").get_data(as_text=True)
    assert "You are logged out." not in app.test_client().get("/").get_data(as_text=True)


def test_a_draft_is_never_kept(db, client, organiser_client):
    factories.make_workshop(db, slug="secret", title="Secret plans", state="draft")
    assert client.get("/workshops/secret/").status_code == 404
    page = organiser_client.get("/workshops/secret/")
    assert page.status_code == 200 and "Secret plans" in page.get_data(as_text=True)
    assert "ETag" not in page.headers and client.get("/workshops/secret/").status_code == 404


def test_the_call_page_follows_its_state(db, client):
    call = _published_call(db)
    first = client.get("/calls/call-2027/")
    assert "Open for applications" in first.get_data(as_text=True)
    call.state = "closed"
    db.add(call)
    db.commit()
    assert "Closed" in _changed(client, "/calls/call-2027/", first)


def test_the_kept_pages_stay_within_their_limit(app):
    from workshops.caching import PageCache

    cache = PageCache(limit=10)
    cache.put(("a",), "12345")
    cache.put(("b",), "12345")
    cache.get(("a",))  # used: kept over "b"
    cache.put(("c",), "123")
    assert cache.get(("a",)) == "12345" and cache.get(("b",)) is None and cache.get(("c",)) == "123"
