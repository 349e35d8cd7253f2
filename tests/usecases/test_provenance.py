"""Who asked, through every merge: the counts a use case, a call and its report cite come from the stated needs.

Random merge trees (merges of merges, across breakouts, workshops and domains, with every
sensitivity) are built through the merge service; whatever the tree, the traceability panel, the
call's evidence and the report agree with counts made here by walking the merges by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from workshops.calls import exports, report
from workshops.calls.composition import add_challenges
from workshops.calls.models import OpenCall
from workshops.needs import merging
from workshops.needs import services as needs
from workshops.needs.models import Need
from workshops.search import fold
from workshops.timeutil import utcnow
from workshops.usecases import services, traceability

#: (organisation, type, country) of the people who state needs; two spell one organisation differently.
SPEAKERS = [
    ("Port of Lisbon", "end_user", "PT"),
    ("PORT OF LISBON", "end_user", "PT"),
    ("Thales", "integrator", "FR"),
    ("Drone Start", "sme", "BE"),
    ("Police of Antwerp", "public_authority", "BE"),
    ("TU Delft", "research", "NL"),
]
SENSITIVITIES = ["public", "public", "anonymous", "internal"]


@dataclass
class World:
    breakouts: list
    domains: list
    organiser: object
    people: list


@pytest.fixture
def world(app, db):
    with app.app_context():
        lisbon, antwerp = factories.make_workshop(db, title="Lisbon"), factories.make_workshop(db, title="Antwerp")
        breakouts = [
            factories.make_breakout(db, lisbon, title="Ports"),
            factories.make_breakout(db, lisbon, title="Stations", hour=3),
            factories.make_breakout(db, antwerp, title="Borders"),
        ]
        domains = [factories.make_domain(db, name="Security"), factories.make_domain(db, name="Resilience")]
        organiser = factories.make_user(db, role="organiser", organisation="Safe Cluster", organisation_type="cluster")
        people = [factories.make_user(db) for _ in SPEAKERS]
    return World(breakouts=breakouts, domains=domains, organiser=organiser, people=people)


stated = st.tuples(
    st.integers(0, len(SPEAKERS) - 1),  # who
    st.integers(0, 2),  # which breakout
    st.integers(0, 1),  # which domain
    st.sampled_from(SENSITIVITIES),
)
#: Each step merges some of the needs still open (by position among them), as the given sensitivity.
merges = st.lists(
    st.tuples(st.lists(st.integers(0, 20), min_size=2, max_size=3, unique=True), st.sampled_from(SENSITIVITIES)),
    max_size=4,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(needs_stated=st.lists(stated, min_size=2, max_size=7), steps=merges, data=st.data())
def test_every_count_is_that_of_the_needs_stated_behind_whatever_the_merges(app, db, world, needs_stated, steps, data):
    with app.app_context():
        logged = [_state(db, world, *spec) for spec in needs_stated]
        for picks, sensitivity in steps:
            open_needs = [n for n in _all(db, logged) if n.merged_into_id is None and n.state == "open"]
            chosen = list({n.id: n for n in (open_needs[i % len(open_needs)] for i in picks)}.values())
            if len(chosen) < 2:
                continue
            values = merging.merged_values(chosen)
            values.sensitivity = sensitivity
            merged = merging.merge_needs(session=db, originals=chosen, values=values, author=world.organiser)
            logged.append(merged)
        tops = [n for n in _all(db, logged) if n.merged_into_id is None]
        linked = data.draw(st.lists(st.sampled_from(tops), min_size=1, unique_by=lambda n: n.id))
        use_case = services.create_use_case(
            session=db,
            author=world.organiser,
            values=services.UseCaseInput(title="Drones over ports", body="## Context\n"),
            need_ids=[n.id for n in linked],
        )
        expected_all = _expected(db, logged, linked, public_only=False)
        expected_public = _expected(db, logged, linked, public_only=True)

        panel = traceability.panel(db, use_case, world.organiser)
        assert _counts(panel.totals) == expected_all
        assert _counts(traceability.public_totals(db, [use_case.id])[use_case.id]) == expected_public

        use_case.state = "accepted"
        use_case.domain_id = world.domains[0].id
        db.add(use_case)
        call = OpenCall(
            name="Open Call 2",
            slug=f"open-call-{use_case.id}",
            opens_at=utcnow(),
            closes_at=utcnow() + timedelta(days=90),
        )
        db.add(call)
        db.commit()
        add_challenges(db, call, use_case_ids=[use_case.id])
        call_text = exports.read(db, call)
        challenge = call_text.challenges()[0]
        assert _counts(call_text.counts[use_case.id]) == expected_public
        lines = report.build(db, call_text).needs_by_challenge[challenge.number]
        named = {fold(o).strip() for line in lines for o in line.organisation.split("; ")} - {"anonymous", "—", ""}
        assert named <= {fold(name).strip() for name in _named_organisations(db, logged, linked)}


def _state(db, world, who, breakout, domain, sensitivity) -> Need:
    organisation, organisation_type, country = SPEAKERS[who]
    values = needs.NeedInput(
        title=f"Need of {organisation}",
        statement="We need to see small drones at night.",
        domain_id=world.domains[domain].id,
        organisation=organisation,
        organisation_type=organisation_type,
        country=country,
        sensitivity=sensitivity,
    )
    return needs.log_need(session=db, breakout=world.breakouts[breakout], values=values, author=world.people[who])[0]


def _all(db, logged: list[Need]) -> list[Need]:
    db.expire_all()
    return [db.get(Need, n.id) for n in logged]


def _leaves(db, logged: list[Need], need: Need) -> list[tuple[Need, str]]:
    """The stated needs behind ``need``, each with the strictest sensitivity on its way up."""
    strictness = {"public": 0, "anonymous": 1, "internal": 2}
    everyone = _all(db, logged)

    def walk(node: Need, strictest: str) -> list[tuple[Need, str]]:
        strictest = max(strictest, node.sensitivity, key=strictness.get)
        below = [n for n in everyone if n.merged_into_id == node.id]
        return [leaf for child in below for leaf in walk(child, strictest)] if below else [(node, strictest)]

    return walk(need, "public")


def _stated_behind(db, logged, linked, *, public_only: bool) -> list[Need]:
    found: dict[int, tuple[Need, str]] = {}
    strictness = {"public": 0, "anonymous": 1, "internal": 2}
    for need in linked:
        for leaf, sensitivity in _leaves(db, logged, need):
            kept = found.get(leaf.id)
            if kept is None or strictness[sensitivity] > strictness[kept[1]]:
                found[leaf.id] = (leaf, sensitivity)
    return [leaf for leaf, sensitivity in found.values() if not (public_only and sensitivity == "internal")]


def _expected(db, logged, linked, *, public_only: bool) -> tuple[int, int, int, int]:
    behind = _stated_behind(db, logged, linked, public_only=public_only)
    return (
        len(behind),
        len({fold(n.organisation).strip() for n in behind}),
        len({n.country for n in behind}),
        len({n.breakout.workshop_id for n in behind}),
    )


def _named_organisations(db, logged, linked) -> set[str]:
    return {n.organisation for n in _stated_behind(db, logged, linked, public_only=True)}


def _counts(totals: traceability.Totals) -> tuple[int, int, int, int]:
    return (totals.needs, totals.organisations, totals.countries, totals.workshops)


def test_a_merged_need_counts_every_organisation_that_asked(app, db, world):
    with app.app_context():
        first = _state(db, world, 0, 0, 0, "public")  # Port of Lisbon, Ports (Lisbon)
        second = _state(db, world, 2, 2, 1, "public")  # Thales, Borders (Antwerp)
        merged = merging.merge_needs(
            session=db, originals=[first, second], values=merging.merged_values([first, second]), author=world.organiser
        )
        assert (merged.organisation, merged.organisation_type) == ("", "other")  # the merge names no one itself
        use_case = services.create_use_case(
            session=db,
            author=world.organiser,
            values=services.UseCaseInput(title="Drones", body="x"),
            need_ids=[merged.id],
        )
        totals = traceability.public_totals(db, [use_case.id])[use_case.id]
    assert _counts(totals) == (2, 2, 2, 2)
    assert (totals.end_users, totals.integrators) == (1, 1)
