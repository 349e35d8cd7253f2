"""Composing a call: challenges from accepted use cases, their order and numbers, the text frozen on publication."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from tests import factories
from workshops.calls import composition as calls
from workshops.calls.models import Challenge, OpenCall
from workshops.usecases.models import UseCase, UseCaseRevision


@pytest.fixture
def domains(db):
    return [factories.make_domain(db, name=name, position=position) for position, name in enumerate("ABC", start=1)]


@pytest.fixture
def call(db):
    call = OpenCall(
        name="Open Call 2",
        slug="open-call-2",
        opens_at=datetime(2027, 1, 10, 9, tzinfo=UTC),
        closes_at=datetime(2027, 4, 10, 17, tzinfo=UTC),
    )
    db.add(call)
    db.commit()
    return call


def _use_case(db, domain, title, state="accepted", **changes) -> UseCase:
    use_case = UseCase(title=title, domain_id=domain.id, state=state, body=f"## Context\n{title}", **changes)
    db.add(use_case)
    db.flush()
    db.add(
        UseCaseRevision(
            use_case_id=use_case.id, number=1, change="Created", title=title, trl_min=4, trl_max=7, state=state
        )
    )
    db.commit()
    return use_case


def _numbers(db, call) -> list[tuple[str, str]]:
    db.expire_all()
    return [(text.number, text.title) for group in calls.grouped(db, call) for text in group.challenges]


def test_challenges_are_numbered_by_domain_then_position(db, domains, call):
    a, b, _ = domains
    first = _use_case(db, b, "Flood sensors")
    second = _use_case(db, a, "Drone detection")
    third = _use_case(db, b, "Evacuation apps")
    assert calls.add_challenges(db, call, use_case_ids=[first.id, second.id, third.id]) == 3
    assert _numbers(db, call) == [("1.1", "Drone detection"), ("2.1", "Flood sensors"), ("2.2", "Evacuation apps")]
    assert calls.add_challenges(db, call, use_case_ids=[first.id]) == 0  # already there


def test_moving_challenges_and_domains_renumbers(db, domains, call):
    a, b, _ = domains
    ids = [_use_case(db, a, t).id for t in ("One", "Two", "Three")] + [_use_case(db, b, "Four").id]
    calls.add_challenges(db, call, use_case_ids=ids)
    challenges = {t: c.challenge.id for g in calls.grouped(db, call) for c in g.challenges for t in [c.title]}
    calls.move_challenge(db, call, challenge_id=challenges["Three"], step=-1)
    assert _numbers(db, call)[:3] == [("1.1", "One"), ("1.2", "Three"), ("1.3", "Two")]
    calls.move_challenge(db, call, challenge_id=challenges["One"], step=-1)  # already first: nothing moves
    assert _numbers(db, call)[0] == ("1.1", "One")
    calls.move_domain(db, call, domain_id=b.id, step=-1)
    assert _numbers(db, call) == [("1.1", "Four"), ("2.1", "One"), ("2.2", "Three"), ("2.3", "Two")]
    calls.remove_challenge(db, call, challenge_id=challenges["One"])
    assert _numbers(db, call) == [("1.1", "Four"), ("2.1", "Three"), ("2.2", "Two")]


def test_only_accepted_use_cases_with_a_domain_become_challenges(db, domains, call):
    draft = _use_case(db, domains[0], "Still a draft", state="draft")
    with pytest.raises(calls.CallError, match="not accepted"):
        calls.add_challenges(db, call, use_case_ids=[draft.id])
    homeless = _use_case(db, domains[0], "No domain")
    homeless.domain_id = None
    db.add(homeless)
    db.commit()
    with pytest.raises(calls.CallError, match="no domain"):
        calls.add_challenges(db, call, use_case_ids=[homeless.id])
    assert _numbers(db, call) == []


def test_publishing_freezes_the_text_and_closes_the_composition(db, domains, call):
    use_case = _use_case(db, domains[0], "Drone detection", summary="Before", owners="Port of Lisbon")
    calls.add_challenges(db, call, use_case_ids=[use_case.id])
    empty = OpenCall(name="Empty", slug="empty", opens_at=call.opens_at, closes_at=call.closes_at)
    db.add(empty)
    db.commit()
    with pytest.raises(calls.CallError, match="at least one"):
        calls.publish(db, empty)
    calls.publish(db, call)
    use_case = db.get(UseCase, use_case.id)
    use_case.title, use_case.summary = "Changed later", "After"
    db.add(use_case)
    db.commit()
    [group] = calls.grouped(db, call)
    text = group.challenges[0]
    assert (text.title, text.summary, text.challenge.revision_number) == ("Drone detection", "Before", 1)
    assert text.owners == ["Port of Lisbon"] and text.public_owners == []  # they did not agree to be named
    with pytest.raises(calls.CallError, match="published"):
        calls.add_challenges(db, call, use_case_ids=[_use_case(db, domains[1], "Late").id])
    calls.close(db, call)
    db.expire_all()
    assert db.get(OpenCall, call.id).state == "closed"


def test_use_cases_join_their_domains_in_the_order_given_after_the_challenges_there(db, domains, call):
    a, b, _ = domains
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, a, "Existing").id])
    chosen = [_use_case(db, a, "Zulu"), _use_case(db, b, "Mike"), _use_case(db, a, "Alpha"), _use_case(db, b, "Bravo")]
    assert calls.add_challenges(db, call, use_case_ids=[u.id for u in chosen]) == 4
    assert _numbers(db, call) == [
        ("1.1", "Existing"),
        ("1.2", "Zulu"),  # chosen before "Alpha": the alphabet has no say
        ("1.3", "Alpha"),
        ("2.1", "Mike"),
        ("2.2", "Bravo"),
    ]
    stored = sorted((c.domain_id, c.position) for c in db.exec(select(Challenge).where(Challenge.call_id == call.id)))
    assert stored == [(a.id, 1), (a.id, 2), (a.id, 3), (b.id, 1), (b.id, 2)]


def test_a_move_from_an_order_that_changed_meanwhile_moves_nothing(db, domains, call):
    a, b, _ = domains
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, a, t).id for t in ("One", "Two", "Three")])
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, b, "Four").id])
    one, two, three = (c.challenge.id for c in calls.grouped(db, call)[0].challenges)
    assert calls.move_challenge(db, call, challenge_id=three, step=-1, seen=[one, two, three]) is True
    # A second page still shows One, Two, Three and moves Two down: not what the call holds any more.
    with pytest.raises(calls.OrderChanged, match="Someone else changed the order"):
        calls.move_challenge(db, call, challenge_id=two, step=1, seen=[one, two, three])
    assert [t for _n, t in _numbers(db, call)] == ["One", "Three", "Two", "Four"]
    with pytest.raises(calls.OrderChanged):
        calls.move_domain(db, call, domain_id=b.id, step=-1, seen=[b.id, a.id])
    assert calls.move_domain(db, call, domain_id=b.id, step=-1, seen=[a.id, b.id]) is True
    assert calls.move_challenge(db, call, challenge_id=one, step=-1, seen=[one, three, two]) is False  # first
    assert _numbers(db, call) == [("1.1", "Four"), ("2.1", "One"), ("2.2", "Three"), ("2.3", "Two")]


def test_a_published_call_is_not_reordered(db, domains, call):
    a, _, _ = domains
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, a, t).id for t in ("One", "Two")])
    calls.publish(db, call)
    second = calls.grouped(db, call)[0].challenges[1].challenge.id
    with pytest.raises(calls.CallError, match="published"):
        calls.move_challenge(db, call, challenge_id=second, step=-1)
    with pytest.raises(calls.CallError, match="published"):
        calls.move_domain(db, call, domain_id=a.id, step=1)
    assert [t for _n, t in _numbers(db, call)] == ["One", "Two"]


def test_the_call_is_locked_while_its_order_changes(app, db, domains, call):
    a, _, _ = domains
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, a, t).id for t in ("One", "Two")])
    second = calls.grouped(db, call)[0].challenges[1].challenge.id
    statements = []
    engine = app.extensions["workshops.engine"]

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        calls.move_challenge(db, call, challenge_id=second, step=-1)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if engine.dialect.name == "sqlite":
        assert "BEGIN IMMEDIATE" in statements
    else:
        assert any("FOR UPDATE" in s and "FROM open_call" in s for s in statements)


def test_concurrent_moves_leave_every_challenge_at_a_place_of_its_own(app, db, domains, call):
    """Organisers moving challenges of one domain at once: positions stay 1..n, none shared, none lost."""
    a, _, _ = domains
    calls.add_challenges(db, call, use_case_ids=[_use_case(db, a, f"Challenge {n}").id for n in range(6)])
    ids = [c.challenge.id for c in calls.grouped(db, call)[0].challenges]
    engine = app.extensions["workshops.engine"]
    start = threading.Barrier(len(ids))
    failures = []

    def organiser(challenge_id: int, step: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            mine = session.get(OpenCall, call.id)
            start.wait()
            try:
                for _ in range(4):
                    calls.move_challenge(session, mine, challenge_id=challenge_id, step=step)
            except Exception as error:  # the assertion below shows what went wrong
                failures.append(error)

    threads = [
        threading.Thread(target=organiser, args=(challenge_id, -1 if index % 2 else 1))
        for index, challenge_id in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    db.expire_all()
    positions = sorted(c.position for c in db.exec(select(Challenge).where(Challenge.call_id == call.id)))
    assert positions == [1, 2, 3, 4, 5, 6]
