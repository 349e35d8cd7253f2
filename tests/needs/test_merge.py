"""Merging needs: originals kept and linked, votes carried over once per person, who may merge."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from workshops.events.models import Breakout, BreakoutFacilitator
from workshops.needs import merging, votes
from workshops.needs import rules as need_rules
from workshops.needs import services as needs
from workshops.needs.models import Need, Vote


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db)


@pytest.fixture
def breakout(db, workshop):
    return factories.make_breakout(db, workshop, title="Ports", capacity=20)


@pytest.fixture
def other_breakout(db, workshop):
    return factories.make_breakout(db, workshop, title="Stations", capacity=20)


def _attend(app, db, breakout, **person):
    return factories.make_attendee(app, db, breakout, **person)


def _log(db, breakout, author, title, **changes) -> Need:
    values = needs.NeedInput(title=title, statement=f"We need {title.lower()}.", **changes)
    return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


def _facilitate(db, breakout, user) -> None:
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=user.id))
    db.commit()


def test_merging_keeps_the_originals_and_carries_votes_over_once_per_person(ctx, app, db, breakout, facilitator):
    ana = _attend(app, db, breakout, name="Ana", organisation="Port of Lisbon")
    ben = _attend(app, db, breakout, name="Ben", organisation="Port of Antwerp")
    first = _log(db, breakout, ana, "Drone detection", urgency=2, tags="drones, night")
    second = _log(db, breakout, ben, "Detecting small drones", urgency=5, tags="drones, radar", sensitivity="anonymous")
    third = _log(db, breakout, ben, "Fence sensors")
    for need in (first, second):
        votes.vote(session=db, need=need, user=ana)  # Ana voted for both: she keeps one, gets one back
    votes.vote(session=db, need=second, user=ben)
    votes.vote(session=db, need=third, user=ana)
    version = db.get(Breakout, breakout.id).board_version

    draft = merging.merged_values([first, second])
    assert (draft.title, draft.urgency, draft.tags, draft.sensitivity) == (
        "Drone detection",
        5,
        "drones, night, radar",
        "anonymous",  # the strictest of the originals'
    )
    merged = merging.merge_needs(session=db, originals=[first, second], values=draft, author=facilitator)

    db.rollback()
    for original in (db.get(Need, first.id), db.get(Need, second.id)):
        assert (original.state, original.merged_into_id) == ("merged", merged.id)
        assert original.statement.startswith("We need")  # the text as stated is kept
    assert db.get(Need, third.id).state == "open"
    voters = sorted(v.user_id for v in db.exec(select(Vote).where(Vote.need_id == merged.id)))
    assert voters == sorted([ana.id, ben.id])
    assert db.exec(select(Vote).where(Vote.need_id.in_([first.id, second.id]))).all() == []
    assert votes.votes_used(db, ana, breakout) == 2  # one on the merged need, one on the fence sensors
    assert db.get(Breakout, breakout.id).board_version > version
    assert db.get(Need, merged.id).captured_by_id == facilitator.id


def test_a_merged_or_dismissed_need_cannot_be_merged_again(ctx, app, db, breakout, facilitator):
    ana = _attend(app, db, breakout)
    first, second, third = (_log(db, breakout, ana, title) for title in ("One", "Two", "Three"))
    merging.merge_needs(
        session=db, originals=[first, second], values=merging.merged_values([first, second]), author=facilitator
    )
    with pytest.raises(needs.NeedError, match="merged or dismissed meanwhile"):
        merging.merge_needs(
            session=db, originals=[second, third], values=merging.merged_values([third]), author=facilitator
        )
    with pytest.raises(needs.NeedError, match="at least two"):
        merging.merge_needs(session=db, originals=[third], values=merging.merged_values([third]), author=facilitator)


def test_a_closed_breakout_takes_no_merge(ctx, app, db, breakout, facilitator):
    ana = _attend(app, db, breakout)
    first, second = (_log(db, breakout, ana, title) for title in ("One", "Two"))
    needs.lock_breakout(session=db, breakout=breakout)
    with pytest.raises(needs.NeedError, match="closed"):
        merging.merge_needs(
            session=db, originals=[first, second], values=merging.merged_values([first, second]), author=facilitator
        )
    db.rollback()
    assert {n.state for n in db.exec(select(Need))} == {"open"}


def test_merging_across_breakouts_needs_a_facilitator_of_each(ctx, app, db, breakout, other_breakout, facilitator):
    ana = _attend(app, db, breakout)
    bo = _attend(app, db, other_breakout)
    here, there = _log(db, breakout, ana, "Here"), _log(db, other_breakout, bo, "There")
    _facilitate(db, breakout, facilitator)
    assert need_rules.may_merge(db, facilitator, [here, _log(db, breakout, ana, "Also here")])
    assert not need_rules.may_merge(db, facilitator, [here, there])
    _facilitate(db, other_breakout, facilitator)
    assert need_rules.may_merge(db, facilitator, [here, there])
    organiser = factories.make_user(db, role="organiser")
    assert need_rules.may_merge(db, organiser, [here, there])
    assert not need_rules.may_merge(db, ana, [here, there])

    votes.vote(session=db, need=there, user=bo)
    merged = merging.merge_needs(
        session=db, originals=[here, there], values=merging.merged_values([here, there]), author=facilitator
    )
    db.rollback()
    assert merged.breakout_id == breakout.id  # the first need's breakout
    carried = db.exec(select(Vote).where(Vote.need_id == merged.id)).one()
    assert (carried.user_id, carried.breakout_id) == (bo.id, breakout.id)


def test_who_may_read_a_need(ctx, app, db, breakout, other_breakout, facilitator, participant):
    ana = _attend(app, db, breakout)
    bo = _attend(app, db, other_breakout)
    public = _log(db, breakout, ana, "Public")
    internal = _log(db, breakout, ana, "Internal", sensitivity="internal")
    assert need_rules.may_read(db, ana, public) and need_rules.may_read(db, ana, internal)  # her own
    assert not need_rules.may_read(db, bo, public)  # another breakout's board
    assert not need_rules.may_read(db, participant, public)
    assert need_rules.may_read(db, facilitator, public)  # facilitators see needs of every workshop
    assert not need_rules.may_read(db, facilitator, internal)  # not internal ones of others' breakouts
    _facilitate(db, breakout, facilitator)
    assert need_rules.may_read(db, facilitator, internal)
    colleague = _attend(app, db, breakout)
    assert need_rules.may_read(db, colleague, public) and not need_rules.may_read(db, colleague, internal)
    breakout.board_visibility = "facilitators"
    db.add(breakout)
    db.commit()
    assert not need_rules.may_read(db, colleague, public)
    assert need_rules.may_read(db, ana, public)


def test_board_settings_raise_the_board_version(ctx, db, breakout):
    before = db.get(Breakout, breakout.id).board_version
    needs.set_board(session=db, breakout=breakout, visibility="facilitators", votes_per_person=5)
    db.rollback()
    saved = db.get(Breakout, breakout.id)
    assert (saved.board_visibility, saved.votes_per_person, saved.board_version) == ("facilitators", 5, before + 1)
    with pytest.raises(ValueError, match="everyone"):
        needs.set_board(session=db, breakout=breakout, visibility="everyone", votes_per_person=5)
