"""The needs explorer in a real browser: search, a facet, the phone layout, both synthesis buttons.

Filters apply on change and show as chips that remove them; buttons say why they wait for ticks.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect
from sqlmodel import Session

from tests.e2e.journeys import log_in
from workshops.db import make_engine
from workshops.usecases.models import UseCase


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
    log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs")
    everything = _count(page)
    assert everything > 30
    check_page(page, "explorer")

    page.get_by_role("searchbox", name="Search").fill("container")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="matching")).to_contain_text("matching “container”")
    found = _count(page)
    assert 0 < found < everything

    urgency = page.get_by_role("group", name="Urgency")
    choice = urgency.locator("input:not([disabled])").first
    choice.click()  # applied at once: no button to press
    page.wait_for_url(re.compile(r"urgency="))
    expect(page.get_by_role("group", name="Urgency").locator("input:checked")).to_have_count(1)
    narrowed = _count(page)
    assert 0 < narrowed <= found
    assert "q=container" in page.url and "urgency=" in page.url
    check_page(page, "explorer-filtered")

    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(phone, live_server, "organiser@example.org")
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
    expect(page.get_by_label("Use case to add them to")).to_have_value("")  # none chosen until the organiser does
    page.get_by_label("Use case to add them to").select_option(label="Container yard security (explorer test) (draft)")
    page.get_by_role("button", name="Add to use case").click()
    expect(page).to_have_url(re.compile(r"/manage/use-cases/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("Added 1 need to “Container yard security (explorer test)”")


def _apply(page, box, pattern: str) -> None:
    """Tick or untick a filter and wait for the page it applies (the script sends the form at once)."""
    box.click()
    page.wait_for_url(re.compile(pattern))


def _countries(page) -> list[tuple[str, str]]:
    """The countries listed unfolded in the sidebar with needs to find: (code, name), in the sidebar's order."""
    boxes = page.get_by_role("group", name="Country").locator(":scope > .facet-values input:not([disabled])")
    return [
        (boxes.nth(i).get_attribute("value"), boxes.nth(i).locator("xpath=..").locator(".facet-label").inner_text())
        for i in range(boxes.count())
    ]


def _country_box(page, name: str):
    return page.get_by_role("group", name="Country").get_by_role("checkbox", name=re.compile("^" + re.escape(name)))


def test_filters_apply_on_change_and_show_as_chips_that_remove_them(browser, live_server, check_page):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs")
    everything = _count(page)
    expect(page.get_by_role("button", name="Apply filters")).to_be_hidden()  # the script applies each change
    expect(page.locator(".filter-chips")).to_have_count(0)
    (first, first_name), (second, second_name) = _countries(page)[:2]

    # A country by keyboard: Space ticks it, the page comes back filtered with the focus on it.
    _country_box(page, first_name).focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(rf"country={first}"))
    expect(_country_box(page, first_name)).to_be_checked()
    expect(_country_box(page, first_name)).to_be_focused()
    in_first = _count(page)
    assert 0 < in_first < everything

    # Another country widens, and each shows as a chip under its full name.
    _apply(page, _country_box(page, second_name), rf"country={first}&country={second}")
    chips = page.locator(".filter-chips")
    expect(chips.get_by_role("link", name=f"Remove filter: Country {first_name}")).to_be_visible()
    expect(chips.get_by_role("link", name=f"Remove filter: Country {second_name}")).to_be_visible()
    assert _count(page) > in_first
    check_page(page, "explorer-chips")

    # The sort applies on change too, and a search joins the chips.
    page.get_by_label("Sort").select_option("votes")
    page.wait_for_url(re.compile(r"sort=votes"))
    page.get_by_role("searchbox", name="Search").fill("the")
    page.get_by_role("searchbox", name="Search").press("Enter")
    page.wait_for_url(re.compile(r"q=the"))
    expect(chips.get_by_role("link", name="Remove filter: Search “the”")).to_be_visible()

    # One click removes one chip, keeping the rest, the sort and the ticks.
    page.locator(".explorer-need .need-pick input").first.check()
    expect(page.locator("[data-chosen-count]")).to_contain_text("1 need ticked")
    chips.get_by_role("link", name=f"Remove filter: Country {first_name}").click()
    page.wait_for_url(lambda url: f"country={first}" not in url)
    assert f"country={second}" in page.url and "sort=votes" in page.url and "q=the" in page.url and "need=" in page.url
    expect(page.locator("[data-chosen-count]")).to_contain_text("1 need ticked")
    expect(_country_box(page, second_name)).to_be_checked()
    expect(_country_box(page, first_name)).not_to_be_checked()

    # "Clear all" drops every filter and the search, and keeps the sort and the ticks.
    page.get_by_role("link", name="Clear all filters").click()
    page.wait_for_url(lambda url: "country=" not in url and "q=" not in url)
    expect(page.locator(".filter-chips")).to_have_count(0)
    assert "sort=votes" in page.url and "need=" in page.url
    assert _count(page) == everything

    # Keyboard only: a chip is reached and removed by Enter.
    _apply(page, _country_box(page, second_name), rf"country={second}")
    page.get_by_role("link", name=f"Remove filter: Country {second_name}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "country=" not in url)
    expect(page.locator(".filter-chips")).to_have_count(0)


def test_the_synthesis_buttons_say_why_they_wait_for_ticks(browser, live_server, check_page):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs?country=DK")
    create = page.get_by_role("button", name="Create use case from these")
    merge = page.get_by_role("button", name="Merge these")

    # Nothing ticked: each button is marked as waiting, and says why when pressed; nothing opens.
    expect(create).to_have_attribute("aria-disabled", "true")
    expect(create).to_have_accessible_description("Tick at least one need to create a use case from it.")
    expect(merge).to_have_accessible_description("Tick at least two needs to merge them.")
    create.click(force=True)  # Playwright would wait for aria-disabled to go; a person can press it anyway
    expect(page.get_by_role("alert")).to_have_text("Tick at least one need to create a use case from it.")
    assert "/manage/needs?country=DK" in page.url
    check_page(page, "explorer-create-refused")
    create.focus()
    page.keyboard.press("Enter")  # the keyboard gets the same answer
    expect(page.get_by_role("alert")).to_have_text("Tick at least one need to create a use case from it.")
    assert "/manage/use-cases/new" not in page.url

    # One tick: "Create" is ready, "Merge" still waits for a second.
    page.locator(".explorer-need .need-pick input").first.check()
    expect(create).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator(".synthesis-refusal")).to_be_empty()  # the reason goes once it no longer holds
    expect(merge).to_have_attribute("aria-disabled", "true")
    expect(create).to_have_accessible_description("")
    merge.click(force=True)
    expect(page.get_by_role("alert")).to_have_text("Tick at least two needs to merge them.")
    create.click()
    expect(page).to_have_url(re.compile(r"/manage/use-cases/new\?need=\d+$"))


def test_without_a_script_create_with_nothing_ticked_comes_back_with_the_reason(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs?country=DK&sort=votes&page=1")

    page.get_by_role("button", name="Create use case from these").click()

    expect(page.locator(".flashes")).to_have_text("Tick at least one need to create a use case from it.")
    query = parse_qs(urlparse(page.url).query)
    assert urlparse(page.url).path == "/manage/needs" and query == {"country": ["DK"], "sort": ["votes"]}
    expect(page.get_by_role("link", name="Remove filter: Country Denmark")).to_be_visible()
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()  # ticks apply with it here
    context.close()
