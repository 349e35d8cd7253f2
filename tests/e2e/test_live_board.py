"""Journey 2, first part: an attendee logs a need from a phone; the facilitator's board shows it by itself."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def _log_in(page, live_server, email):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password-2021")
    page.get_by_role("button", name="Log in").click()


def test_a_need_logged_on_a_phone_appears_on_the_facilitators_board_without_a_reload(browser, live_server, check_page):
    facilitator = browser.new_context().new_page()
    _log_in(facilitator, live_server, "facilitator@example.org")
    attendee = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    _log_in(attendee, live_server, "demo01@example.org")
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
