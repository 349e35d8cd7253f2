"""Traceability from the room to the call: three organisations, two breakouts, one merge across them.

Three participants from three countries log needs on their phones in two breakouts; the organiser
ticks two of them in the explorer (across the breakouts), merges them onto the second board, builds a
use case from the merged need and the third one, accepts it, publishes a call with it, and downloads
every export. Each one must count what was logged: three needs, from three organisations, in three
countries, at one workshop; the report counts the needs logged per breakout, the merged ones apart.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from datetime import timedelta
from html.parser import HTMLParser

import docx
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests import factories
from tests.e2e.journeys import log_in
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.db import make_engine
from workshops.events.models import Breakout, BreakoutSeat, Registration
from workshops.programme.models import Domain
from workshops.timeutil import utcnow

PHONE = {"width": 360, "height": 740}
EVIDENCE = "3 needs from 3 organisations in 3 countries, 1 workshop"
PEOPLE = [
    ("Port of Antwerp-Bruges", "BE", 0),
    ("State Border Guard Service", "LT", 1),
    ("Port of Rotterdam", "NL", 0),
]


def _prepare(live_server) -> dict:
    """A workshop today with two breakouts, and three people of three organisations with a seat in one."""
    mark = secrets.token_hex(3)
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        start = utcnow().replace(microsecond=0) - timedelta(hours=1)
        workshop = factories.make_workshop(  # on site in Brussels, published, open for registration
            session,
            slug=f"trace-{mark}",
            title=f"Traceability day {mark}",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            registration_opens_at=start - timedelta(days=10),
        )
        domains = session.exec(select(Domain).order_by(Domain.position, Domain.id)).all()[:2]
        breakouts = [
            Breakout(
                workshop_id=workshop.id,
                title=f"{name} {mark}",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                room=f"Room {i + 1}",
                capacity=20,
                domain_id=domain.id,
            )
            for i, (name, domain) in enumerate(zip(("Ports", "Borders"), domains, strict=True))
        ]
        session.add_all(breakouts)
        session.commit()
        people = []
        for organisation, country, board in PEOPLE:
            person = factories.make_user(
                session, email=f"{country.lower()}-{mark}@example.org", organisation=organisation, country=country
            )
            registration = Registration(workshop_id=workshop.id, user_id=person.id, mode="on_site", state="confirmed")
            session.add(registration)
            session.flush()
            session.add(
                BreakoutSeat(registration_id=registration.id, breakout_id=breakouts[board].id, state="confirmed")
            )
            session.commit()
            people.append((person.email, breakouts[board].code))
        reviewer = factories.make_user(session, email=f"reviewer-{mark}@example.org", role="organiser")
    engine.dispose()
    return {
        "mark": mark,
        "people": people,
        "boards": [b.title for b in breakouts],
        "domain": domains[0].name,
        "workshop": workshop.title,
        "reviewer": reviewer.email,  # a second organiser: the one who accepts what the first wrote
    }


def _log_need(browser, live_server, email, code, title, statement) -> None:
    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, email, factories.PASSWORD)
    phone.goto(f"{live_server.url}/b/{code}")
    phone.get_by_label("Title").fill(title)
    phone.get_by_label("The need").fill(statement)
    phone.get_by_role("button", name="Save the need").click()
    expect(phone.get_by_text("is saved")).to_be_visible()
    phone.context.close()


def _download(page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    return info.value.path().read_bytes()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _html_text(data: bytes) -> str:
    parser = _Text()
    parser.feed(data.decode())
    return " ".join(" ".join(parser.parts).split())


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [" | ".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_needs_of_three_organisations_merged_across_breakouts_are_counted_in_every_export(
    browser, live_server, check_page
):
    data = _prepare(live_server)
    mark = data["mark"]
    ports, borders = data["boards"]
    (antwerp, antwerp_code), (border_guard, border_code), (rotterdam, rotterdam_code) = data["people"]
    quay, border, fence = (f"Drones over the quay {mark}", f"Drones over the border {mark}", f"Fence alarms {mark}")
    _log_need(browser, live_server, antwerp, antwerp_code, quay, "We need to see small drones over the quay at night.")
    _log_need(browser, live_server, border_guard, border_code, border, "We need to detect drones crossing the border.")
    _log_need(browser, live_server, rotterdam, rotterdam_code, fence, "We need fence alarms that ignore birds.")

    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    log_in(page, live_server, "organiser@example.org")

    # The explorer: search the drones, tick the two from different breakouts, merge them.
    page.goto(live_server.url + "/manage/needs")
    page.get_by_role("searchbox", name="Search").fill(f"drones {mark}")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label(f"Select “{quay}”").check()
    page.get_by_label(f"Select “{border}”").check()
    expect(page.locator("[data-chosen-count]")).to_contain_text("2 needs ticked")
    check_page(page, "explorer-two-ticked")
    page.get_by_role("button", name="Merge these").click()
    expect(page.get_by_text("These needs come from 2 breakouts")).to_be_visible()
    page.get_by_label(re.compile(re.escape(borders))).check()
    page.get_by_role("button", name="Put it there").click()
    expect(page.get_by_text(f"goes on the board of “{borders}”")).to_be_visible()
    check_page(page, "merge-across-breakouts")
    merged = f"Drones at quays and borders {mark}"
    page.get_by_label("Title").fill(merged)
    page.get_by_role("button", name="Merge into this need").click()
    expect(page.get_by_text(f"2 needs merged into “{merged}”")).to_be_visible()
    expect(page.get_by_label(f"Select “{merged}”")).to_be_checked()  # back in the explorer, ticked

    # A new search keeps the tick: add the fence alarms, then synthesise.
    page.get_by_role("searchbox", name="Search").fill(mark)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_label(f"Select “{merged}”")).to_be_checked()
    page.get_by_label(f"Select “{fence}”").check()
    expect(page.locator("[data-chosen-count]")).to_contain_text("2 needs ticked")
    page.get_by_role("button", name="Create use case from these").click()
    expect(page.get_by_text("Created from 2 needs")).to_be_visible()
    title = f"Drones and fences at ports and borders {mark}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Domain").select_option(label=data["domain"])  # the needs' domains differ: choose
    page.get_by_role("button", name="Create the use case").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".traceability")).to_contain_text("3")  # the panel counts the stated needs
    # The template's guidance gives way to the organiser's words (a call holding it would not be published).
    use_case_url = page.url
    page.get_by_role("link", name="Edit", exact=True).click()
    body = page.get_by_role("textbox", name=re.compile(r"^Text\b"))
    body.fill(re.sub(r"(?m)^_(.+)_$", "Written from what the participants said.", body.input_value()))
    page.get_by_role("button", name="Save the use case").click()
    expect(page.locator(".usecase-findings")).to_have_count(0)
    page.get_by_role("button", name="Send for review").click()
    # A second organiser accepts it: its author may not (the programme's default).
    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(reviewer, live_server, data["reviewer"], factories.PASSWORD)
    reviewer.goto(use_case_url)
    reviewer.get_by_role("button", name="Accept").click()
    expect(reviewer.locator(".usecase-state")).to_have_text("Accepted")
    reviewer.context.close()

    # The call: one challenge, published.
    page.goto(live_server.url + "/manage/calls/new")
    page.get_by_label("Name", exact=True).fill(f"Call {mark}")
    page.get_by_label("Short name in the address").fill(f"call-{mark}")
    page.get_by_label("Opens", exact=True).fill("2027-02-01T09:00")
    page.get_by_label("Closes", exact=True).fill("2027-04-30T17:00")
    page.get_by_label("Introduction").fill("A call built from what was asked.")
    page.get_by_role("button", name="Create the call").click()
    expect(page.get_by_role("heading", name=f"Call {mark}", exact=True)).to_be_visible()
    page.get_by_label(re.compile(re.escape(title))).check()
    page.get_by_role("button", name="Add to the call").click()
    expect(page.get_by_role("heading", name=f"Challenge 1.1: {title}")).to_be_visible()
    page.get_by_role("button", name="Publish the call").click()
    confirm = page.get_by_role("button", name=re.compile("^Publish"))  # a confirmation step, if asked for
    if page.get_by_text(re.compile(r"Published “Call")).count() == 0 and confirm.count():
        confirm.last.click()
    expect(page.get_by_text(re.compile(rf"Published “Call {mark}”"))).to_be_visible()
    check_page(page, "published")

    # Every download counts what was logged.
    for key, format_ in CALL_FORMATS.items():
        content = _download(page, f"Call text as {format_.label}")
        if key == "csv":
            [row] = [
                r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")) if r["title"] == title
            ]
            assert (row["needs"], row["organisations"], row["countries"], row["workshops"]) == ("3", "3", "3", "1")
        elif key == "json":
            [challenge] = [c for c in json.loads(content)["challenges"] if c["title"] == title]
            assert [challenge[k] for k in ("needs", "organisations", "countries", "workshops")] == [3, 3, 3, 1]
        else:
            text = {"md": bytes.decode, "html": _html_text, "docx": _docx_text}[key](content)
            assert EVIDENCE in " ".join(text.split()), key
    public = page.context.new_page()
    public.goto(f"{live_server.url}/calls/call-{mark}/")
    expect(public.get_by_text(EVIDENCE)).to_be_visible()
    public.close()

    reports = {
        key: _download(page, f"Consultation report as {format_.label}") for key, format_ in REPORT_FORMATS.items()
    }
    texts = {
        "md": reports["md"].decode(),
        "html": _html_text(reports["html"]),
        "docx": _docx_text(reports["docx"]),
    }
    for key, text in texts.items():
        flat = " ".join(text.replace("|", " ").split())
        assert re.search(rf"{re.escape(ports)} 2 1 0", flat), (key, "Ports: 2 logged, 1 merged, none internal")
        assert re.search(rf"{re.escape(borders)} 1 1 0", flat), (key, "Borders: 1 logged, 1 merged")
        for organisation, _country, _board in PEOPLE:
            assert organisation in text, (key, organisation)
        assert merged not in flat or "merg" in flat.lower(), key
