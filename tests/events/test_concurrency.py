"""Capacity under fire: 200 concurrent registrations against a real server, for a breakout of 20 seats.

The server is gunicorn with two worker processes of four threads each, on the suite's database
(SQLite under ``make test``, PostgreSQL under ``make test-pg``). Each request comes from its own
logged-in session. A control run with the lock switched off must overbook: otherwise the harness
could not tell a correct lock from a race it never provoked.
"""

from __future__ import annotations

import http.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from sqlmodel import select

from tests import factories
from tests.liveserver import LiveServer
from workshops import create_app
from workshops.auth.models import User
from workshops.events.models import BreakoutSeat, Registration

PEOPLE = 200
SEATS = 20
CLIENT_THREADS = 50


def _people(db, count: int, prefix: str = "rush") -> list[User]:
    return factories.make_people(db, prefix, count)


def _logged_in_sessions(server: LiveServer, database_url: str, people: list[User]) -> list[tuple[str, str]]:
    """A signed session cookie and a CSRF token per person, as a browser holds after logging in."""
    app = create_app({"SECRET_KEY": server.secret_key, "DATABASE_URL": database_url, "LOG_REQUESTS": False})
    serializer = app.session_interface.get_signing_serializer(app)
    sessions = []
    with app.test_request_context():
        for person in people:
            flask_session.clear()
            flask_session.update({"_user_id": person.session_token, "_fresh": True})
            token = generate_csrf()
            sessions.append((serializer.dumps(dict(flask_session)), token))
            app.extensions.pop("csrf", None)
            from flask import g

            g.pop("csrf_token", None)
    app.extensions["workshops.engine"].dispose()
    return sessions


def _fire(server: LiveServer, path: str, form: dict, sessions: list[tuple[str, str]]) -> Counter:
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port

    def one(session: tuple[str, str]) -> int:
        cookie, token = session
        connection = http.client.HTTPConnection(host, port, timeout=120)
        try:
            body = urlencode({**form, "csrf_token": token}, doseq=True)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"}
            connection.request("POST", path, body=body, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return Counter(pool.map(one, sessions))


def _rush(db, tmp_path, database_url, threads=4, slug="rush-hour", **config):
    tmp_path.mkdir(exist_ok=True)
    workshop = factories.make_workshop(db, slug=slug, onsite_capacity=None)
    breakout = factories.make_breakout(db, workshop, capacity=SEATS)
    people = _people(db, PEOPLE, prefix=slug)
    server = LiveServer(tmp_path, database_url=database_url, workers=2, threads=threads, LOG_REQUESTS="false", **config)
    sessions = _logged_in_sessions(server, database_url, people)
    server.start()
    try:
        statuses = _fire(
            server,
            f"/workshops/{slug}/register",
            {"mode": "on_site", "breakouts": str(breakout.id), "consent_processing": "y"},
            sessions,
        )
    finally:
        server.stop()
    db.rollback()
    seats = list(db.exec(select(BreakoutSeat).where(BreakoutSeat.breakout_id == breakout.id)))
    registrations = db.exec(select(Registration).where(Registration.workshop_id == workshop.id)).all()
    return statuses, seats, registrations, server


def test_two_hundred_concurrent_registrations_never_overbook(db, tmp_path, database_url):
    statuses, seats, registrations, server = _rush(db, tmp_path, database_url)
    assert statuses == Counter({302: PEOPLE}), server.log_text()[-3000:]
    assert len(registrations) == PEOPLE
    assert all(r.state == "confirmed" for r in registrations)  # the venue has no limit
    by_state = Counter(seat.state for seat in seats)
    assert by_state == Counter({"confirmed": SEATS, "waitlisted": PEOPLE - SEATS})
    positions = sorted(seat.waitlist_position for seat in seats if seat.state == "waitlisted")
    assert positions == list(range(1, PEOPLE - SEATS + 1))


def test_control_run_without_the_lock_shows_the_race(db, tmp_path, database_url):
    """A race is a matter of timing: the control may need a second try to show it, never the locked run."""
    seen = []
    for attempt in range(3):
        # Sixteen requests in flight, each pausing between its count and its write: the window a race needs.
        statuses, seats, _registrations, server = _rush(
            db,
            tmp_path / f"try{attempt}",
            database_url,
            threads=8,
            slug=f"rush-hour-{attempt}",
            application="tests.race_wsgi:app",
            REGISTRATION_LOCKING="false",
            REGISTRATION_RACE_DELAY="0.5",
        )
        assert statuses[500] == 0, server.log_text()[-3000:]
        confirmed = sum(seat.state == "confirmed" for seat in seats)
        seen.append(confirmed)
        if confirmed > SEATS:
            return
    pytest.fail(f"no overbooking without the lock in {seen}: the harness cannot see races")


def test_ten_identical_parallel_registrations_by_one_person_give_one_row(db, tmp_path, database_url):
    workshop = factories.make_workshop(db, slug="double-click")
    [person] = _people(db, 1)
    server = LiveServer(tmp_path, database_url=database_url, workers=2, threads=4, LOG_REQUESTS="false")
    [session] = _logged_in_sessions(server, database_url, [person])
    server.start()
    try:
        statuses = _fire(
            server, "/workshops/double-click/register", {"mode": "on_site", "consent_processing": "y"}, [session] * 10
        )
    finally:
        server.stop()
    assert statuses == Counter({302: 10}), server.log_text()[-3000:]
    db.rollback()
    assert len(db.exec(select(Registration).where(Registration.workshop_id == workshop.id)).all()) == 1


def test_concurrent_cancellations_promote_as_many_people_in_order(app, db, tmp_path, database_url):
    from workshops.events import registration as reg

    workshop = factories.make_workshop(db, slug="musical-chairs", onsite_capacity=SEATS)
    people = _people(db, 2 * SEATS)
    with app.app_context():
        for person in people:
            reg.register(session=db, workshop=workshop, user=person, choices=reg.Choices(mode="on_site"))
    db.rollback()
    mine = {r.user_id: r for r in db.exec(select(Registration).where(Registration.workshop_id == workshop.id))}
    leaving = people[:10]
    server = LiveServer(tmp_path, database_url=database_url, workers=2, threads=4, LOG_REQUESTS="false")
    sessions = _logged_in_sessions(server, database_url, leaving)
    server.start()
    try:
        host, port = urlsplit(server.url).hostname, urlsplit(server.url).port

        def cancel(pair):
            person, (cookie, token) = pair
            connection = http.client.HTTPConnection(host, port, timeout=120)
            try:
                connection.request(
                    "POST",
                    f"/me/registrations/{mine[person.id].id}/cancel",
                    body=urlencode({"csrf_token": token}),
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"},
                )
                return connection.getresponse().status
            finally:
                connection.close()

        with ThreadPoolExecutor(10) as pool:
            statuses = Counter(pool.map(cancel, zip(leaving, sessions, strict=True)))
    finally:
        server.stop()
    assert statuses == Counter({302: 10}), server.log_text()[-3000:]
    db.rollback()
    by_user = {r.user_id: r for r in db.exec(select(Registration).where(Registration.workshop_id == workshop.id))}
    assert [by_user[p.id].state for p in people[:10]] == ["cancelled"] * 10
    assert [by_user[p.id].state for p in people[10:30]] == ["confirmed"] * 20  # the first ten in line moved up
    assert [by_user[p.id].waitlist_position for p in people[30:]] == list(range(1, 11))
    assert sum(r.state == "confirmed" for r in by_user.values()) == SEATS
