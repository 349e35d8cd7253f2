"""Captured needs count for the person who said them: the console, its bad input, and the repair of old needs."""

from __future__ import annotations

import importlib.util
import re

import pytest
from sqlmodel import Session, select

from tests import factories
from tests.conftest import post_form
from workshops.events.models import BreakoutFacilitator
from workshops.migrate import MIGRATIONS
from workshops.needs.models import Need
from workshops.needs.speakers import speaker_labels

HSD = {"organisation": "Hague Security Delta", "organisation_type": "cluster", "country": "NL"}
PORT = {"organisation": "Port of Antwerp-Bruges", "organisation_type": "end_user", "country": "BE"}
NEED = {
    "title": "Drones over the container terminal",
    "statement": "We need to see small drones above the terminal before they reach the cranes.",
    "urgency": "4",
    "sensitivity": "public",
}


@pytest.fixture
def facilitator(db):
    """The facilitator of the issue: from a cluster, whose organisation must never be credited for others."""
    return factories.make_user(db, name="Frank Facilitator", email="frank@example.org", role="facilitator", **HSD)


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="ports")
    return factories.make_breakout(db, workshop, title="Ports and terminals", capacity=20)


@pytest.fixture
def sofie(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Sofie Janssens", email="sofie@example.be", **PORT)


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


def _url(breakout) -> str:
    return f"/manage/breakouts/{breakout.id}/capture"


def _capture(console, breakout, **fields):
    data = {**NEED, "idempotency_key": fields.pop("idempotency_key", fields.get("title", "k")), **fields}
    return post_form(console, _url(breakout), data)


def _needs(db) -> list[Need]:
    db.rollback()
    db.expire_all()
    return list(db.exec(select(Need).order_by(Need.id)))


def _credited(page: str) -> str:
    match = re.search(r'<p class="credited-to" id="credited-to" aria-live="polite">([^<]*)</p>', page)
    assert match, "no credited-to line"
    return match.group(1)


def _error(page: str, field: str = "speaker") -> str:
    match = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error next to {field}"
    return re.sub(r"<[^>]+>", "", match.group(1))


# --- The console -----------------------------------------------------------------------------------


def test_the_console_never_starts_with_the_facilitators_organisation(console, breakout, sofie):
    page = console.get(_url(breakout)).get_data(as_text=True)
    assert "Hague Security Delta" not in page
    assert re.search(r'<input[^>]*id="organisation"[^>]*value=""', page)
    assert '<option selected value="">Not given</option>' in page  # type and country: nothing chosen
    assert _credited(page) == "Credited to: no one yet. Type who said it."
    assert '<option value="Sofie Janssens">Port of Antwerp-Bruges</option>' in page  # suggested as you type
    assert '"organisation": "Port of Antwerp-Bruges"' in page  # for the script that fills the fields


@pytest.mark.parametrize("chosen_by", ["script", "name alone"])
def test_an_attendee_chosen_as_speaker_is_credited_with_their_own_organisation(
    console, db, breakout, sofie, facilitator, chosen_by
):
    # The POST carries the facilitator's organisation, as the old console's pre-filled form did.
    attendee_id = str(sofie.id) if chosen_by == "script" else ""
    response = _capture(console, breakout, speaker="Sofie Janssens", attendee_id=attendee_id, **HSD)
    assert response.status_code == 302, response.get_data(as_text=True)
    [need] = _needs(db)
    assert (need.organisation, need.organisation_type, need.country) == ("Port of Antwerp-Bruges", "end_user", "BE")
    assert (need.stated_by_id, need.stated_by_name, need.captured_by_id) == (sofie.id, "", facilitator.id)

    page = console.get(_url(breakout)).get_data(as_text=True)
    assert _credited(page) == "Credited to: Sofie Janssens, Port of Antwerp-Bruges · End-user · Belgium"
    assert 'value="Port of Antwerp-Bruges"' in page  # the next need starts with her details, not his
    assert "Hague Security Delta" not in page


def test_the_board_projector_and_explorer_show_the_speakers_organisation(
    console, organiser_client, db, breakout, sofie
):
    _capture(console, breakout, speaker="sofie janssens", **HSD)
    board = console.get(f"/b/{breakout.code}/board").get_data(as_text=True)
    wall = console.get(f"/b/{breakout.code}/projector").get_data(as_text=True)
    explorer = organiser_client.get("/manage/needs").get_data(as_text=True)
    for page in (board, wall):
        assert "Sofie Janssens, Port of Antwerp-Bruges" in page
    assert "Port of Antwerp-Bruges" in explorer and "End-user · Belgium" in explorer
    for page in (board, wall, explorer):
        assert "Hague Security Delta" not in page


def test_an_outsider_gets_no_organisation_unless_one_is_typed(console, db, breakout, sofie, facilitator):
    assert _capture(console, breakout, speaker="Jan Kowalski", title="Unseen boats").status_code == 302
    page = console.get(_url(breakout)).get_data(as_text=True)
    assert _credited(page) == "Credited to: Jan Kowalski, an outsider, organisation not given"
    typed = {"organisation": "Port of Gdańsk", "organisation_type": "integrator", "country": "PL"}
    assert _capture(console, breakout, speaker="Ewa Zielińska", title="Quay sensors", **typed).status_code == 302
    page = console.get(_url(breakout)).get_data(as_text=True)
    assert _credited(page) == "Credited to: Ewa Zielińska, an outsider, Port of Gdańsk · Integrator · Poland"

    first, second = _needs(db)
    assert (first.organisation, first.organisation_type, first.country) == ("", "other", "")
    assert (first.stated_by_id, first.stated_by_name, first.captured_by_id) == (None, "Jan Kowalski", facilitator.id)
    assert (second.organisation, second.organisation_type, second.country) == ("Port of Gdańsk", "integrator", "PL")
    assert (second.stated_by_id, second.stated_by_name) == (None, "Ewa Zielińska")


def test_names_and_organisations_are_escaped_on_the_console(app, console, db, breakout):
    factories.make_attendee(app, db, breakout, name='"><script>alert(1)</script>', organisation="<b>Org</b>")
    page = console.get(_url(breakout)).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>Org</b>" not in page
    assert "\\u003cscript\\u003e" in page  # the script's data: JSON that cannot close its element


# --- Bad input: a message next to the field, nothing stored, nothing typed lost ---------------------------


@pytest.mark.parametrize(
    ("speaker", "message"),
    [("", "Who said it? Type a name."), ("x" * 500, "Use at most 120 characters for the name.")],
)
def test_a_missing_or_too_long_name_is_refused_next_to_the_field(console, db, breakout, speaker, message):
    response = _capture(console, breakout, speaker=speaker)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _error(page) == message
    assert f'value="{NEED["title"]}"' in page  # what was typed stays
    assert _needs(db) == []

    answer = post_form(console, _url(breakout), {**NEED, "speaker": speaker}, headers={"Accept": "application/json"})
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["speaker"] == [message]  # the script shows it next to the field
    assert _needs(db) == []


def test_an_attendee_of_another_breakout_is_refused(app, console, db, breakout, sofie):
    elsewhere = factories.make_breakout(db, breakout.workshop, title="Energy grids", hour=4, capacity=5)
    other = factories.make_attendee(app, db, elsewhere, name="Pieter de Vries", organisation="Politie Haaglanden")
    response = _capture(console, breakout, speaker="Pieter de Vries", attendee_id=str(other.id))
    assert response.status_code == 200
    assert _error(response.get_data(as_text=True)).startswith("This person is not an attendee of this breakout")
    # Nor does a crafted id turn a name into someone else: the id must be the attendee named.
    response = _capture(console, breakout, speaker="Jan Kowalski", attendee_id=str(sofie.id))
    assert _error(response.get_data(as_text=True)).startswith("The name does not match the attendee chosen")
    response = _capture(console, breakout, speaker="Sofie Janssens", attendee_id="1 OR 1=1")
    assert _error(response.get_data(as_text=True)).startswith("This person is not an attendee")
    assert _needs(db) == []


def test_two_attendees_of_one_name_are_told_apart_by_their_organisation(app, console, db, breakout, sofie):
    ghent = factories.make_attendee(
        app,
        db,
        breakout,
        name="Sofie Janssens",
        email="sofie@gent.be",
        organisation="City of Ghent",
        organisation_type="public_authority",
        country="BE",
    )
    page = console.get(_url(breakout)).get_data(as_text=True)
    assert '<option value="Sofie Janssens (Port of Antwerp-Bruges)">' in page
    assert '<option value="Sofie Janssens (City of Ghent)">' in page

    refused = _capture(console, breakout, speaker="Sofie Janssens", **HSD)
    assert _error(refused.get_data(as_text=True)).startswith("2 attendees are called Sofie Janssens: choose one")
    assert _needs(db) == []

    by_label = _capture(console, breakout, speaker="Sofie Janssens (City of Ghent)", title="Canal locks")
    by_id = _capture(console, breakout, speaker="Sofie Janssens", attendee_id=str(sofie.id), title="Cranes")
    assert (by_label.status_code, by_id.status_code) == (302, 302)
    mismatch = _capture(console, breakout, speaker="Sofie Janssens (City of Ghent)", attendee_id=str(sofie.id))
    assert _error(mismatch.get_data(as_text=True)).startswith("The name does not match")
    assert [(n.title, n.stated_by_id, n.organisation) for n in _needs(db)] == [
        ("Canal locks", ghent.id, "City of Ghent"),
        ("Cranes", sofie.id, "Port of Antwerp-Bruges"),
    ]


def test_people_of_one_name_and_one_organisation_still_get_labels_of_their_own(db):
    people = [factories.make_user(db, name="An Peeters", organisation="Fluvius") for _ in range(2)]
    people.append(factories.make_user(db, name="Jan Peeters", organisation="Fluvius"))
    labels = speaker_labels(people)
    assert labels == {
        people[0].id: "An Peeters (Fluvius, 1)",
        people[1].id: "An Peeters (Fluvius, 2)",
        people[2].id: "Jan Peeters",
    }


# --- The repair of needs captured before -----------------------------------------------------------


def _repair_module():
    path = next((MIGRATIONS / "versions").glob("0012_*.py"))
    spec = importlib.util.spec_from_file_location("repair_captured_attribution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stored(db, breakout, **fields) -> Need:
    values = {"title": "A need", "statement": "We need it.", "urgency": 3, **fields}
    need = Need(breakout_id=breakout.id, **values)
    db.add(need)
    db.commit()
    return need


def _snapshot(db) -> dict[int, tuple]:
    return {
        n.id: (n.organisation, n.organisation_type, n.country, n.stated_by_id, n.stated_by_name, n.version)
        for n in _needs(db)
    }


@pytest.fixture
def old_needs(app, db, breakout, sofie, facilitator):
    """Needs as the console stored them before, and others the repair must leave alone."""
    elsewhere = factories.make_breakout(db, breakout.workshop, title="Energy grids", hour=4, capacity=5)
    twins = [
        factories.make_attendee(app, db, elsewhere, name="Pieter de Vries", organisation=f"Politie {n}")
        for n in ("Haaglanden", "Utrecht")
    ]
    captured = {"captured_by_id": facilitator.id, **HSD}
    return {
        "linked": _stored(db, breakout, stated_by_id=sofie.id, **{**captured, "country": "BE"}),
        "typed name": _stored(db, breakout, stated_by_name="sofie  JANSSENS", **captured),
        "outsider": _stored(db, breakout, stated_by_name="Jan Kowalski", **captured),
        "already right": _stored(db, breakout, stated_by_id=sofie.id, captured_by_id=facilitator.id, **PORT),
        "typed on purpose": _stored(
            db, breakout, stated_by_id=sofie.id, captured_by_id=facilitator.id, organisation="LSEC"
        ),
        "two of that name": _stored(db, elsewhere, stated_by_id=twins[0].id, **captured),
        "not captured": _stored(db, breakout, stated_by_id=sofie.id, **HSD),
        "not her breakout": _stored(db, elsewhere, stated_by_id=sofie.id, **captured),
    }


def test_the_repair_credits_old_captured_needs_to_their_attendee_once(app, db, breakout, sofie, old_needs):
    repair = _repair_module().repair_captured_attribution
    engine = app.extensions["workshops.engine"]
    before = _snapshot(db)
    board_version = breakout.board_version

    with engine.begin() as connection:
        assert repair(connection) == 2

    after = _snapshot(db)
    repaired = {old_needs["linked"].id, old_needs["typed name"].id}
    for need_id in repaired:
        assert after[need_id] == (*PORT.values(), sofie.id, "", before[need_id][-1] + 1)
    assert {need_id: after[need_id] for need_id in after if need_id not in repaired} == {
        need_id: before[need_id] for need_id in before if need_id not in repaired
    }
    text = db.get(Need, old_needs["typed name"].id).search_text
    assert " port of antwerp bruges" in text and "hague" not in text and "janssens" not in text
    db.refresh(breakout)
    assert breakout.board_version == board_version + 1  # open boards reload

    with engine.begin() as connection:
        assert repair(connection) == 0
    assert _snapshot(db) == after


def test_upgrading_runs_the_repair_and_downgrading_keeps_it(tmp_path):
    from workshops.db import make_engine
    from workshops.migrate import downgrade, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)  # the rows are written by today's models, then taken back to before the repair
    with Session(engine, expire_on_commit=False) as session:
        facilitator = factories.make_user(session, role="facilitator", **HSD)
        workshop = factories.make_workshop(session)
        breakout = factories.make_breakout(session, workshop)
        speaker = factories.make_user(session, name="Sofie Janssens", **PORT)
        factories.make_seat(session, factories.make_registration(session, workshop, speaker), breakout)
        need = _stored(session, breakout, stated_by_id=speaker.id, captured_by_id=facilitator.id, **HSD)
    downgrade(engine, "0011")
    upgrade(engine)
    downgrade(engine, "0011")
    with Session(engine) as session:
        stored = session.get(Need, need.id)
        assert (stored.organisation, stored.organisation_type, stored.country) == tuple(PORT.values())
    engine.dispose()
