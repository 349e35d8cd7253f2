"""The workshop day as the room lives it: the facilitator's way in, attribution, the wall, the phone.

A facilitator finds today's breakout from the menu in one click and captures three needs, for two
attendees and one outsider: each shows the right organisation on the board, the projector and the
explorer. The projector at 1920×1080 shows at least 12 of 20 needs and pages to the rest. An
attendee on a 360-px phone reaches the title field and the board without scrolling past the form,
runs out of votes and reads why.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import Session, select

from tests import factories
from tests.e2e.journeys import log_in
from workshops.auth.models import User
from workshops.db import make_engine
from workshops.events.models import Breakout, BreakoutFacilitator, BreakoutSeat, Registration
from workshops.needs.models import Need, Vote
from workshops.programme.models import Domain
from workshops.timeutil import utcnow

PHONE = {"width": 360, "height": 740}
ATTENDEES = [
    ("Sofie Janssens", "Port of Antwerp-Bruges", "end_user", "BE", "Belgium"),
    ("Tomas Kazlauskas", "Lithuanian Border Guard", "public_authority", "LT", "Lithuania"),
]


def _today(live_server) -> dict:
    """A workshop happening now, facilitated by the demo facilitator: two breakouts.

    The live one has two attendees of two organisations and a third person who votes; the other
    holds 20 needs for the wall.
    """
    mark = secrets.token_hex(3)
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        start = utcnow().replace(microsecond=0) - timedelta(hours=1)
        domain = session.exec(select(Domain).order_by(Domain.position, Domain.id)).first()
        workshop = factories.make_workshop(  # on site in Brussels, published, open for registration
            session,
            slug=f"today-{mark}",
            title=f"Workshop day {mark}",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            registration_opens_at=start - timedelta(days=10),
        )

        def breakout(title: str, votes: int = 3) -> Breakout:
            made = Breakout(
                workshop_id=workshop.id,
                title=title,
                starts_at=start + timedelta(minutes=30),
                ends_at=start + timedelta(hours=4),
                room="Salle 1",
                capacity=40,
                domain_id=domain.id,
                votes_per_person=votes,
            )
            session.add(made)
            return made

        live, wall = breakout(f"Ports live {mark}", votes=2), breakout(f"Wall {mark}")
        session.flush()
        facilitator = session.exec(select(User).where(User.email == "facilitator@example.org")).one()
        session.add_all([BreakoutFacilitator(breakout_id=b.id, user_id=facilitator.id) for b in (live, wall)])
        session.commit()
        people = []
        for name, organisation, kind, country, _country_name in ATTENDEES:
            people.append(
                factories.make_user(
                    session,
                    email=f"{country.lower()}-{mark}@example.org",
                    name=f"{name} {mark}",
                    organisation=organisation,
                    organisation_type=kind,
                    country=country,
                )
            )
        voter = factories.make_user(session, email=f"voter-{mark}@example.org", name=f"Vera Voter {mark}")
        for person in [*people, voter]:
            registration = Registration(workshop_id=workshop.id, user_id=person.id, mode="on_site", state="confirmed")
            session.add(registration)
            session.flush()
            session.add(BreakoutSeat(registration_id=registration.id, breakout_id=live.id, state="confirmed"))
        for i in range(20):
            session.add(
                Need(
                    breakout_id=wall.id,
                    domain_id=domain.id,
                    title=f"Wall need {i + 1:02d} {mark}",
                    statement="We need to see what happens on the quay at night, whatever the weather.",
                    organisation="Port of Rotterdam",
                    organisation_type="end_user",
                    country="NL",
                )
            )
        session.commit()
        first = session.exec(select(Need).where(Need.breakout_id == wall.id).order_by(Need.id)).first()
        for person in people:
            session.add(Vote(need_id=first.id, user_id=person.id, breakout_id=wall.id))
        session.commit()
    engine.dispose()
    return {
        "mark": mark,
        "live": live.title,
        "live_code": live.code,
        "wall": wall.title,
        "people": [p.name for p in people],
        "voter": voter.email,
    }


def test_a_facilitator_finds_the_breakout_and_each_captured_need_is_credited_rightly(browser, live_server, check_page):
    data = _today(live_server)
    mark = data["mark"]
    sofie, tomas = data["people"]
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, live_server, "facilitator@example.org")

    # One click from the menu to today's breakouts; the live one comes first.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My breakouts").click()
    live = page.locator("li.my-breakout[data-state='live']", has_text=data["live"])
    expect(live).to_be_visible()
    check_page(page, "my-breakouts")
    live.get_by_role("link", name=re.compile("^Capture console")).click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(data["live"])))).to_be_visible()

    captures = [
        (sofie, "Port of Antwerp-Bruges", f"Drones over the quay {mark}"),
        (tomas, "Lithuanian Border Guard", f"Drones over the border {mark}"),
        (f"Jan Outsider {mark}", "", f"Fence alarms {mark}"),
    ]
    for speaker, organisation, title in captures:
        page.locator("#speaker").fill(speaker)
        page.locator("#speaker").press("Tab")
        credited = page.locator("#credited-to")
        if organisation:
            expect(credited).to_contain_text(f"Credited to: {speaker}, {organisation}")
        else:
            expect(credited).to_contain_text("an outsider")
        if title.startswith("Drones over the quay"):
            check_page(page, "console-credited")
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("The need").fill(f"We need this, said {speaker}.")
        page.get_by_role("button", name=re.compile(r"^Capture")).click()
        expect(page.locator("#board")).to_contain_text(title, timeout=5000)
    board = page.locator("#board")
    for speaker, organisation, title in captures:
        card = board.locator("li", has_text=title).first
        expect(card).to_contain_text(speaker)
        if organisation:
            expect(card).to_contain_text(organisation)
    expect(board).not_to_contain_text("Hague Security Delta")  # never the facilitator's own organisation
    check_page(page, "console-after-captures")

    # The projector and the explorer say the same.
    page.goto(live_server.url + "/manage/my-breakouts")
    page.locator("li.my-breakout", has_text=data["live"]).get_by_role("link", name=re.compile("^Projector")).click()
    wall = page.locator("#board")
    for _speaker, organisation, title in captures:
        if organisation:
            expect(wall.locator(".wall-need", has_text=title)).to_contain_text(organisation)
    page.goto(f"{live_server.url}/manage/needs?q={mark}")
    for _speaker, organisation, title in captures:
        row = page.locator(".explorer-need", has_text=title)
        expect(row).to_contain_text(organisation or "Organisation not given")
    expect(page.locator(".explorer-list")).not_to_contain_text("Hague Security Delta")


def _fully_visible(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.wall-need')].filter(card => {
            const box = card.getBoundingClientRect();
            return !card.hidden && box.width > 0 && box.top >= 0 && box.left >= 0
                && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
        }).map(card => card.querySelector('.wall-title, h3, h2').textContent.trim())"""
    )


def test_the_projector_wall_shows_a_dozen_needs_and_pages_to_the_rest(browser, live_server, check_page):
    data = _today(live_server)
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    log_in(page, live_server, "facilitator@example.org")
    page.goto(live_server.url + "/manage/my-breakouts")
    page.locator("li.my-breakout", has_text=data["wall"]).get_by_role("link", name=re.compile("^Projector")).click()
    expect(page.locator(".wall-need").first).to_be_visible()
    first = _fully_visible(page)
    assert len(first) >= 12, first
    assert page.locator("a, form, nav, button").count() == 0  # nothing to click on a projected picture
    expect(page.locator(".projector-link")).to_contain_text("/b/")
    expect(page.get_by_role("img", name=re.compile("^QR code of the link"))).to_be_visible()
    check_page(page, "wall-1920")
    seen = set(first)
    page.wait_for_function(  # a page turns every 12 s or so
        "() => document.querySelector('.wall-page')?.textContent.includes('Page 2')", timeout=20_000
    )
    page.wait_for_timeout(800)  # the cards of a new page fade in over 0.4 s: look once they are shown
    seen |= set(_fully_visible(page))
    assert len({title for title in seen if data["mark"] in title}) == 20, sorted(seen)
    check_page(page, "wall-1920-page-2")


def test_an_attendee_on_a_phone_reaches_form_and_board_and_learns_why_no_vote_is_left(browser, live_server, check_page):
    data = _today(live_server)
    mark = data["mark"]
    # Three needs by others on the live board, through the console.
    console = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(console, live_server, "facilitator@example.org")
    console.goto(f"{live_server.url}/b/{data['live_code']}")
    console.get_by_role("link", name=re.compile("capture console", re.I)).first.click()
    titles = [f"Radar gaps {mark}", f"Night cameras {mark}", f"Boat alarms {mark}"]
    for title in titles:
        console.locator("#speaker").fill(data["people"][0])
        console.locator("#speaker").press("Tab")
        console.get_by_label("Title", exact=True).fill(title)
        console.get_by_label("The need").fill("We need it at night.")
        console.get_by_role("button", name=re.compile(r"^Capture")).click()
        expect(console.locator("#board")).to_contain_text(title, timeout=5000)

    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, data["voter"], factories.PASSWORD)
    phone.goto(f"{live_server.url}/b/{data['live_code']}")
    title_box = phone.get_by_label("Title", exact=True).bounding_box()
    assert title_box and title_box["y"] + title_box["height"] <= PHONE["height"], title_box
    to_board = phone.get_by_role("link", name=re.compile(r"board", re.I)).first
    board_link = to_board.bounding_box()
    assert board_link and board_link["y"] + board_link["height"] <= PHONE["height"], board_link
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(phone, "breakout-phone-first-screen")

    to_board.click()
    for title in titles[:2]:
        phone.get_by_role("button", name=f"Vote for {title}").click()
        expect(phone.get_by_role("button", name=f"Take back the vote for {title}")).to_be_visible()
    last = phone.get_by_role("button", name=f"Vote for {titles[2]}")
    expect(last).to_be_disabled()
    expect(phone.locator("#votes-left")).to_contain_text("take one back to vote here")
    message = phone.locator("#board-message")
    expect(message).to_contain_text("last vote")
    phone.wait_for_timeout(4000)  # several polls later, the message meant for the person is still there
    expect(message).to_contain_text("last vote")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(phone, "breakout-phone-no-vote-left")
