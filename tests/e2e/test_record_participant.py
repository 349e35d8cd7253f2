"""Registrations that protect the record, in a real browser on the demo data.

A participant of the 2021 workshops finds them under "Past workshops", read-only. A participant of
the upcoming workshop corrects their requirements, cancels after a page that says what happens to
the seats, receives a calendar cancellation that icalendar reads as one, and undoes it.
"""

from __future__ import annotations

import re
import subprocess

import icalendar
from playwright.sync_api import expect

from tests.e2e.journeys import DEMO_PASSWORD, log_in
from tests.liveserver import BIN, ROOT

WORKSHOP = "SecurIT workshop: needs for Open Call 2"
SLUG = "securit-workshop-open-call-2"
BREAKOUT = "Crowd safety on the promenade"
PAST_PARTICIPANT = "demo12@example.org"
EMAIL = "ruta.kairyte@example.lt"
PASSWORD = "amber lighthouse at Klaipeda dawn"


def _calendars(message) -> list[icalendar.Calendar]:
    return [
        icalendar.Calendar.from_ical(part.get_payload(decode=True))
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]


def test_a_past_workshops_registration_is_read_only(browser, live_server, check_page):
    page = browser.new_context().new_page()
    log_in(page, live_server, PAST_PARTICIPANT, DEMO_PASSWORD)

    page.goto(live_server.url + "/me/registrations")
    past = page.locator("section.past-registrations")
    expect(past.get_by_role("heading", name="Past workshops")).to_be_visible()
    expect(past.get_by_text("can no longer be changed")).to_be_visible()
    assert past.locator(".card").count() >= 1
    expect(past.get_by_role("link", name="Change or cancel")).to_have_count(0)
    expect(past.get_by_role("button")).to_have_count(0)
    check_page(page, "my-registrations")

    past.locator(".card-title a").first.click()
    main = page.locator("main")
    expect(main.get_by_text("your registration can no longer be changed")).to_be_visible()
    # No change, cancel or requirements form; only withdrawing a consent stays as easy as giving it.
    expect(main.locator("form:not([action$='/listing'])")).to_have_count(0)
    expect(main.get_by_role("link", name="Cancel my registration")).to_have_count(0)
    check_page(page, "past-registration")

    # Even typed by hand, the confirmation page of a past registration stays read-only.
    page.goto(page.url.rstrip("/") + "/cancel")
    expect(page.get_by_text("your registration can no longer be changed")).to_be_visible()
    expect(page.get_by_role("button", name="Yes, cancel my registration")).to_have_count(0)
    page.context.close()


def test_an_upcoming_registration_is_cancelled_after_confirmation_and_the_calendar_follows(
    browser, live_server, check_page
):
    subprocess.run(
        [
            BIN / "flask",
            "--app",
            "workshops",
            "create-user",
            EMAIL,
            "--name",
            "Rūta Kairytė",
            "--password-stdin",
            "--organisation",
            "Klaipėdos uosto direkcija",
            "--organisation-type",
            "end_user",
            "--country",
            "LT",
        ],
        input=PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        env=live_server.env,
        check=True,
    )
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)

    page.goto(live_server.url + f"/workshops/{SLUG}/register")
    page.get_by_label("On site").check()
    page.get_by_label(re.compile(BREAKOUT)).check()
    page.get_by_label("Accessibility requirements").fill("Step-free access")
    page.get_by_label(re.compile("I agree that the organisers process")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered.")).to_be_visible()
    registration_url = page.url

    # The requirements given are on the page, and corrected there.
    expect(page.get_by_label("Accessibility requirements")).to_have_value("Step-free access")
    page.get_by_label("Dietary requirements").fill("Vegetarian")
    page.get_by_label("Accessibility requirements").fill("Step-free access and a hearing loop")
    page.get_by_role("button", name="Save requirements").click()
    expect(page.get_by_text("Your requirements are saved.")).to_be_visible()
    expect(page.get_by_label("Dietary requirements")).to_have_value("Vegetarian")
    check_page(page, "registration-with-requirements")

    confirmation = live_server.messages_where(lambda m: m["To"] == EMAIL)[-1]
    [invitation] = _calendars(confirmation)
    invited = {str(e["UID"]): e["SEQUENCE"] for e in invitation.walk("VEVENT")}
    assert len(invited) == 2  # the workshop and the breakout

    # Cancelling asks first, and says what happens to the seats.
    page.get_by_role("link", name="Cancel my registration").click()
    expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    expect(page.get_by_text("Your on-site place at the workshop is released.")).to_be_visible()
    expect(page.get_by_text(f"Your seat in the breakout “{BREAKOUT}”")).to_be_visible()
    expect(page.get_by_text("goes to the first person on its waiting list")).to_be_visible()
    check_page(page, "cancel-confirmation")
    phone = context.new_page()
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.goto(page.url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the confirmation scrolls sideways on a phone ({width}px)"
    check_page(phone, "cancel-confirmation-phone")
    phone.close()

    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_text("Your registration is cancelled.").first).to_be_visible()
    expect(page).to_have_url(registration_url)
    check_page(page, "cancelled-with-undo")

    cancelled = live_server.messages_where(lambda m: m["To"] == EMAIL and "cancelled" in m["Subject"])[-1]
    assert " ".join(cancelled["Subject"].split()) == f"Your registration is cancelled: {WORKSHOP}"
    [cancellation] = _calendars(cancelled)
    assert str(cancellation["METHOD"]) == "CANCEL"
    events = cancellation.walk("VEVENT")
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    assert {str(e["UID"]) for e in events} == set(invited)  # the very events the invitation added
    assert all(e["SEQUENCE"] > invited[str(e["UID"])] for e in events)

    # Changed their mind: undo gives the place and the seat back, with the requirements.
    page.get_by_role("button", name="Undo the cancellation").click()
    expect(page.get_by_text("Your registration is back as it was, with your seats.")).to_be_visible()
    expect(page.locator(".seat-list")).to_contain_text(BREAKOUT)
    expect(page.get_by_label("Dietary requirements")).to_have_value("Vegetarian")
    context.close()
