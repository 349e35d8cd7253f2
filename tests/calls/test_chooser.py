"""The "add challenges" chooser marks use cases that a published or closed call holds already, and offers them still."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.conftest import post_form
from workshops.calls import composition
from workshops.calls.models import Challenge, OpenCall
from workshops.usecases.models import UseCase


@pytest.fixture
def earlier(app, db, call_text) -> OpenCall:
    """The call "Open Call 2", published with its two challenges ("Drones over *ports*", "Flood sensors")."""
    with app.app_context():
        composition.publish(db, call_text.call)
    return call_text.call


def _draft(db, slug: str = "open-call-3") -> OpenCall:
    call = OpenCall(
        name="Open Call 3",
        slug=slug,
        opens_at=datetime(2028, 1, 10, 8, tzinfo=UTC),
        closes_at=datetime(2028, 4, 10, 15, tzinfo=UTC),
    )
    db.add(call)
    db.commit()
    return call


def _candidates(client, call: OpenCall) -> dict[str, str]:
    """Each use case offered in the chooser, by id: the words of its choice."""
    page = client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    chooser = page[page.index('id="add-heading"') :]
    found = re.findall(
        r'<input type="checkbox" name="use_case_id" value="(\d+)">\s*<span>(.*?)</span>\s*<span class="call-pick',
        chooser,
        re.S,
    )
    return {use_case_id: " ".join(re.sub(r"<[^>]+>", " ", words).split()) for use_case_id, words in found}


def test_use_cases_of_a_published_call_are_marked_and_still_choosable(db, earlier, call_text, organiser_client):
    drones_id = call_text.groups[0].challenges[0].challenge.use_case_id
    fresh = UseCase(title="Crowd sensors", domain_id=call_text.groups[0].domain.id, state="accepted")
    db.add(fresh)
    db.commit()
    call = _draft(db)
    offered = _candidates(organiser_client, call)
    assert (
        offered[str(drones_id)]
        == "Drones over *ports* · Security &amp; &lt;ports&gt; already in published call “Open Call 2”"
    )
    assert offered[str(fresh.id)] == "Crowd sensors · Security &amp; &lt;ports&gt;"
    added = post_form(organiser_client, f"/manage/calls/{call.id}/challenges", {"use_case_id": [str(drones_id)]},
                      form_url=f"/manage/calls/{call.id}")  # fmt: skip
    assert added.status_code == 302
    db.rollback()
    added_ids = db.exec(select(Challenge.use_case_id).where(Challenge.call_id == call.id)).all()
    assert added_ids == [drones_id]


def test_a_closed_call_is_named_as_closed_and_a_draft_marks_nothing(app, db, earlier, call_text, organiser_client):
    with app.app_context():
        composition.close(db, earlier)
    floods_id = call_text.groups[1].challenges[0].challenge.use_case_id
    call = _draft(db)
    assert _candidates(organiser_client, call)[str(floods_id)].endswith("already in closed call “Open Call 2”")

    other_draft = _draft(db, "open-call-4")
    with app.app_context():
        composition.add_challenges(db, other_draft, use_case_ids=[floods_id])  # a draft is not a call anyone saw
    assert _candidates(organiser_client, _draft(db, "open-call-5"))[str(floods_id)].count("already in") == 1
