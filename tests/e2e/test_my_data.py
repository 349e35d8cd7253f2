"""A demo attendee opens "My data", withdraws a consent in one step and downloads everything as JSON."""

from __future__ import annotations

import json

from playwright.sync_api import expect

#: An attendee of the 2021 series who let their organisation be listed and asked for e-mails about needs.
EMAIL = "demo05@example.org"
PHONE = {"width": 360, "height": 740}


def _log_in(page, live_server):
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("demo-password-2021")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("button", has_text="Log out")).to_have_count(1)  # behind the menu on a phone


def test_an_attendee_withdraws_a_consent_and_downloads_their_data(browser, live_server, check_page):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    _log_in(page, live_server)
    page.goto(live_server.url + "/me/data")
    expect(page.get_by_role("heading", name="My data", exact=True)).to_be_visible()
    expect(page.get_by_text("You asked us to e-mail you when your needs feed a use case")).to_be_visible()
    check_page(page, "my-data")

    # One step: the listing consent of one workshop is withdrawn, and the page says so.
    withdraw = page.get_by_role("button", name="Withdraw", exact=True)
    before = withdraw.count()
    assert before >= 1
    withdraw.first.click()
    expect(
        page.get_by_text("Your organisation no longer appears in the list of participating organisations.")
    ).to_be_visible()
    expect(withdraw).to_have_count(before - 1)
    expect(page.get_by_role("button", name="List my organisation").first).to_be_visible()
    check_page(page, "my-data-withdrawn")

    # The download: one JSON file with everything, the withdrawal included.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download all my data (JSON)").click()
    download = info.value
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".json")
    data = json.loads(download.path().read_text(encoding="utf-8"))
    assert data["account"]["email"] == EMAIL
    assert "password_hash" not in data["account"]
    assert len(data["registrations"]) >= 3
    withdrawn = [c for c in data["consents"] if c["kind"] == "listing" and c["withdrawn_at"]]
    assert len(withdrawn) == 1 and withdrawn[0]["withdrawn_at"].endswith("+00:00")
    assert any(c["kind"] == "updates" and c["withdrawn_at"] is None for c in data["consents"])
    assert data["needs"] or data["votes"]  # the attendee took part in the breakouts
    page.context.close()

    phone = browser.new_context(viewport=PHONE).new_page()
    _log_in(phone, live_server)
    phone.goto(live_server.url + "/me/data")
    expect(phone.get_by_role("button", name="Download all my data (JSON)")).to_be_visible()
    check_page(phone, "my-data-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.context.close()
