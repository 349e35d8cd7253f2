"""The organisers' call pages (write, compose, preview, publish, download) and the public call pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from tests import factories
from tests.calls.publishing import publish
from tests.conftest import csrf_token, log_in, post_form
from workshops.audit.models import AuditEntry
from workshops.calls import exports, report
from workshops.calls.composition import grouped
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import Challenge, OpenCall
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCase, UseCaseNeed

NEW = "/manage/calls/new"


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture
def ctx(app):
    """The call is built in an application context that the ``call`` fixture then closes."""
    with app.app_context() as context:
        yield context


@pytest.fixture
def call(ctx, call_text):
    """The draft "Open Call 2": 1.1 "Drones over *ports*" (Security & <ports>), 2.1 "Flood sensors" (Resilience).

    Each request of the test gets an application context of its own, as in production: none may be
    left open around them (it would share ``g``, and with it the logged-in person, between requests).
    """
    ctx.pop()
    yield call_text.call
    ctx.push()  # so that the set-up closes the context it opened


def _use_case(db, title: str, domain_id: int | None, state: str = "accepted", **values) -> UseCase:
    use_case = UseCase(title=title, domain_id=domain_id, state=state, **values)
    db.add(use_case)
    db.commit()
    return use_case


def _call_form(**overrides) -> dict:
    """A valid call form, as a browser sends it."""
    values = {
        "name": "Open Call 3",
        "slug": "open-call-3",
        "timezone": "Europe/Brussels",
        "opens_at": "2028-01-10T09:00",
        "closes_at": "2028-04-10T17:00",
        "introduction": "Welcome.\r\n\r\n## Why\r\n\r\nBecause.",
        "eligibility": "SMEs.",
        "funding": "Up to €60,000 per project.",
        "evaluation": "",
        "how_to_apply": "Apply online.",
    }
    values.update(overrides)
    return values


def _numbered(db, call: OpenCall) -> list[tuple[str, str]]:
    """The call's challenges as (number, title) in order, as stored now."""
    db.rollback()  # end the session's read transaction: its snapshot predates the request
    return [(c.number, c.title) for group in grouped(db, call) for c in group.challenges]


def _audited(db, call: OpenCall) -> list[tuple[str, str]]:
    """The audit entries about a call, oldest first: (action, detail)."""
    db.rollback()
    entries = db.exec(
        select(AuditEntry)
        .where(AuditEntry.target_type == "call", AuditEntry.target_id == call.id)
        .order_by(AuditEntry.id)
    )
    return [(entry.action, entry.detail) for entry in entries]


def _page(response) -> str:
    return response.get_data(as_text=True)


def _fresh(db, call: OpenCall) -> OpenCall:
    db.rollback()
    return db.get(OpenCall, call.id, populate_existing=True)


def _manage_routes(call: OpenCall, challenge_id: int, domain_id: int) -> list[tuple[str, str]]:
    base = f"/manage/calls/{call.id}"
    return [
        ("GET", "/manage/calls"),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", base),
        ("GET", f"{base}/edit"),
        ("POST", f"{base}/edit"),
        ("POST", f"{base}/challenges"),
        ("POST", f"{base}/challenges/{challenge_id}/move"),
        ("POST", f"{base}/challenges/{challenge_id}/remove"),
        ("POST", f"{base}/domains/{domain_id}/move"),
        ("POST", f"{base}/publish"),
        ("POST", f"{base}/close"),
        ("GET", f"{base}/preview"),
        *(("GET", f"{base}/export.{fmt}") for fmt in CALL_FORMATS),
        *(("GET", f"{base}/report.{fmt}") for fmt in REPORT_FORMATS),
    ]


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "participant", "facilitator"])
def test_only_organisers_reach_the_call_pages(request, app, db, call, role):
    client = app.test_client() if role == "anonymous" else request.getfixturevalue(f"{role}_client")
    challenge = db.exec(select(Challenge).where(Challenge.call_id == call.id)).first()
    token = csrf_token(client, "/login" if role == "anonymous" else "/me")
    for method, url in _manage_routes(call, challenge.id, challenge.domain_id):
        response = client.open(url, method=method, data={"csrf_token": token, "direction": "up"})
        if role == "anonymous":
            assert response.status_code == 302, f"{method} {url}"
            assert response.headers["Location"].startswith("/login?next="), f"{method} {url}"
        else:
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
    assert _fresh(db, call).state == "draft"


def test_unknown_calls_challenges_and_formats_are_404(organiser_client, db, call):
    other = OpenCall(
        name="Other",
        slug="other",
        opens_at=datetime(2027, 1, 1, tzinfo=UTC),
        closes_at=datetime(2027, 2, 1, tzinfo=UTC),
    )
    db.add(other)
    db.commit()
    stranger = db.exec(select(Challenge).where(Challenge.call_id == call.id)).first()
    for url in ["/manage/calls/999999", "/manage/calls/999999/edit", "/manage/calls/999999/preview"]:
        assert organiser_client.get(url).status_code == 404, url
    for url in [f"/manage/calls/{call.id}/export.pdf", f"/manage/calls/{call.id}/report.csv"]:
        assert organiser_client.get(url).status_code == 404, url
    token = csrf_token(organiser_client, "/me")
    moved = organiser_client.post(
        f"/manage/calls/{other.id}/challenges/{stranger.id}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert moved.status_code == 404  # a challenge of another call
    assert organiser_client.post(f"/manage/calls/{call.id}/publish", data={}).status_code == 400  # no CSRF token
    assert _fresh(db, call).state == "draft"


# --- Writing the call ---------------------------------------------------------------------------


def test_an_organiser_creates_a_call_with_its_times_in_its_zone(organiser_client, db):
    page = _page(organiser_client.get(NEW))
    assert 'name="opens_at"' in page and "Markdown works" in page
    response = post_form(organiser_client, NEW, _call_form(name=" Open Call\r\n3 "))
    call = db.exec(select(OpenCall).where(OpenCall.slug == "open-call-3")).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/calls/{call.id}"
    assert call.state == "draft" and call.name == "Open Call 3"  # one line: it becomes e-mail subjects
    assert call.opens_at == datetime(2028, 1, 10, 8, tzinfo=UTC)  # 09:00 in Brussels in winter
    assert call.closes_at == datetime(2028, 4, 10, 15, tzinfo=UTC)  # 17:00 in summer time
    assert call.introduction == "Welcome.\n\n## Why\n\nBecause."  # the browser's CR LF made plain
    assert call.funding == "Up to €60,000 per project."
    assert _audited(db, call) == [("call_created", "slug=open-call-3")]
    edit = _page(organiser_client.get(f"/manage/calls/{call.id}/edit"))
    assert 'value="2028-01-10T09:00"' in edit and 'value="2028-04-10T17:00"' in edit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Open Call 3!"}, "slug", "Use lowercase letters, digits and single hyphens only"),
        ({"slug": "open-call-2"}, "slug", "Another call has this short name"),
        ({"closes_at": "2028-01-09T09:00"}, "closes_at", "The call must close after it opens."),
        ({"closes_at": "2028-01-10T09:00"}, "closes_at", "The call must close after it opens."),
        ({"opens_at": "2028-03-26T02:30"}, "opens_at", "This time does not exist in Europe/Brussels"),
        ({"name": ""}, "name", "Enter the call&#39;s name."),
        ({"opens_at": ""}, "opens_at", "Enter when the call opens."),
    ],
)
def test_a_call_form_with_a_mistake_shows_it_next_to_the_field_and_stores_nothing(
    organiser_client, db, call, changes, field, message
):
    before = db.exec(select(func.count()).select_from(OpenCall)).one()
    response = post_form(organiser_client, NEW, _call_form(**changes))
    page = _page(response)
    assert response.status_code == 200
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page
    assert re.search(rf'aria-describedby="{field}-hint {field}-error[" ]', page)  # a length note may follow
    assert db.exec(select(func.count()).select_from(OpenCall)).one() == before


def test_a_draft_is_edited_and_may_keep_its_slug(organiser_client, db, call):
    url = f"/manage/calls/{call.id}/edit"
    response = post_form(organiser_client, url, _call_form(name="Open Call 2 (final)", slug="open-call-2"))
    assert response.status_code == 302 and response.headers["Location"] == f"/manage/calls/{call.id}"
    stored = _fresh(db, call)
    assert stored.name == "Open Call 2 (final)" and stored.slug == "open-call-2"


def test_a_published_call_can_no_longer_be_edited(organiser_client, db, call):
    publish(organiser_client, call)
    url = f"/manage/calls/{call.id}/edit"
    shown = organiser_client.get(url, follow_redirects=True)
    assert "This call is published: its name, dates and text no longer change." in _page(shown)
    response = post_form(organiser_client, url, _call_form(name="Sneaky"), form_url="/me")
    assert response.status_code == 302
    assert _fresh(db, call).name == "Open Call 2"
    page = _page(organiser_client.get(f"/manage/calls/{call.id}"))
    assert "Edit details and text" not in page and "Move up" not in page and "Add to the call" not in page
    assert "Close the call" in page and f'href="/calls/{call.slug}/"' in page


# --- Composing ----------------------------------------------------------------------------------


def test_an_organiser_composes_the_call(organiser_client, db, call, call_text):
    security, resilience = (group.domain for group in call_text.groups)
    radar = _use_case(db, "Perimeter radar", security.id)
    _use_case(db, "Rejected idea", security.id, state="rejected")
    _use_case(db, "Still in review", security.id, state="in_review")
    _use_case(db, "Deleted one", security.id, deleted_at=datetime(2026, 1, 1, tzinfo=UTC))
    _use_case(db, "Nowhere", None)
    url = f"/manage/calls/{call.id}"

    page = _page(organiser_client.get(url))
    assert "Challenge <span data-number>1.1</span>: " in page and "Drones over *ports*" in page
    assert "<span data-number>1</span>. Security &amp; &lt;ports&gt;" in page
    assert "<span data-number>2</span>. Resilience" in page
    adding = page[page.index('id="add-heading"') :]
    assert "Perimeter radar" in adding
    assert not any(title in adding.split("without a domain")[0] for title in ("Rejected", "in review", "Deleted one"))
    assert "Nowhere" in adding.split("without a domain")[1]
    assert 'Move domain down<span class="visually-hidden"> “Security &amp; &lt;ports&gt;”</span>' in page
    for fmt, format_ in CALL_FORMATS.items():
        assert f'href="/manage/calls/{call.id}/export.{fmt}"' in page and format_.label in page
    for fmt in REPORT_FORMATS:
        assert f'href="/manage/calls/{call.id}/report.{fmt}"' in page

    added = post_form(organiser_client, f"{url}/challenges", {"use_case_id": [str(radar.id)]}, form_url=url)
    assert added.headers["Location"] == f"{url}#challenges"
    assert _numbered(db, call) == [("1.1", "Drones over *ports*"), ("1.2", "Perimeter radar"), ("2.1", "Flood sensors")]
    page = _page(organiser_client.get(url))
    assert "Challenge <span data-number>1.2</span>: " in page
    assert 'Move up<span class="visually-hidden"> “Perimeter radar”</span>' in page
    assert "Perimeter radar" not in page[page.index('id="add-heading"') :]

    radar_challenge = db.exec(select(Challenge).where(Challenge.use_case_id == radar.id)).one()
    radar_id = radar_challenge.id
    moved = post_form(
        organiser_client, f"{url}/challenges/{radar_challenge.id}/move", {"direction": "up"}, form_url=url
    )
    assert moved.headers["Location"] == f"{url}#challenge-{radar_challenge.id}"
    assert _numbered(db, call) == [("1.1", "Perimeter radar"), ("1.2", "Drones over *ports*"), ("2.1", "Flood sensors")]
    assert "Moved “Perimeter radar” up." in _page(organiser_client.get(url))

    domain_moved = post_form(organiser_client, f"{url}/domains/{resilience.id}/move", {"direction": "up"}, form_url=url)
    assert domain_moved.headers["Location"] == f"{url}#domain-{resilience.id}"
    assert _numbered(db, call) == [("1.1", "Flood sensors"), ("2.1", "Perimeter radar"), ("2.2", "Drones over *ports*")]

    removed = post_form(organiser_client, f"{url}/challenges/{radar_challenge.id}/remove", form_url=url)
    assert removed.headers["Location"] == f"{url}#challenges"
    assert _numbered(db, call) == [("1.1", "Flood sensors"), ("2.1", "Drones over *ports*")]
    assert db.get(UseCase, radar.id) is not None
    assert _audited(db, call) == [
        ("call_challenges_added", f"use cases {radar.id}"),
        ("call_challenge_moved", f"challenge {radar_id} up"),
        ("call_domain_moved", f"domain {resilience.id} up"),
        ("call_challenge_removed", f"challenge {radar_id}"),
    ]


def test_refusals_are_told_and_change_nothing(organiser_client, db, call, call_text):
    url = f"/manage/calls/{call.id}"
    security = call_text.groups[0].domain
    review = _use_case(db, "Still in review", security.id, state="in_review")
    nothing = post_form(organiser_client, f"{url}/challenges", {}, form_url=url)
    assert nothing.headers["Location"] == f"{url}#add"
    assert "Choose at least one use case to add." in _page(organiser_client.get(url))
    post_form(organiser_client, f"{url}/challenges", {"use_case_id": [str(review.id)]}, form_url=url)
    assert "“Still in review” is not accepted" in _page(organiser_client.get(url))
    assert len(_numbered(db, call)) == 2
    challenge = db.exec(select(Challenge).where(Challenge.call_id == call.id)).first()
    bad = post_form(organiser_client, f"{url}/challenges/{challenge.id}/move", {"direction": "sideways"}, form_url=url)
    assert bad.status_code == 400


def test_a_challenge_whose_use_case_left_review_is_flagged(organiser_client, db, call, call_text):
    floods = db.get(UseCase, call_text.groups[1].challenges[0].challenge.use_case_id)
    floods.state = "in_review"
    db.add(floods)
    db.commit()
    page = _page(organiser_client.get(f"/manage/calls/{call.id}"))
    assert "this use case is in review now, no longer accepted" in page
    refused = publish(organiser_client, call, follow_redirects=True)  # the page offers no confirmation
    assert "Challenge 2.1 “Flood sensors” is no longer accepted" in _page(refused)
    assert _fresh(db, call).state == "draft"


# --- Reading: preview and public pages ----------------------------------------------------------


def test_the_preview_shows_the_whole_call_text_as_one_page(organiser_client, call):
    page = _page(organiser_client.get(f"/manage/calls/{call.id}/preview"))
    assert "Preview:</strong> this is how the call reads; it is not published." in page
    assert "<h1>Open Call 2</h1>" in page
    assert "Welcome to <strong>the call</strong>." in page
    assert "<h3>Big heading</h3>" in page  # a section's "#" sits below the section's own heading
    assert '<h3 id="domain-1-heading">1. Security &amp; &lt;ports&gt;</h3>' in page
    assert "Challenge 1.1: Drones over *ports*</h4>" in page
    assert "<h5>Context</h5>" in page  # the use case's "## Context" under its level-4 heading
    assert "<dt>Technology readiness</dt><dd>TRL 5 to 7</dd>" in page
    assert "<dt>Challenge owners</dt><dd>Port of Lisbon; Port of Antwerp</dd>" in page
    assert "<dt>Evidence</dt><dd>2 needs from 2 organisations in 2 countries, 1 workshop</dd>" in page
    assert "<script>alert" not in page
    assert "Secret Police" not in page  # "Flood sensors" owners did not agree to be named


def test_a_draft_is_not_public_to_anyone(app, organiser_client, call):
    anonymous = app.test_client()
    assert anonymous.get("/calls/open-call-2/").status_code == 404
    assert organiser_client.get("/calls/open-call-2/").status_code == 404
    assert anonymous.get("/calls/open-call-2/export.md").status_code == 404
    assert "Open Call 2" not in _page(anonymous.get("/calls/"))


def test_published_and_closed_calls_are_public_and_frozen(app, organiser_client, db, call, call_text):
    url = f"/manage/calls/{call.id}"
    published = publish(organiser_client, call)
    assert published.headers["Location"] == url
    assert _fresh(db, call).state == "published"
    drones = db.get(UseCase, call_text.groups[0].challenges[0].challenge.use_case_id)
    drones.title = "A later title"
    db.add(drones)
    db.commit()

    anonymous = app.test_client()
    assert anonymous.get("/calls/open-call-2").status_code == 308  # the address without the slash leads there
    page = _page(anonymous.get("/calls/open-call-2/"))
    assert "Challenge 1.1: Drones over *ports*" in page and "A later title" not in page
    assert ("Not open yet" if utcnow() < call.opens_at else "Open for applications") in page
    assert "Preview:" not in page and "Manage this call" not in page
    for fmt in CALL_FORMATS:
        assert f'href="/calls/open-call-2/export.{fmt}"' in page
    assert "report." not in page
    listing = _page(anonymous.get("/calls/"))
    assert 'href="/calls/open-call-2/"' in listing and "2 challenges" in listing

    post_form(organiser_client, f"{url}/close", form_url=url)
    assert _fresh(db, call).state == "closed"
    closed = anonymous.get("/calls/open-call-2/")
    assert closed.status_code == 200 and '<p class="call-status call-status-closed">Closed</p>' in _page(closed)
    assert "Drones over *ports*" in _page(closed)
    assert [action for action, _detail in _audited(db, call)] == ["call_published", "call_closed"]


def test_the_public_call_page_kept_for_visitors_shows_the_evidence_as_it_is_now(app, organiser_client, db, call):
    publish(organiser_client, call)
    anonymous = app.test_client()
    first = anonymous.get("/calls/open-call-2/")
    assert "2 needs from 2 organisations in 2 countries" in _page(first)
    assert anonymous.get("/calls/open-call-2/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    db.rollback()  # a fresh read, after the publication
    link = db.exec(select(UseCaseNeed).order_by(UseCaseNeed.need_id)).first()  # the Port of Lisbon's need
    db.delete(link)
    db.commit()
    again = anonymous.get("/calls/open-call-2/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "1 need from 1 organisation in 1 country" in _page(again)


# --- Downloads ----------------------------------------------------------------------------------


def _expected(app, db, call: OpenCall):
    with app.app_context():
        return exports.read(db, _fresh(db, call))


def test_each_download_is_the_export_with_its_type_and_name(app, organiser_client, db, call):
    source = _expected(app, db, call)
    for fmt, format_ in CALL_FORMATS.items():
        response = organiser_client.get(f"/manage/calls/{call.id}/export.{fmt}")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Type"] == format_.mimetype
        assert response.headers["Content-Disposition"] == f'attachment; filename="open-call-2.{format_.extension}"'
        assert response.data == format_.data(source), fmt
    with app.app_context():
        consultation = report.build(db, source)
    assert _audited(db, call) == []  # the call text is public data; the report's downloads are recorded
    for fmt, format_ in REPORT_FORMATS.items():
        response = organiser_client.get(f"/manage/calls/{call.id}/report.{fmt}")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Type"] == format_.mimetype
        filename = f"open-call-2-consultation-report.{format_.extension}"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.data == format_.data(consultation), fmt
    assert _audited(db, call) == [("export", f"consultation report {fmt}") for fmt in REPORT_FORMATS]


def test_the_public_downloads_match_the_organisers_and_the_report_stays_theirs(
    app, db, call, organiser, facilitator_client
):
    organiser_client = app.test_client()
    log_in(organiser_client, organiser)
    publish(organiser_client, call)
    source = _expected(app, db, call)
    anonymous = app.test_client()
    for fmt, format_ in CALL_FORMATS.items():
        response = anonymous.get(f"/calls/open-call-2/export.{fmt}")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Type"] == format_.mimetype
        assert response.headers["Content-Disposition"] == f'attachment; filename="open-call-2.{format_.extension}"'
        organisers = organiser_client.get(f"/manage/calls/{call.id}/export.{fmt}")
        assert response.data == format_.data(source) == organisers.data
    assert anonymous.get("/calls/open-call-2/export.docx-or-not").status_code == 404
    for fmt in REPORT_FORMATS:
        assert facilitator_client.get(f"/manage/calls/{call.id}/report.{fmt}").status_code == 403
        assert anonymous.get(f"/manage/calls/{call.id}/report.{fmt}").status_code == 302


def test_the_list_shows_state_dates_and_challenges(organiser_client, db, call):
    factories.make_domain(db)  # unrelated data changes nothing
    page = _page(organiser_client.get("/manage/calls"))
    assert f'href="/manage/calls/{call.id}"' in page
    assert "Draft" in page and "10 Jan 2027, 09:00" in page and "10 Apr 2027, 17:00" in page
    assert re.search(r'data-label="Challenges" class="setup-number">2<', page)
    assert 'href="/manage/calls/new"' in page
