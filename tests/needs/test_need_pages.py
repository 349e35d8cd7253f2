"""A need's page, its editing with the conflict view, the merge page, similar needs and board settings."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events.models import Breakout, BreakoutFacilitator
from workshops.needs import merging, votes
from workshops.needs import services as needs
from workshops.needs.models import Need, Vote


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db, title="Lisbon workshop")


@pytest.fixture
def breakout(db, workshop):
    return factories.make_breakout(db, workshop, title="Ports", capacity=20)


def _attendee(app, db, breakout, **person):
    return factories.make_attendee(app, db, breakout, **person)


@pytest.fixture
def ana(app, db, breakout):
    return _attendee(app, db, breakout, name="Ana Ribeiro", organisation="Port of Lisbon")


@pytest.fixture
def ana_client(app, ana):
    client = app.test_client()
    log_in(client, ana)
    return client


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


def _log(app, db, breakout, author, title, statement="", **changes) -> Need:
    values = needs.NeedInput(title=title, statement=statement or f"We need {title.lower()}.", **changes)
    with app.app_context():
        return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


def _form(need: Need, **changes) -> dict:
    return {
        "title": need.title,
        "statement": need.statement,
        "urgency": str(need.urgency),
        "sensitivity": need.sensitivity,
        "organisation_type": need.organisation_type,
        **changes,
    }


def test_the_author_reads_and_edits_her_need_and_others_get_404(app, db, breakout, ana, ana_client, participant_client):
    need = _log(app, db, breakout, ana, "Drone detection <b>at night</b>")
    page = ana_client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Drone detection &lt;b&gt;at night&lt;/b&gt;" in page
    assert "Edit the need" in page
    breakout_page = ana_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert "Your needs here" in breakout_page and f'href="/needs/{need.id}/edit"' in breakout_page
    assert participant_client.get(f"/needs/{need.id}").status_code == 404
    assert participant_client.get(f"/needs/{need.id}/edit").status_code == 404
    assert ana_client.get("/needs/999999").status_code == 404

    response = post_form(ana_client, f"/needs/{need.id}/edit", _form(need, title="Drones at night", version="1"))
    assert response.headers["Location"] == f"/needs/{need.id}"
    db.rollback()
    db.expire_all()
    assert (db.get(Need, need.id).title, db.get(Need, need.id).version) == ("Drones at night", 2)


def test_another_attendee_reads_but_does_not_edit(app, db, breakout, ana):
    need = _log(app, db, breakout, ana, "Drone detection")
    colleague = _attendee(app, db, breakout)
    client = app.test_client()
    log_in(client, colleague)
    assert client.get(f"/needs/{need.id}").status_code == 200
    assert client.get(f"/needs/{need.id}/edit").status_code == 403


def test_a_stale_save_is_refused_with_both_versions_and_the_text_kept(app, db, breakout, ana, ana_client, console):
    need = _log(app, db, breakout, ana, "Drone detection")
    form_page = ana_client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form_page
    post_form(console, f"/needs/{need.id}/edit", _form(need, title="Facilitator's title", version="1"))

    response = post_form(ana_client, f"/needs/{need.id}/edit", _form(need, title="Ana's own title", version="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else saved this need" in page
    assert "Saved meanwhile" in page and "Facilitator&#39;s title" in page  # theirs
    assert 'value="Ana&#39;s own title"' in page  # hers, still in the form
    db.rollback()
    db.expire_all()
    assert db.get(Need, need.id).title == "Facilitator's title"  # nothing overwritten
    assert 'name="version" type="hidden" value="2"' in page  # saving again is a knowing replacement
    again = post_form(ana_client, f"/needs/{need.id}/edit", _form(need, title="Ana's own title", version="2"))
    assert again.status_code == 302, again.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert db.get(Need, need.id).title == "Ana's own title"


def test_the_facilitator_merges_from_the_console(app, db, breakout, ana, console):
    first = _log(app, db, breakout, ana, "Drone detection")
    second = _log(app, db, breakout, ana, "Spotting small drones", sensitivity="anonymous")
    with app.app_context():
        votes.vote(session=db, need=first, user=ana)
        votes.vote(session=db, need=second, user=ana)
    board = console.get(f"/manage/breakouts/{breakout.id}/capture").get_data(as_text=True)
    assert f'name="need" value="{first.id}" form="merge-form"' in board

    page = console.get(f"/manage/needs/merge?need={first.id}&need={second.id}").get_data(as_text=True)
    assert "Merge 2 needs into one" in page
    assert 'value="Drone detection"' in page  # prefilled from the first
    token = csrf_token(console, f"/manage/needs/merge?need={first.id}&need={second.id}")
    form = _form(first, title="Detecting small drones", sensitivity="anonymous")
    response = console.post(
        "/manage/needs/merge", data={**form, "needs": f"{first.id},{second.id}", "csrf_token": token}
    )
    assert response.headers["Location"] == f"/manage/breakouts/{breakout.id}/capture"
    db.rollback()
    db.expire_all()
    merged = db.exec(select(Need).where(Need.state == "open")).one()
    assert merged.title == "Detecting small drones"
    assert [v.user_id for v in db.exec(select(Vote))] == [ana.id]

    original = console.get(f"/needs/{first.id}").get_data(as_text=True)
    assert f'href="/needs/{merged.id}"' in original and "Merged with similar needs" in original
    result = console.get(f"/needs/{merged.id}").get_data(as_text=True)
    assert "The needs it merges" in result and "Spotting small drones" in result
    assert "merges 2 needs" in console.get(f"/b/{breakout.code}/board").get_data(as_text=True)


def test_merging_needs_one_cannot_read_is_a_404_and_across_breakouts_a_403(app, db, workshop, breakout, ana, console):
    other = factories.make_breakout(db, workshop, title="Stations", capacity=5)
    bo = _attendee(app, db, other)
    here = _log(app, db, breakout, ana, "Here")
    there = _log(app, db, other, bo, "There")
    secret = _log(app, db, other, bo, "Secret", sensitivity="internal")
    assert console.get(f"/manage/needs/merge?need={here.id}&need={secret.id}").status_code == 404
    assert console.get(f"/manage/needs/merge?need={here.id}&need={there.id}").status_code == 403
    attendee = app.test_client()
    log_in(attendee, ana)
    assert attendee.get(f"/manage/needs/merge?need={here.id}&need={there.id}").status_code == 403


def test_board_settings_from_the_console(app, db, breakout, console, ana_client):
    response = post_form(
        console,
        f"/manage/breakouts/{breakout.id}/board",
        {"board_visibility": "facilitators", "votes_per_person": "5"},
        form_url=f"/manage/breakouts/{breakout.id}/capture",
    )
    assert response.status_code == 302
    db.rollback()
    db.expire_all()
    saved = db.get(Breakout, breakout.id)
    assert (saved.board_visibility, saved.votes_per_person) == ("facilitators", 5)
    assert ana_client.get(f"/b/{breakout.code}/board").status_code == 403
    refused = post_form(
        console,
        f"/manage/breakouts/{breakout.id}/board",
        {"board_visibility": "everyone", "votes_per_person": "500"},
        form_url=f"/manage/breakouts/{breakout.id}/capture",
        follow_redirects=True,
    )
    assert "were not saved" in refused.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert db.get(Breakout, breakout.id).votes_per_person == 5


def test_similar_needs_respect_who_may_read_them(app, db, workshop, breakout, ana, ana_client, console):
    other = factories.make_breakout(db, factories.make_workshop(db, title="Rotterdam workshop"), title="Harbour")
    bo = _attendee(app, db, other)
    _log(app, db, breakout, ana, "Detecting drones over the port", "We need to see small drones at night.")
    _log(
        app,
        db,
        breakout,
        ana,
        "Drone alerts for the port police",
        "We need drone alerts kept internal.",
        sensitivity="internal",
    )
    _log(app, db, other, bo, "Drone detection in the harbour", "We need to detect drones over the harbour.")
    query = {"title": "Drone detection", "statement": "We need to detect drones"}

    mine = ana_client.get(f"/b/{breakout.code}/similar", query_string=query).json["suggestions"]
    assert [s["title"] for s in mine] == ["Detecting drones over the port"]  # not internal, not another board
    assert mine[0]["where"] == "this breakout" and mine[0]["url"].startswith("/needs/")

    theirs = console.get(f"/b/{breakout.code}/similar", query_string=query).json["suggestions"]
    assert {s["title"] for s in theirs} == {
        "Detecting drones over the port",
        "Drone alerts for the port police",  # internal, but of a breakout they facilitate
        "Drone detection in the harbour",  # another workshop
    }
    assert any(s["where"] == "Harbour · Rotterdam workshop" for s in theirs)
    blank = ana_client.get(f"/b/{breakout.code}/similar", query_string={"title": " "}).json
    assert blank == {"suggestions": []}
    outsider = app.test_client()
    log_in(outsider, factories.make_user(db))
    assert outsider.get(f"/b/{breakout.code}/similar", query_string=query).status_code == 403


def test_similar_needs_see_a_new_need_at_once_and_leave_merged_ones_out(app, db, breakout, ana, ana_client):
    query = {"title": "Fence intrusion sensors", "statement": "We need sensors on the fence"}
    assert ana_client.get(f"/b/{breakout.code}/similar", query_string=query).json["suggestions"] == []
    first = _log(app, db, breakout, ana, "Sensors on the fence", "We need intrusion sensors along the fence.")
    second = _log(app, db, breakout, ana, "Fence sensors", "We need to know when someone climbs the fence.")
    found = ana_client.get(f"/b/{breakout.code}/similar", query_string=query).json["suggestions"]
    assert {s["id"] for s in found} == {first.id, second.id}
    with app.app_context():
        merged = merging.merge_needs(
            session=db,
            originals=[first, second],
            values=merging.merged_values([first, second]),
            author=factories.make_user(db, role="organiser"),
        )
    found = ana_client.get(f"/b/{breakout.code}/similar", query_string=query).json["suggestions"]
    assert [s["id"] for s in found] == [merged.id]
