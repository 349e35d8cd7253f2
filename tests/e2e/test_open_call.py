"""Journey 3, the call: an organiser creates "Open Call 2", orders its challenges, publishes and downloads it.

From accepted use cases to the published call: preview, publication (contributors e-mailed), every
download, the HTML export printed to PDF with each domain on a new page, and the public page on a phone.
"""

from __future__ import annotations

import io
import json
import re
import secrets

import pypdf
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from tests.e2e.journeys import log_in
from workshops.auth.models import User
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import OpenCall
from workshops.db import make_engine
from workshops.needs.models import Need
from workshops.privacy.models import Consent
from workshops.programme.models import Domain
from workshops.usecases.models import UseCase, UseCaseNeed

PHONE = {"width": 360, "height": 740}
BODY = """## Context

Operators need to {what}.

## Success criteria and KPIs

- works at night
- fewer than one false alarm a day

| KPI | Target |
| --- | --- |
| Detection | under 2 s |
"""


def _prepare(live_server) -> dict:
    """Accepted use cases in the served database: two in the first domain, one in the second.

    The demo may hold accepted use cases of its own (and other tests add some): these titles carry a
    mark of their own, so the test adds and checks only these. One is fed by a demo participant's
    need, so that publishing e-mails that person.
    """
    mark = secrets.token_hex(2)
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        first, second = session.exec(select(Domain).order_by(Domain.position, Domain.id)).all()[:2]
        specs = [
            (f"Drone detection at ports {mark}", first, "see drones over the terminals"),
            (f"Fence intrusion alerts {mark}", first, "know when someone climbs the fence"),
            (f"Flood early warning {mark}", second, "warn districts before the river floods"),
        ]
        use_cases = [
            UseCase(
                title=title,
                summary=f"Help operators {what}.",
                domain_id=domain.id,
                state="accepted",
                body=BODY.format(what=what),
                owners="Port of Antwerp",
                owners_may_be_named=True,
                trl_min=5,
                trl_max=7,
            )
            for title, domain, what in specs
        ]
        session.add_all(use_cases)
        session.flush()
        # Only people who asked for it are e-mailed: the demo gives the "updates" consent to half of them.
        need = session.exec(
            select(Need)
            .join(User, col(User.id) == Need.stated_by_id)
            .join(Consent, col(Consent.user_id) == User.id)
            .where(
                col(User.confirmed_at).is_not(None),
                Need.sensitivity == "public",
                Consent.kind == "updates",
                col(Consent.withdrawn_at).is_(None),
            )
            .order_by(Need.id)
        ).first()
        contributor = None
        if need is not None:
            session.add(UseCaseNeed(use_case_id=use_cases[0].id, need_id=need.id))
            contributor = session.get(User, need.stated_by_id).email
        taken = session.exec(select(OpenCall.id).where(OpenCall.slug == "open-call-2")).first()
        session.commit()
    engine.dispose()
    return {
        "titles": [title for title, _domain, _what in specs],
        "domains": [first.name, second.name],
        "slug": "open-call-2" if taken is None else f"open-call-2-{mark}",
        "contributor": contributor,
    }


def _download(page, link_name: str):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    download = info.value
    return download.suggested_filename, download.path().read_bytes()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_an_organiser_composes_previews_publishes_and_downloads_open_call_2(browser, live_server, check_page):
    data = _prepare(live_server)
    drones, fence, floods = data["titles"]
    first_domain, second_domain = data["domains"]
    slug = data["slug"]
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    log_in(page, live_server, "organiser@example.org")

    # The list, then a new call with a mistake: the error is next to the field.
    page.goto(live_server.url + "/manage/calls")
    expect(page.get_by_role("heading", name="Open calls", exact=True)).to_be_visible()
    check_page(page, "calls")
    page.get_by_role("link", name="New call").click()
    page.get_by_label("Name", exact=True).fill("Open Call 2")
    page.get_by_label("Short name in the address").fill(slug)
    page.get_by_label("Opens", exact=True).fill("2027-02-01T09:00")
    page.get_by_label("Closes", exact=True).fill("2027-01-01T17:00")
    page.get_by_label("Introduction").fill("The second call of the programme.\n\n## Who we are\n\nEight clusters.")
    page.get_by_label("Funding").fill("Up to **€60,000** per project.")
    page.get_by_role("button", name="Create the call").click()
    expect(page.locator("#closes_at-error")).to_have_text("The call must close after it opens.")
    check_page(page, "new-call-error")
    page.get_by_label("Closes", exact=True).fill("2027-04-30T17:00")
    page.get_by_role("button", name="Create the call").click()
    expect(page.get_by_role("heading", name="Open Call 2", exact=True)).to_be_visible()
    expect(page.get_by_text("No challenge yet.")).to_be_visible()
    call_url = page.url
    check_page(page, "new-draft")

    # Add the three accepted use cases; each goes to the end of its domain.
    for title in (drones, fence, floods):
        page.get_by_label(re.compile(re.escape(title))).check()
    page.get_by_role("button", name="Add to the call").click()
    for heading in (f"Challenge 1.1: {drones}", f"Challenge 1.2: {fence}", f"Challenge 2.1: {floods}"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()

    # Order them: the fence alerts first, and the second domain before the first.
    page.get_by_role("button", name=f"Move up “{fence}”").click()
    expect(page.get_by_role("heading", name=f"Challenge 1.1: {fence}")).to_be_visible()
    assert re.search(r"#challenge-\d+$", page.url)
    page.get_by_role("button", name=f"Move domain down “{first_domain}”").click()
    expect(page.get_by_role("heading", name=f"Challenge 1.1: {floods}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Challenge 2.2: {drones}")).to_be_visible()
    page.get_by_role("button", name=f"Move domain down “{second_domain}”").click()
    expect(page.get_by_role("heading", name=f"Challenge 2.1: {floods}")).to_be_visible()
    check_page(page, "compose")
    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, "organiser@example.org")
    phone.goto(call_url)
    check_page(phone, "compose-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Preview: the whole text on one page, not yet public.
    page.get_by_role("link", name="Preview the call text").click()
    expect(page.get_by_text("this is how the call reads; it is not published")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Challenge 1.2: {drones}")).to_be_visible()
    expect(page.get_by_role("heading", name="Who we are")).to_be_visible()
    check_page(page, "preview")
    assert page.request.get(f"{live_server.url}/calls/{slug}/").status == 404

    # Publish: contributors are told, the public page is there.
    page.goto(call_url)
    page.get_by_role("button", name="Publish the call…").click()
    expect(page.locator(".call-publish-effects")).to_contain_text("3 challenges will be frozen")
    expect(page.locator(".call-publish-effects")).to_contain_text(f"/calls/{slug}/")
    check_page(page, "publish-confirmation")
    page.get_by_role("button", name=re.compile(r"^Publish now: freeze 3 challenges")).click()
    expect(page.get_by_text(re.compile(r"Published “Open Call 2”"))).to_be_visible()
    check_page(page, "published")
    assert data["contributor"], "the demo has a contributor who asked to be told"
    if data["contributor"]:
        told = live_server.messages_where(lambda m: m["To"] == data["contributor"] and "Open Call 2" in m["Subject"])
        assert len(told) == 1
        assert f"{live_server.url}/calls/{slug}/" in told[0].get_body(("plain",)).get_content()

    # Every download: the call text and the consultation report.
    files = {}
    for key, format_ in CALL_FORMATS.items():
        name, content = _download(page, f"Call text as {format_.label}")
        assert name == f"{slug}.{format_.extension}"
        files[key] = content
    for _key, format_ in REPORT_FORMATS.items():
        name, content = _download(page, f"Consultation report as {format_.label}")
        assert name == f"{slug}-consultation-report.{format_.extension}"
        assert content
    document = json.loads(files["json"])
    assert document["call"]["name"] == "Open Call 2"
    assert [(c["number"], c["title"], c["domain"]) for c in document["challenges"]] == [
        ("1.1", fence, first_domain),
        ("1.2", drones, first_domain),
        ("2.1", floods, second_domain),
    ]
    assert f"#### Challenge 1.2: {drones}" in files["md"].decode()

    # The HTML export printed to PDF: each domain starts a page.
    printed = browser.new_page()
    printed.set_content(files["html"].decode())
    pages = [_one_line(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(printed.pdf(format="A4"))).pages]
    printed.close()
    for number, domain, last_before in ((1, first_domain, None), (2, second_domain, drones)):
        [start] = [i for i, text in enumerate(pages) if f"{number}. {domain}" in text]
        assert pages[start].startswith(f"{number}. {domain}"), pages[start][:80]
        if last_before:
            assert last_before not in pages[start]
            assert last_before in pages[start - 1]

    page.goto(live_server.url + "/manage/calls")
    expect(page.get_by_role("link", name="Open Call 2")).to_be_visible()
    check_page(page, "calls-with-one")

    # The public page, for anyone, on a phone too.
    visitor = browser.new_page(viewport=PHONE)
    visitor.goto(f"{live_server.url}/calls/")
    visitor.get_by_role("link", name="Open Call 2").first.click()
    expect(visitor.get_by_role("heading", name=f"Challenge 2.1: {floods}")).to_be_visible()
    check_page(visitor, "public-call-phone")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name, content = _download(visitor, "Call text as JSON")
    assert name == f"{slug}.json" and content == files["json"]
    visitor.goto(f"{live_server.url}/calls/")
    check_page(visitor, "public-calls-phone")
    visitor.close()

    phone.goto(call_url)
    check_page(phone, "published-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.goto(f"{call_url}/preview")
    check_page(phone, "preview-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
