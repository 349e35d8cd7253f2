"""The accounts journey in a real browser: sign up, confirm, log out, log in, edit the profile."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PASSWORD = "lantern harbour ferry 2026"


def test_sign_up_confirm_log_out_log_in_and_edit_profile(page, live_server, check_page):
    page.goto(live_server.url + "/")
    check_page(page, "home")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()

    page.get_by_label("Full name").fill("Ingrid Nilsson")
    page.get_by_label("Email").fill("ingrid@example.se")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Organisation", exact=True).fill("Malmö stad")
    page.get_by_label("Type of organisation").select_option("end_user")
    page.get_by_label("Country").select_option("SE")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
    expect(page.get_by_label("Full name")).to_have_value("Ingrid Nilsson")
    check_page(page, "signup-error")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check_page(page, "check-email")

    page.goto(live_server.link_in_last_message("ingrid@example.se", "/confirm/"))
    check_page(page, "confirm")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()
    expect(page.get_by_role("link", name="Ingrid Nilsson")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()

    page.get_by_role("link", name="Log in").first.click()
    check_page(page, "login")
    page.get_by_label("Email").fill("ingrid@example.se")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Ingrid Nilsson").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    check_page(page, "profile")
    page.get_by_label("Organisation", exact=True).fill("Malmö stad, Säkerhetsavdelningen")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Malmö stad, Säkerhetsavdelningen")


def test_password_reset_from_the_outbox(page, live_server, check_page):
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    check_page(page, "forgot")
    page.get_by_label("Email").fill("demo16@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(live_server.link_in_last_message("demo16@example.org", "/password/reset/"))
    check_page(page, "reset")
    page.get_by_label("New password", exact=True).fill("seven orange kites over Leuven")
    page.get_by_label("Repeat the new password").fill("seven orange kites over Leuven")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your new password is set")).to_be_visible()


def test_organiser_gives_a_role(page, live_server, check_page):
    page.goto(live_server.url + "/manage/users")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("organiser@example.org")
    page.get_by_label("Password").fill("demo-password-2021")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    check_page(page, "people")

    page.get_by_label("Find by name, e-mail or organisation").fill("facilitator")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Role of Frank Facilitator").select_option("organiser")
    page.get_by_role("button", name="Set role of Frank Facilitator").click()
    expect(page.get_by_text("Frank Facilitator is now organiser.")).to_be_visible()

    page.get_by_role("button", name="Manage", exact=True).click()  # the organisers' screens fold behind it
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="role changed")).to_be_visible()
    expect(page.get_by_role("cell", name="facilitator -> organiser")).to_be_visible()
    check_page(page, "audit-log")


def test_pages_fit_a_phone(browser, live_server, check_page):
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    for path in ["/", "/signup", "/login"]:
        phone.goto(live_server.url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways on a phone ({width}px)"
        check_page(phone, "phone" + path.replace("/", "-"))
    phone.close()
