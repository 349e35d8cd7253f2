"""The breakout page, the board's conditional polling, votes and the capture console, through HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.events.models import BreakoutFacilitator
from workshops.needs.models import Need, Vote


@pytest.fixture
def breakout(db):
    domain = factories.make_domain(db, name="Public spaces")
    test_bed = factories.make_test_bed(db, name="Promenade des Anglais", domain_id=domain.id)
    workshop = factories.make_workshop(db, slug="nice")
    return factories.make_breakout(
        db, workshop, title="Crowd safety", capacity=10, test_bed_id=test_bed.id, domain_id=domain.id
    )


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(
        app, db, breakout, name="Marie Dubois", organisation="Ville de Nice", email="marie@example.fr"
    )


@pytest.fixture
def attendee_client(app, attendee):
    client = app.test_client()
    log_in(client, attendee)
    return client


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


NEED = {
    "title": "Counting people on the promenade",
    "statement": "We need live crowd counts so that we can close access before it is too dense.",
    "urgency": "4",
    "sensitivity": "public",
    "organisation_type": "end_user",
}


def _log(client, breakout, headers=None, **changes):
    return post_form(client, f"/b/{breakout.code}", {**NEED, "idempotency_key": "key-1", **changes}, headers=headers)


def test_anonymous_people_log_in_first(client, breakout):
    response = client.get(f"/b/{breakout.code}")
    assert response.headers["Location"] == f"/login?next=%2Fb%2F{breakout.code}"


def test_people_not_attending_are_told_how_to_register(participant_client, breakout):
    response = participant_client.get(f"/b/{breakout.code}")
    assert response.status_code == 403
    assert "See the workshop and register" in response.get_data(as_text=True)
    assert participant_client.get(f"/b/{breakout.code}/board").status_code == 403


def test_an_attendee_logs_a_need_and_sees_it_on_the_board(attendee_client, db, breakout, attendee):
    response = _log(attendee_client, breakout)
    assert response.headers["Location"] == f"/b/{breakout.code}"
    need = db.exec(select(Need)).one()
    assert (need.title, need.urgency, need.stated_by_id, need.test_bed_id) == (
        NEED["title"],
        4,
        attendee.id,
        None,
    )
    assert need.domain_id == breakout.domain_id
    assert need.country == "BE"
    page = attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert "Counting people on the promenade" in page
    assert "Marie Dubois, Ville de Nice" not in page or "Marie Dubois" in page


def test_a_form_sent_twice_stores_one_need(attendee_client, db, breakout):
    _log(attendee_client, breakout)
    again = _log(attendee_client, breakout)
    assert again.status_code == 302
    assert len(db.exec(select(Need)).all()) == 1


JSON = {"Accept": "application/json"}


def test_a_key_sent_again_by_someone_else_stores_their_own_need_and_reveals_nothing(app, db, breakout, console):
    """Keys are the author's own: replaying another person's (even an internal capture's) gives nothing of it away."""
    captured = post_form(
        console,
        f"/manage/breakouts/{breakout.id}/capture",
        {
            **NEED,
            "title": "Insider threat at the control room",
            "sensitivity": "internal",
            "speaker": "Jan Kowalski",
            "idempotency_key": "shared-key",
        },
        headers=JSON,
    ).get_json()
    assert captured["created"] is True
    other = factories.make_attendee(app, db, breakout, name="Piotr Nowak", email="piotr@example.pl")
    other_client = app.test_client()
    log_in(other_client, other)
    replay = _log(other_client, breakout, headers=JSON, title="Lighting on the beach", idempotency_key="shared-key")
    answer = replay.get_json()
    assert replay.status_code == 201 and answer["created"] is True
    assert answer["id"] != captured["id"] and "Insider" not in replay.get_data(as_text=True)
    assert sorted(n.title for n in db.exec(select(Need))) == [
        "Insider threat at the control room",
        "Lighting on the beach",
    ]


def test_the_same_key_in_another_breakout_is_another_need_and_a_long_key_is_no_error(app, db, breakout, attendee):
    other_breakout = factories.make_breakout(db, breakout.workshop, title="Beach lighting", code="beach1")
    from workshops.events.models import Registration

    registration = db.exec(select(Registration).where(Registration.user_id == attendee.id)).one()
    factories.make_seat(db, registration, other_breakout)
    client = app.test_client()
    log_in(client, attendee)
    key = "k" * 200
    first = _log(client, breakout, headers=JSON, idempotency_key=key).get_json()
    again = _log(client, breakout, headers=JSON, idempotency_key=key).get_json()
    elsewhere = post_form(
        client, f"/b/{other_breakout.code}", {**NEED, "idempotency_key": key}, headers=JSON
    ).get_json()
    assert (first["created"], again["created"], again["id"]) == (True, False, first["id"])
    assert elsewhere["created"] is True and elsewhere["id"] != first["id"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Give the need a short title."),
        ({"statement": ""}, "statement", "Say what you need"),
        ({"title": "x" * 161}, "title", "Use at most 160 characters."),
        ({"urgency": "9"}, "urgency", "Not a valid choice"),
        ({"sensitivity": "secret"}, "sensitivity", "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(attendee_client, db, breakout, changes, field, message):
    response = _log(attendee_client, breakout, **changes)
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    assert db.exec(select(Need)).all() == []


def test_a_test_bed_of_another_domain_is_refused(attendee_client, db, breakout):
    elsewhere = factories.make_test_bed(db, name="Port of Antwerp")
    page = _log(attendee_client, breakout, test_bed_id=str(elsewhere.id)).get_data(as_text=True)
    assert "Not a valid choice" in page or "this breakout's domain" in page
    assert db.exec(select(Need)).all() == []


def test_the_board_answers_304_until_something_changes(attendee_client, breakout):
    first = attendee_client.get(f"/b/{breakout.code}/board")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    unchanged = attendee_client.get(f"/b/{breakout.code}/board", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    _log(attendee_client, breakout)
    changed = attendee_client.get(f"/b/{breakout.code}/board", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Counting people on the promenade" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


def test_the_unchanged_board_costs_few_queries(attendee_client, breakout, count_queries):
    etag = attendee_client.get(f"/b/{breakout.code}/board").headers["ETag"]
    with count_queries() as queries:
        assert attendee_client.get(f"/b/{breakout.code}/board", headers={"If-None-Match": etag}).status_code == 304
    assert len(queries) <= 5


def test_internal_needs_only_for_facilitators(attendee_client, console, breakout):
    _log(attendee_client, breakout, title="Gap we cannot publish", sensitivity="internal")
    assert "Gap we cannot publish" not in attendee_client.get(f"/b/{breakout.code}/board").get_data(as_text=True)
    assert "Gap we cannot publish" in console.get(f"/b/{breakout.code}/board").get_data(as_text=True)


def test_votes_from_the_board_and_their_limit(attendee_client, db, breakout, attendee):
    for n in range(4):
        _log(attendee_client, breakout, title=f"Need {n}", idempotency_key=f"k{n}")
    needs = db.exec(select(Need).order_by(Need.id)).all()
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    headers = {"Accept": "application/json"}
    for need in needs[:3]:
        assert (
            attendee_client.post(f"/needs/{need.id}/vote", data={"csrf_token": token}, headers=headers).status_code
            == 204
        )
    refused = attendee_client.post(f"/needs/{needs[3].id}/vote", data={"csrf_token": token}, headers=headers)
    assert refused.status_code == 422
    assert "used your 3 votes" in refused.get_json()["error"]
    assert attendee_client.post(f"/needs/{needs[0].id}/unvote", data={"csrf_token": token}).status_code == 302
    db.rollback()
    assert len(db.exec(select(Vote)).all()) == 2


def test_someone_else_cannot_vote_on_a_board_they_do_not_see(participant_client, attendee_client, db, breakout):
    _log(attendee_client, breakout)
    need = db.exec(select(Need)).one()
    token = csrf_token(participant_client, "/me")
    assert participant_client.post(f"/needs/{need.id}/vote", data={"csrf_token": token}).status_code == 404


def test_the_facilitator_captures_for_an_attendee_or_a_free_name(console, db, breakout, attendee, facilitator):
    url = f"/manage/breakouts/{breakout.id}/capture"
    post_form(
        console, url, {**NEED, "speaker": "marie dubois", "organisation": "Ville de Nice", "idempotency_key": "a"}
    )
    page = console.get(url).get_data(as_text=True)
    assert 'value="marie dubois"' in page  # the last speaker stays in the form
    assert 'value="Ville de Nice"' in page
    assert '<option value="Marie Dubois">' in page  # attendees are suggested as you type
    post_form(console, url, {**NEED, "title": "Drones", "speaker": "Jan Kowalski", "idempotency_key": "b"})
    captured = db.exec(select(Need).order_by(Need.id)).all()
    assert [(n.stated_by_id, n.stated_by_name, n.captured_by_id) for n in captured] == [
        (attendee.id, "", facilitator.id),
        (None, "Jan Kowalski", facilitator.id),
    ]


def test_a_closed_breakout_takes_no_more_needs(console, attendee_client, db, breakout):
    post_form(console, f"/manage/breakouts/{breakout.id}/lock", form_url=f"/manage/breakouts/{breakout.id}/capture")
    page = attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert "This breakout is closed" in page
    _log(attendee_client, breakout, idempotency_key="late")
    assert db.exec(select(Need)).all() == []


def test_the_console_is_for_this_breakouts_facilitators(facilitator_client, participant_client, breakout):
    assert facilitator_client.get(f"/manage/breakouts/{breakout.id}/capture").status_code == 404
    assert participant_client.get(f"/manage/breakouts/{breakout.id}/capture").status_code == 403


def test_needs_are_shown_escaped(attendee_client, breakout):
    _log(attendee_client, breakout, title='"><script>alert(1)</script>')
    page = attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&#34;&gt;&lt;script&gt;" in page


def test_a_facilitator_dismisses_with_a_reason_and_the_author_reads_it(console, attendee_client, db, breakout):
    _log(attendee_client, breakout)
    need = db.exec(select(Need)).one()
    token = csrf_token(attendee_client, f"/b/{breakout.code}")
    attendee_client.post(f"/needs/{need.id}/vote", data={"csrf_token": token})
    capture = f"/manage/breakouts/{breakout.id}/capture"
    refused = post_form(console, f"/manage/needs/{need.id}/dismiss", {"reason": ""}, form_url=capture)
    assert refused.status_code == 302
    db.rollback()
    assert db.get(Need, need.id).state == "open"
    page = console.get(capture).get_data(as_text=True)
    assert "Say why the need is dismissed: its author will read it." in page
    assert 'data-maxlength="500" placeholder="Reason for dismissing"' in page  # typing past it is never cut
    too_long = post_form(console, f"/manage/needs/{need.id}/dismiss", {"reason": "x" * 501}, form_url=capture)
    assert "Keep the reason to 500 characters." in console.get(too_long.headers["Location"]).get_data(as_text=True)
    db.rollback()
    assert db.get(Need, need.id).state == "open"
    post_form(console, f"/manage/needs/{need.id}/dismiss", {"reason": "Out of the programme's scope"}, form_url=capture)
    db.rollback()
    assert (db.get(Need, need.id).state, db.get(Need, need.id).dismissed_reason) == (
        "dismissed",
        "Out of the programme's scope",
    )
    assert db.exec(select(Vote)).all() == []  # the vote is given back
    assert NEED["title"] not in attendee_client.get(f"/b/{breakout.code}/board").get_data(as_text=True)
    mine = attendee_client.get("/me/needs").get_data(as_text=True)
    assert "Dismissed" in mine
    assert "Out of the programme&#39;s scope" in mine
    post_form(console, f"/manage/needs/{need.id}/reopen", form_url=capture)
    db.rollback()
    assert db.get(Need, need.id).state == "open"


def test_only_the_breakouts_facilitators_dismiss(attendee_client, facilitator_client, db, breakout):
    _log(attendee_client, breakout)
    need = db.exec(select(Need)).one()
    token = csrf_token(facilitator_client, "/me")
    response = facilitator_client.post(f"/manage/needs/{need.id}/dismiss", data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 404
    token = csrf_token(attendee_client, "/me")
    attempt = attendee_client.post(f"/manage/needs/{need.id}/dismiss", data={"csrf_token": token, "reason": "x"})
    assert attempt.status_code == 403


def test_the_page_script_gets_json_and_a_repeat_answers_as_the_first_time(attendee_client, db, breakout):
    headers = {"Accept": "application/json"}
    first = _log(attendee_client, breakout, headers=headers)
    again = _log(attendee_client, breakout, headers=headers)
    assert first.status_code == again.status_code == 201
    need = db.exec(select(Need)).one()
    assert first.json == {**again.json, "created": True}
    assert (first.json["id"], first.json["title"], again.json["created"]) == (need.id, NEED["title"], False)


def test_the_page_script_gets_the_errors_by_field_and_nothing_is_stored(attendee_client, db, breakout):
    response = _log(attendee_client, breakout, title="", urgency="7", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json["errors"]["title"] == ["Give the need a short title."]
    assert "urgency" in response.json["errors"]
    assert db.exec(select(Need)).all() == []
