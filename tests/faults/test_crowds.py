"""Crowds at the same moment: 300 log-ins, 300 sign-ups, 200 people posting needs and voting on one breakout.

Each person has their own browser (cookies, CSRF token from the form they opened first); all of a
crowd's requests are released together. The servers are gunicorn with two processes of four
threads, and on SQLite also one process of four threads, the set-up in which 216 of 300 log-ins
once answered 500. No answer may be a 5xx, and every write the server accepted is stored once.
A 409 "please try again" (the server gave up after its bounded retries) is allowed and counted.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests import factories
from tests.liveserver import Browser, burst, each
from workshops.auth.models import User
from workshops.events.models import Breakout
from workshops.needs.models import Need, Vote
from workshops.timeutil import utcnow

#: (database, gunicorn processes, threads each)
SHAPES = [("sqlite", 1, 4), ("sqlite", 2, 4), ("postgresql", 2, 4)]
CROWD = 300
ROOM = 200
TRY_AGAIN = "try again"


def _shape(workers: int, threads: int) -> str:
    return f"{workers}x{threads}"


def _busy_answers_say_try_again(answers) -> list[str]:
    """The 409 answers that do not tell the person to try again."""
    return [a.body[:200] for a in answers if a.status == 409 and TRY_AGAIN not in a.body.lower()]


@pytest.mark.parametrize(("backend", "workers", "threads"), SHAPES)
def test_three_hundred_people_log_in_at_once(live_database, serve, faults_report, backend, workers, threads):
    people = live_database.add_people(f"login-{backend}-{_shape(workers, threads)}", CROWD)
    server = serve(live_database, workers=workers, threads=threads)
    browsers = [Browser(server.url) for _ in people]
    forms = each(browsers, lambda browser: browser.open_form("/login"))
    assert {form.status for form in forms} == {200}
    before = utcnow()

    crowd = burst(
        [
            lambda browser=browser, person=person: browser.post(
                "/login", {"email": person.email, "password": factories.PASSWORD, "next": ""}
            )
            for browser, person in zip(browsers, people, strict=True)
        ]
    )

    logged_in = [
        (browser, person)
        for browser, person, answer in zip(browsers, people, crowd.answers, strict=True)
        if answer.status == 302
    ]
    own_pages = each(logged_in, lambda pair: pair[0].get("/me").status)
    with live_database.session() as session:
        stamped = session.exec(
            select(User.id).where(User.id.in_([person.id for _, person in logged_in]), User.last_login_at >= before)
        ).all()
    faults_report(
        f"{backend} {_shape(workers, threads)}: {crowd.figures()}; 409s {crowd.statuses[409]}; "
        f"rows checked {len(logged_in)} (last_login_at set for {len(stamped)}); own page 200 for {own_pages.count(200)}"
    )
    assert crowd.server_errors == 0, server.problems()
    assert set(crowd.statuses) <= {302, 409}, (crowd.statuses, server.problems())
    assert _busy_answers_say_try_again(crowd.answers) == []
    assert own_pages == [200] * len(logged_in)  # the session each log-in opened works
    assert len(stamped) == len(logged_in), "an accepted log-in did not record last_login_at"


@pytest.mark.parametrize(("backend", "workers", "threads"), SHAPES)
def test_three_hundred_people_sign_up_at_once(live_database, serve, faults_report, backend, workers, threads):
    prefix = f"signup-{backend}-{_shape(workers, threads)}"
    addresses = [f"{prefix}-{n}@example.org" for n in range(CROWD)]
    server = serve(live_database, workers=workers, threads=threads)
    browsers = [Browser(server.url) for _ in addresses]
    forms = each(browsers, lambda browser: browser.open_form("/signup"))
    assert {form.status for form in forms} == {200}

    def sign_up(browser: Browser, n: int, address: str):
        form = {
            "name": f"Signer {n}",
            "email": address,
            "password": factories.PASSWORD,
            "organisation": "Port of Antwerp",
            "organisation_type": "end_user",
            "country": "BE",
            "cluster_id": "",
            "next": "",
        }
        return browser.post("/signup", form)

    crowd = burst(
        [
            lambda browser=browser, n=n, address=address: sign_up(browser, n, address)
            for n, (browser, address) in enumerate(zip(browsers, addresses, strict=True))
        ]
    )

    accepted = [a for a, answer in zip(addresses, crowd.answers, strict=True) if answer.status == 302]
    with live_database.session() as session:
        stored = session.exec(
            select(User.email, func.count()).where(User.email.like(f"{prefix}-%")).group_by(User.email)
        ).all()
    per_address = dict(stored)
    messages = server.wait_for_messages(len(accepted), timeout=60)
    mailed = [m["To"] for m in messages if m["Subject"] == "Confirm your e-mail address"]
    faults_report(
        f"{backend} {_shape(workers, threads)}: {crowd.figures()}; 409s {crowd.statuses[409]}; "
        f"rows checked {len(per_address)} accounts; confirmation messages {len(mailed)}"
    )
    assert crowd.server_errors == 0, server.problems()
    assert set(crowd.statuses) <= {302, 409}, (crowd.statuses, server.problems())
    assert _busy_answers_say_try_again(crowd.answers) == []
    assert {a.location for a in crowd.answers if a.status == 302} <= {"/signup/check-email"}
    assert all(per_address.get(address) == 1 for address in accepted), "an accepted sign-up is not stored once"
    assert max(per_address.values(), default=1) == 1
    assert sorted(mailed) == sorted(accepted), "each accepted sign-up sends its one confirmation link"


@pytest.mark.parametrize(("backend", "workers", "threads"), SHAPES)
def test_two_hundred_people_post_needs_and_vote_in_one_breakout(
    live_database, serve, signed_in, faults_report, backend, workers, threads
):
    """Each person sends their need twice (the same form re-sent) and votes twice for one need, once for another."""
    shape = _shape(workers, threads)
    with live_database.session() as session:
        workshop = factories.make_workshop(session, slug=f"crowd-{backend}-{shape}")
        breakout = factories.make_breakout(session, workshop, votes_per_person=3)
        speaker = factories.make_user(session, email=f"speaker-{backend}-{shape}@example.org")
        first, second = (
            Need(breakout_id=breakout.id, title=title, statement="We need it.", stated_by_id=speaker.id)
            for title in ("Drone detection", "Crowd flow")
        )
        session.add_all([first, second])
        session.commit()
    people = live_database.add_people(f"room-{backend}-{shape}", ROOM)
    live_database.add_attendees(breakout, people)
    server = serve(live_database, workers=workers, threads=threads)
    browsers = signed_in(server, people)
    pages = each(browsers, lambda browser: browser.open_form(f"/b/{breakout.code}"))
    assert {page.status for page in pages} == {200}
    keys = [uuid.uuid4().hex for _ in people]

    def need(browser: Browser, n: int):
        form = {
            "title": f"Need {n}",
            "statement": f"As person {n} we need a way to see the crowd so that nobody is hurt.",
            "urgency": "3",
            "sensitivity": "public",
            "organisation": "Port of Antwerp",
            "organisation_type": "end_user",
            "test_bed_id": "",
            "idempotency_key": keys[n],
        }
        return browser.post(f"/b/{breakout.code}", form)

    def vote(browser: Browser, need_id: int):
        return browser.post(f"/needs/{need_id}/vote")

    tasks = []
    for n, browser in enumerate(browsers):
        tasks.append(lambda browser=browser, n=n: [need(browser, n), vote(browser, first.id)])
        tasks.append(lambda browser=browser, n=n: [vote(browser, first.id), need(browser, n), vote(browser, second.id)])
    crowd = burst(tasks)

    # Each person's five answers, in the order of their two tasks: need, vote, then vote, need, vote.
    mine = [crowd.answers[5 * n : 5 * n + 5] for n in range(ROOM)]
    accepted_needs = {f"Need {n}" for n, answers in enumerate(mine) if 302 in (answers[0].status, answers[3].status)}
    refused_votes = [
        a
        for answers in mine
        for a in (answers[1], answers[2], answers[4])
        if a.status == 302 and "#board" not in a.location
    ]
    accepted_votes = {
        first.id: {
            p.id for p, answers in zip(people, mine, strict=True) if 302 in (answers[1].status, answers[2].status)
        },
        second.id: {p.id for p, answers in zip(people, mine, strict=True) if answers[4].status == 302},
    }
    with live_database.session() as session:
        titles = session.exec(
            select(Need.title, func.count()).where(Need.breakout_id == breakout.id).group_by(Need.title)
        ).all()
        ballots = session.exec(
            select(Vote.need_id, Vote.user_id, func.count())
            .where(Vote.breakout_id == breakout.id)
            .group_by(Vote.need_id, Vote.user_id)
        ).all()
        board_version = session.get(Breakout, breakout.id).board_version
    per_title = dict(titles)
    posted = sum(per_title.values()) - 2  # the two needs the room votes for were there before
    voters = {need_id: {user for n, user, _ in ballots if n == need_id} for need_id in (first.id, second.id)}
    faults_report(
        f"{backend} {shape}: {crowd.figures()}; 409s {crowd.statuses[409]}; rows checked {posted} needs, "
        f"{len(ballots)} votes; board version {board_version}"
    )
    assert crowd.server_errors == 0, server.problems()
    assert set(crowd.statuses) <= {302, 409}, (crowd.statuses, server.problems())
    assert _busy_answers_say_try_again(crowd.answers) == []
    # One need per person however often the form was sent, and every accepted one stored.
    assert all(per_title.get(title) == 1 for title in accepted_needs), "an accepted need is missing or stored twice"
    assert max(per_title.values()) == 1
    assert posted == len(accepted_needs)
    # One vote per person and need, whatever the double clicks; every accepted vote counted, none refused.
    assert refused_votes == []
    assert max(count for *_, count in ballots) == 1
    assert voters == accepted_votes
    # Every stored change raised the board's version, so that every live board sees it.
    assert board_version >= posted + len(ballots)
