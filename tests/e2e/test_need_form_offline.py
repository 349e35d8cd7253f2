"""Journey 2, the need form under poor conditions: no connection, a reload mid-typing, a need already logged.

An attendee on a phone keeps logging needs while the room's Wi-Fi is down: they wait on the device
and reach the board once each, in order, when the connection is back. A reload keeps what was typed.
Similar needs show while typing. The facilitator captures needs with the keyboard alone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import log_in

BREAKOUT = "Ports: drones and perimeter"
PHONE = {"width": 360, "height": 740}
NO_CONNECTION = "No connection: your need is kept on this device and will be sent when the connection is back"


@pytest.fixture(scope="module")
def breakout_url(browser, live_server):
    """The breakout's short link, as an attendee finds it from their registrations."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "demo01@example.org")
    page.goto(live_server.url + "/me/registrations")
    page.get_by_role("link", name=BREAKOUT).click()
    expect(page).to_have_url(re.compile(r"/b/\w+$"))
    url = page.url
    context.close()
    return url


def _attendee_page(browser, live_server, breakout_url):
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "demo01@example.org")
    page.goto(breakout_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(BREAKOUT)
    return page


def _fill(page, title, statement):
    page.get_by_label("Title").fill(title)
    page.get_by_label("The need").fill(statement)


def _board_titles(page):
    return page.locator("#board .board-need h3").all_inner_texts()


def test_needs_logged_offline_wait_on_the_phone_and_are_stored_once_in_order(
    browser, live_server, breakout_url, check_page
):
    page = _attendee_page(browser, live_server, breakout_url)
    notice = page.locator(".form-notice")
    online = "Tide tables in the drone flight planner"
    first = "Radio dead zones between the container stacks"
    second = "Battery swap point for patrol drones on the pier"

    _fill(page, online, "We need the tide tables inside the flight planner, so that low passes stay safe.")
    page.get_by_role("button", name="Save the need").click()
    expect(notice).to_contain_text(f"“{online}” is saved")
    expect(page.get_by_label("Title")).to_have_value("")

    page.context.set_offline(True)
    _fill(page, first, "We need to know where the drones lose the radio link between the container stacks.")
    page.get_by_role("button", name="Save the need").click()
    expect(notice).to_have_text(NO_CONNECTION + " (1 waiting).")
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_label("The need")).to_have_value("")

    _fill(page, second, "We need a place on the pier where patrol drones get fresh batteries within two minutes.")
    page.get_by_role("button", name="Save the need").click()
    expect(notice).to_have_text(NO_CONNECTION + " (2 waiting).")
    check_page(page, "breakout-offline-phone")
    page.wait_for_timeout(11_000)  # two retries fail meanwhile; both needs stay on the device
    expect(notice).to_have_text(NO_CONNECTION + " (2 waiting).")

    page.context.set_offline(False)
    expect(notice).to_have_text("All your needs are saved.")

    page.reload()
    titles = _board_titles(page)
    assert titles.count(first) == 1, titles
    assert titles.count(second) == 1, titles
    assert titles.count(online) == 1, titles
    assert titles.index(second) < titles.index(first) < titles.index(online), "newest first: stored in typing order"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('workshops:outbox:'))") == []


def test_a_reload_mid_typing_keeps_the_draft_until_it_is_discarded(browser, live_server, breakout_url, check_page):
    page = _attendee_page(browser, live_server, breakout_url)
    title = "Night vision for the gate cameras"
    statement = "We need the gate cameras to read number plates at night, in rain too."
    page.get_by_label("Title").press_sequentially(title)
    page.get_by_label("The need").press_sequentially(statement)

    page.reload()
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("The need")).to_have_value(statement)
    expect(page.get_by_text("Draft kept on this device")).to_be_visible()
    check_page(page, "breakout-draft-phone")

    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_text("Draft kept on this device")).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_label("The need")).to_have_value("")
    expect(page.get_by_text("Draft kept on this device")).to_be_hidden()


def test_similar_needs_show_while_typing(browser, live_server, breakout_url, check_page):
    page = _attendee_page(browser, live_server, breakout_url)
    logged = "Thermal cameras on the quay cranes"
    _fill(page, logged, "We need thermal cameras on the quay cranes to spot people in the restricted zones at night.")
    page.get_by_role("button", name="Save the need").click()
    expect(page.locator(".form-notice")).to_contain_text("is saved")

    page.get_by_label("Title").press_sequentially("Heat cameras on cranes")
    page.get_by_label("The need").press_sequentially("Spot people near the cranes in the dark")
    box = page.locator(".similar-needs-box")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", name="Similar needs already logged")).to_be_visible()
    link = box.get_by_role("link", name=re.compile("^" + logged))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")
    own = box.locator("li", has=page.get_by_role("link", name=re.compile("^" + logged)))
    expect(own).to_contain_text("this breakout")
    expect(own).to_contain_text("Your own need")  # no "vote for this instead" for one's own need
    expect(own.get_by_role("button", name=re.compile("Vote for this instead"))).to_have_count(0)
    assert box.locator("li").count() <= 5
    check_page(page, "breakout-similar-phone")


def test_the_facilitator_captures_a_need_with_the_keyboard_alone(browser, live_server, breakout_url, check_page):
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "facilitator@example.org")
    page.goto(breakout_url)
    page.get_by_role("link", name="Open the capture console").click()
    expect(page.locator("#speaker")).to_be_focused()

    title = "Drone-free corridor for the pilot boats"
    page.keyboard.type("Harbour master Jansen")
    page.keyboard.press("Tab")
    expect(page.locator("#title")).to_be_focused()
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    page.keyboard.type("We need a corridor where no drone flies, so that pilot boats can leave at any hour.")
    page.keyboard.press("Control+Enter")

    expect(page.locator(".form-notice")).to_have_text(f"Captured: {title}")
    expect(page.locator("#title")).to_be_focused()
    expect(page.locator("#title")).to_have_value("")
    expect(page.locator("#statement")).to_have_value("")
    expect(page.locator("#speaker")).to_have_value("Harbour master Jansen")
    expect(page.locator("#board")).to_contain_text(title)
    check_page(page, "capture-console-keyboard")

    # A need ticked for merging stays ticked while the board changes under it.
    ticked = page.get_by_role("checkbox", name=f"Merge “{title}”")
    ticked.check()
    page.get_by_label("Title").fill("Shore power status on the drone docks")
    page.get_by_label("The need").fill("We need to see which drone docks have shore power before a shift starts.")
    page.get_by_label("The need").press("Control+Enter")
    expect(page.locator("#board .board-need h3").first).to_have_text("Shore power status on the drone docks")
    expect(ticked).to_be_checked()


def test_a_refused_need_shows_its_errors_and_a_stale_token_is_renewed(browser, live_server, breakout_url, check_page):
    page = _attendee_page(browser, live_server, breakout_url)
    page.evaluate("document.querySelector('.need-form [name=csrf_token]').value = 'stale'")
    page.get_by_label("Title").fill("Fence sensors that ignore seagulls")
    page.get_by_role("button", name="Save the need").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Say what you need, in a sentence or two.")
    expect(page.locator("#statement-error")).to_have_text("Say what you need, in a sentence or two.")
    expect(page.get_by_label("The need")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value("Fence sensors that ignore seagulls")
    check_page(page, "breakout-errors-phone")

    page.get_by_label("The need").fill("We need fence alarms that tell a seagull from a person climbing.")
    page.get_by_role("button", name="Save the need").click()
    expect(page.locator(".form-notice")).to_contain_text("is saved")
    expect(summary).to_have_count(0)
    expect(page.locator(".error-message")).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('workshops:draft:'))") == []


def test_the_edit_page_keeps_its_classic_save_with_a_draft_and_similar_needs(
    browser, live_server, breakout_url, check_page
):
    page = _attendee_page(browser, live_server, breakout_url)
    _fill(
        page,
        "Drone battery logbook",
        "We need a shared logbook of drone battery cycles for the port's three operators.",
    )
    page.get_by_role("button", name="Save the need").click()
    expect(page.locator(".form-notice")).to_contain_text("is saved")
    page.locator("#board").get_by_role("link", name="Drone battery logbook").click()
    page.get_by_role("link", name="Edit the need").click()
    expect(page).to_have_url(re.compile(r"/needs/\d+/edit$"))
    page.wait_for_load_state()  # the page's script is running: it keeps drafts from here on

    page.get_by_label("Title").fill("Drone battery logbook shared by operators")
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Drone battery logbook shared by operators")
    expect(page.get_by_text("Draft kept on this device")).to_be_visible()
    statement = page.get_by_role("textbox", name="The need")
    statement.press("End")
    statement.press_sequentially(" Cycles are counted by hand today.")
    expect(page.locator(".similar-needs-box")).to_be_visible()
    expect(page.locator(".similar-needs-box").get_by_role("link", name="Drone battery logbook")).to_have_count(0)
    check_page(page, "edit-draft-phone")

    page.get_by_role("button", name="Save the need").click()
    expect(page.get_by_text("The need is saved.")).to_be_visible()  # the classic redirect and its flash
    expect(page.get_by_role("heading", level=1)).to_contain_text("Drone battery logbook shared by operators")
    page.get_by_role("link", name="Edit the need").click()
    expect(page.get_by_text("Draft kept on this device")).to_be_hidden()


def test_what_is_typed_before_the_script_arrives_is_kept_as_the_draft(browser, live_server, breakout_url):
    page = _attendee_page(browser, live_server, breakout_url)
    held = []  # a slow phone connection: the form's module arrives only when the test lets it
    page.route("**/static/js/needs/form.js", lambda route: held.append(route))
    page.goto(breakout_url, wait_until="commit")
    page.get_by_label("Title").fill("Typed before the script")
    expect(page.locator(".draft-line")).to_have_count(0)  # the script is not there yet
    for route in held:
        route.continue_()
    page.unroute("**/static/js/needs/form.js")
    page.wait_for_load_state()
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Typed before the script")
    expect(page.get_by_text("Draft kept on this device")).to_be_visible()
