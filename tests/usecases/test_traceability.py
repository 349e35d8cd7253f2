"""The traceability panel and totals, and what participants learn on "My needs"."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import log_in
from workshops.events.models import BreakoutFacilitator
from workshops.needs import merging
from workshops.needs import services as needs
from workshops.timeutil import utcnow
from workshops.usecases import traceability
from workshops.usecases.models import UseCase, UseCaseNeed


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def ports(db):
    return factories.make_breakout(db, factories.make_workshop(db, title="Lisbon 2021"), title="Ports", capacity=20)


@pytest.fixture
def grids(db):
    return factories.make_breakout(db, factories.make_workshop(db, title="Vienna 2021"), title="Grids", capacity=20)


def _attendee(app, db, breakout, **person):
    return factories.make_attendee(app, db, breakout, **person)


def _need(db, breakout, author, title, **changes):
    values = needs.NeedInput(title=title, statement=f"We need {title.lower()}.", **changes)
    return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


def _use_case(db, *linked, title="Drones over ports", **changes) -> UseCase:
    use_case = UseCase(title=title, **changes)
    db.add(use_case)
    db.flush()
    for need in linked:
        db.add(UseCaseNeed(use_case_id=use_case.id, need_id=need.id))
    db.commit()
    return use_case


@pytest.fixture
def linked(ctx, app, db, ports, grids):
    ana = _attendee(app, db, ports, organisation="Port of Lisbon", country="PT", organisation_type="end_user")
    ben = _attendee(app, db, grids, organisation="Wiener Netze", country="AT", organisation_type="public_authority")
    sam = _attendee(app, db, ports, organisation="DroneGuard", country="PT", organisation_type="sme")
    lisbon = {"organisation": "Port of Lisbon", "organisation_type": "end_user", "country": "PT"}
    vienna = {"organisation": "Wiener Netze", "organisation_type": "public_authority", "country": "AT"}
    drone_guard = {"organisation": "DroneGuard", "organisation_type": "sme", "country": "PT"}
    return [
        _need(db, ports, ana, "Drone detection", **lisbon),
        _need(db, ports, ana, "Quay drones", **{**lisbon, "organisation": "PORT OF LISBON "}),
        _need(db, grids, ben, "Substation drones", **vienna, sensitivity="anonymous"),
        _need(db, ports, sam, "Test site for detectors", **drone_guard, sensitivity="internal"),
    ]


def test_totals_count_every_need_and_distinct_organisations(db, linked):
    use_case = _use_case(db, *linked)
    trace = traceability.panel(db, use_case, factories.make_user(db, role="organiser"))
    assert trace.totals == traceability.Totals(
        needs=4, organisations=3, countries=2, workshops=2, end_users=3, integrators=1, others=0, votes=0
    )
    assert [e.organisation for e in trace.entries] == [
        "Port of Lisbon",
        "PORT OF LISBON ",
        "Wiener Netze",
        "DroneGuard",
    ]
    assert trace.hidden == 0


def test_a_facilitator_sees_internal_needs_of_their_breakouts_only_and_no_anonymous_organisation(db, linked, ports):
    use_case = _use_case(db, *linked)
    facilitator = factories.make_user(db, role="facilitator")
    trace = traceability.panel(db, use_case, facilitator)
    assert [e.need.title for e in trace.entries] == ["Drone detection", "Quay drones", "Substation drones"]
    assert trace.hidden == 1
    assert trace.entries[2].organisation is None  # anonymous: counted, never named
    assert trace.totals.needs == 4 and trace.totals.organisations == 3  # the same totals for everyone
    db.add(BreakoutFacilitator(breakout_id=ports.id, user_id=facilitator.id))
    db.commit()
    trace = traceability.panel(db, use_case, facilitator)
    assert trace.hidden == 0 and trace.entries[-1].need.title == "Test site for detectors"


def test_a_deleted_use_case_feeds_no_need(db, linked):
    kept = _use_case(db, linked[0], title="Kept")
    _use_case(db, linked[0], linked[1], title="Deleted", deleted_at=utcnow())
    fed = traceability.use_cases_fed(db, [n.id for n in linked])
    assert {need_id: [u.title for u in cases] for need_id, cases in fed.items()} == {linked[0].id: ["Kept"]}
    assert fed[linked[0].id][0].id == kept.id


def test_my_needs_says_which_use_cases_a_need_feeds_even_after_a_merge(app, db, linked, ports):
    ana = linked[0].stated_by
    organiser = factories.make_user(db, role="organiser")
    merged = merging.merge_needs(
        session=db, originals=linked[:2], values=merging.merged_values(linked[:2]), author=organiser
    )
    _use_case(db, merged, title="Drones over ports", state="in_review")
    client = app.test_client()
    log_in(client, ana)
    page = client.get("/me/needs").get_data(as_text=True)
    assert page.count("Part of use case") == 2  # both of her needs went into the merged one
    assert "“Drones over ports” · in review" in page
