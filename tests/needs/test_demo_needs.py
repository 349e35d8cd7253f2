"""The demo needs: a port breakout with a few dozen needs, votes within the limits, one merge.

Each need's organisation, country and type agree with those of the person who stated it (the
consultation report and the traceability tables read them).
"""

from __future__ import annotations

import json
from collections import Counter

from sqlmodel import select

from workshops.auth.models import User
from workshops.db import max_length
from workshops.events import demo as events_demo
from workshops.events.models import Breakout, Workshop
from workshops.needs import demo, similarity
from workshops.needs.models import Need, NeedState, Sensitivity, Vote

PORTS = "Ports and terminals"
DATA = json.loads(demo.DATA.read_text(encoding="utf-8"))
TEXTS = ("title", "statement", "context", "organisation", "organisation_type", "country", "tags", "sensitivity")


#: The demo's own organisations: each one's (country, type of organisation), from its participants.
ORGANISATIONS = {p["organisation"]: (p["country"], p["organisation_type"]) for p in events_demo.load_people()}
#: Who attended each 2021 breakout: breakout title -> organisations.
ATTENDED: dict[str, set[str]] = {}
for _person in events_demo.load_people():
    for _breakout in _person["breakouts"].values():
        ATTENDED.setdefault(_breakout, set()).add(_person["organisation"])


def _seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _ports(db) -> Breakout:
    return db.exec(select(Breakout).join(Workshop).where(Workshop.state == "archived", Breakout.title == PORTS)).one()


def _merged(db) -> tuple[Need, list[Need]]:
    originals = db.exec(select(Need).where(Need.state == NeedState.merged).order_by(Need.id)).all()
    targets = {need.merged_into_id for need in originals}
    assert len(targets) == 1
    return db.get(Need, targets.pop()), originals


def test_the_data_file_names_real_breakouts_and_fits_the_model():
    in_ports = [item for item in DATA["needs"] if item.get("breakout") == PORTS]
    assert len(in_ports) >= 24
    assert {item["domain"] for item in in_ports} == {1}
    titles = Counter(item["title"] for item in DATA["needs"])
    assert max(titles.values()) == 1
    for item in DATA["needs"]:
        assert len(item["title"]) <= max_length(Need, "title")
        assert 0 < len(item["need"]) <= max_length(Need, "statement")
        assert len(item.get("context", "")) <= max_length(Need, "context")
        assert item["urgency"] in range(1, 6)
        assert item["org_type"] in demo.ORGANISATION_TYPES
        assert len(item["country"]) == 2 and item["country"].isupper()
    [merge] = DATA["merges"]
    assert len(merge["needs"]) == 2 and all(titles[title] == 1 for title in merge["needs"])
    assert {item.get("breakout") for item in DATA["needs"] if item["title"] in merge["needs"]} == {PORTS}


def test_the_port_breakout_holds_a_few_dozen_needs(app, db):
    _seed(app)
    ports = _ports(db)
    needs = db.exec(select(Need).where(Need.breakout_id == ports.id)).all()
    assert sum(need.state == NeedState.open for need in needs) >= 24
    assert {item["title"] for item in DATA["needs"] if item.get("breakout") == PORTS} <= {n.title for n in needs}
    merged, _ = _merged(db)
    assert all(need.stated_by_id for need in needs if need.id != merged.id)  # each by one of its attendees
    assert ports.locked_at is not None


def test_one_merge_with_the_outcome_of_merge_needs(app, db):
    _seed(app)
    merged, originals = _merged(db)
    [spec] = DATA["merges"]
    facilitator = db.exec(select(User).where(User.email == "facilitator@example.org")).one()
    assert sorted(need.title for need in originals) == sorted(spec["needs"])
    assert all(need.merged_into_id == merged.id and need.state == NeedState.merged for need in originals)
    assert db.exec(select(Need).where(Need.merged_into_id.is_not(None))).all() == originals
    assert (merged.state, merged.breakout_id, merged.captured_by_id) == ("open", _ports(db).id, facilitator.id)
    assert (merged.title, merged.statement, merged.context) == (spec["title"], spec["statement"], spec["context"])
    assert merged.urgency == max(need.urgency for need in originals)
    strictest = next(
        s
        for s in (Sensitivity.internal, Sensitivity.anonymous, Sensitivity.public)
        if s in {n.sensitivity for n in originals}
    )
    assert merged.sensitivity == strictest
    assert merged.domain_id == originals[0].domain_id and merged.test_bed_id == originals[0].test_bed_id
    assert merged.created_at <= merged.breakout.ends_at
    assert all(need.updated_at <= merged.breakout.ends_at for need in originals)


def test_votes_carry_over_once_per_person_and_stay_within_the_limit(app, db, monkeypatch):
    before: dict[str, list[tuple[int, int]]] = {}
    merge = demo._merge

    def spy(session, originals, spec):
        ids = {need.id for need in originals}
        before["ballots"] = [(v.need_id, v.user_id) for v in session.exec(select(Vote)) if v.need_id in ids]
        before["all"] = [(v.user_id, v.breakout_id) for v in session.exec(select(Vote))]
        return merge(session, originals, spec)

    monkeypatch.setattr(demo, "_merge", spy)
    _seed(app)
    merged, originals = _merged(db)
    voters = [vote.user_id for vote in db.exec(select(Vote).where(Vote.need_id == merged.id))]
    assert voters and len(voters) == len(set(voters))
    assert set(voters) == {user_id for _, user_id in before["ballots"]}
    double = {user for user, count in Counter(user for _, user in before["ballots"]).items() if count == 2}
    assert double, "someone voted for both originals"
    used = Counter((vote.user_id, vote.breakout_id) for vote in db.exec(select(Vote)))
    for person in double:  # kept one vote on the merged need, got the other back
        assert used[(person, merged.breakout_id)] == Counter(before["all"])[(person, merged.breakout_id)] - 1
    assert not db.exec(select(Vote).where(Vote.need_id.in_([need.id for need in originals]))).all()
    limits = {breakout.id: breakout.votes_per_person for breakout in db.exec(select(Breakout))}
    assert all(count <= limits[breakout_id] for (_, breakout_id), count in used.items())
    for vote in db.exec(select(Vote)):
        assert vote.breakout_id == db.get(Need, vote.need_id).breakout_id


def test_every_need_has_a_current_vector_and_fits_the_model(app, db):
    _seed(app)
    needs = db.exec(select(Need)).all()
    assert len(needs) == len(DATA["needs"]) + len(DATA["merges"])
    assert all(similarity.is_current(need.similarity_vector) for need in needs)
    for need in needs:
        for field in TEXTS:
            assert len(getattr(need, field)) <= max_length(Need, field), (need.title, field)


def test_seeding_twice_adds_nothing(app, db):
    assert f"{len(DATA['needs']) + len(DATA['merges'])} needs added" in _seed(app)
    counts = (len(db.exec(select(Need)).all()), len(db.exec(select(Vote)).all()))
    assert "0 needs added" in _seed(app)
    assert (len(db.exec(select(Need)).all()), len(db.exec(select(Vote)).all())) == counts


def test_each_organisation_has_one_country_and_one_type():
    seen: dict[str, tuple[str, str]] = {}
    for person in events_demo.load_people():
        facts = (person["country"], person["organisation_type"])
        assert seen.setdefault(person["organisation"], facts) == facts, person["organisation"]


def test_every_need_of_the_data_file_agrees_with_its_organisation():
    for item in DATA["needs"]:
        organisation = item["organisation"]
        assert organisation in ORGANISATIONS, f"{item['title']}: {organisation} is none of the demo's organisations"
        country, kind = ORGANISATIONS[organisation]
        assert (item["country"], demo.ORGANISATION_TYPES[item["org_type"]]) == (country, kind), item["title"]
        assert organisation in ATTENDED[item["breakout"]], f"nobody of {organisation} attended {item['breakout']}"


def test_every_stated_need_carries_its_speakers_organisation_country_and_type(app, db):
    _seed(app)
    merged, _ = _merged(db)
    stated = [need for need in db.exec(select(Need)).all() if need.id != merged.id]
    assert len(stated) == len(DATA["needs"])
    for need in stated:
        speaker = db.get(User, need.stated_by_id)
        assert (need.organisation, need.country, need.organisation_type) == (
            speaker.organisation,
            speaker.country,
            speaker.organisation_type,
        ), need.title
        assert ORGANISATIONS[need.organisation] == (need.country, need.organisation_type), need.title
    lisbon = {need.country for need in db.exec(select(Need).where(Need.organisation == "Câmara Municipal de Lisboa"))}
    assert lisbon <= {"PT"}
    assert {(u.organisation, u.country) for u in db.exec(select(User)) if u.organisation in ORGANISATIONS} == {
        (organisation, country) for organisation, (country, _kind) in ORGANISATIONS.items()
    }
