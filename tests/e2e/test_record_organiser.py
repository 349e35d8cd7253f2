"""An organiser is stopped from publishing a call whose challenge still holds the use-case template's guidance.

Two accepted use cases go into a new call (its address made from its name as it is typed); one of
them still says "How the end-users will tell that it works…" under "Success criteria and KPIs",
as the published Challenge 1.2 of issue 14 did. Publishing is held up with the challenge and the
section named; once the text is edited, the confirmation says how many challenges it freezes and how
many people it e-mails, and publishing does exactly that. Both pages are checked at 1366 and 360 px.
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from tests.e2e.journeys import log_in
from workshops.auth.models import User
from workshops.db import make_engine
from workshops.needs.models import Need
from workshops.privacy.models import Consent
from workshops.programme.models import Domain
from workshops.usecases.models import UseCase, UseCaseNeed
from workshops.usecases.template_default import DEFAULT_TEMPLATE

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
GUIDANCE = "How the end-users will tell that it works: measurable targets where possible."
QUOTED = GUIDANCE.removesuffix(".")  # as the page quotes it
#: The default template, every section written, except the guidance left under "Success criteria and KPIs".
BODY = re.sub(r"(?m)^_(?!How the end-users)(.+)_$", "Written from what the end-users said.", DEFAULT_TEMPLATE)


def _prepare(live_server) -> dict:
    """Two accepted use cases of one domain, written by nobody logged in here; one fed by a demo need.

    The need's author asked to hear what became of their needs, so the publication e-mails them.
    """
    mark = secrets.token_hex(2)
    engine = make_engine(live_server.env["WORKSHOPS_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        domain = session.exec(select(Domain).order_by(Domain.position, Domain.id)).first()
        unfinished = UseCase(
            title=f"Drone detection at ports {mark}",
            summary="See small drones over the terminals at night.",
            domain_id=domain.id,
            state="accepted",
            body=BODY,
            trl_min=5,
            trl_max=7,
        )
        finished = UseCase(
            title=f"Fence intrusion alerts {mark}",
            summary="Know when someone climbs the fence.",
            domain_id=domain.id,
            state="accepted",
            body=BODY.replace(f"_{GUIDANCE}_", "- fewer than one false alarm a night"),
            trl_min=5,
            trl_max=7,
        )
        session.add_all([unfinished, finished])
        session.flush()
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
            .order_by(Need.id.desc())
        ).first()
        assert need is not None, "the demo has a contributor who asked to be told"
        session.add(UseCaseNeed(use_case_id=unfinished.id, need_id=need.id))
        contributor = session.get(User, need.stated_by_id).email
        session.commit()
    engine.dispose()
    return {"mark": mark, "unfinished": unfinished.title, "finished": finished.title, "contributor": contributor}


def _on_a_phone(browser, live_server, url, check_page, label):
    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, "organiser@example.org")
    phone.goto(url)
    check_page(phone, label)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.context.close()


def test_an_organiser_is_told_where_guidance_holds_a_publication_up_then_confirms_it(browser, live_server, check_page):
    data = _prepare(live_server)
    mark, unfinished, finished = data["mark"], data["unfinished"], data["finished"]
    name = f"Open Call {mark} — Sécurité"
    page = browser.new_context(viewport=WIDE).new_page()
    log_in(page, live_server, "organiser@example.org")

    # A new call: its address fills in from its name as it is typed.
    page.goto(live_server.url + "/manage/calls/new")
    page.get_by_label("Name", exact=True).fill(name)
    slug = f"open-call-{mark}-securite"
    expect(page.get_by_label("Short name in the address")).to_have_value(slug)
    page.get_by_label("Opens", exact=True).fill("2027-02-01T09:00")
    page.get_by_label("Closes", exact=True).fill("2027-04-30T17:00")
    page.get_by_label("Introduction").fill("The call of the record.")
    page.get_by_role("button", name="Create the call").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    call_url = page.url

    # Both use cases go in; the unfinished one is marked on the call's page.
    for title in (unfinished, finished):
        page.get_by_label(re.compile(re.escape(title))).check()
    page.get_by_role("button", name="Add to the call").click()
    item = page.locator(".call-challenge", has_text=unfinished)
    expect(item.locator(".call-unfinished")).to_contain_text("Holds up publication:")
    expect(item.locator(".call-unfinished")).to_contain_text(
        f"Section “Success criteria and KPIs” still holds the template's guidance “{QUOTED}”."
    )
    number = item.locator("[data-number]").inner_text()

    # Publishing is held up, and the page says where.
    page.get_by_role("button", name="Publish the call…").click()
    expect(page.get_by_role("heading", name="Publishing is held up")).to_be_visible()
    expect(page.locator(".call-held-list")).to_have_text(
        f"Challenge {number} “{unfinished}”: section “Success criteria and KPIs” still holds the template's "
        f"guidance “{QUOTED}”."
    )
    expect(page.get_by_role("button", name=re.compile("^Publish now"))).to_have_count(0)
    check_page(page, "publication-held-up")
    _on_a_phone(browser, live_server, page.url, check_page, "publication-held-up-phone")
    assert page.request.get(f"{live_server.url}/calls/{slug}/").status == 404

    # The organiser edits the text where it was pointed to.
    page.get_by_role("link", name=f"Challenge {number} “{unfinished}”").click()
    body = page.get_by_role("textbox", name=re.compile(r"^Text\b"))
    body.fill(body.input_value().replace(f"_{GUIDANCE}_", "- a drone seen within 2 s, night and day"))
    page.get_by_role("button", name="Save the use case").click()
    expect(page.get_by_text("The use case is saved.")).to_be_visible()
    expect(page.locator(".usecase-findings")).to_have_count(0)

    # Now the confirmation says what publishing does, counted as the sending counts.
    page.goto(call_url)
    expect(page.locator(".call-unfinished")).to_have_count(0)
    page.get_by_role("button", name="Publish the call…").click()
    effects = page.locator(".call-publish-effects")
    expect(effects).to_contain_text("2 challenges will be frozen")
    told = int(re.search(r"(\d+) (?:person|people) will be e-mailed", effects.inner_text()).group(1))
    assert told >= 1
    expect(effects).to_contain_text(f"{live_server.url}/calls/{slug}/")
    check_page(page, "publication-confirmation")
    _on_a_phone(browser, live_server, page.url, check_page, "publication-confirmation-phone")

    page.get_by_role("button", name=re.compile(r"^Publish now: freeze 2 challenges, e-mail \d+")).click()
    expect(page.get_by_text(re.compile(rf"Published “{re.escape(name)}”"))).to_be_visible()
    sent = live_server.messages_where(lambda m: name in m["Subject"], count=told)
    assert len(sent) == told and data["contributor"] in {m["To"] for m in sent}
    assert page.request.get(f"{live_server.url}/calls/{slug}/").status == 200
