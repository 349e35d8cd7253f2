"""Bulk review from the use-case list: tick use cases, choose an action, apply it to each that may take it.

Each ticked use case goes through the same workflow service as on its own page (roles, allowed
transitions, deleted ones refused, a revision and an audit entry each); the ones that cannot take
the action stay as they were and the flash names each with its reason.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, post_form
from workshops.audit.models import AuditEntry
from workshops.usecases import services
from workshops.usecases.models import UseCase, UseCaseRevision
from workshops.usecases.services import workflow

LIST = "/manage/use-cases"
BULK = "/manage/use-cases/bulk"
CHECKED = re.compile(r'<input type="checkbox" name="use_case" value="(\d+)" form="bulk-form"( checked)?>')


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture
def writer(db):
    """A facilitator who wrote use cases: the organiser who accepts them did not (a second person accepts)."""
    return factories.make_user(db, name="Wendy Writer", email="wendy@example.org", role="facilitator")


def _use_case(app, db, author, title: str, *, state: str = "draft") -> UseCase:
    """A use case created through the service (one revision), then put in ``state`` directly."""
    values = services.UseCaseInput(title=title, body="## Context\n\nPorts.\n")
    with app.app_context():
        use_case = services.create_use_case(session=db, author=author, values=values, need_ids=[])
    if state != "draft":
        use_case.state = state
        db.add(use_case)
        db.commit()
    return use_case


def _deleted(app, db, organiser, title: str, *, state: str = "in_review") -> UseCase:
    use_case = _use_case(app, db, organiser, title, state=state)
    with app.app_context():
        services.delete_use_case(session=db, use_case=use_case, actor=organiser)
    return use_case


def _fresh(db, use_case: UseCase) -> UseCase:
    db.rollback()  # drop the session's snapshot: read what the requests stored
    return db.get(UseCase, use_case.id, populate_existing=True)


def _revisions(db, use_case: UseCase) -> list[UseCaseRevision]:
    db.rollback()
    statement = select(UseCaseRevision).where(UseCaseRevision.use_case_id == use_case.id)
    return list(db.exec(statement.order_by(UseCaseRevision.number)))


def _state_audits(db) -> list[AuditEntry]:
    db.rollback()
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == "use_case_state").order_by(AuditEntry.id)))


def _bulk(client, ids, action: str, *, reason: str | None = None, query: str = "", **kwargs):
    data = {"use_case": [str(i) for i in ids], "action": action}
    if reason is not None:
        data["reason"] = reason
    return post_form(client, BULK + query, data, form_url="/me", **kwargs)


def _noise(seed: int, length: int) -> str:
    """Text that compresses badly (Lithuanian letters picked by a hash), as long titles in several languages are."""
    letters = "aąbcčdeęėfghiįyjklmnoprsštuųūvzž "
    digest = b"".join(hashlib.sha256(f"{seed}-{i}".encode()).digest() for i in range(length // 32 + 1))
    return "".join(letters[byte % len(letters)] for byte in digest[:length]).strip() or "x"


def _flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<p class="flash [^"]*"[^>]*>(.*?)</p>', page, re.S)]


# --- Accepting many at once ---------------------------------------------------------------------


def test_an_organiser_accepts_three_in_review_use_cases_at_once(app, db, organiser, organiser_client, writer):
    chosen = [_use_case(app, db, writer, f"Drones over port {n}", state="in_review") for n in (1, 2, 3)]
    untouched = _use_case(app, db, writer, "Not ticked", state="in_review")
    response = _bulk(organiser_client, [u.id for u in chosen], "accepted", query="?state=in_review")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/use-cases?state=in_review"  # back to the same list
    for use_case in chosen:
        assert _fresh(db, use_case).state == "accepted"
        revisions = _revisions(db, use_case)
        assert len(revisions) == 2  # created, then accepted
        assert revisions[-1].change == "Accepted"
        assert revisions[-1].state == "accepted" and revisions[-1].author_id == organiser.id
    assert _fresh(db, untouched).state == "in_review" and len(_revisions(db, untouched)) == 1
    assert sorted((e.target_id, e.actor_id, e.detail) for e in _state_audits(db)) == sorted(
        (u.id, organiser.id, "in_review -> accepted") for u in chosen
    )
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    [flash] = _flashes(page)
    assert flash.startswith("3 use cases accepted: ")
    assert all(f"“{u.title}”" in flash for u in chosen)


def test_a_mixed_selection_changes_only_the_valid_ones_and_names_each_refusal(
    app, db, organiser, organiser_client, writer
):
    valid = _use_case(app, db, writer, "Quay cameras", state="in_review")
    deleted = _deleted(app, db, organiser, "Fence sensors")
    accepted = _use_case(app, db, writer, "Crowd flows", state="accepted")
    draft = _use_case(app, db, writer, "Flood gauges")
    before = {u.id: len(_revisions(db, u)) for u in (deleted, accepted, draft)}
    ticked = [deleted.id, valid.id, accepted.id, draft.id]
    response = _bulk(organiser_client, ticked, "accepted")
    assert response.status_code == 302
    assert _fresh(db, valid).state == "accepted"
    assert _revisions(db, valid)[-1].change == "Accepted"
    assert _fresh(db, deleted).state == "in_review" and _fresh(db, deleted).deleted_at is not None
    assert _fresh(db, accepted).state == "accepted"
    assert _fresh(db, draft).state == "draft"
    assert {u.id: len(_revisions(db, u)) for u in (deleted, accepted, draft)} == before
    assert [(e.target_id, e.detail) for e in _state_audits(db)] == [(valid.id, "in_review -> accepted")]
    # The refused ones stay ticked on the list that follows, ready for another action.
    assert "tick=" in response.headers["Location"]
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    success, refused = _flashes(page)
    assert success == "1 use case accepted: “Quay cameras”."
    assert refused.startswith("3 use cases not accepted.")
    assert "This use case was deleted: “Fence sensors”." in refused
    assert "It is already “Accepted”: “Crowd flows”." in refused
    assert "A use case that is “Draft” cannot become “Accepted”: “Flood gauges”." in refused
    assert 'class="flash flash-warning" role="alert"' in page  # some went through, some did not
    boxes = dict(CHECKED.findall(page))
    assert boxes[str(accepted.id)] == " checked" and boxes[str(draft.id)] == " checked"
    assert boxes[str(valid.id)] == ""


def test_when_none_can_take_the_action_the_flash_is_an_error_and_nothing_changes(app, db, organiser, organiser_client):
    draft = _use_case(app, db, organiser, "Flood gauges")
    page = _bulk(organiser_client, [draft.id], "draft", follow_redirects=True).get_data(as_text=True)
    assert _flashes(page) == ["1 use case not put back to draft. It is already “Draft”: “Flood gauges”."]
    assert 'class="flash flash-error"' in page
    assert _fresh(db, draft).state == "draft" and len(_revisions(db, draft)) == 1


def test_an_organiser_rejects_several_with_one_reason_and_none_without(app, db, organiser, organiser_client):
    ones = [_use_case(app, db, organiser, f"Duplicate {n}", state="in_review") for n in (1, 2)]
    refused = _bulk(organiser_client, [u.id for u in ones], "rejected", reason="   ")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Say why the use cases are rejected" in page
    assert set(dict(CHECKED.findall(page)).values()) == {" checked"}  # the ticks are kept
    assert all(_fresh(db, u).state == "in_review" for u in ones)
    response = _bulk(organiser_client, [u.id for u in ones], "rejected", reason="Covered by <b>1.2</b>")
    assert response.status_code == 302
    for use_case in ones:
        stored = _fresh(db, use_case)
        assert stored.state == "rejected" and stored.rejected_reason == "Covered by <b>1.2</b>"
        assert _revisions(db, use_case)[-1].change == "Rejected: Covered by <b>1.2</b>"


def test_a_reason_that_is_too_long_is_refused_with_the_text_kept(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser, "Duplicate", state="in_review")
    long_reason = "Covered elsewhere " * 60
    response = _bulk(organiser_client, [use_case.id], "rejected", reason=long_reason)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at most" in page and long_reason.strip() in page
    assert _fresh(db, use_case).state == "in_review"


# --- Who may ------------------------------------------------------------------------------------


def test_a_facilitator_sends_drafts_for_review_in_bulk_but_nothing_further(
    app, db, organiser, facilitator, facilitator_client
):
    draft = _use_case(app, db, organiser, "Flood gauges")
    accepted = _use_case(app, db, organiser, "Crowd flows", state="accepted")
    deleted = _deleted(app, db, organiser, "Secret fence plan", state="draft")
    page = facilitator_client.get(LIST).get_data(as_text=True)
    assert '<option value="in_review">Send for review</option>' in page
    for organisers_only in ("Accept", "Reject", "Back to draft"):
        assert f">{organisers_only}</option>" not in page
    assert "Reason, when rejecting" not in page
    response = _bulk(facilitator_client, [draft.id, accepted.id, deleted.id], "in_review", follow_redirects=True)
    assert _fresh(db, draft).state == "in_review"
    assert _revisions(db, draft)[-1].author_id == facilitator.id
    [success, refused, unfinished] = _flashes(response.get_data(as_text=True))
    assert success == "1 use case sent for review: “Flood gauges”."
    assert "A use case that is “Accepted” cannot become “In review”: “Crowd flows”." in refused
    assert "Still to finish in their text" in unfinished and "“Flood gauges” (5 things)" in unfinished
    # A deleted use case is no more to a facilitator than an unknown id: its title is not shown.
    assert f"There is no such use case: #{deleted.id}." in refused and "Secret fence plan" not in refused
    assert _fresh(db, accepted).state == "accepted" and _fresh(db, deleted).state == "draft"


@pytest.mark.parametrize("action", ["accepted", "rejected", "draft"])
def test_a_facilitator_cannot_take_an_organisers_action_in_bulk(app, db, organiser, facilitator_client, action):
    use_case = _use_case(app, db, organiser, "Quay cameras", state="in_review")
    response = _bulk(facilitator_client, [use_case.id], action, reason="Because")
    assert response.status_code == 403
    assert _fresh(db, use_case).state == "in_review" and len(_revisions(db, use_case)) == 1
    assert _state_audits(db) == []


def test_participants_and_anonymous_people_cannot_use_the_bulk_action(app, db, organiser, participant_client, client):
    use_case = _use_case(app, db, organiser, "Flood gauges")
    assert _bulk(participant_client, [use_case.id], "in_review").status_code == 403
    token = csrf_token(client, "/login")
    anonymous = client.post(BULK, data={"use_case": str(use_case.id), "action": "in_review", "csrf_token": token})
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    assert _fresh(db, use_case).state == "draft"


def test_the_actions_offered_follow_the_workflow_by_role(facilitator, organiser):
    assert [s.value for s in workflow.bulk_targets(facilitator)] == ["in_review"]
    assert [s.value for s in workflow.bulk_targets(organiser)] == ["draft", "in_review", "accepted", "rejected"]


# --- Refused requests ---------------------------------------------------------------------------


def test_the_bulk_action_needs_the_sessions_csrf_token(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser, "Quay cameras", state="in_review")
    data = {"use_case": str(use_case.id), "action": "accepted"}
    assert organiser_client.post(BULK, data=data).status_code == 400
    foreign = csrf_token(app.test_client(), "/login")
    assert organiser_client.post(BULK, data={**data, "csrf_token": foreign}).status_code == 400
    assert _fresh(db, use_case).state == "in_review" and _state_audits(db) == []


@pytest.mark.parametrize("bad", ["²", "١٢", "abc", "1.5", "-3", " ", "1e3", "<script>x</script>", "12345678901"])
def test_ids_that_are_not_ids_are_a_clear_error_and_change_nothing(app, db, organiser, organiser_client, bad):
    use_case = _use_case(app, db, organiser, "Quay cameras", state="in_review")
    response = _bulk(organiser_client, [use_case.id, bad], "accepted")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Reload the page and tick again" in page
    assert "<script>x" not in page  # what was sent is shown escaped
    assert _fresh(db, use_case).state == "in_review" and _state_audits(db) == []


@pytest.mark.parametrize("unknown", ["999999", "0", "2147483648", "0000"])
def test_ids_of_no_use_case_are_reported_and_the_others_go_ahead(app, db, organiser, organiser_client, writer, unknown):
    use_case = _use_case(app, db, writer, "Quay cameras", state="in_review")
    response = _bulk(organiser_client, [unknown, use_case.id], "accepted", follow_redirects=True)
    assert response.status_code == 200
    success, refused = _flashes(response.get_data(as_text=True))
    assert success == "1 use case accepted: “Quay cameras”."
    assert refused == f"1 use case not accepted. There is no such use case: #{int(unknown)}."
    assert _fresh(db, use_case).state == "accepted"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "accepted"}, "Tick the use cases to change."),
        ({"use_case": "1"}, "Choose what to do with the ticked use cases."),
        ({"use_case": "1", "action": "published"}, "Not a valid choice"),
        ({"use_case": [str(n) for n in range(1, 27)], "action": "accepted"}, "Tick at most 25 use cases at a time"),
    ],
)
def test_an_incomplete_form_shows_the_list_again_with_the_error(app, db, organiser, organiser_client, data, message):
    _use_case(app, db, organiser, "Quay cameras", state="in_review")
    response = post_form(organiser_client, BULK, data, form_url="/me")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Quay cameras" in page
    assert _state_audits(db) == []


# --- The list -----------------------------------------------------------------------------------


def test_tick_all_ticks_every_use_case_of_the_page_and_no_other(app, db, organiser, organiser_client):
    for n in range(27):  # one more page than 25
        _use_case(app, db, organiser, f"Use case {n:02}", state="in_review")
    page = organiser_client.get(LIST).get_data(as_text=True)
    assert 'href="/manage/use-cases?tick=all"' in page and "Tick all on this page" in page
    assert set(dict(CHECKED.findall(page)).values()) == {""}
    ticked = organiser_client.get(LIST + "?tick=all").get_data(as_text=True)
    boxes = CHECKED.findall(ticked)
    assert len(boxes) == 25 and all(checked for _, checked in boxes)
    assert "25 ticked on this page." in ticked and "Untick all" in ticked
    # The ticks belong to their page: the next page starts unticked.
    assert 'href="/manage/use-cases?page=2"' in ticked and "tick=all&amp;page" not in ticked
    assert set(dict(CHECKED.findall(organiser_client.get(LIST + "?page=2").get_data(as_text=True))).values()) == {""}


def test_the_bulk_form_comes_back_to_the_same_filters_and_page(app, db, organiser, organiser_client, writer):
    for n in range(27):
        _use_case(app, db, writer, f"Use case {n:02}", state="in_review")
    page = organiser_client.get(LIST + "?state=in_review&page=2").get_data(as_text=True)
    assert 'action="/manage/use-cases/bulk?state=in_review&amp;page=2"' in page
    last = db.exec(select(UseCase).order_by(UseCase.id)).first()
    response = _bulk(organiser_client, [last.id], "accepted", query="?state=in_review&page=2")
    assert response.headers["Location"] == "/manage/use-cases?state=in_review&page=2"


def test_every_checkbox_and_the_action_group_are_labelled(app, db, organiser, organiser_client):
    _use_case(app, db, organiser, 'Quay "cameras" <b>now</b>', state="in_review")
    page = organiser_client.get(LIST).get_data(as_text=True)
    assert '<fieldset class="bulk-actions"' in page and "<legend>With the ticked use cases</legend>" in page
    assert '<span class="visually-hidden">Tick “Quay &#34;cameras&#34; &lt;b&gt;now&lt;/b&gt;”</span>' in page
    assert '<label for="action">Action</label>' in page and '<label for="reason">Reason, when rejecting' in page
    for action in ("Send for review", "Accept", "Reject", "Back to draft"):
        assert f">{action}</option>" in page
    assert 'name="csrf_token"' in page and 'id="bulk-form"' in page and 'method="post"' in page


def test_titles_in_the_flash_are_escaped(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser, "<script>alert(1)</script>", state="in_review")
    page = _bulk(organiser_client, [use_case.id], "accepted", follow_redirects=True).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "“&lt;script&gt;alert(1)&lt;/script&gt;”" in page


def test_the_deleted_list_offers_no_bulk_action(app, db, organiser, organiser_client):
    _deleted(app, db, organiser, "Fence sensors")
    page = organiser_client.get(LIST + "?state=deleted").get_data(as_text=True)
    assert "Fence sensors" in page and "bulk-form" not in page and "Undo" in page


def test_the_list_makes_as_many_queries_for_20_use_cases_as_for_2(app, db, organiser, organiser_client, count_queries):
    counts = []
    for size in (2, 20):
        for n in range(size):
            _use_case(app, db, organiser, f"Use case {size}-{n}", state="in_review")
        organiser_client.get(LIST + "?tick=all")  # warm up the session's own loading
        with count_queries() as statements:
            assert organiser_client.get(LIST + "?tick=all").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_full_page_of_refusals_still_fits_in_the_session_cookie(app, db, organiser, organiser_client):
    """The flash travels in the signed session cookie, which browsers drop past 4 KB (logging the person out)."""
    ones = [_use_case(app, db, organiser, f"{n:02} {_noise(n, 197)}", state="accepted") for n in range(25)]
    response = _bulk(organiser_client, [u.id for u in ones], "accepted")
    assert response.status_code == 302
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookie) < 4000, len(cookie)
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    [refused] = _flashes(page)
    assert refused.startswith(f"25 use cases not accepted. It is already “Accepted”: “00 {_noise(0, 10)}")
    assert refused.count("…”") == 25  # each long title shortened, none left out
