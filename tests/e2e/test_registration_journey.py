"""Journey 1 in a real browser, on the demo data: a newcomer signs up from a workshop and registers.

They register on site with two breakouts (taking the last seat of one), find the confirmation and
its calendar file in the outbox, swap a breakout, and cancel; the participant who was waiting for
that seat is promoted and told by e-mail.
"""

from __future__ import annotations

import re

import icalendar
from playwright.sync_api import expect

WORKSHOP = "SecurIT workshop: needs for Open Call 2"
PASSWORD = "harbour lights over Marseille"


def _log_in(page, email, password):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_newcomer_registers_swaps_and_cancels_and_the_next_in_line_is_promoted(browser, live_server, check_page):
    newcomer = browser.new_context().new_page()
    newcomer.goto(live_server.url + "/")
    newcomer.get_by_role("link", name=WORKSHOP).click()
    expect(newcomer.get_by_role("heading", name=WORKSHOP)).to_be_visible()
    check_page(newcomer, "workshop")
    newcomer.get_by_role("link", name="Register").click()

    # Signing up on the way, and back through the confirmation link.
    expect(newcomer).to_have_url(re.compile(r"/login\?next="))
    check_page(newcomer, "login-with-next")
    newcomer.get_by_role("link", name="Create an account").first.click()
    newcomer.get_by_label("Full name").fill("Nadia Haddad")
    newcomer.get_by_label("Email").fill("nadia@example.fr")
    newcomer.get_by_label("Password").fill(PASSWORD)
    newcomer.get_by_label("Organisation", exact=True).fill("Ville de Marseille")
    newcomer.get_by_label("Type of organisation").select_option("end_user")
    newcomer.get_by_label("Country").select_option("FR")
    newcomer.get_by_role("button", name="Create account").click()
    expect(newcomer.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    newcomer.goto(live_server.link_in_last_message("nadia@example.fr", "/confirm/"))
    newcomer.get_by_role("button", name="Confirm and continue").click()

    expect(newcomer.get_by_role("heading", name="Register")).to_be_visible()
    check_page(newcomer, "register")
    newcomer.get_by_label("On site").check()
    newcomer.get_by_label(re.compile("Ports: drones and perimeter")).check()
    newcomer.get_by_label(re.compile("Flood early warning")).check()
    newcomer.get_by_label(re.compile("I agree that the organisers process")).check()
    newcomer.get_by_role("button", name="Register").click()
    expect(newcomer.get_by_text("You are registered.")).to_be_visible()
    check_page(newcomer, "registration")

    confirmation = live_server.messages_where(
        lambda m: m["To"] == "nadia@example.fr" and m["Subject"].startswith("Your registration:")
    )[-1]
    assert confirmation["Subject"] == f"Your registration: {WORKSHOP}"
    [attachment] = [p for p in confirmation.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]  # then one per breakout
    assert str(event["SUMMARY"]) == WORKSHOP
    assert "Flood early warning" in str(event["DESCRIPTION"])

    # Someone else now waits for the port breakout, which the newcomer filled.
    waiting = browser.new_context().new_page()
    waiting.goto(live_server.url + "/login")
    _log_in(waiting, "participant@example.org", "demo-password-2021")
    waiting.goto(live_server.url + "/workshops/securit-workshop-open-call-2/register")
    waiting.get_by_label("On site").check()
    waiting.get_by_label(re.compile("Ports: drones and perimeter")).check()
    waiting.get_by_label(re.compile("I agree that the organisers process")).check()
    waiting.get_by_role("button", name="Register").click()
    expect(waiting.get_by_text("waiting list: number 1")).to_be_visible()

    newcomer.get_by_role("link", name="My registrations", exact=True).click()
    expect(newcomer.get_by_role("heading", name="My registrations")).to_be_visible()
    check_page(newcomer, "my-registrations")
    newcomer.get_by_role("link", name="Change or cancel").click()
    newcomer.get_by_label(re.compile("Flood early warning")).uncheck()
    newcomer.get_by_label(re.compile("Crowd safety on the promenade")).check()
    newcomer.get_by_role("button", name="Save breakouts").click()
    expect(newcomer.get_by_text("Your breakouts are changed.")).to_be_visible()
    expect(newcomer.locator(".seat-list")).to_contain_text("Crowd safety on the promenade")

    newcomer.get_by_role("link", name="Cancel my registration").click()
    newcomer.get_by_role("button", name="Yes, cancel my registration").click()
    expect(newcomer.get_by_text("Your registration is cancelled.")).to_be_visible()
    promoted = live_server.messages_where(
        lambda m: m["To"] == "participant@example.org" and "seat is yours" in m["Subject"]
    )[-1]
    assert promoted["Subject"] == f"A breakout seat is yours: {WORKSHOP}"
    waiting.reload()
    expect(waiting.locator(".seat-list")).not_to_contain_text("waiting list")
    check_page(waiting, "promoted")
