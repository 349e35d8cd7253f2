"""Shared data for the call tests: a call with two challenges fed by public, anonymous and internal needs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import factories
from workshops.calls import composition as calls
from workshops.calls import exports
from workshops.calls.models import OpenCall
from workshops.events import registration as reg
from workshops.needs import services as needs
from workshops.usecases.models import UseCase, UseCaseNeed

BODY = """## Context

Ports see *small* drones over the **terminals** at night.

## Success criteria and KPIs

- detection within 2 s
- fewer than 1 false alarm a day

<script>alert(1)</script>
"""


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (never around requests: they would share it)."""
    with app.app_context() as context:
        yield context


@pytest.fixture
def call_text(app, db):
    """The call, read as the exports read it (the app context is only held while building it)."""
    with app.app_context():
        return _build(db)


def _build(db):
    security, resilience = (
        factories.make_domain(db, name="Security & <ports>", position=1),
        factories.make_domain(db, name="Resilience", position=2),
    )
    breakout = factories.make_breakout(db, factories.make_workshop(db, title="Lisbon 2021"), capacity=20)
    people = []
    for organisation, country in (("Port of Lisbon", "PT"), ("Port of Antwerp", "BE"), ("Secret Police", "FR")):
        person = factories.make_user(db, organisation=organisation, country=country)
        reg.register(
            session=db,
            workshop=breakout.workshop,
            user=person,
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id,)),
        )
        people.append(person)
    stated = [
        needs.log_need(
            session=db,
            breakout=breakout,
            values=needs.NeedInput(
                title=f"Need {i}", statement="We need it.", organisation=p.organisation, country=p.country,
                sensitivity=sensitivity,
            ),
            author=p,
        )[0]
        for i, (p, sensitivity) in enumerate(zip(people, ("public", "anonymous", "internal"), strict=True))
    ]  # fmt: skip
    drones = UseCase(
        title="Drones over *ports*",
        summary="Detect drones.",
        domain_id=security.id,
        state="accepted",
        body=BODY,
        owners="Port of Lisbon\nPort of Antwerp",
        owners_may_be_named=True,
        trl_min=5,
        trl_max=7,
    )
    floods = UseCase(
        title="Flood sensors",
        domain_id=resilience.id,
        state="accepted",
        owners="Secret Police",
        body="## Context\n\nRivers rise faster than the gauges say.\n",
    )
    db.add_all([drones, floods])
    db.flush()
    db.add_all([UseCaseNeed(use_case_id=drones.id, need_id=n.id) for n in stated])
    call = OpenCall(
        name="Open Call 2",
        slug="open-call-2",
        timezone="Europe/Brussels",
        opens_at=datetime(2027, 1, 10, 8, tzinfo=UTC),
        closes_at=datetime(2027, 4, 10, 15, tzinfo=UTC),
        introduction="Welcome to **the call**.\n\n# Big heading",
    )
    db.add(call)
    db.commit()
    calls.add_challenges(db, call, use_case_ids=[floods.id, drones.id])
    return exports.read(db, db.get(OpenCall, call.id))
