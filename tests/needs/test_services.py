"""Needs without HTTP: who may log and see, idempotent logging, stale edits, votes, the lock."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from workshops.events import registration as reg
from workshops.events.models import Breakout, BreakoutFacilitator
from workshops.needs import rules as need_rules
from workshops.needs import services as needs
from workshops.needs import similarity, votes
from workshops.needs.models import Need, Vote


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db)
    return factories.make_breakout(db, workshop, capacity=5)


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Ana Ribeiro", organisation="Lisboa")


@pytest.fixture
def facilitating(db, breakout, facilitator):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator


def _values(**changes) -> needs.NeedInput:
    return needs.NeedInput(
        **{"title": "Anonymised video analytics", "statement": "We need analytics the DPO accepts.", **changes}
    )


def _version(db, breakout) -> int:
    db.rollback()
    return db.get(Breakout, breakout.id).board_version


def test_standing_follows_seats_roles_and_the_board_setting(db, breakout, attendee, facilitating, participant):
    assert need_rules.standing(db, attendee, breakout).sees_board
    assert need_rules.standing(db, attendee, breakout).may_log
    assert not need_rules.standing(db, attendee, breakout).sees_internal
    assert not need_rules.standing(db, participant, breakout).sees_board  # registered nowhere
    assert need_rules.standing(db, facilitating, breakout).sees_internal
    breakout.board_visibility = "facilitators"
    db.add(breakout)
    db.commit()
    assert not need_rules.standing(db, attendee, breakout).sees_board
    assert need_rules.standing(db, attendee, breakout).may_log  # they still log, they just do not see the board
    assert need_rules.standing(db, facilitating, breakout).sees_board


def test_a_waiting_seat_is_not_attendance(app, db, breakout, attendee):
    breakout.capacity = 1
    db.add(breakout)
    db.commit()
    late = factories.make_user(db)
    with app.app_context():
        reg.register(
            session=db,
            workshop=breakout.workshop,
            user=late,
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id,)),
        )
    assert not need_rules.standing(db, late, breakout).may_log


def test_logging_stores_the_need_and_raises_the_board_version(ctx, db, breakout, attendee):
    before = _version(db, breakout)
    need, created = needs.log_need(session=db, breakout=breakout, values=_values(), author=attendee)
    assert created
    assert (need.stated_by_id, need.captured_by_id, need.version) == (attendee.id, None, 1)
    assert _version(db, breakout) == before + 1
    assert similarity.is_current(db.get(Need, need.id).similarity_vector)  # ready for suggestions


def test_the_same_submission_twice_is_stored_once(ctx, db, breakout, attendee):
    first, created = needs.log_need(
        session=db, breakout=breakout, values=_values(), author=attendee, idempotency_key="k-123"
    )
    again, created_again = needs.log_need(
        session=db, breakout=breakout, values=_values(), author=attendee, idempotency_key="k-123"
    )
    assert created and not created_again
    assert again.id == first.id
    db.rollback()
    assert len(db.exec(select(Need)).all()) == 1


def test_a_facilitator_captures_for_a_speaker(ctx, db, breakout, attendee, facilitating):
    for_attendee, _ = needs.log_need(
        session=db, breakout=breakout, values=_values(), author=facilitating, speaker=attendee
    )
    for_a_name, _ = needs.log_need(
        session=db, breakout=breakout, values=_values(title="Other"), author=facilitating, speaker_name="Jan Kowalski"
    )
    assert (for_attendee.stated_by_id, for_attendee.captured_by_id) == (attendee.id, facilitating.id)
    assert (for_a_name.stated_by_id, for_a_name.stated_by_name, for_a_name.captured_by_id) == (
        None,
        "Jan Kowalski",
        facilitating.id,
    )
    db.rollback()
    assert db.get(Need, for_a_name.id).speaker == "Jan Kowalski"


def test_a_stale_edit_is_refused_and_the_version_rises_once_per_save(ctx, db, breakout, attendee):
    need, _ = needs.log_need(session=db, breakout=breakout, values=_values(), author=attendee)
    first_vector = need.similarity_vector
    needs.edit_need(session=db, need=need, values=_values(title="First edit"), expected_version=1)
    db.rollback()
    assert db.get(Need, need.id).similarity_vector != first_vector  # the suggestion vector follows the text
    with pytest.raises(needs.StaleNeed) as stale:
        needs.edit_need(session=db, need=need, values=_values(title="Based on the old text"), expected_version=1)
    assert stale.value.current.title == "First edit"
    db.rollback()
    stored = db.get(Need, need.id)
    assert (stored.title, stored.version) == ("First edit", 2)


def test_votes_are_limited_per_breakout_and_one_per_need(ctx, db, breakout, attendee):
    logged = [
        needs.log_need(session=db, breakout=breakout, values=_values(title=f"Need {n}"), author=attendee)[0]
        for n in range(4)
    ]
    for need in logged[:3]:
        votes.vote(session=db, need=need, user=attendee)
    votes.vote(session=db, need=logged[0], user=attendee)  # a second click changes nothing
    with pytest.raises(needs.NeedError, match="used your 3 votes"):
        votes.vote(session=db, need=logged[3], user=attendee)
    votes.unvote(session=db, need=logged[0], user=attendee)
    votes.vote(session=db, need=logged[3], user=attendee)
    db.rollback()
    assert sorted(v.need_id for v in db.exec(select(Vote))) == sorted(n.id for n in logged[1:])


def test_a_locked_breakout_takes_no_needs_edits_or_votes(ctx, db, breakout, attendee):
    need, _ = needs.log_need(session=db, breakout=breakout, values=_values(), author=attendee)
    needs.lock_breakout(session=db, breakout=breakout)
    with pytest.raises(needs.NeedError, match="closed"):
        needs.log_need(session=db, breakout=breakout, values=_values(), author=attendee)
    with pytest.raises(needs.NeedError, match="closed"):
        votes.vote(session=db, need=need, user=attendee)
    with pytest.raises(needs.NeedError, match="closed"):
        needs.edit_need(session=db, need=need, values=_values(title="Late"), expected_version=1)
    needs.unlock_breakout(session=db, breakout=breakout)
    votes.vote(session=db, need=need, user=attendee)


def test_a_need_keeps_its_folded_search_text_through_edits(ctx, db, breakout, attendee):
    need, _ = needs.log_need(
        session=db,
        breakout=breakout,
        values=_values(title="Résilience des réseaux", organisation="Ville de Nice", tags="Crues, Énergie"),
        author=attendee,
    )
    db.expire_all()
    stored = db.get(Need, need.id).search_text
    assert stored.startswith(" resilience des reseaux we need analytics")
    assert stored.endswith(" crues energie ville de nice")
    values = _values(title="Réseaux", sensitivity="anonymous", organisation="Ville de Nice")
    needs.edit_need(session=db, need=need, values=values, expected_version=1)
    db.expire_all()
    assert "nice" not in db.get(Need, need.id).search_text.split()  # not findable by an anonymous need's organisation
