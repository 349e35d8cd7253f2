"""The live board's poll: what one request costs, and that its 304 never hides a change the person must see.

A viewer polls the board about once a second with the ETag of the list they hold. A 304 is answered
from the person (the session's user) and one query (the breakout with their standing and their
votes); a changed board adds one query for all its needs, however many. Whatever changes what the
person may see or do there shows at their next poll: a 200 with the new list, or a 403 / log-in
when they lost the board.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.auth import services as accounts
from workshops.auth.models import Role, User
from workshops.events import attendance
from workshops.events.models import Breakout, BreakoutFacilitator, Registration
from workshops.needs import services as needs
from workshops.needs.models import Need, Vote


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="nice")
    return factories.make_breakout(db, workshop, title="Crowd safety", capacity=80)


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Marie Dubois", organisation="Ville de Nice")


@pytest.fixture
def attendee_client(app, attendee):
    client = app.test_client()
    log_in(client, attendee)
    return client


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


def _add_needs(app, db, breakout, count: int) -> list[Need]:
    """``count`` open needs, each stated by another attendee, with votes, one internal in five, two merged away."""
    people = [factories.make_attendee(app, db, breakout) for _ in range(min(count, 6))]
    added = []
    for n in range(count):
        author = people[n % len(people)]
        need = Need(
            breakout_id=breakout.id,
            title=f"Need {n}",
            statement=f"We need thing number {n}.",
            tags="crowds, night",
            sensitivity="internal" if n % 5 == 4 else "public",
            stated_by_id=author.id,
            organisation=author.organisation,
        )
        db.add(need)
        added.append(need)
    db.flush()
    for n, need in enumerate(added):
        for voter in people[: n % 4]:
            db.add(Vote(need_id=need.id, user_id=voter.id, breakout_id=breakout.id))
    for title in ("Merged away 1", "Merged away 2"):
        db.add(
            Need(
                breakout_id=breakout.id,
                title=title,
                statement="Said before.",
                state="merged",
                merged_into_id=added[0].id,
            )
        )
    db.commit()
    return added


def _board(client, breakout, etag: str | None = None, sort: str = "newest"):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/b/{breakout.code}/board?sort={sort}", headers=headers)


def _counted(count_queries, client, url: str, etag: str) -> tuple[int, int]:
    """The status of one poll of ``url`` sending ``etag``, and the SQL statements it ran."""
    with count_queries() as statements:
        status = client.get(url, headers={"If-None-Match": etag}).status_code
    return status, len(statements)


@pytest.mark.parametrize("who", ["attendee", "facilitator"])
@pytest.mark.parametrize("sort", ["newest", "votes"])
def test_a_poll_costs_two_statements_unchanged_and_three_changed_with_5_or_60_needs(
    app, db, breakout, attendee_client, console, count_queries, who, sort
):
    client = attendee_client if who == "attendee" else console
    costs = []
    for size in (5, 55):  # 5, then 60 needs on the board
        _add_needs(app, db, breakout, size)
        url = f"/b/{breakout.code}/board?sort={sort}"
        etag = client.get(url).headers["ETag"]
        costs.append((_counted(count_queries, client, url, etag), _counted(count_queries, client, url, '"older"')))
    assert costs == [((304, 2), (200, 3))] * 2


def test_the_changed_board_shows_votes_merges_and_who_stated_each_need(app, db, breakout, console):
    added = _add_needs(app, db, breakout, 5)
    html = _board(console, breakout, sort="votes").get_data(as_text=True)
    order = [html.index(f"Need {n}<") for n in (3, 2, 1, 4, 0)]  # most votes first, then the newest
    assert order == sorted(order)
    assert "merges 2 needs" in html
    author = db.get(User, added[1].stated_by_id)
    assert f"{author.name}, {author.organisation}" in html
    assert html.count('<li class="board-need"') == 5


def test_a_poll_of_the_projector_costs_two_statements_unchanged_and_three_changed(
    app, db, breakout, console, count_queries
):
    costs = []
    for size in (5, 55):
        _add_needs(app, db, breakout, size)
        url = f"/b/{breakout.code}/projector/board"
        etag = console.get(url).headers["ETag"]
        costs.append((_counted(count_queries, console, url, etag), _counted(count_queries, console, url, '"older"')))
    assert costs == [((304, 2), (200, 3))] * 2


def test_a_vote_of_ones_own_shows_at_the_next_poll(app, db, breakout, attendee_client):
    need = _add_needs(app, db, breakout, 1)[0]
    first = _board(attendee_client, breakout)
    assert "3 votes left" in first.get_data(as_text=True)
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    assert attendee_client.post(f"/needs/{need.id}/vote", data={"csrf_token": token}).status_code == 302
    after = _board(attendee_client, breakout, first.headers["ETag"])
    assert after.status_code == 200
    html = after.get_data(as_text=True)
    assert "2 votes left" in html and f'action="/needs/{need.id}/unvote"' in html


def test_a_closed_breakout_shows_at_the_next_poll(app, db, breakout, attendee_client, console):
    _add_needs(app, db, breakout, 1)
    etag = _board(attendee_client, breakout).headers["ETag"]
    post_form(console, f"/manage/breakouts/{breakout.id}/lock", form_url=f"/manage/breakouts/{breakout.id}/capture")
    after = _board(attendee_client, breakout, etag)
    assert after.status_code == 200
    html = after.get_data(as_text=True)
    assert "This breakout is closed" in html and 'class="vote-form"' not in html


def test_a_board_kept_for_facilitators_is_refused_at_the_next_poll_and_back_when_opened(
    app, db, breakout, attendee_client, console
):
    _add_needs(app, db, breakout, 1)
    etag = _board(attendee_client, breakout).headers["ETag"]
    settings = f"/manage/breakouts/{breakout.id}/board"
    capture = f"/manage/breakouts/{breakout.id}/capture"
    post_form(console, settings, {"board_visibility": "facilitators", "votes_per_person": "3"}, form_url=capture)
    assert _board(attendee_client, breakout, etag).status_code == 403
    post_form(console, settings, {"board_visibility": "attendees", "votes_per_person": "5"}, form_url=capture)
    reopened = _board(attendee_client, breakout, etag)
    assert reopened.status_code == 200 and "5 votes left" in reopened.get_data(as_text=True)


def test_an_attendee_removed_from_the_breakout_is_refused_at_the_next_poll(
    app, db, breakout, attendee, attendee_client
):
    _add_needs(app, db, breakout, 1)
    etag = _board(attendee_client, breakout).headers["ETag"]
    registration = db.exec(select(Registration).where(Registration.user_id == attendee.id)).one()
    with app.app_context():
        attendance.remove(session=db, registration=registration)
    assert db.get(Breakout, breakout.id).board_version == 0  # nothing on the board changed: the seat decides
    assert _board(attendee_client, breakout, etag).status_code == 403


def test_internal_needs_and_the_tools_come_and_go_with_the_facilitators_naming(app, db, breakout, facilitator):
    """A facilitator attending a breakout they do not facilitate sees the open board; named, the internal needs."""
    _add_needs(app, db, breakout, 5)  # "Need 4" is internal
    registration = factories.make_registration(db, breakout.workshop, facilitator)
    factories.make_seat(db, registration, breakout)
    client = app.test_client()
    log_in(client, facilitator)
    attending = _board(client, breakout)
    assert "Need 4" not in attending.get_data(as_text=True)
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    named = _board(client, breakout, attending.headers["ETag"])
    assert named.status_code == 200
    assert "Need 4" in named.get_data(as_text=True) and "Dismiss" in named.get_data(as_text=True)
    db.delete(db.get(BreakoutFacilitator, (breakout.id, facilitator.id)))
    db.commit()
    unnamed = _board(client, breakout, named.headers["ETag"])
    assert unnamed.status_code == 200
    assert "Need 4" not in unnamed.get_data(as_text=True) and "Dismiss" not in unnamed.get_data(as_text=True)


def test_a_role_taken_away_shows_at_the_next_poll(app, db, breakout, facilitator, console, organiser):
    """Set by an organiser, a new role ends the person's sessions; even stored behind its back, it counts at once."""
    _add_needs(app, db, breakout, 5)
    first = _board(console, breakout)
    assert "Need 4" in first.get_data(as_text=True)
    account = db.get(User, facilitator.id)
    account.role = Role.participant.value  # not through set_role: the session stays, the role is read anew
    db.commit()
    assert _board(console, breakout, first.headers["ETag"]).status_code == 403  # named, but no longer a facilitator
    with app.test_request_context():
        accounts.set_role(session=db, user=account, role=Role.facilitator, by=organiser)
    ended = _board(console, breakout, first.headers["ETag"])
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")


def test_one_persons_etag_never_gets_another_a_304(app, db, breakout, attendee_client, console):
    _add_needs(app, db, breakout, 5)
    other = factories.make_attendee(app, db, breakout, name="Piotr Nowak")
    other_client = app.test_client()
    log_in(other_client, other)
    attendees_etag = _board(attendee_client, breakout).headers["ETag"]
    facilitators_etag = _board(console, breakout).headers["ETag"]
    assert len({attendees_etag, facilitators_etag, _board(other_client, breakout).headers["ETag"]}) == 3
    for client, etag in ((other_client, attendees_etag), (attendee_client, facilitators_etag)):
        answer = _board(client, breakout, etag)
        assert answer.status_code == 200 and "Need 4" not in answer.get_data(as_text=True)
    assert _board(console, breakout, attendees_etag).status_code == 200


def test_a_change_by_anyone_else_shows_at_the_next_poll(app, db, breakout, attendee, attendee_client):
    _add_needs(app, db, breakout, 1)
    etag = _board(attendee_client, breakout).headers["ETag"]
    assert _board(attendee_client, breakout, etag).status_code == 304
    with app.app_context():
        needs.log_need(
            session=db,
            breakout=breakout,
            values=needs.NeedInput(title="Lighting on the beach", statement="We need light at night."),
            author=factories.make_attendee(app, db, breakout),
        )
    after = _board(attendee_client, breakout, etag)
    assert after.status_code == 200 and "Lighting on the beach" in after.get_data(as_text=True)
