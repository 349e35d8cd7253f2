"""Votes that explain themselves: how many are left, disabled Vote buttons that say why, clear refusals."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in
from tests.needs.test_console import Nesting
from workshops.needs import services as needs
from workshops.needs.models import Need, Vote

JSON = {"Accept": "application/json"}
VOTE_BUTTON = re.compile(r"<button[^>]*>Vote<span")
OUT_OF_TWO = "You have used your 2 votes: take one back to vote here."


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="antwerp")
    breakout = factories.make_breakout(db, workshop, title="Port perimeter", capacity=10)
    breakout.votes_per_person = 2
    db.add(breakout)
    db.commit()
    return breakout


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Sofie Janssens", email="sofie@example.be")


@pytest.fixture
def attendee_client(app, attendee):
    client = app.test_client()
    log_in(client, attendee)
    return client


@pytest.fixture
def board_needs(app, db, breakout, attendee) -> list[Need]:
    """Three needs on the board, the last one with a title that tries to break out of the markup."""
    titles = ["Drone detection at the quay", "Fence intrusion alerts", '"><script>alert(1)</script>']
    with app.app_context():
        return [
            needs.log_need(
                session=db,
                breakout=breakout,
                values=needs.NeedInput(title=title, statement=f"We need {title}."),
                author=attendee,
            )[0]
            for title in titles
        ]


def _vote(client, need: Need, token: str, headers=None):
    return client.post(f"/needs/{need.id}/vote", data={"csrf_token": token}, headers=headers)


def _board(client, breakout) -> str:
    return client.get(f"/b/{breakout.code}/board").get_data(as_text=True)


def _vote_buttons(html: str) -> list[str]:
    return VOTE_BUTTON.findall(html)


def test_with_votes_left_the_board_says_how_many_and_the_buttons_work(attendee_client, breakout, board_needs):
    for html in (attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True), _board(attendee_client, breakout)):
        assert "you have <strong>2 votes left</strong> of 2" in html
        buttons = _vote_buttons(html)
        assert len(buttons) == 3
        assert not any("disabled" in button for button in buttons)
        assert "take one back to vote here" not in html


def test_the_figure_follows_each_vote_and_at_none_left_the_buttons_say_why(attendee_client, breakout, board_needs):
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    assert _vote(attendee_client, board_needs[0], token, JSON).status_code == 204
    assert "you have <strong>1 vote left</strong> of 2" in _board(attendee_client, breakout)
    assert _vote(attendee_client, board_needs[1], token, JSON).status_code == 204
    for html in (attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True), _board(attendee_client, breakout)):
        assert f"<strong>{OUT_OF_TWO}</strong>" in html
        assert 'id="votes-left" data-left="0" data-of="2"' in html
        [left] = _vote_buttons(html)  # the one need without her vote
        assert 'disabled aria-describedby="votes-left"' in left
        assert "No vote left: take one back to vote here" in html
        assert html.count("Take back<span") == 2  # taking one back still works
        assert "&#34;&gt;&lt;script&gt;" in html and "<script>alert" not in html


def test_a_vote_over_the_limit_is_refused_with_the_reason(attendee_client, db, breakout, board_needs):
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    for need in board_needs[:2]:
        _vote(attendee_client, need, token, JSON)
    refused = _vote(attendee_client, board_needs[2], token, JSON)  # crafted: its button is disabled
    assert refused.status_code == 422
    assert refused.get_json()["error"] == OUT_OF_TWO
    db.rollback()
    assert len(db.exec(select(Vote)).all()) == 2


def test_without_the_script_the_refusal_is_shown_at_the_top_of_the_page(attendee_client, db, breakout, board_needs):
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    assert _vote(attendee_client, board_needs[0], token).headers["Location"] == f"/b/{breakout.code}#board"
    _vote(attendee_client, board_needs[1], token)
    refused = _vote(attendee_client, board_needs[2], token)
    assert refused.status_code == 302
    assert refused.headers["Location"] == f"/b/{breakout.code}"  # not at the board: the message is above it
    page = attendee_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f'<p class="flash flash-warning" role="alert">{OUT_OF_TWO}</p>' in page
    db.rollback()
    assert len(db.exec(select(Vote)).all()) == 2


def test_one_vote_each_is_said_in_the_singular(attendee_client, db, breakout, board_needs):
    breakout.votes_per_person = 1
    db.add(breakout)
    db.commit()
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    assert "you have <strong>1 vote left</strong> of 1" in _board(attendee_client, breakout)
    _vote(attendee_client, board_needs[0], token, JSON)
    assert "You have used your vote: take it back to vote here." in _board(attendee_client, breakout)
    assert _vote(attendee_client, board_needs[1], token, JSON).get_json()["error"] == (
        "You have used your vote: take it back to vote here."
    )


def test_fewer_votes_than_given_after_a_change_of_settings_is_never_below_none(
    attendee_client, db, breakout, board_needs
):
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    for need in board_needs[:2]:
        _vote(attendee_client, need, token, JSON)
    breakout.votes_per_person = 1  # the facilitator lowers the number: votes given stay
    db.add(breakout)
    db.commit()
    html = _board(attendee_client, breakout)
    assert 'data-left="0"' in html and 'data-left="-' not in html
    assert "You have used your vote: take it back to vote here." in html


def test_a_closed_breakout_refuses_votes_and_taking_back_in_json(app, attendee_client, db, breakout, board_needs):
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    _vote(attendee_client, board_needs[0], token, JSON)
    with app.app_context():
        needs.lock_breakout(session=db, breakout=breakout)
    html = _board(attendee_client, breakout)
    assert "vote-form" not in html and "votes left" not in html
    for action in ("vote", "unvote"):
        refused = attendee_client.post(f"/needs/{board_needs[1].id}/{action}", data={"csrf_token": token}, headers=JSON)
        assert refused.status_code == 422
        assert refused.get_json()["error"] == "This breakout is closed: its needs can no longer be changed."
    db.rollback()
    assert len(db.exec(select(Vote)).all()) == 1


def test_a_vote_needs_the_csrf_token_and_a_place_on_the_board(attendee_client, participant_client, db, board_needs):
    assert attendee_client.post(f"/needs/{board_needs[0].id}/vote", headers=JSON).status_code == 400
    token = csrf_token(participant_client, "/me")  # not attending this breakout: the need is not theirs to see
    assert _vote(participant_client, board_needs[0], token, JSON).status_code == 404
    db.rollback()
    assert db.exec(select(Vote)).all() == []


def test_the_poll_and_the_person_have_separate_message_areas(attendee_client, breakout, board_needs):
    page = attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert '<p class="meta board-status" id="board-status" role="status"></p>' in page
    assert '<p class="board-message" id="board-message" role="status"></p>' in page
    # Neither inside the element whose content the poll replaces.
    nesting = Nesting(page)
    for area in ("board-status", "board-message"):
        [ancestors] = nesting.where("p", id=area)
        assert not any(attrs.get("id") == "board" for _tag, attrs in ancestors)
        assert ("section", "board") in [(tag, attrs.get("class")) for tag, attrs in ancestors]
