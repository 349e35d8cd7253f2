"""Composing a call: challenges from accepted use cases, their order and numbers, the text frozen on publication."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import factories
from workshops.calls import composition as calls
from workshops.calls.models import OpenCall
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
