"""Use cases: created from needs, edited with a preview, reviewed by role, revised, locked, deleted softly.

Also comments and the organisers' body template.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in, post_form
from workshops.audit.models import AuditEntry
from workshops.events.models import BreakoutFacilitator
from workshops.markdown import render_markdown
from workshops.needs.models import Need, Vote
from workshops.usecases import services, traceability
from workshops.usecases.models import UseCase, UseCaseComment, UseCaseNeed, UseCaseRevision, UseCaseTemplate
from workshops.usecases.template_default import DEFAULT_TEMPLATE

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def domain(db):
    return factories.make_domain(db, name="Sensitive infrastructure protection")


@pytest.fixture
def port(db, domain):
    return factories.make_test_bed(db, name="Port of Marseille-Fos", domain_id=domain.id)


@pytest.fixture
def breakout(db, domain, port):
    workshop = factories.make_workshop(db, title="Marseille 2021")
    return factories.make_breakout(db, workshop, title="Ports and terminals", domain_id=domain.id, test_bed_id=port.id)


@pytest.fixture
def elsewhere(db):
    """A breakout the facilitator does not facilitate."""
    return factories.make_breakout(db, factories.make_workshop(db, title="Vienna 2021"), title="Grids")


@pytest.fixture
def facilitates(db, breakout, facilitator):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()


def _need(db, breakout, title, *, votes: int = 0, **changes) -> Need:
    values = {
        "statement": f"We need {title.lower()}.",
        "domain_id": breakout.domain_id,
        "test_bed_id": breakout.test_bed_id,
        "organisation": "Port of Marseille",
        "organisation_type": "end_user",
        "country": "FR",
        **changes,
    }
    need = Need(breakout_id=breakout.id, title=title, **values)
    db.add(need)
    db.commit()
    for _ in range(votes):
        voter = factories.make_user(db)
        db.add(Vote(need_id=need.id, user_id=voter.id, breakout_id=breakout.id))
    db.commit()
    return need


@pytest.fixture
def three(db, breakout):
    return [
        _need(db, breakout, "Drones over the terminals", votes=1),
        _need(db, breakout, "Intruders along the fence", votes=3, organisation="Port Authority"),
        _need(db, breakout, "Quay cameras", organisation="Hidden Org", sensitivity="anonymous"),
    ]


def _use_case(app, db, author, needs=(), **changes) -> UseCase:
    values = services.UseCaseInput(title=changes.pop("title", "Drones over ports"), body="## Context\n\nPorts.\n")
    with app.app_context():
        use_case = services.create_use_case(session=db, author=author, values=values, need_ids=[n.id for n in needs])
    if changes:
        for name, value in changes.items():
            setattr(use_case, name, value)
        db.add(use_case)
        db.commit()
    return use_case


def _fresh(db, model, key):
    """The row as stored now: ending the session's read transaction drops its snapshot."""
    db.rollback()
    return db.get(model, key, populate_existing=True)


def _revisions(db, use_case) -> list[UseCaseRevision]:
    db.rollback()
    return list(
        db.exec(
            select(UseCaseRevision).where(UseCaseRevision.use_case_id == use_case.id).order_by(UseCaseRevision.number)
        )
    )


def _form(use_case: UseCase, **changes) -> dict:
    values = {
        "title": use_case.title,
        "summary": use_case.summary,
        "domain_id": str(use_case.domain_id or ""),
        "test_bed_id": str(use_case.test_bed_id or ""),
        "owners": use_case.owners,
        "trl_min": str(use_case.trl_min),
        "trl_max": str(use_case.trl_max),
        "body": use_case.body,
        "version": str(use_case.version),
        "save": "Save",
        **changes,
    }
    if use_case.owners_may_be_named and "owners_may_be_named" not in changes:
        values["owners_may_be_named"] = "y"
    return values


def _client(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


# --- Access -------------------------------------------------------------------------------------


def test_participants_get_403_on_every_use_case_route(app, db, organiser, participant_client, three):
    use_case = _use_case(app, db, organiser, three)
    base = f"/manage/use-cases/{use_case.id}"
    token = csrf_token(participant_client, "/me")
    for url in ["/manage/use-cases", "/manage/use-cases/new", base, f"{base}/edit", f"{base}/revisions",
                f"{base}/compare?a=1&b=1", "/manage/use-case-template"]:  # fmt: skip
        assert participant_client.get(url).status_code == 403, url
    for url in ["/manage/use-cases/new", "/manage/use-cases/add-needs", "/manage/use-cases/preview", f"{base}/edit",
                f"{base}/state", f"{base}/comments", f"{base}/needs/{three[0].id}/remove", f"{base}/delete",
                f"{base}/restore", "/manage/use-case-template"]:  # fmt: skip
        assert participant_client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert _fresh(db, UseCase, use_case.id).deleted_at is None


def test_unknown_and_deleted_use_cases_are_404_except_the_organisers_deleted_view(
    app, db, organiser, organiser_client, facilitator_client
):
    use_case = _use_case(app, db, organiser)
    assert facilitator_client.get("/manage/use-cases/999999").status_code == 404
    with app.app_context():
        services.delete_use_case(session=db, use_case=use_case, actor=organiser)
    for url in ["", "/edit", "/revisions"]:
        assert facilitator_client.get(f"/manage/use-cases/{use_case.id}{url}").status_code in (404,), url
    assert organiser_client.get(f"/manage/use-cases/{use_case.id}/edit").status_code == 404
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}")
    assert page.status_code == 200 and "This use case is deleted" in page.get_data(as_text=True)


def test_facilitators_create_and_edit_drafts_but_not_in_review_ones_nor_delete(
    app, db, facilitates, facilitator, facilitator_client, three
):
    created = post_form(
        facilitator_client,
        "/manage/use-cases/new",
        {"title": "Fence intrusions", "trl_min": "4", "trl_max": "7", "body": "Text", "needs": str(three[0].id)},
    )
    assert created.status_code == 302
    use_case = db.exec(select(UseCase).where(UseCase.title == "Fence intrusions")).one()
    assert created.headers["Location"] == f"/manage/use-cases/{use_case.id}"
    assert use_case.created_by_id == facilitator.id and use_case.state == "draft"
    url = f"/manage/use-cases/{use_case.id}/edit"
    assert post_form(facilitator_client, url, _form(use_case, title="Fence intruders")).status_code == 302
    use_case = _fresh(db, UseCase, use_case.id)
    assert use_case.title == "Fence intruders"
    post_form(facilitator_client, f"/manage/use-cases/{use_case.id}/state", {"state": "in_review"}, form_url=url)
    use_case = _fresh(db, UseCase, use_case.id)
    assert use_case.state == "in_review"
    assert facilitator_client.get(url).status_code == 403
    refused = post_form(facilitator_client, url, _form(use_case, title="Sneaky"), form_url="/me")
    assert refused.status_code == 200
    assert "only organisers change it" in refused.get_data(as_text=True)
    assert "Sneaky" in refused.get_data(as_text=True)  # the person's text is kept
    assert _fresh(db, UseCase, use_case.id).title == "Fence intruders"
    token = {"csrf_token": csrf_token(facilitator_client, "/me")}
    assert facilitator_client.post(f"/manage/use-cases/{use_case.id}/delete", data=token).status_code == 403
    assert facilitator_client.get("/manage/use-case-template").status_code == 403


#: The review workflow as the issue states it: (from, to) → the lowest role that may, or absent.
ALLOWED = {
    ("draft", "in_review"): "facilitator",
    ("in_review", "accepted"): "organiser",
    ("in_review", "rejected"): "organiser",
    ("in_review", "draft"): "organiser",
    ("accepted", "draft"): "organiser",
    ("rejected", "draft"): "organiser",
}
STATES = ["draft", "in_review", "accepted", "rejected"]
CASES = [(a, b, role) for a in STATES for b in STATES if a != b for role in ("facilitator", "organiser")]


@pytest.mark.parametrize(("source", "target", "role"), CASES)
def test_the_workflow_by_state_and_role(request, app, db, facilitator, source, target, role):
    use_case = _use_case(app, db, facilitator, state=source)  # written by another: an organiser may accept it
    client = request.getfixturevalue(f"{role}_client")
    response = post_form(
        client,
        f"/manage/use-cases/{use_case.id}/state",
        {"state": target, "reason": "Too close to challenge 1.2"},
        form_url="/me",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    needed = ALLOWED.get((source, target))
    allowed = needed is not None and (needed == "facilitator" or role == "organiser")
    stored = _fresh(db, UseCase, use_case.id)
    if allowed:
        assert stored.state == target
        assert "The use case is" in page
        assert _revisions(db, use_case)[-1].change.startswith(services.STATE_CHANGE_WORDS[target])
    else:
        assert stored.state == source
        expected = "cannot become" if needed is None else "Only organisers may"
        assert expected in page, page
        assert len(_revisions(db, use_case)) == 1


def test_rejecting_needs_a_reason_that_the_revision_and_page_keep(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser, state="in_review")
    url = f"/manage/use-cases/{use_case.id}/state"
    page = post_form(
        organiser_client, url, {"state": "rejected", "reason": "  "}, form_url="/me", follow_redirects=True
    )
    assert "Say why the use case is rejected" in page.get_data(as_text=True)
    assert _fresh(db, UseCase, use_case.id).state == "in_review"
    post_form(organiser_client, url, {"state": "rejected", "reason": "Covered by <b>1.2</b>"}, form_url="/me")
    stored = _fresh(db, UseCase, use_case.id)
    assert stored.state == "rejected" and stored.rejected_reason == "Covered by <b>1.2</b>"
    assert _revisions(db, use_case)[-1].change == "Rejected: Covered by <b>1.2</b>"
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "Covered by &lt;b&gt;1.2&lt;/b&gt;" in page
    assert "Back to draft" in page and "Accept" not in page


def test_the_page_offers_only_the_buttons_the_viewer_may_use(
    app, db, facilitator, facilitator_client, organiser_client
):
    use_case = _use_case(app, db, facilitator, state="in_review")
    as_facilitator = facilitator_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert 'value="accepted"' not in as_facilitator and ">Edit<" not in as_facilitator
    assert "Delete the use case" not in as_facilitator
    as_organiser = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert 'value="accepted"' in as_organiser and 'value="rejected"' in as_organiser and 'value="draft"' in as_organiser
    assert "Delete the use case" in as_organiser and ">Edit<" in as_organiser


def test_state_changes_are_audited(app, db, organiser, facilitator, caplog):
    use_case = _use_case(app, db, facilitator)
    with caplog.at_level(logging.INFO, logger="workshops.audit"), app.app_context():
        services.change_state(session=db, use_case=use_case, actor=organiser, to_state="in_review")
        services.change_state(session=db, use_case=use_case, actor=organiser, to_state="accepted")
    db.rollback()
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "use_case_state").order_by(AuditEntry.id)).all()
    assert [(e.target_type, e.target_id, e.actor_id, e.detail) for e in entries] == [
        ("use_case", use_case.id, organiser.id, "draft -> in_review"),
        ("use_case", use_case.id, organiser.id, "in_review -> accepted"),
    ]


# --- Revisions ----------------------------------------------------------------------------------


def test_every_save_state_change_and_needs_change_adds_one_revision(
    app, db, breakout, organiser, organiser_client, three
):
    use_case = _use_case(app, db, organiser, three[:1])
    url = f"/manage/use-cases/{use_case.id}"
    post_form(organiser_client, f"{url}/edit", _form(use_case, title="Drones and fences", body="New text"))
    post_form(organiser_client, f"{url}/edit", _form(_fresh(db, UseCase, use_case.id)))  # nothing changed: no revision
    post_form(organiser_client, f"{url}/state", {"state": "in_review"}, form_url="/me")
    post_form(organiser_client, f"{url}/state", {"state": "rejected", "reason": "Too broad"}, form_url="/me")
    post_form(organiser_client, f"{url}/state", {"state": "draft"}, form_url="/me")
    added = post_form(
        organiser_client,
        "/manage/use-cases/add-needs",
        {"use_case_id": str(use_case.id), "need": [str(three[1].id), str(three[2].id), str(three[0].id)]},
        form_url="/me",
        follow_redirects=True,
    )
    assert "Added 2 needs to “Drones and fences”" in added.get_data(as_text=True)
    assert added.request.path == url
    post_form(organiser_client, f"{url}/needs/{three[2].id}/remove", form_url="/me")
    revisions = _revisions(db, use_case)
    assert [(r.number, r.change) for r in revisions] == [
        (1, "Created from 1 need"),
        (2, "Edited the title and text"),
        (3, "Sent for review"),
        (4, "Rejected: Too broad"),
        (5, "Back to draft"),
        (6, "Added 2 needs"),
        (7, f"Removed need #{three[2].id}"),
    ]
    assert all(r.author_id == organiser.id for r in revisions)
    assert revisions[1].title == "Drones and fences" and revisions[0].title == "Drones over ports"
    assert _fresh(db, UseCase, use_case.id).version == 7
    linked = set(db.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == use_case.id)))
    assert linked == {three[0].id, three[1].id}
    listing = organiser_client.get(f"{url}/revisions").get_data(as_text=True)
    assert "Rejected: Too broad" in listing and "Otto Organiser" in listing


def test_comparing_two_revisions_marks_changed_fields_and_words(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser)
    with app.app_context():
        values = services.UseCaseInput(
            title="Drones over <ports>", body="## Context\n\nHarbours at night.\n\nA new line\n"
        )
        services.update_use_case(session=db, use_case=use_case, author=organiser, values=values, expected_version=1)
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}/compare?a=2&b=1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Revision 1 and revision 2" in html
    added, removed = (
        '<ins><span class="visually-hidden">added: </span>',
        '<del><span class="visually-hidden">removed: </span>',
    )
    assert f"Drones over {added}&lt;</ins>ports{added}&gt;</ins>" in html  # escaped, and only what changed
    assert f"{removed}Ports</del>." in html
    assert f"{added}Harbours at night</ins>." in html
    assert f"{added}A new line</ins>" in html
    assert 'style="' not in html
    assert organiser_client.get(f"/manage/use-cases/{use_case.id}/compare?a=1&b=9").status_code == 404


# --- Optimistic locking -------------------------------------------------------------------------


def test_a_stale_save_gets_the_conflict_view_and_keeps_the_text_until_saved_again(app, db, organiser, facilitator):
    use_case = _use_case(app, db, organiser)
    url = f"/manage/use-cases/{use_case.id}/edit"
    first, second = _client(app, organiser), _client(app, facilitator)
    first_page, second_page = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    assert VERSION.search(first_page).group(1) == VERSION.search(second_page).group(1) == "1"
    saved = post_form(first, url, _form(use_case, body="First body: cranes"))
    assert saved.status_code == 302
    stale = post_form(second, url, _form(use_case, title="Second title", body="Second body: fences"))
    page = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "Someone else saved this use case while you were editing it" in page
    assert "Saved meanwhile" in page and "First body: cranes" in page  # theirs
    assert "Second body: fences" in page and 'value="Second title"' in page  # mine, kept in the form
    assert 'Title <span class="tag">differs from yours</span>' in page
    assert 'Domain <span class="tag">differs' not in page
    assert VERSION.search(page).group(1) == "2"
    assert _fresh(db, UseCase, use_case.id).body == "First body: cranes"
    assert len(_revisions(db, use_case)) == 2
    again = post_form(second, url, _form(use_case, title="Second title", body="Merged: cranes and fences", version="2"))
    assert again.status_code == 302
    stored = _fresh(db, UseCase, use_case.id)
    assert (stored.title, stored.body, stored.version) == ("Second title", "Merged: cranes and fences", 3)


def test_the_service_refuses_an_old_version(app, db, organiser):
    use_case = _use_case(app, db, organiser)
    values = services.UseCaseInput(title="Changed")
    with app.app_context():
        services.update_use_case(session=db, use_case=use_case, author=organiser, values=values, expected_version=1)
        with pytest.raises(services.StaleUseCase) as stale:
            services.update_use_case(
                session=db,
                use_case=use_case,
                author=organiser,
                values=services.UseCaseInput(title="Lost"),
                expected_version=1,
            )
    assert stale.value.current.title == "Changed" and stale.value.current.version == 2
    assert _fresh(db, UseCase, use_case.id).title == "Changed"


# --- The editor ---------------------------------------------------------------------------------


def test_the_form_checks_test_bed_domain_and_trl_range_next_to_the_fields(
    app, db, organiser, organiser_client, domain, port
):
    other = factories.make_test_bed(db, name="Flood barrier")
    use_case = _use_case(app, db, organiser)
    url = f"/manage/use-cases/{use_case.id}/edit"
    response = post_form(
        organiser_client,
        url,
        _form(use_case, domain_id=str(domain.id), test_bed_id=str(other.id), trl_min="7", trl_max="3"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="test_bed_id-error"' in page and "belongs to another domain" in page
    assert 'id="trl_max-error"' in page and "cannot be below the lowest" in page
    assert _fresh(db, UseCase, use_case.id).version == 1
    ok = post_form(organiser_client, url, _form(use_case, domain_id=str(domain.id), test_bed_id=str(port.id)))
    assert ok.status_code == 302
    assert _fresh(db, UseCase, use_case.id).test_bed_id == port.id


def test_owners_agreement_starts_unticked(organiser_client):
    page = organiser_client.get("/manage/use-cases/new").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="owners_may_be_named"[^>]*>', page).group(0)
    assert "checked" not in box
    assert "The owners agreed to be named in the published call" in page


def test_the_preview_renders_through_the_markdown_helper_and_sanitises(organiser_client):
    token = csrf_token(organiser_client, "/manage/use-cases/new")
    body = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    response = organiser_client.post("/manage/use-cases/preview", data={"body": body}, headers={"X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert html == str(render_markdown(body))
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert organiser_client.post("/manage/use-cases/preview", data={"body": body}).status_code == 400


def test_the_preview_button_renders_without_saving(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser)
    url = f"/manage/use-cases/{use_case.id}/edit"
    response = post_form(
        organiser_client, url, {**_form(use_case, body="**Bold** <script>x</script>"), "preview": "Preview"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in page and "<script>x" not in page
    assert _fresh(db, UseCase, use_case.id).version == 1


def test_the_page_renders_the_body_sanitised_and_plain_fields_escaped(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser)
    use_case.body = "## The challenge\n\n*Now* <script>alert(1)</script>"
    use_case.summary = '"><script>alert(2)</script>'
    use_case.owners = "Port of Lisbon\nCity of Nice"
    db.add(use_case)
    db.commit()
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "<h2>The challenge</h2>" in page and "<em>Now</em>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(2)" in page
    assert "<li>Port of Lisbon</li>" in page and "not agreed yet" in page


def test_the_list_filters_by_state_and_domain(app, db, organiser, facilitator_client, domain):
    _use_case(app, db, organiser, title="Draft one")
    _use_case(app, db, organiser, title="Accepted one", state="accepted", domain_id=domain.id)
    everything = facilitator_client.get("/manage/use-cases").get_data(as_text=True)
    assert "Draft one" in everything and "Accepted one" in everything and "New use case" in everything
    accepted = facilitator_client.get("/manage/use-cases?state=accepted").get_data(as_text=True)
    assert "Accepted one" in accepted and "Draft one" not in accepted
    in_domain = facilitator_client.get(f"/manage/use-cases?domain={domain.id}").get_data(as_text=True)
    assert "Accepted one" in in_domain and "Draft one" not in in_domain
    assert 'value="deleted"' not in everything  # the deleted filter is the organisers'


# --- Creating from needs ------------------------------------------------------------------------


def test_the_new_form_is_prefilled_from_the_needs(app, db, organiser_client, three, domain, port):
    tricky = _need(
        db,
        three[0].breakout,
        "Gates *now* [x](javascript:alert(1)) <b>bold</b> & _more_",
        organisation="Port Authority",
    )
    ids = [*three, tricky]
    page = organiser_client.get("/manage/use-cases/new?" + "&".join(f"need={n.id}" for n in ids)).get_data(as_text=True)
    assert 'value="Intruders along the fence"' in page  # the most voted
    assert "We need drones over the terminals. We need intruders along the fence." in page
    assert f'<option selected value="{domain.id}">' in page and f'<option selected value="{port.id}">' in page
    owners = re.search(r'<textarea[^>]*name="owners"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1)
    assert owners.strip().splitlines() == ["Port of Marseille", "Port Authority"]  # no anonymous organisation
    assert "Hidden Org" not in page
    with app.app_context():
        needs = services.explorable_needs(db, factories.make_user(db, role="organiser"), [n.id for n in ids])
        draft = services.prefill(db, needs)
    assert draft.body.startswith("## Context\n\n_Who faces the problem")
    # Markdown source as the organiser edits it: markup escaped with backslashes, "<" left as typed
    # (an entity would show literally in the editor); the renderer sanitises the HTML.
    escaped = r"- Gates \*now\* \[x\](javascript:alert(1)) <b>bold</b> & \_more\_"
    assert f"{escaped} (Marseille 2021, Ports and terminals)" in draft.body
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1)
    assert f"{escaped} (Marseille 2021" in html.unescape(body)  # the editor shows "<b>", not "&lt;b>"
    rendered = str(render_markdown(draft.body))
    bullet = re.search(r"<li>Gates.*?</li>", rendered).group(0)
    literal = "Gates *now* [x](javascript:alert(1)) bold &amp; _more_"
    assert bullet == f"<li>{literal} (Marseille 2021, Ports and terminals)</li>"
    assert "<a " not in rendered and "<b>" not in rendered


def test_creating_from_needs_links_them_with_revision_one(app, db, organiser, organiser_client, three):
    url = "/manage/use-cases/new?" + "&".join(f"need={n.id}" for n in three)
    page = organiser_client.get(url).get_data(as_text=True)
    needs_field = re.search(r'name="needs" type="hidden" value="([^"]*)"', page).group(1)
    assert needs_field == ",".join(str(n.id) for n in three)
    response = post_form(
        organiser_client,
        "/manage/use-cases/new",
        {"title": "Port perimeter", "trl_min": "4", "trl_max": "7", "body": "Text", "needs": needs_field},
        form_url=url,
    )
    use_case = db.exec(select(UseCase).where(UseCase.title == "Port perimeter")).one()
    assert response.headers["Location"] == f"/manage/use-cases/{use_case.id}"
    linked = set(db.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == use_case.id)))
    assert linked == {n.id for n in three}
    assert [(r.number, r.change) for r in _revisions(db, use_case)] == [(1, "Created from 3 needs")]


def test_needs_the_viewer_may_not_explore_are_404(
    app, db, organiser, facilitator, facilitates, facilitator_client, breakout, elsewhere
):
    mine = _need(db, breakout, "Mine")
    theirs = _need(db, elsewhere, "Theirs", domain_id=None, test_bed_id=None)
    assert facilitator_client.get(f"/manage/use-cases/new?need={mine.id}").status_code == 200
    assert facilitator_client.get(f"/manage/use-cases/new?need={mine.id}&need={theirs.id}").status_code == 404
    assert facilitator_client.get("/manage/use-cases/new?need=999999").status_code == 404
    forged = post_form(
        facilitator_client,
        "/manage/use-cases/new",
        {"title": "Forged", "trl_min": "4", "trl_max": "7", "needs": f"{mine.id},{theirs.id}"},
        form_url="/me",
    )
    assert forged.status_code == 404
    use_case = _use_case(app, db, organiser)
    added = post_form(
        facilitator_client,
        "/manage/use-cases/add-needs",
        {"use_case_id": str(use_case.id), "need": [str(theirs.id)]},
        form_url="/me",
    )
    assert added.status_code == 404
    assert db.exec(select(UseCaseNeed)).all() == []
    with app.app_context(), pytest.raises(services.UseCaseError):
        services.create_use_case(
            session=db,
            author=facilitator,
            values=services.UseCaseInput(title="x"),
            need_ids=[theirs.id],
        )


# --- Comments -----------------------------------------------------------------------------------


def test_comments_are_plain_text_and_a_refused_one_keeps_its_text(app, db, organiser, facilitator_client):
    use_case = _use_case(app, db, organiser)
    url = f"/manage/use-cases/{use_case.id}"
    done = post_form(facilitator_client, f"{url}/comments", {"body": "Looks <b>good</b>\nsecond line"}, form_url=url)
    assert done.status_code == 302 and done.headers["Location"] == f"{url}#comments"
    page = facilitator_client.get(url).get_data(as_text=True)
    assert "Looks &lt;b&gt;good&lt;/b&gt;" in page and "Fay Facilitator" in page
    too_long = post_form(facilitator_client, f"{url}/comments", {"body": "x" * 4001}, form_url=url)
    assert too_long.status_code == 422 and "Use at most 4000 characters" in too_long.get_data(as_text=True)
    assert "x" * 4001 in too_long.get_data(as_text=True)
    empty = post_form(facilitator_client, f"{url}/comments", {"body": "  "}, form_url=url)
    assert empty.status_code == 422 and "Write the comment" in empty.get_data(as_text=True)
    assert len(db.exec(select(UseCaseComment)).all()) == 1


def test_revision_and_comment_times_are_shown_in_the_programmes_zone(app, db, organiser, organiser_client):
    use_case = _use_case(app, db, organiser)
    revision = _revisions(db, use_case)[0]
    revision.created_at = datetime(2027, 1, 15, 8, 5, tzinfo=UTC)  # 09:05 in Brussels in winter
    db.add(revision)
    db.commit()
    url = f"/manage/use-cases/{use_case.id}"
    assert "15 Jan 2027, 08:05 UTC" in organiser_client.get(url).get_data(as_text=True)
    app.config["TIMEZONE"] = "Europe/Brussels"
    assert "15 Jan 2027, 09:05 CET" in organiser_client.get(url).get_data(as_text=True)
    revisions = organiser_client.get(f"{url}/revisions").get_data(as_text=True)
    assert "Times are Europe/Brussels." in revisions and "15 Jan 2027, 09:05" in revisions


# --- Soft delete --------------------------------------------------------------------------------


def test_a_deleted_use_case_feeds_no_need_until_restored(app, db, organiser, organiser_client, three, caplog):
    use_case = _use_case(app, db, organiser, three)
    ids = [n.id for n in three]
    assert set(traceability.use_cases_fed(db, ids)) == set(ids)
    url = f"/manage/use-cases/{use_case.id}"
    with caplog.at_level(logging.INFO, logger="workshops.audit"):
        deleted = post_form(organiser_client, f"{url}/delete", form_url=url, follow_redirects=True)
    assert "Undo: restore the use case" in deleted.get_data(as_text=True)
    db.rollback()
    assert traceability.use_cases_fed(db, ids) == {}
    assert "Drones over ports" not in organiser_client.get("/manage/use-cases").get_data(as_text=True)
    deleted_list = organiser_client.get("/manage/use-cases?state=deleted").get_data(as_text=True)
    assert "Drones over ports" in deleted_list and "Undo" in deleted_list
    assert len(db.exec(select(UseCaseNeed).where(UseCaseNeed.use_case_id == use_case.id)).all()) == 3  # links stay
    with caplog.at_level(logging.INFO, logger="workshops.audit"):
        post_form(organiser_client, f"{url}/restore", form_url="/me")
    db.rollback()
    assert set(traceability.use_cases_fed(db, ids)) == set(ids)
    assert "Drones over ports" in organiser_client.get("/manage/use-cases").get_data(as_text=True)
    assert [r.change for r in _revisions(db, use_case)][-2:] == ["Deleted", "Restored"]
    actions = db.exec(select(AuditEntry.action).where(AuditEntry.target_id == use_case.id)).all()
    assert {"use_case_deleted", "use_case_restored"} <= set(actions)


# --- The body template --------------------------------------------------------------------------


def test_the_default_template_has_every_section_with_a_hint():
    lines = DEFAULT_TEMPLATE.splitlines()
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Context",
        "## The challenge",
        "## Expected solution and outcomes",
        "## Success criteria and KPIs",
        "## Test bed and data available",
        "## Constraints (legal, ethical, privacy)",
    ]
    for heading in headings:
        hint = lines[lines.index(heading) + 2]
        assert hint.startswith("_") and hint.endswith("_"), heading


def test_organisers_edit_the_template_and_new_use_cases_start_from_it(organiser_client, facilitator_client, db, three):
    page = organiser_client.get("/manage/use-case-template").get_data(as_text=True)
    assert "## Expected solution and outcomes" in page and "<h2>Context</h2>" in page
    preview = post_form(
        organiser_client, "/manage/use-case-template", {"body": "## Context\n\n**x**", "preview": "Preview"}
    )
    assert "<strong>x</strong>" in preview.get_data(as_text=True)
    assert db.exec(select(UseCaseTemplate)).all() == []
    saved = post_form(organiser_client, "/manage/use-case-template", {"body": "## Context\n\n## Our own section\n"})
    assert saved.status_code == 302
    db.rollback()
    assert db.exec(select(UseCaseTemplate)).one().body == "## Context\n\n## Our own section\n"
    fresh = facilitator_client.get("/manage/use-cases/new").get_data(as_text=True)
    assert "## Our own section" in fresh
    assert facilitator_client.get("/manage/use-case-template").status_code == 403
    refused = post_form(facilitator_client, "/manage/use-case-template", {"body": "x"}, form_url="/me")
    assert refused.status_code == 403


# --- Queries ------------------------------------------------------------------------------------


def test_the_use_case_page_makes_as_many_queries_for_50_needs_as_for_5(
    app, db, organiser, organiser_client, breakout, count_queries
):
    counts = []
    for size in (5, 50):
        needs = [_need(db, breakout, f"Need {size}-{i}", votes=1 if i % 2 else 0) for i in range(size)]
        use_case = _use_case(app, db, organiser, needs)
        db.add(UseCaseComment(use_case_id=use_case.id, author_id=organiser.id, body="A comment"))
        db.commit()
        organiser_client.get(f"/manage/use-cases/{use_case.id}")  # warm up the session's own loading
        with count_queries() as statements:
            assert organiser_client.get(f"/manage/use-cases/{use_case.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
