"""Deleting one's account in a real browser: sign up, register for a workshop, delete, and be gone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

WORKSHOP = "SecurIT workshop: needs for Open Call 2"
EMAIL = "lina.berzina@example.lv"
PASSWORD = "amber coast pine forest 2026"


def test_a_participant_deletes_their_account(browser, live_server, check_page):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/signup")
    page.get_by_label("Full name").fill("Lina Bērziņa")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organisation", exact=True).fill("Rīgas pašvaldības policija")
    page.get_by_label("Type of organisation").select_option("public_authority")
    page.get_by_label("Country").select_option("LV")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(live_server.link_in_last_message(EMAIL, "/confirm/"))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()

    # A place at the upcoming workshop (online, no breakout: the other journeys' seats stay as they are).
    page.goto(live_server.url + "/workshops/securit-workshop-open-call-2/register")
    page.get_by_label("Online").check()
    page.get_by_label(re.compile("I agree that the organisers process")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered.")).to_be_visible()

    page.goto(live_server.url + "/me")
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    expect(page.get_by_text("keep their text")).to_be_visible()
    check_page(page, "delete-account")

    phone = context.new_page()
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.goto(live_server.url + "/me/delete")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"/me/delete scrolls sideways on a phone ({width}px)"
    check_page(phone, "delete-account-phone")
    phone.close()

    page.get_by_label("Your password").fill("not the right password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#password-error")).to_contain_text("This is not your password")
    check_page(page, "delete-account-error")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    check_page(page, "account-deleted")

    cancelled = live_server.messages_where(lambda m: m["To"] == EMAIL and "cancelled" in m["Subject"])[-1]
    assert " ".join(cancelled["Subject"].split()) == f"Your registration is cancelled: {WORKSHOP}"

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-error")).to_contain_text("The e-mail address or the password is not right.")
    context.close()
