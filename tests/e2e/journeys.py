"""Steps every browser journey takes the same way."""

from playwright.sync_api import expect

#: The password every demo account shares.
DEMO_PASSWORD = "demo-password-2021"


def log_in(page, live_server, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form and wait for the page that follows it (Log out is behind the menu on a phone)."""
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("button", has_text="Log out")).to_have_count(1)
