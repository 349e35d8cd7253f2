"""Ordering a call's challenges from its page: added in the order chosen, moved in place by the page's script.

The script sends each move button's form asking for JSON (``Accept: application/json``) and redraws the
order the server answers with; without the script the same forms reload the page. Both are tried here,
with the refusals a person may meet: an order changed meanwhile, a published call, a missing role, a
missing or foreign CSRF token.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.calls.publishing import publish
from tests.conftest import csrf_token, log_in, post_form
from workshops.audit.models import AuditEntry
from workshops.calls.composition import grouped
from workshops.calls.models import Challenge, OpenCall
from workshops.usecases.models import UseCase

JSON = {"Accept": "application/json"}


@pytest.fixture
def call(ctx, call_text):
    """The draft "Open Call 2" with 1.1 "Drones over *ports*" and 2.1 "Flood sensors", and no context left open."""
    ctx.pop()
    yield call_text.call
    ctx.push()


@pytest.fixture
def security(call_text):
    """The call's first domain, "Security & <ports>"."""
    return call_text.groups[0].domain


@pytest.fixture
def three(db, call, security):
    """Two more accepted use cases in the first domain, added: 1.1 Drones, 1.2 Radar, 1.3 Fence; 2.1 Floods."""
    radar, fence = _use_case(db, "Radar", security.id), _use_case(db, "Fence", security.id)
    from workshops.calls import composition

    composition.add_challenges(db, db.get(OpenCall, call.id), use_case_ids=[radar.id, fence.id])
    return _ids(db, call)


def _use_case(db, title: str, domain_id: int) -> UseCase:
    use_case = UseCase(title=title, domain_id=domain_id, state="accepted", body=f"## Context\n\n{title}.")
    db.add(use_case)
    db.commit()
    return use_case


def _numbered(db, call: OpenCall) -> list[tuple[str, str]]:
    db.rollback()  # the session's snapshot predates the request
    return [(c.number, c.title) for group in grouped(db, call) for c in group.challenges]


def _ids(db, call: OpenCall) -> dict[str, int]:
    db.rollback()
    return {c.title: c.challenge.id for group in grouped(db, call) for c in group.challenges}


def _url(call: OpenCall) -> str:
    return f"/manage/calls/{call.id}"


def _move(client, call: OpenCall, challenge_id: int, direction: str, seen: list[int] | None = None, **kwargs):
    """Send a challenge's move form as the page's script does: with the page's token, asking for JSON."""
    data = {"csrf_token": csrf_token(client, _url(call)), "direction": direction}
    if seen is not None:
        data["seen"] = ",".join(str(i) for i in seen)
    data.update(kwargs.pop("data", {}))
    return client.post(f"{_url(call)}/challenges/{challenge_id}/move", data=data, headers=JSON, **kwargs)


def _moves_audited(db, call: OpenCall) -> list[str]:
    db.rollback()
    entries = db.exec(select(AuditEntry).where(AuditEntry.target_type == "call", AuditEntry.target_id == call.id)).all()
    return [entry.detail for entry in entries if entry.action in ("call_challenge_moved", "call_domain_moved")]


# --- Adding in the order chosen -------------------------------------------------------------------


def test_use_cases_ticked_join_the_call_in_the_order_they_were_ticked(organiser_client, db, call, security):
    alpha, mike, zulu = (_use_case(db, title, security.id) for title in ("Alpha", "Mike", "Zulu"))
    page = organiser_client.get(_url(call)).get_data(as_text=True)
    adding = page[page.index('id="add-heading"') :]
    assert adding.index("Alpha") < adding.index("Mike") < adding.index("Zulu")  # the list is alphabetical
    assert '<input type="hidden" name="order" value="">' in adding
    # The browser sends the boxes in the list's order; the page's script adds the order of ticking.
    ticked = {"use_case_id": [str(alpha.id), str(mike.id), str(zulu.id)], "order": f"{zulu.id},{alpha.id},{mike.id}"}
    response = post_form(organiser_client, f"{_url(call)}/challenges", ticked, form_url=_url(call))
    assert response.status_code == 302 and response.headers["Location"] == f"{_url(call)}#challenges"
    assert _numbered(db, call) == [
        ("1.1", "Drones over *ports*"),  # those already there stay first
        ("1.2", "Zulu"),
        ("1.3", "Alpha"),
        ("1.4", "Mike"),
        ("2.1", "Flood sensors"),
    ]
    assert "Added 3 challenges to the call." in organiser_client.get(_url(call)).get_data(as_text=True)


def test_without_the_script_the_order_of_the_request_is_kept(organiser_client, db, call, security):
    alpha, zulu = _use_case(db, "Alpha", security.id), _use_case(db, "Zulu", security.id)
    mike = _use_case(db, "Mike", security.id)
    # No "order" field; ids in the request in an order of their own. An "order" naming only some ids
    # puts those first and the others after them, as sent; junk in it is ignored.
    sent = {"use_case_id": [str(zulu.id), str(alpha.id)]}
    post_form(organiser_client, f"{_url(call)}/challenges", sent, form_url=_url(call))
    partly = {"use_case_id": [str(mike.id)], "order": "x,,99999999"}
    post_form(organiser_client, f"{_url(call)}/challenges", partly, form_url=_url(call))
    titles = [title for _number, title in _numbered(db, call)]
    assert titles == ["Drones over *ports*", "Zulu", "Alpha", "Mike", "Flood sensors"]


# --- Moving in place -----------------------------------------------------------------------------


def test_the_page_offers_each_move_as_a_form_with_the_order_it_shows(organiser_client, db, call, three):
    page = organiser_client.get(_url(call)).get_data(as_text=True)
    drones, radar, fence = three["Drones over *ports*"], three["Radar"], three["Fence"]
    seen = f'<input type="hidden" name="seen" value="{drones},{radar},{fence}">'
    assert page.count(seen) == 6  # up and down for each of the domain's three challenges
    first_up = re.search(rf'<form class="call-move"[^>]*data-id="{drones}" data-direction="up"[^>]*>', page)
    assert first_up and first_up.group(0).endswith(" hidden>")  # the first has nowhere to go up to
    middle_up = re.search(rf'<form class="call-move"[^>]*data-id="{radar}" data-direction="up"[^>]*>', page)
    assert middle_up and "hidden" not in middle_up.group(0)
    assert 'role="status"' in page and 'id="call-order-status"' in page
    assert '<script type="module" src="/static/js/calls/compose.js"></script>' in page
    floods = three["Flood sensors"]
    assert f'data-move="challenge" data-id="{floods}"' not in page  # alone in its domain: no move at all


def test_the_script_moves_a_challenge_and_gets_the_whole_order_back(organiser_client, db, call, three):
    drones, radar, fence = three["Drones over *ports*"], three["Radar"], three["Fence"]
    response = _move(organiser_client, call, fence, "up", seen=[drones, radar, fence])
    assert response.status_code == 200 and response.is_json
    answer = response.get_json()
    assert answer["message"] == "Moved “Fence” up. It is now challenge 1.2."
    first, second = answer["order"]
    assert first["number"] == 1 and second["number"] == 2
    assert [(c["id"], c["number"]) for c in first["challenges"]] == [(drones, "1.1"), (fence, "1.2"), (radar, "1.3")]
    assert [c["number"] for c in second["challenges"]] == ["2.1"]
    assert [title for _n, title in _numbered(db, call)] == ["Drones over *ports*", "Fence", "Radar", "Flood sensors"]
    assert _moves_audited(db, call) == [f"challenge {fence} up"]
    # Nothing is left to flash on the next page: the script announced it already.
    assert "Moved “Fence” up" not in organiser_client.get(_url(call)).get_data(as_text=True)


def test_the_script_moves_a_domain(organiser_client, db, call, call_text):
    security, resilience = (group.domain for group in call_text.groups)
    data = {"csrf_token": csrf_token(organiser_client, _url(call)), "direction": "down"}
    data["seen"] = f"{security.id},{resilience.id}"
    response = organiser_client.post(f"{_url(call)}/domains/{security.id}/move", data=data, headers=JSON)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["message"] == "Moved the domain “Security & <ports>” down. It is now domain 2."
    assert [(g["domain_id"], g["number"]) for g in answer["order"]] == [(resilience.id, 1), (security.id, 2)]
    assert _numbered(db, call) == [("1.1", "Flood sensors"), ("2.1", "Drones over *ports*")]


def test_a_move_from_a_page_that_is_out_of_date_is_refused_with_the_order_now(organiser_client, db, call, three):
    drones, radar, fence = three["Drones over *ports*"], three["Radar"], three["Fence"]
    assert _move(organiser_client, call, fence, "up", seen=[drones, radar, fence]).status_code == 200
    # Another window still shows Drones, Radar, Fence, and moves Radar down: it would mean "after Fence".
    stale = _move(organiser_client, call, radar, "down", seen=[drones, radar, fence])
    assert stale.status_code == 409
    answer = stale.get_json()
    assert answer["error"].startswith("Someone else changed the order of this call meanwhile, so nothing moved.")
    assert set(answer) >= {"error", "errors", "form_errors", "order"}
    assert [c["id"] for c in answer["order"][0]["challenges"]] == [drones, fence, radar]
    assert [title for _n, title in _numbered(db, call)] == ["Drones over *ports*", "Fence", "Radar", "Flood sensors"]
    assert _moves_audited(db, call) == [f"challenge {fence} up"]


def test_without_the_script_an_out_of_date_move_is_told_on_the_page(organiser_client, db, call, three):
    drones, radar, fence = three["Drones over *ports*"], three["Radar"], three["Fence"]
    seen = f"{drones},{radar},{fence}"
    url = f"{_url(call)}/challenges/{fence}/move"
    moved = post_form(organiser_client, url, {"direction": "up", "seen": seen}, form_url=_url(call))
    assert moved.status_code == 302 and moved.headers["Location"] == f"{_url(call)}#challenge-{fence}"
    assert "Moved “Fence” up. It is now challenge 1.2." in organiser_client.get(_url(call)).get_data(as_text=True)
    url = f"{_url(call)}/challenges/{radar}/move"
    stale = post_form(organiser_client, url, {"direction": "down", "seen": seen}, form_url=_url(call))
    assert stale.status_code == 302 and stale.headers["Location"] == f"{_url(call)}#challenges"
    page = organiser_client.get(_url(call)).get_data(as_text=True)
    assert "Someone else changed the order of this call meanwhile, so nothing moved." in page
    assert [title for _n, title in _numbered(db, call)] == ["Drones over *ports*", "Fence", "Radar", "Flood sensors"]


def test_a_move_at_an_end_says_so_and_changes_nothing(organiser_client, db, call, three):
    drones = three["Drones over *ports*"]
    response = _move(organiser_client, call, drones, "up")
    assert response.status_code == 200
    assert response.get_json()["message"] == "“Drones over *ports*” is already first in its domain (challenge 1.1)."
    assert _moves_audited(db, call) == []


@pytest.mark.parametrize("seen", ["1;2", "1,,2", "' OR 1=1", "1," * 10_001])
def test_a_malformed_order_is_a_bad_request(organiser_client, db, call, three, seen):
    response = _move(organiser_client, call, three["Radar"], "up", data={"seen": seen})
    assert response.status_code == 400 and response.is_json and response.get_json()["error"]
    assert [title for _n, title in _numbered(db, call)][:3] == ["Drones over *ports*", "Radar", "Fence"]


def test_a_published_call_cannot_be_reordered(organiser_client, db, call, three):
    publish(organiser_client, call)
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "published"
    page = organiser_client.get(_url(call)).get_data(as_text=True)
    assert "data-move" not in page and "js/calls/compose.js" not in page and "data-reorder" not in page
    token = csrf_token(organiser_client, "/me")
    radar = three["Radar"]
    response = organiser_client.post(
        f"{_url(call)}/challenges/{radar}/move", data={"csrf_token": token, "direction": "up"}, headers=JSON
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "The call is published: its challenges can no longer change."
    security = db.get(Challenge, radar).domain_id
    domain = organiser_client.post(
        f"{_url(call)}/domains/{security}/move", data={"csrf_token": token, "direction": "down"}, headers=JSON
    )
    assert domain.status_code == 422
    assert [title for _n, title in _numbered(db, call)][:3] == ["Drones over *ports*", "Radar", "Fence"]


@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_only_those_who_may_edit_the_call_reorder_it(request, db, call, three, role):
    client = request.getfixturevalue(f"{role}_client")
    token = csrf_token(client, "/me")
    radar = three["Radar"]
    moved = client.post(
        f"{_url(call)}/challenges/{radar}/move", data={"csrf_token": token, "direction": "up"}, headers=JSON
    )
    assert moved.status_code == 403 and moved.is_json
    security = db.get(Challenge, radar).domain_id
    domain = client.post(f"{_url(call)}/domains/{security}/move", data={"csrf_token": token, "direction": "down"})
    assert domain.status_code == 403
    added = client.post(f"{_url(call)}/challenges", data={"csrf_token": token, "use_case_id": "1"}, headers=JSON)
    assert added.status_code == 403
    assert [title for _n, title in _numbered(db, call)][:3] == ["Drones over *ports*", "Radar", "Fence"]
    assert _moves_audited(db, call) == []


def test_a_logged_out_script_is_sent_to_log_in(app, db, call, three):
    client = app.test_client()
    data = {"direction": "up", "csrf_token": csrf_token(client, "/login")}
    response = client.post(f"{_url(call)}/challenges/{three['Radar']}/move", data=data, headers=JSON)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_move_without_the_pages_token_is_refused(app, organiser, organiser_client, db, call, three):
    radar = three["Radar"]
    url = f"{_url(call)}/challenges/{radar}/move"
    missing = organiser_client.post(url, data={"direction": "up"}, headers=JSON)
    assert missing.status_code == 400
    assert "This form has expired or was sent from elsewhere" in missing.get_json()["error"]
    other = app.test_client()
    log_in(other, organiser)
    foreign = organiser_client.post(url, data={"direction": "up", "csrf_token": csrf_token(other, "/me")}, headers=JSON)
    assert foreign.status_code == 400
    form = organiser_client.post(url, data={"direction": "up"})  # the form without the script, too
    assert form.status_code == 400
    assert [title for _n, title in _numbered(db, call)][:3] == ["Drones over *ports*", "Radar", "Fence"]
    assert _moves_audited(db, call) == []
