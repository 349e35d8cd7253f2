"""The registration service: seats, waiting lists, promotions and the rules, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshops.events import registration as reg
from workshops.events.models import BreakoutSeat, Registration
from workshops.timeutil import utcnow


@pytest.fixture
def ctx(app):
    """Services read configuration, so they run inside an application context."""
    with app.app_context():
        yield


@pytest.fixture
def people(db):
    return [factories.make_user(db, name=f"Person {i:02d}") for i in range(8)]


def _register(db, workshop, user, mode="on_site", breakouts=()):
    return reg.register(
        session=db,
        workshop=workshop,
        user=user,
        choices=reg.Choices(mode=mode, breakout_ids=tuple(b.id for b in breakouts)),
    )


def _state(db, user, workshop):
    db.rollback()
    r = db.exec(
        select(Registration).where(Registration.user_id == user.id, Registration.workshop_id == workshop.id)
    ).one()
    return r.state, r.waitlist_position


def _seats(db, breakout):
    db.rollback()
    seats = db.exec(select(BreakoutSeat).where(BreakoutSeat.breakout_id == breakout.id).order_by(BreakoutSeat.id)).all()
    return [(s.registration.user.name, s.state, s.waitlist_position) for s in seats]


def test_venue_fills_then_waiting_list_in_order(ctx, db, people):
    workshop = factories.make_workshop(db, onsite_capacity=2)
    for person in people[:5]:
        _register(db, workshop, person)
    assert [_state(db, p, workshop) for p in people[:5]] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]


def test_breakout_fills_then_waiting_list(ctx, db, people):
    workshop = factories.make_workshop(db)
    breakout = factories.make_breakout(db, workshop, capacity=1)
    for person in people[:3]:
        _register(db, workshop, person, breakouts=[breakout])
    assert _seats(db, breakout) == [
        ("Person 00", "confirmed", None),
        ("Person 01", "waitlisted", 1),
        ("Person 02", "waitlisted", 2),
    ]


def test_cancellation_promotes_the_first_in_line_and_closes_the_gap(ctx, db, people):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    breakout = factories.make_breakout(db, workshop, capacity=1)
    first = _register(db, workshop, people[0], breakouts=[breakout]).registration
    for person in people[1:4]:
        _register(db, workshop, person, breakouts=[breakout])
    outcome = reg.cancel(session=db, registration=first)
    assert [r.user_id for r in outcome.promoted] == [people[1].id]
    assert _state(db, people[1], workshop) == ("confirmed", None)
    assert _state(db, people[2], workshop) == ("waitlisted", 1)
    assert _state(db, people[3], workshop) == ("waitlisted", 2)
    # The promoted person's requested breakout seat is now theirs.
    assert _seats(db, breakout)[0][1:] == ("confirmed", None)
    assert [s for s in _seats(db, breakout) if s[1] != "requested"] == [("Person 01", "confirmed", None)]


def test_a_waiting_person_only_requests_breakout_seats(ctx, db, people):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    breakout = factories.make_breakout(db, workshop, capacity=5)
    _register(db, workshop, people[0], breakouts=[breakout])
    _register(db, workshop, people[1], breakouts=[breakout])
    assert _seats(db, breakout) == [("Person 00", "confirmed", None), ("Person 01", "requested", None)]


def test_leaving_a_breakout_promotes_its_waiting_list(ctx, db, people):
    workshop = factories.make_workshop(db)
    full = factories.make_breakout(db, workshop, capacity=1)
    other = factories.make_breakout(db, workshop, hour=3)
    holder = _register(db, workshop, people[0], breakouts=[full]).registration
    _register(db, workshop, people[1], breakouts=[full])
    outcome = reg.change_breakouts(session=db, registration=holder, breakout_ids=[other.id])
    assert [s.registration.user_id for s in outcome.promoted_seats] == [people[1].id]
    assert _seats(db, full) == [("Person 01", "confirmed", None)]
    assert _seats(db, other) == [("Person 00", "confirmed", None)]


def test_clashing_breakouts_are_refused_and_nothing_is_stored(ctx, db, people):
    workshop = factories.make_workshop(db)
    morning = factories.make_breakout(db, workshop, hour=1, length=2)
    overlapping = factories.make_breakout(db, workshop, hour=2, length=2)
    with pytest.raises(reg.RegistrationError, match="same time"):
        _register(db, workshop, people[0], breakouts=[morning, overlapping])
    db.rollback()
    assert db.exec(select(Registration)).all() == []


def test_back_to_back_breakouts_do_not_clash(ctx, db, people):
    workshop = factories.make_workshop(db)
    first = factories.make_breakout(db, workshop, hour=1, length=1)
    second = factories.make_breakout(db, workshop, hour=2, length=1)
    _register(db, workshop, people[0], breakouts=[first, second])
    assert _state(db, people[0], workshop) == ("confirmed", None)


def test_one_registration_per_person_and_workshop(ctx, db, people):
    workshop = factories.make_workshop(db)
    first = _register(db, workshop, people[0]).registration
    with pytest.raises(reg.AlreadyRegistered) as raised:
        _register(db, workshop, people[0])
    assert raised.value.registration.id == first.id


def test_a_cancelled_person_may_register_again(ctx, db, people):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    first = _register(db, workshop, people[0]).registration
    reg.cancel(session=db, registration=first)
    again = _register(db, workshop, people[0]).registration
    assert again.id == first.id
    assert _state(db, people[0], workshop) == ("confirmed", None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"state": "draft"}, "not open for registration"),
        ({"state": "closed"}, "closed"),
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, "not opened yet"),
        ({"registration_closes_at": utcnow() - timedelta(minutes=1)}, "has closed"),
        (
            {"starts_at": utcnow() - timedelta(days=2), "ends_at": utcnow() - timedelta(days=1)},
            "already taken place",
        ),
    ],
)
def test_registration_outside_its_window_is_refused(ctx, db, people, overrides, message):
    workshop = factories.make_workshop(db, **overrides)
    with pytest.raises(reg.RegistrationError, match=message):
        _register(db, workshop, people[0])
    db.rollback()
    assert db.exec(select(Registration)).all() == []


def test_a_mode_the_format_does_not_offer_is_refused(ctx, db, people):
    workshop = factories.make_workshop(db, format="on_site")
    with pytest.raises(reg.RegistrationError, match="only be attended on site"):
        _register(db, workshop, people[0], mode="online")


def test_hybrid_modes_have_their_own_capacity_and_waiting_list(ctx, db, people):
    workshop = factories.make_workshop(db, format="hybrid", onsite_capacity=1, online_capacity=1)
    _register(db, workshop, people[0], mode="on_site")
    _register(db, workshop, people[1], mode="online")
    _register(db, workshop, people[2], mode="on_site")
    _register(db, workshop, people[3], mode="online")
    assert [_state(db, p, workshop) for p in people[:4]] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 1),
    ]


def test_switching_mode_takes_a_free_place_and_passes_on_the_old_one(ctx, db, people):
    workshop = factories.make_workshop(db, format="hybrid", onsite_capacity=1, online_capacity=5)
    holder = _register(db, workshop, people[0], mode="on_site").registration
    _register(db, workshop, people[1], mode="on_site")
    outcome = reg.switch_mode(session=db, registration=holder, mode="online")
    assert [r.user_id for r in outcome.promoted] == [people[1].id]
    assert _state(db, people[0], workshop) == ("confirmed", None)
    assert _state(db, people[1], workshop) == ("confirmed", None)


def test_switching_to_a_full_mode_changes_nothing(ctx, db, people):
    workshop = factories.make_workshop(db, format="hybrid", onsite_capacity=5, online_capacity=1)
    _register(db, workshop, people[0], mode="online")
    mine = _register(db, workshop, people[1], mode="on_site").registration
    with pytest.raises(reg.RegistrationError, match="full"):
        reg.switch_mode(session=db, registration=mine, mode="online")
    db.rollback()
    assert db.get(Registration, mine.id).mode == "on_site"


def test_raising_a_capacity_promotes_in_order(ctx, db, people):
    workshop = factories.make_workshop(db, onsite_capacity=1)
    for person in people[:4]:
        _register(db, workshop, person)
    workshop.onsite_capacity = 3
    db.add(workshop)
    db.commit()
    outcome = reg.fill_free_places(session=db, workshop=workshop)
    assert [r.user_id for r in outcome.promoted] == [people[1].id, people[2].id]
    assert _state(db, people[3], workshop) == ("waitlisted", 1)


def test_a_breakout_of_another_workshop_is_refused(ctx, db, people):
    workshop = factories.make_workshop(db)
    elsewhere = factories.make_breakout(db, factories.make_workshop(db))
    with pytest.raises(reg.RegistrationError, match="not part of this workshop"):
        _register(db, workshop, people[0], breakouts=[elsewhere])


def test_the_locking_statement_is_really_issued(app, ctx, db, people):
    from sqlalchemy import event

    workshop = factories.make_workshop(db)
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["workshops.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        _register(db, workshop, people[0])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if engine.dialect.name == "sqlite":
        assert "BEGIN IMMEDIATE" in statements
    else:
        assert any("FOR UPDATE" in s and "FROM workshop" in s for s in statements)
