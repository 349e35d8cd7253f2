"""Publishing asks first: it says what it will freeze, whom it will e-mail and where the call goes public.

And it refuses what would freeze a mistake: a challenge whose text still holds the use-case
template's guidance, or a section left empty, holds the publication up with a message naming the
challenge and the section. A POST without the page's confirmation, or with a confirmation that the
call has outgrown (an edit, another person to tell), publishes nothing.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.calls.publishing import confirmation_of, publish
from tests.conftest import csrf_token, post_form
from workshops.audit.models import AuditEntry
from workshops.calls import notifications, publication
from workshops.calls.models import OpenCall
from workshops.events import consents
from workshops.needs.models import Need
from workshops.privacy.models import ConsentKind
from workshops.usecases.models import UseCase, UseCaseNeed

TEST_BED_GUIDANCE = "Where the solution can be tried, with which equipment, people and data."
TEST_BED_QUOTED = TEST_BED_GUIDANCE.removesuffix(".")  # as a finding quotes it


@pytest.fixture
def ctx(app):
    """The call is built in an application context that the ``call`` fixture then closes."""
    with app.app_context() as context:
        yield context


@pytest.fixture
def call(ctx, call_text):
    """The draft "Open Call 2": 1.1 "Drones over *ports*" fed by three people's needs, 2.1 "Flood sensors"."""
    ctx.pop()
    yield call_text.call
    ctx.push()


@pytest.fixture
def drones(db, call_text) -> UseCase:
    return db.get(UseCase, call_text.groups[0].challenges[0].challenge.use_case_id)


@pytest.fixture
def authors(db, drones) -> list:
    """The three people whose needs feed challenge 1.1."""
    needs = db.exec(
        select(Need).join(UseCaseNeed, UseCaseNeed.need_id == Need.id).where(UseCaseNeed.use_case_id == drones.id)
    ).all()
    return [need.stated_by for need in sorted(needs, key=lambda n: n.id)]


def _want_updates(app, db, *people) -> None:
    with app.app_context():
        for person in people:
            consents.give(session=db, user=person, kind=ConsentKind.updates, notice_version=1)


def _url(call) -> str:
    return f"/manage/calls/{call.id}/publish"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _state(db, call) -> str:
    db.rollback()
    return db.get(OpenCall, call.id, populate_existing=True).state


def _published_entries(db, call) -> int:
    db.rollback()
    return len(
        db.exec(select(AuditEntry).where(AuditEntry.action == "call_published", AuditEntry.target_id == call.id)).all()
    )


def _rewrite(db, use_case: UseCase, body: str) -> None:
    db.rollback()
    stored = db.get(UseCase, use_case.id, populate_existing=True)
    stored.body = body
    db.add(stored)
    db.commit()


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- Saying what it will do ---------------------------------------------------------------------


def test_the_confirmation_says_what_publishing_does_counted_as_the_sending_counts(
    app, db, call, authors, organiser_client, outbox
):
    lisbon, antwerp, _police = authors
    _want_updates(app, db, lisbon, antwerp)
    with app.app_context():
        counted = len(notifications.contributors(db, db.get(OpenCall, call.id)))
    assert counted == 2

    page = _one_line(_page(organiser_client.get(_url(call))))
    assert "<h1>Publish “Open Call 2”</h1>" in page
    assert "<strong>2 challenges will be frozen</strong> as they read now" in page
    assert "<li>Challenge 1.1: Drones over *ports*</li>" in page and "<li>Challenge 2.1: Flood sensors</li>" in page
    assert "<strong>2 people will be e-mailed</strong>: those whose needs feed these challenges and who asked" in page
    assert (
        '<a href="/calls/open-call-2/" class="call-publish-address">http://workshops.test/calls/open-call-2/</a>'
        in page
    )
    assert "Publish now: freeze 2 challenges, e-mail 2 people</button>" in page
    # The fixture's texts lack some of the template's sections: pointed out, not holding anything up.
    assert "Worth a look, though it does not hold up publication" in page
    assert "Challenge 2.1 “Flood sensors”: section “The challenge” is missing (the template has it)." in page
    assert _state(db, call) == "draft" and outbox() == [] and _published_entries(db, call) == 0

    published = publish(organiser_client, call)
    assert published.status_code == 302 and published.headers["Location"] == f"/manage/calls/{call.id}"
    assert _state(db, call) == "published" and _published_entries(db, call) == 1
    assert sorted(m["To"] for m in outbox()) == sorted([lisbon.email, antwerp.email])  # the number shown
    assert "2 contributors were told." in _page(organiser_client.get(f"/manage/calls/{call.id}"))


def test_nobody_to_tell_is_said_so(db, call, organiser_client):
    page = _one_line(_page(organiser_client.get(_url(call))))
    assert "<strong>Nobody will be e-mailed</strong>: nobody whose needs feed these challenges asked" in page
    assert "Publish now: freeze 2 challenges</button>" in page


def test_the_call_page_leads_to_the_confirmation_without_a_script(db, call, organiser_client):
    page = _page(organiser_client.get(f"/manage/calls/{call.id}"))
    form = re.search(r'<form class="call-panel" method="get" action="([^"]+)">.*?</form>', page, re.S)
    assert form and form.group(1) == _url(call)
    assert "Publish the call…</button>" in form.group(0) and "csrf_token" not in form.group(0)


# --- Refusing a publication that was not confirmed ----------------------------------------------


def test_a_publish_post_without_the_confirmation_goes_to_it_and_publishes_nothing(
    app, db, call, authors, organiser_client, outbox
):
    _want_updates(app, db, *authors)
    for data in ({}, {"confirmation": ""}, {"confirmation": "yes"}, {"confirmation": "0" * 32 + ".x"}):
        response = post_form(organiser_client, _url(call), data, form_url=f"/manage/calls/{call.id}")
        assert response.status_code == 303, data
        assert response.headers["Location"] == _url(call)
    followed = post_form(organiser_client, _url(call), {}, form_url="/me", follow_redirects=True)
    assert "check what it will do, then confirm" in _page(followed) and 'name="confirmation"' in _page(followed)
    script = post_form(organiser_client, _url(call), {}, form_url="/me", headers={"Accept": "application/json"})
    assert script.status_code == 400 and script.get_json()["error"]
    assert _state(db, call) == "draft" and outbox() == [] and _published_entries(db, call) == 0


def test_a_confirmation_the_call_outgrew_is_asked_again_and_publishes_nothing(
    app, db, call, drones, authors, organiser_client, outbox
):
    csrf, shown = confirmation_of(organiser_client, call.id)
    _rewrite(db, drones, drones.body + "\nA late addition.\n")  # someone edits the use case meanwhile
    stale = organiser_client.post(_url(call), data={"csrf_token": csrf, "confirmation": shown})
    assert stale.status_code == 409
    page = _page(stale)
    assert "The call changed since you were shown what publishing would do: check it again, then confirm." in page
    fresh = re.search(r'name="confirmation"[^>]*value="([^"]+)"', page).group(1)
    assert fresh != shown
    assert _state(db, call) == "draft"

    _want_updates(app, db, authors[0])  # one more person to tell than the page said
    assert organiser_client.post(_url(call), data={"csrf_token": csrf, "confirmation": fresh}).status_code == 409
    assert _state(db, call) == "draft" and outbox() == [] and _published_entries(db, call) == 0

    assert publish(organiser_client, call).status_code == 302
    assert _state(db, call) == "published" and [m["To"] for m in outbox()] == [authors[0].email]


def test_a_published_call_has_nothing_left_to_confirm(db, call, organiser_client):
    publish(organiser_client, call)
    again = organiser_client.get(_url(call), follow_redirects=True)
    assert "“Open Call 2” is published already." in _page(again)
    assert 'name="confirmation"' not in _page(again)
    csrf = csrf_token(organiser_client, "/me")
    assert (
        organiser_client.post(_url(call), data={"csrf_token": csrf}).headers["Location"] == f"/manage/calls/{call.id}"
    )


@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_only_organisers_see_the_confirmation_and_publish(request, app, db, call, role):
    client = request.getfixturevalue(f"{role}_client")
    assert client.get(_url(call)).status_code == 403
    token = csrf_token(client, "/me")
    assert client.post(_url(call), data={"csrf_token": token, "confirmation": "0" * 32 + ".0"}).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(_url(call)).headers["Location"].startswith("/login?next=")
    assert _state(db, call) == "draft"


def test_the_publication_needs_the_sessions_csrf_token(app, db, call, organiser_client):
    _csrf, token = confirmation_of(organiser_client, call.id)
    assert organiser_client.post(_url(call), data={"confirmation": token}).status_code == 400
    foreign = csrf_token(app.test_client())
    assert organiser_client.post(_url(call), data={"csrf_token": foreign, "confirmation": token}).status_code == 400
    assert _state(db, call) == "draft"


# --- Guidance left in a text holds it up ----------------------------------------------------------


def test_guidance_left_in_a_challenge_holds_publication_up_and_says_where(
    app, db, call, drones, authors, organiser_client, outbox
):
    _want_updates(app, db, *authors)
    _rewrite(db, drones, drones.body + f"\n## Test bed and data available\n\n_{TEST_BED_GUIDANCE}_\n")
    where = (
        "Challenge 1.1 “Drones over *ports*”: section “Test bed and data available” still holds the "
        f"template&#39;s guidance “{TEST_BED_QUOTED}”."
    )

    composing = _one_line(_page(organiser_client.get(f"/manage/calls/{call.id}")))
    assert "<strong>Publishing is held up:</strong> 1 thing left from the use-case template" in composing
    assert "<strong>Holds up publication:</strong> the text still owes the use-case template" in composing
    assert f"Section “Test bed and data available” still holds the template&#39;s guidance “{TEST_BED_QUOTED}”" in (
        composing
    )

    page = _one_line(_page(organiser_client.get(_url(call))))
    assert '<h2 id="held-heading">Publishing is held up</h2>' in page
    assert f"<li>{where}</li>" in page
    assert f'<a href="/manage/use-cases/{drones.id}/edit">Challenge 1.1 “Drones over *ports*”</a>' in page
    assert 'name="confirmation"' not in page and "Publish now" not in page

    # A request that says it confirmed the call as it is now is refused all the same.
    with app.app_context():
        token = publication.preview(db, db.get(OpenCall, call.id)).token
    csrf = csrf_token(organiser_client, _url(call))
    refused = organiser_client.post(_url(call), data={"csrf_token": csrf, "confirmation": token})
    assert refused.status_code == 422
    assert (
        "Challenge 1.1 “Drones over *ports*”: section “Test bed and data available” still holds the template&#39;s "
        "guidance" in _page(refused)
    )
    assert _state(db, call) == "draft" and outbox() == [] and _published_entries(db, call) == 0

    # Once the text is finished the confirmation shows what publishing does, and it goes.
    _rewrite(db, drones, drones.body.replace(f"_{TEST_BED_GUIDANCE}_", "The Port of Lisbon's north quay."))
    page = _one_line(_page(organiser_client.get(_url(call))))
    assert "Publishing is held up" not in page and "<strong>3 people will be e-mailed</strong>" in page
    assert publish(organiser_client, call).status_code == 302
    assert _state(db, call) == "published" and len(outbox()) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("## Context\n\nPorts.\n\n## The challenge\n\n<!-- later -->\n", "section “The challenge” is empty"),
        ("", "the text is empty"),
        ("_Who faces the problem, where and when, and how they manage today._\n\n## Context\n\nPorts.\n",
         "the text still holds the template&#39;s guidance “Who faces the problem"),
    ],
)  # fmt: skip
def test_an_empty_section_or_text_holds_publication_up_too(db, call, drones, organiser_client, body, message):
    _rewrite(db, drones, body)
    page = _one_line(_page(organiser_client.get(_url(call))))
    assert f"<li>Challenge 1.1 “Drones over *ports*”: {message}" in page
    assert 'name="confirmation"' not in page
    assert _state(db, call) == "draft"


def test_the_template_in_force_is_the_one_compared(db, call, drones, organiser_client):
    own = "## Context\n\n_Say who._\n\n## Success criteria and KPIs\n\n_Numbers, please._\n"
    assert post_form(organiser_client, "/manage/use-case-template", {"body": own, "save": "Save"}).status_code == 302
    _rewrite(db, drones, drones.body + "\n_Numbers, please._\n")
    page = _one_line(_page(organiser_client.get(_url(call))))
    assert "section “Success criteria and KPIs” still holds the template&#39;s guidance “Numbers, please”" in page


def test_other_refusals_are_listed_beside_the_guidance(db, call, call_text, drones, organiser_client):
    floods = db.get(UseCase, call_text.groups[1].challenges[0].challenge.use_case_id)
    floods.state = "in_review"
    db.add(floods)
    db.commit()
    _rewrite(db, drones, "## Context\n\n_Who faces the problem, where and when, and how they manage today._\n")
    page = _one_line(_page(organiser_client.get(_url(call))))
    held = re.search(r'<ol class="call-held-list">(.*?)</ol>', page).group(1)
    assert re.findall(r"<li>(Challenge \d\.\d)", held) == ["Challenge 1.1", "Challenge 2.1"]
    assert "Challenge 2.1 “Flood sensors” is no longer accepted" in held
