"""The needs explorer in a real browser: search, a facet, the phone layout, and both synthesis buttons."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect
from sqlmodel import Session

from workshops.db import make_engine
from workshops.usecases.models import UseCase


def _log_in(page, live_server, email):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password-2021")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("button", has_text="Log out")).to_have_count(1)  # behind the menu on a phone


def _a_use_case(live_server, title: str) -> None:
    """Store a draft use case in the served database, so that "Add to use case" has a target."""
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine) as session:
        session.add(UseCase(title=title))
        session.commit()
    engine.dispose()


def _count(page) -> int:
    return int(page.locator(".explorer-count strong").inner_text())


def test_an_organiser_searches_filters_and_sends_needs_to_a_use_case(browser, live_server, check_page):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs")
    everything = _count(page)
    assert everything > 30
    check_page(page, "explorer")

    page.get_by_role("searchbox", name="Search").fill("container")
    page.get_by_role("button", name="Apply").first.click()
    expect(page.get_by_role("status").filter(has_text="matching")).to_contain_text("matching “container”")
    found = _count(page)
    assert 0 < found < everything

    urgency = page.get_by_role("group", name="Urgency")
    choice = urgency.locator("input:not([disabled])").first
    choice.check()
    page.get_by_role("button", name="Apply").first.click()
    expect(page.get_by_role("group", name="Urgency").locator("input:checked")).to_have_count(1)
    narrowed = _count(page)
    assert 0 < narrowed <= found
    assert "q=container" in page.url and "urgency=" in page.url
    check_page(page, "explorer-filtered")

    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    _log_in(phone, live_server, "organiser@example.org")
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    check_page(phone, "explorer-phone")

    # "Create use case from these": a GET with the ticked needs, and never the CSRF token in the URL.
    page.goto(live_server.url + "/manage/needs?q=container")
    boxes = page.locator(".explorer-need .need-pick input")
    ids = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Create use case from these").click()
    expect(page).to_have_url(re.compile(r"/manage/use-cases/new\?"))
    query = parse_qs(urlparse(page.url).query)
    assert query["need"] == ids and "csrf_token" not in query

    # "Add to use case": a POST (its CSRF token rides on the button) to the use case chosen.
    _a_use_case(live_server, "Container yard security (explorer test)")
    page.goto(live_server.url + "/manage/needs?q=container")
    page.locator(".explorer-need .need-pick input").first.check()
    page.get_by_label("Use case to add them to").select_option(label="Container yard security (explorer test) (draft)")
    page.get_by_role("button", name="Add to use case").click()
    expect(page).to_have_url(re.compile(r"/manage/use-cases/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("Added 1 need to “Container yard security (explorer test)”")
