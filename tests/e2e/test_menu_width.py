"""The site header in a real browser: one row at 1366 × 768 whatever the role.

The organisers' screens and each person's own pages fold behind two disclosure buttons that work by
mouse and keyboard; the phone menu still lists every link.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import log_in

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
ACCOUNTS = {
    "participant": "participant@example.org",
    "facilitator": "facilitator@example.org",
    "organiser": "organiser@example.org",
}
#: Every destination behind an organiser's folds: (button, link) → the address it opens.
ORGANISER_DESTINATIONS = {
    ("Manage", "Manage workshops"): "/manage/workshops",
    ("Manage", "Calls"): "/manage/calls",
    ("Manage", "People"): "/manage/users",
    ("Manage", "Audit log"): "/manage/audit",
    ("Olivia Organiser", "My registrations"): "/me/registrations",
    ("Olivia Organiser", "My needs"): "/me/needs",
    ("Olivia Organiser", "My data"): "/me/data",
    ("Olivia Organiser", "My profile"): "/me",
}


def _header_height(page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


def _top_level_entries(page) -> list[dict]:
    """The header's entries in view before anything is opened: the logo, links, buttons; each with its box."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.site-header .brand, .nav-groups > li > .nav-fold, .nav-groups > li > ul > li > a,'
              + ' .nav-groups > li > ul > li .link-button, .site-nav > .nav-list > li > a'))
            .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
            .map((el) => { const r = el.getBoundingClientRect();
                           return {text: el.textContent.trim(), middle: (r.top + r.bottom) / 2}; })"""
    )


def _nav_fold(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("role", ["participant", "facilitator", "organiser"])
def test_the_header_keeps_to_one_row_at_1366_whatever_the_role(browser, live_server, check_page, role):
    visitor = browser.new_context(viewport=LAPTOP).new_page()
    visitor.goto(live_server.url + "/")
    one_row = _header_height(visitor)  # a visitor's header: the logo and four entries
    page = browser.new_context(viewport=LAPTOP).new_page()
    log_in(page, live_server, ACCOUNTS[role])
    page.goto(live_server.url + "/workshops/")

    entries = _top_level_entries(page)

    assert len(entries) >= 5, entries
    middles = [entry["middle"] for entry in entries]
    assert max(middles) - min(middles) <= 4, entries  # side by side: one row
    assert _header_height(page) <= one_row + 4
    check_page(page, f"header-{role}-1366")


def test_every_organiser_destination_is_one_fold_away(browser, live_server, check_page):
    page = browser.new_context(viewport=LAPTOP).new_page()
    log_in(page, live_server, "organiser@example.org")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Workshops", "My breakouts", "Needs", "Use cases"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()  # in the row itself
    expect(nav.get_by_role("button", name="Log out")).to_be_hidden()  # one of the person's own pages

    for (fold, link), path in ORGANISER_DESTINATIONS.items():
        button = _nav_fold(page, fold)
        expect(button).to_have_attribute("aria-expanded", "false")
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        if path == "/manage/users":
            check_page(page, "manage-fold-open")
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(path) + r"/?(\?.*)?$"))
        # Back on the page, the fold holding it is marked, its link the current page.
        expect(_nav_fold(page, fold)).to_have_class(re.compile(r"\bis-current\b"))
        current = page.locator(f"#{_nav_fold(page, fold).get_attribute('aria-controls')} [aria-current='page']")
        expect(current).to_have_text(link)

    _nav_fold(page, "Olivia Organiser").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def test_the_folds_work_from_the_keyboard_and_close_when_left(browser, live_server):
    page = browser.new_context(viewport=LAPTOP).new_page()
    log_in(page, live_server, "organiser@example.org")
    manage = _nav_fold(page, "Manage")
    you = _nav_fold(page, "Olivia Organiser")
    nav = page.get_by_role("navigation", name="Main")

    manage.focus()
    page.keyboard.press("Enter")
    expect(manage).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Manage workshops")).to_be_focused()  # the list follows its button
    page.keyboard.press("Escape")
    expect(manage).to_have_attribute("aria-expanded", "false")
    expect(manage).to_be_focused()
    expect(nav.get_by_role("link", name="Manage workshops")).to_be_hidden()

    page.keyboard.press("Space")
    for _ in range(5):  # through its four links and out to the next button: it closes behind
        page.keyboard.press("Tab")
    expect(you).to_be_focused()
    expect(manage).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")  # one open at a time
    expect(you).to_have_attribute("aria-expanded", "true")
    manage.click()
    expect(manage).to_have_attribute("aria-expanded", "true")
    expect(you).to_have_attribute("aria-expanded", "false")
    page.get_by_role("heading", level=1).click()  # a click elsewhere closes it
    expect(manage).to_have_attribute("aria-expanded", "false")


def test_a_phone_lists_every_link_behind_its_menu_button(browser, live_server, check_page):
    page = browser.new_context(viewport=PHONE).new_page()
    log_in(page, live_server, "organiser@example.org")
    page.goto(live_server.url + "/manage/needs")
    assert _header_height(page) <= 57  # the 56 px phone header
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()

    page.get_by_role("button", name="Menu").click()

    for _, link in ORGANISER_DESTINATIONS:
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.locator(".nav-fold")).to_have_count(2)
    for fold in nav.locator(".nav-fold").all():
        expect(fold).to_be_hidden()  # the phone menu lists the groups instead
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "header-organiser-360-open")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()
