"""A worker killed with SIGKILL in the middle of 200 registrations: nothing half-written, and the server carries on.

Two hundred people register at the same moment for a workshop, each for two breakouts (one of 30
seats, so that the waiting list is worked on too). As soon as the first answers are back, with
most requests still in flight, one of gunicorn's two workers is killed as the kernel's OOM killer
would. The requests it held get no answer; the database must hold no registration without both its
seats, no seat without its registration, and a waiting list without gaps. The master starts a new
worker, and every person whose request was lost registers by sending the form again.
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func
from sqlmodel import select

from tests import factories
from tests.liveserver import burst, each
from workshops.events.models import BreakoutSeat, Registration

PEOPLE = 200
SEATS = 30
#: Answers to wait for before the kill: the workers are then busy with the requests after them.
ANSWERS_BEFORE_KILL = 10


def _state(database, workshop, small, people) -> dict:
    """What the database holds for these people's registrations."""
    ids = [person.id for person in people]
    with database.session() as session:
        per_registration = session.exec(
            select(Registration.id, func.count(BreakoutSeat.id))
            .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id, isouter=True)
            .where(Registration.workshop_id == workshop.id, Registration.user_id.in_(ids))
            .group_by(Registration.id)
        ).all()
        orphans = session.exec(
            select(func.count(BreakoutSeat.id))
            .join(Registration, BreakoutSeat.registration_id == Registration.id, isouter=True)
            .where(Registration.id.is_(None))
        ).one()
        in_small = session.exec(
            select(BreakoutSeat.state, BreakoutSeat.waitlist_position).where(BreakoutSeat.breakout_id == small.id)
        ).all()
    return {
        "registrations": len(per_registration),
        "seatless": sum(count != 2 for _, count in per_registration),
        "orphan seats": orphans,
        "confirmed": sum(state == "confirmed" for state, _ in in_small),
        "positions": sorted(position for state, position in in_small if state == "waitlisted"),
    }


def test_a_worker_killed_mid_registration_leaves_nothing_half_written(
    backend, live_database, serve, signed_in, faults_report
):
    with live_database.session() as session:
        workshop = factories.make_workshop(session, slug=f"sigkill-{backend}")
        small = factories.make_breakout(session, workshop, hour=1, capacity=SEATS)
        large = factories.make_breakout(session, workshop, hour=3)
    people = live_database.add_people(f"sigkill-{backend}", PEOPLE)
    server = serve(live_database, workers=2, threads=4)
    path = f"/workshops/{workshop.slug}/register"
    form = {"mode": "on_site", "breakouts": [str(small.id), str(large.id)], "consent_processing": "y"}
    browsers = signed_in(server, people)
    assert {page.status for page in each(browsers, lambda browser: browser.open_form(path))} == {200}
    workers_before = server.worker_pids()
    answered: list[int] = []
    kill: dict = {}

    def register(browser):
        answer = browser.post(path, form)
        answered.append(answer.status)
        return answer

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 30
        while len(answered) < ANSWERS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.002)
        kill["in flight"] = PEOPLE - len(answered)
        kill["victim"] = server.kill_worker()
        killed_at = time.perf_counter()
        kill["workers"] = server.wait_for_workers(gone={kill["victim"]})
        kill["restarted in"] = time.perf_counter() - killed_at

    crowd = burst([lambda browser=browser: register(browser) for browser in browsers], on_release=kill_a_worker)
    workers_after = kill["workers"]
    right_after = _state(live_database, workshop, small, people)

    lost = [n for n, answer in enumerate(crowd.answers) if answer.status != 302]
    resent = each([browsers[n] for n in lost], lambda browser: browser.post(path, form))
    final = _state(live_database, workshop, small, people)
    faults_report(
        f"{backend}: {crowd.figures()}; in flight when worker {kill['victim']} was killed: {kill['in flight']}; "
        f"new worker in {kill['restarted in']:.1f} s; right after: {right_after['registrations']} registrations, "
        f"seatless {right_after['seatless']}, orphan seats {right_after['orphan seats']}; re-sent {len(resent)}: "
        f"{dict(Counter(answer.status for answer in resent))}; rows checked {final['registrations']} registrations"
    )
    assert kill["in flight"] >= 100, "the kill came too late to catch registrations in flight"
    assert crowd.server_errors == 0, server.problems()
    assert set(crowd.statuses) <= {302, 409, 0}, crowd.statuses
    assert len(workers_after) == 2 and workers_after != workers_before
    # Right after the kill: whatever was stored is whole.
    assert right_after["seatless"] == 0 and right_after["orphan seats"] == 0
    assert right_after["confirmed"] <= SEATS
    assert right_after["positions"] == list(range(1, len(right_after["positions"]) + 1))
    # Later requests pass, on the new worker too, and everyone is registered once, with both seats.
    assert {answer.status for answer in resent} <= {302}, server.problems()
    assert final["registrations"] == PEOPLE and final["seatless"] == 0 and final["orphan seats"] == 0
    assert final["confirmed"] == SEATS
    assert final["positions"] == list(range(1, PEOPLE - SEATS + 1))
