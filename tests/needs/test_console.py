"""The capture console's board on a laptop: compact needs, the dismiss reason behind a disclosure, merging."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.events.models import BreakoutFacilitator
from workshops.needs import services as needs
from workshops.needs.models import Need

NONE_TICKED = "Tick at least two needs on the board to merge them: none is ticked."
ONE_TICKED = "Tick at least two needs on the board to merge them: only one is ticked."


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="rotterdam")
    return factories.make_breakout(db, workshop, title="Harbour drones", capacity=10)


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


@pytest.fixture
def board_needs(app, db, breakout, facilitator) -> list[Need]:
    with app.app_context():
        return [
            needs.log_need(
                session=db,
                breakout=breakout,
                values=needs.NeedInput(title=title, statement=f"We need {title}."),
                author=facilitator,
                speaker_name="Pieter de Vries",
            )[0]
            for title in ("Drones over the terminal", "Drone sightings at night", "Badge checks for drivers")
        ]


class Nesting(HTMLParser):
    """For every element of a page, the elements it sits in."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[tuple[str, dict]] = []
        self.found: list[tuple[str, dict, list[tuple[str, dict]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        """Note the element with its ancestors; keep track of what is open."""
        attributes = {name: value or "" for name, value in attrs}
        self.found.append((tag, attributes, list(self.open)))
        if tag not in self.VOID:
            self.open.append((tag, attributes))

    def handle_endtag(self, tag):
        """Close the innermost open element of that name (and whatever the page left open in it)."""
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def where(self, tag: str, **attributes) -> list[list[tuple[str, dict]]]:
        """The ancestors of every ``tag`` whose attributes include these values."""
        return [
            ancestors
            for found, attrs, ancestors in self.found
            if found == tag and all(attrs.get(name.rstrip("_")) == value for name, value in attributes.items())
        ]


def _in_dismiss_disclosure(ancestors) -> bool:
    return any(tag == "details" and "dismiss" in attrs.get("class", "").split() for tag, attrs in ancestors)


def _console(client, breakout) -> str:
    return client.get(f"/manage/breakouts/{breakout.id}/capture").get_data(as_text=True)


def test_the_dismiss_reason_is_asked_for_inside_a_disclosure(console, breakout, board_needs):
    for html in (_console(console, breakout), console.get(f"/b/{breakout.code}/board").get_data(as_text=True)):
        page = Nesting(html)
        reasons = page.where("input", name="reason")
        forms = page.where("form", class_="dismiss-form")
        assert len(reasons) == len(forms) == 3
        assert all(_in_dismiss_disclosure(ancestors) for ancestors in reasons + forms)
        summaries = [a for a in page.where("summary") if _in_dismiss_disclosure(a)]
        assert len(summaries) == 3  # the Dismiss control that opens each
        for need in board_needs:
            assert f'<details class="dismiss" id="dismiss-{need.id}">' in html
            assert f'<label for="reason-{need.id}">Why dismiss it? Its author reads the reason.</label>' in html
        disclosures = re.findall(r'<details class="dismiss"[^>]*>', html)
        assert len(disclosures) == 3 and not any("open" in tag for tag in disclosures)  # closed until pressed


def test_without_the_script_the_disclosure_dismisses_with_its_reason(console, db, breakout, board_needs):
    need = board_needs[0]
    capture = f"/manage/breakouts/{breakout.id}/capture"
    post_form(console, f"/manage/needs/{need.id}/dismiss", {"reason": "A duplicate of #2"}, form_url=capture)
    db.refresh(need)
    assert (need.state, need.dismissed_reason) == ("dismissed", "A duplicate of #2")


def test_the_console_shows_a_compact_board_and_its_merge_form_says_where_it_comes_from(console, breakout, board_needs):
    html = _console(console, breakout)
    assert '<section class="board board-compact" aria-labelledby="board-title">' in html
    merge = Nesting(html)
    assert merge.where("input", type="hidden", name="back", value="console")
    assert merge.where("input", type="hidden", name="breakout", value=str(breakout.id))
    assert '<p class="merge-message" id="merge-message" role="status"></p>' in html
    attendee_page = console.get(f"/b/{breakout.code}").get_data(as_text=True)
    assert "board-compact" not in attendee_page  # the breakout page keeps the whole statements


@pytest.mark.parametrize(("ticked", "message"), [(0, NONE_TICKED), (1, ONE_TICKED)])
def test_merging_fewer_than_two_from_the_console_says_so_and_stays(console, breakout, board_needs, ticked, message):
    chosen = "".join(f"&need={need.id}" for need in board_needs[:ticked])
    response = console.get(f"/manage/needs/merge?back=console&breakout={breakout.id}{chosen}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/breakouts/{breakout.id}/capture"
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<p class="flash flash-warning" role="alert">{message}</p>' in page


def test_a_merge_from_the_console_goes_back_to_it(console, db, breakout, board_needs):
    first, second = board_needs[:2]
    url = f"/manage/needs/merge?back=console&breakout={breakout.id}&need={first.id}&need={second.id}"
    page = console.get(url).get_data(as_text=True)
    assert 'name="back" type="hidden" value="console"' in page
    form = {
        "needs": f"{first.id},{second.id}",
        "into": str(breakout.id),
        "back": "console",
        "title": "Drones near the terminal",
        "statement": "We need to detect drones over the terminal, day and night.",
        "urgency": "3",
        "sensitivity": "public",
        "organisation_type": "other",
    }
    response = post_form(console, "/manage/needs/merge", form, form_url=url)
    assert response.headers["Location"] == f"/manage/breakouts/{breakout.id}/capture"
    db.rollback()
    assert db.exec(select(Need).where(Need.state == "merged")).all() != []


def test_elsewhere_a_merge_of_nothing_still_goes_to_the_explorer(console, breakout, board_needs):
    assert console.get("/manage/needs/merge").headers["Location"] == "/manage/needs"
    assert console.get(f"/manage/needs/merge?breakout={breakout.id}").headers["Location"] == "/manage/needs"


@pytest.mark.parametrize("number", ["abc", "-3", "99999999999999", "²", ""])
def test_a_tampered_console_number_falls_back_to_the_explorer(console, number):
    response = console.get(f"/manage/needs/merge?back=console&breakout={number}")
    assert response.headers["Location"] == "/manage/needs"


def test_the_console_of_someone_elses_breakout_stays_closed(app, db, facilitator_client, breakout, board_needs):
    """No BreakoutFacilitator row: sent back to that console, the facilitator gets its 404, nothing more."""
    response = facilitator_client.get(f"/manage/needs/merge?back=console&breakout={breakout.id}")
    assert facilitator_client.get(response.headers["Location"]).status_code == 404
    participant = factories.make_user(db, name="Pat", email="pat2@example.org")
    other = app.test_client()
    log_in(other, participant)
    assert other.get(f"/manage/needs/merge?back=console&breakout={breakout.id}").status_code == 403
