"""Journey 2, first part: an attendee logs a need from a phone; the facilitator's board shows it by itself."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.journeys import log_in


def test_a_need_logged_on_a_phone_appears_on_the_facilitators_board_without_a_reload(browser, live_server, check_page):
    facilitator = browser.new_context().new_page()
    log_in(facilitator, live_server, "facilitator@example.org")
    attendee = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(attendee, live_server, "demo01@example.org")
    attendee.goto(live_server.url + "/me/registrations")
    attendee.get_by_role("link", name="Ports: drones and perimeter").click()
    expect(attendee).to_have_url(re.compile(r"/b/\w+$"))
    breakout_url = attendee.url
    check_page(attendee, "breakout-phone")

    facilitator.goto(breakout_url)
    facilitator.get_by_role("link", name="Open the capture console").click()
    check_page(facilitator, "capture-console")
    facilitator.evaluate("window.stillTheSamePage = true")

    attendee.get_by_label("Title").fill("Drone detection at night")
    attendee.get_by_label("The need").fill(
        "We need to detect small drones over the terminals at night, so that we can alert the police in time."
    )
    attendee.get_by_role("button", name="Save the need").click()
    expect(attendee.get_by_text("is saved")).to_be_visible()

    expect(facilitator.locator("#board")).to_contain_text("Drone detection at night", timeout=5000)
    assert facilitator.evaluate("window.stillTheSamePage") is True
    check_page(facilitator, "capture-console-updated")
    expect(attendee.locator("#board")).to_contain_text("Drone detection at night", timeout=5000)
    check_page(attendee, "breakout-phone-updated")


def _capture_with_the_keyboard(page, title: str, statement: str) -> None:
    """Type a need into the console without the mouse: the focus is on the title after each capture."""
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    page.keyboard.type(statement)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text=f"Captured: {title}")).to_be_visible()
    expect(page.locator("#title")).to_be_focused()


def test_the_facilitator_captures_with_the_keyboard_the_attendee_votes_and_two_needs_are_merged(
    browser, live_server, check_page
):
    facilitator = browser.new_context().new_page()
    log_in(facilitator, live_server, "facilitator@example.org")
    attendee = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(attendee, live_server, "demo01@example.org")
    attendee.goto(live_server.url + "/me/registrations")
    attendee.get_by_role("link", name="Ports: drones and perimeter").click()
    breakout_url = attendee.url
    attendee.evaluate("window.stillTheSamePage = true")

    facilitator.goto(breakout_url)
    facilitator.get_by_role("link", name="Open the capture console").click()
    facilitator.evaluate("window.stillTheSamePage = true")
    facilitator.locator("#speaker").focus()
    facilitator.keyboard.type("Inès Martin")
    facilitator.keyboard.press("Tab")
    _capture_with_the_keyboard(
        facilitator, "Radar for small boats", "We need to see small boats approaching the quay at night."
    )
    expect(facilitator.locator("#speaker")).to_have_value("Inès Martin")  # kept for the next need
    _capture_with_the_keyboard(
        facilitator, "Spotting small boats", "Small fast boats reach the quay unseen; we need early warning."
    )
    _capture_with_the_keyboard(
        facilitator, "Badge checks for truck drivers", "We need to check truck drivers' badges without a queue."
    )

    board = attendee.locator("#board")
    expect(board).to_contain_text("Badge checks for truck drivers", timeout=5000)
    attendee.get_by_role("button", name="Vote for Radar for small boats").click()
    attendee.get_by_role("button", name="Vote for Spotting small boats").click()
    expect(facilitator.locator(".board-need", has_text="Radar for small boats").locator(".vote-count")).to_have_text(
        "1", timeout=5000
    )

    facilitator.get_by_role("checkbox", name="Merge “Radar for small boats”").check()
    facilitator.get_by_role("checkbox", name="Merge “Spotting small boats”").check()
    facilitator.get_by_role("button", name="Merge the ticked needs").click()
    expect(facilitator.get_by_role("heading", name="Merge 2 needs into one")).to_be_visible()
    check_page(facilitator, "merge-needs")
    facilitator.get_by_label("Title").fill("Early warning of small boats at the quay")
    facilitator.get_by_role("button", name="Merge into this need").click()
    expect(facilitator.get_by_text("2 needs merged into")).to_be_visible()

    merged = board.locator(".board-need", has_text="Early warning of small boats at the quay")
    expect(merged).to_contain_text("merges 2 needs", timeout=5000)
    expect(merged.locator(".vote-count")).to_have_text("1")  # her two votes became one
    expect(board).not_to_contain_text("Spotting small boats")
    assert attendee.evaluate("window.stillTheSamePage") is True
    expect(attendee.locator(".votes-left")).to_contain_text("2 votes left")

    merged.get_by_role("link", name="Early warning of small boats at the quay").click()
    expect(attendee.get_by_role("heading", name="The needs it merges")).to_be_visible()
    check_page(attendee, "merged-need-phone")
