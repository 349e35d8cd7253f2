"""Journey 2, projected: the facilitator puts the board on the room's screen with its short link and QR code."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.journeys import log_in

NEEDS = [
    ("Perimeter fence intrusion alerts", "We need alerts from the fence sensors that the guards can trust at night."),
    ("Container scanning without stopping trucks", "We need to scan containers while the trucks keep moving."),
]


def _log_need(page, title, statement):
    page.get_by_label("Title").fill(title)
    page.get_by_label("The need").fill(statement)
    page.get_by_role("button", name="Save the need").click()
    expect(page.get_by_text("is saved")).to_be_visible()


def test_the_projector_shows_the_link_its_qr_code_and_a_live_board(browser, live_server, check_page):
    attendee = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(attendee, live_server, "demo02@example.org")
    attendee.goto(live_server.url + "/me/registrations")
    attendee.get_by_role("link", name="Ports: drones and perimeter").click()
    expect(attendee).to_have_url(re.compile(r"/b/\w+$"))
    breakout_url = attendee.url
    for title, statement in NEEDS:
        _log_need(attendee, title, statement)
    attendee.get_by_role("button", name=f"Vote for {NEEDS[0][0]}").click()

    projector = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    log_in(projector, live_server, "facilitator@example.org")
    projector.goto(breakout_url + "/projector")
    expect(projector.get_by_role("heading", level=1)).to_have_text("Ports: drones and perimeter")
    expect(projector.get_by_role("img", name=f"QR code of the link {breakout_url}")).to_be_visible()
    expect(projector.locator(".projector-qr svg")).to_be_visible()
    expect(projector.locator(".projector-link")).to_have_text(breakout_url)  # text to type, not a link
    expect(projector.locator(".site-header")).to_have_count(0)
    expect(projector.locator(".wall-pinned .wall-need").first).to_contain_text(NEEDS[0][0])  # most votes first
    expect(projector.get_by_role("link")).to_have_count(0)  # nothing on the wall to click
    expect(projector.get_by_role("button")).to_have_count(0)
    check_page(projector, "projector")
    projector.evaluate("window.stillTheSamePage = true")

    _log_need(attendee, "Drone landing zones on the quays", "We need to know where a drone may land safely.")
    expect(projector.locator("#board")).to_contain_text("Drone landing zones on the quays", timeout=5000)
    assert projector.evaluate("window.stillTheSamePage") is True

    attendee.goto(breakout_url + "/projector")
    expect(attendee.get_by_role("img", name=f"QR code of the link {breakout_url}")).to_be_visible()
    check_page(attendee, "projector-phone")
