"""Journey 3, synthesis: from three needs to an accepted use case, with a stale save meanwhile.

An organiser creates a use case from three needs, edits it watching the preview and sends it to
review; a second organiser accepts it, while a facilitator's stale save gets the conflict view with
both texts.
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from tests import factories
from tests.e2e.journeys import DEMO_PASSWORD, log_in
from workshops.auth.models import User
from workshops.db import make_engine
from workshops.events.models import Breakout
from workshops.needs.models import Need

PHONE = {"width": 360, "height": 740}


def _port_needs(live_server, count: int, *, skip: int = 0) -> list[Need]:
    """Open, public needs of the past "Ports and terminals" breakout, read from the served database."""
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine) as session:
        needs = list(
            session.exec(
                select(Need)
                .join(Breakout, col(Breakout.id) == Need.breakout_id)
                .where(Breakout.title == "Ports and terminals", Need.state == "open", Need.sensitivity == "public")
                .order_by(Need.id)
                .offset(skip)
                .limit(count)
            )
        )
    engine.dispose()
    assert len(needs) == count
    return needs


def _second_organiser(live_server) -> str:
    """A second organiser's e-mail address (the demo password): the one who accepts what the first wrote."""
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine) as session:
        email = factories.make_user(
            session, email=f"reviewer-{secrets.token_hex(3)}@example.org", role="organiser", password=DEMO_PASSWORD
        ).email
    engine.dispose()
    return email


def _author_email(live_server, need: Need) -> str:
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine) as session:
        email = session.get(User, need.stated_by_id).email
    engine.dispose()
    return email


def _new_use_case_url(live_server, needs: list[Need]) -> str:
    return live_server.url + "/manage/use-cases/new?" + "&".join(f"need={need.id}" for need in needs)


def test_an_organiser_synthesises_reviews_and_accepts_while_a_stale_save_gets_the_conflict_view(
    browser, live_server, check_page
):
    needs = _port_needs(live_server, 3)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server, "organiser@example.org")

    # The organiser narrows the explorer to the breakout's needs and ticks three of them.
    page.get_by_role("link", name="Needs", exact=True).click()
    page.get_by_role("group", name="Breakout").get_by_role("checkbox", name=re.compile("Ports and terminals")).click()
    page.wait_for_url(re.compile(r"breakout="))  # a filter applies as soon as it is ticked
    expect(page.get_by_role("group", name="Breakout").locator("input:checked")).to_have_count(1)
    check_page(page, "explorer-filtered")
    for need in needs:
        page.get_by_label(f"Select “{need.title}”").check()
    page.get_by_role("button", name="Create use case from these").click()
    expect(page.get_by_role("heading", name="New use case")).to_be_visible()
    expect(page.get_by_text("Created from 3 needs")).to_be_visible()
    body = page.get_by_role("textbox", name=re.compile(r"^Text\b"))
    for need in needs:
        expect(body).to_have_value(re.compile(re.escape(need.title[:30])))
    expect(page.get_by_label("Domain")).to_have_value(str(needs[0].domain_id))
    expect(page.get_by_label("The owners agreed to be named in the published call")).not_to_be_checked()
    check_page(page, "new-use-case")
    page.get_by_label("Title").fill("Securing port terminals: cyber and physical access")
    page.get_by_role("button", name="Create the use case").click()
    expect(page.get_by_role("heading", name="Securing port terminals: cyber and physical access")).to_be_visible()
    expect(page.locator(".usecase-state")).to_have_text("Draft")
    use_case_url = page.url
    check_page(page, "use-case-draft")

    # Meanwhile a facilitator opens the same use case in the editor, in another browser.
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(other, live_server, "facilitator@example.org")
    other.goto(use_case_url + "/edit")
    expect(other.get_by_role("heading", name="Edit the use case")).to_be_visible()

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("button", name="Preview without saving")).to_be_hidden()  # the preview is live
    body = page.get_by_role("textbox", name=re.compile(r"^Text\b"))
    body.press("Control+End")
    body.press_sequentially("\n\nPorts need **bold** moves.")
    expect(page.locator("#body-preview strong", has_text="bold")).to_be_visible()
    expect(page.locator("#body-preview")).to_contain_text("Ports need bold moves.")
    check_page(page, "edit-with-live-preview")
    page.get_by_role("button", name="Save the use case").click()
    expect(page.get_by_text("The use case is saved.")).to_be_visible()
    expect(page.locator(".usecase-body strong", has_text="bold")).to_be_visible()

    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("The use case is sent for review.")).to_be_visible()
    expect(page.locator(".usecase-state")).to_have_text("In review")
    # Its author is not offered to accept it (the programme's default): a second organiser does.
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(reviewer, live_server, _second_organiser(live_server))
    reviewer.goto(use_case_url)
    reviewer.get_by_role("button", name="Accept").click()
    expect(reviewer.get_by_text("The use case is accepted.")).to_be_visible()
    expect(reviewer.locator(".usecase-state")).to_have_text("Accepted")
    check_page(reviewer, "use-case-accepted")

    # The facilitator saves the version they loaded before all that: refused, both texts shown.
    other.get_by_label("Summary").fill("The facilitator's own summary, typed meanwhile.")
    other.get_by_role("button", name="Save the use case").click()
    expect(other.get_by_role("alert")).to_contain_text("Someone else saved this use case while you were editing it")
    expect(other.get_by_role("heading", name="Saved meanwhile")).to_be_visible()
    expect(other.locator(".usecase-theirs")).to_contain_text("Ports need **bold** moves.")
    expect(other.locator(".usecase-theirs")).to_contain_text("Accepted")
    expect(other.get_by_label("Summary")).to_have_value("The facilitator's own summary, typed meanwhile.")
    expect(other.get_by_role("button", name="Save again, replacing their version")).to_be_visible()
    check_page(other, "conflict-view")

    page.goto(use_case_url + "/revisions")
    expect(page.get_by_role("cell", name="Accepted")).to_be_visible()
    check_page(page, "revisions")
    page.get_by_label("from revision 1", exact=True).check()
    page.get_by_role("button", name="Compare the two revisions").click()
    expect(page.get_by_role("heading", name=re.compile(r"Revision 1 and revision \d+"))).to_be_visible()
    expect(page.locator(".usecase-diff-body ins").filter(has_text="bold")).to_be_visible()
    check_page(page, "compare")

    # The person who stated one of the needs learns what became of it.
    author = browser.new_context(viewport=PHONE).new_page()
    log_in(author, live_server, _author_email(live_server, needs[0]))
    author.get_by_role("button", name="Menu").click()  # a phone: the links are behind the menu
    author.get_by_role("link", name="My needs").click()
    fed = author.locator(".need-states li", has_text=needs[0].title)
    expect(fed).to_contain_text("Part of use case “Securing port terminals: cyber and physical access” · accepted")
    check_page(author, "my-needs-part-of-use-case")


def test_the_use_case_pages_fit_a_phone(browser, live_server, check_page):
    needs = _port_needs(live_server, 2, skip=3)
    page = browser.new_context(viewport=PHONE).new_page()
    log_in(page, live_server, "organiser@example.org")

    def fits(label: str) -> None:
        check_page(page, label)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], label

    page.goto(_new_use_case_url(live_server, needs))
    fits("phone-new-use-case")
    page.get_by_role("button", name="Create the use case").click()
    expect(page.locator(".usecase-state")).to_have_text("Draft")
    use_case_url = page.url
    page.get_by_role("textbox", name="Your comment").fill("Check the owners <before> the review, please.")
    page.get_by_role("button", name="Add the comment").click()
    expect(page.get_by_text("Check the owners <before> the review, please.")).to_be_visible()
    fits("phone-use-case")
    page.goto(use_case_url + "/edit")
    page.get_by_label("Title").fill("Port access, on a phone")
    page.get_by_role("textbox", name=re.compile(r"^Text\b")).fill("## Context\n\nA shorter text, with a **change**.\n")
    fits("phone-edit")
    page.get_by_role("button", name="Save the use case").click()
    expect(page.get_by_text("The use case is saved.")).to_be_visible()
    page.goto(use_case_url + "/revisions")
    fits("phone-revisions")
    page.get_by_role("button", name="Compare the two revisions").click()
    expect(page.locator(".usecase-diff-body ins").first).to_be_visible()
    fits("phone-compare")
    page.goto(live_server.url + "/manage/use-cases")
    fits("phone-use-cases")
    page.goto(live_server.url + "/manage/use-case-template")
    fits("phone-template")
