"""The organisers' and facilitators' pages in a real browser, each scanned with axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.journeys import log_in


def test_organiser_set_up_and_attendee_pages(page, live_server, check_page):
    log_in(page, live_server, "organiser@example.org")
    page.get_by_role("button", name="Manage", exact=True).click()  # the organisers' screens fold behind it
    page.get_by_role("link", name="Manage workshops").click()
    expect(page.get_by_role("heading", name="Workshops", exact=True)).to_be_visible()
    check_page(page, "manage-workshops")
    page.get_by_role("link", name="SecurIT workshop: needs for Open Call 2").first.click()
    check_page(page, "manage-workshop")
    page.goto(re.sub(r"/?$", "/edit", page.url))
    check_page(page, "manage-workshop-edit")
    page.goto(live_server.url + "/manage/test-beds")
    check_page(page, "manage-test-beds")
    page.goto(live_server.url + "/workshops/securit-workshop-open-call-2/")
    page.get_by_role("link", name="Attendees").click()
    expect(page.get_by_role("heading", name=re.compile("Attendees"))).to_be_visible()
    check_page(page, "attendees")
    page.goto(live_server.url + "/workshops/securit-workshop-open-call-2/")
    page.get_by_role("link", name="Check-in at the door").click()
    check_page(page, "check-in")


def test_check_in_at_the_door_on_a_phone(browser, live_server, check_page):
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    log_in(phone, live_server, "facilitator@example.org")
    phone.goto(live_server.url + "/workshops/securit-workshop-open-call-2/")
    phone.get_by_role("link", name="Check-in at the door").click()
    phone.get_by_role("searchbox").fill("Ribeiro")
    row = phone.locator("li", has_text="Ana Ribeiro").first
    expect(row).to_be_visible()
    row.get_by_role("button", name=re.compile("Check in")).click()
    expect(phone.locator("li", has_text="Ana Ribeiro").first).to_contain_text("Checked in")
    check_page(phone, "checked-in")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.close()
