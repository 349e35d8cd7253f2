"""Projector mode: who may open it, the short link and its QR code, and the wall of needs the room reads."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import segno
from sqlmodel import select

from tests import factories
from tests.conftest import log_in
from workshops.events.models import BreakoutFacilitator
from workshops.needs import services as needs
from workshops.needs import votes
from workshops.needs.models import Need
from workshops.timeutil import utcnow

BASE_URL = "http://workshops.test"  # the test application's BASE_URL
#: What a person clicks, fills in or is led away by.
INTERACTIVE = {"a", "form", "nav", "button", "input", "select", "textarea", "label", "details", "summary"}


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="nice")
    return factories.make_breakout(db, workshop, title="Crowd safety", capacity=10, room="Masséna")


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Marie Dubois", organisation="Ville de Nice")


@pytest.fixture
def attendee_client(app, attendee):
    client = app.test_client()
    log_in(client, attendee)
    return client


@pytest.fixture
def console(db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    return facilitator_client


@pytest.fixture
def log_need(app, db, breakout, attendee):
    """Store a need stated by the attendee, as the breakout page would."""

    def log(title: str, **values):
        with app.app_context():
            need, _ = needs.log_need(
                session=db,
                breakout=breakout,
                values=needs.NeedInput(title=title, statement=f"We need {title.lower()}.", **values),
                author=attendee,
            )
        return need

    return log


def _page(client, breakout, query: str = "") -> str:
    response = client.get(f"/b/{breakout.code}/projector{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _fragment(client, breakout) -> str:
    response = client.get(f"/b/{breakout.code}/projector/board")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _titles(html: str, part: str) -> list[str]:
    """The need titles of one part of the wall (``pinned`` or ``paged``), in the order shown."""
    section = re.search(rf'<section class="wall-part wall-{part}".*?</section>', html, re.DOTALL)
    return re.findall(r'<h3 class="wall-title">(.*?)</h3>', section.group(0)) if section else []


class _Tags(HTMLParser):
    """Every start tag of the body, with its attributes."""

    def __init__(self):
        super().__init__()
        self.in_body = False
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.in_body = self.in_body or tag == "body"
        if self.in_body:
            self.tags.append((tag, dict(attrs)))


def _body_tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.in_body = "<body" not in html  # a fragment is all body
    parser.feed(html)
    return parser.tags


def _dark_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules (column, row) drawn by segno's SVG: runs of ``h`` lines along rows ``y + 0.5``."""
    path = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            dark.update((int(x) + step, int(y)) for step in range(int(float(first))))
            x += float(first)
    return dark


def _expected_modules(url: str, border: int) -> set[tuple[int, int]]:
    matrix = segno.make_qr(url, error="m").matrix
    return {(col + border, row + border) for row, line in enumerate(matrix) for col, bit in enumerate(line) if bit}


def test_the_facilitator_projects_the_short_link_and_its_qr_code(console, breakout):
    page = _page(console, breakout)
    link = f"{BASE_URL}/b/{breakout.code}"
    # Text to read and type, not a link; it may wrap after the host, never inside the code.
    assert (
        f'<p class="projector-link"><span class="projector-host">{BASE_URL}</span><wbr>'
        f'<span class="projector-code">/b/{breakout.code}</span></p>'
    ) in page
    assert f'<figure class="projector-qr" role="img" aria-label="QR code of the link {link}"><svg ' in page
    assert '<body class="projector"' in page  # no site header or footer: the room sees the board alone
    assert '<html lang="en" class="projector-page">' in page
    assert "<h1>Crowd safety</h1>" in page
    assert "<title>Projector · Crowd safety · " in page
    assert f'data-url="/b/{breakout.code}/projector/board"' in page
    assert '<link rel="stylesheet" href="/static/css/projector.css">' in page
    assert '<script type="module" src="/static/js/needs/projector.js"></script>' in page


def test_the_qr_code_is_the_one_of_the_short_link(console, breakout):
    page = _page(console, breakout)
    svg = re.search(r'<figure class="projector-qr"[^>]*>(<svg .*?</svg>)</figure>', page, re.DOTALL).group(1)
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    link = f"{BASE_URL}/b/{breakout.code}"
    size = len(segno.make_qr(link, error="m").matrix)
    assert side == size + 2 * 4  # the standard quiet zone
    assert _dark_modules(svg) == _expected_modules(link, border=4)
    # The comparison tells URLs apart: another breakout's link, or the path alone, gives other modules.
    assert _dark_modules(svg) != _expected_modules(f"{BASE_URL}/b/{breakout.code}x", border=4)
    assert _dark_modules(svg) != _expected_modules(f"/b/{breakout.code}", border=4)


def test_an_attendee_projects_an_open_board_but_not_one_kept_for_facilitators(attendee_client, db, breakout):
    assert attendee_client.get(f"/b/{breakout.code}/projector").status_code == 200
    breakout.board_visibility = "facilitators"
    db.add(breakout)
    db.commit()
    assert attendee_client.get(f"/b/{breakout.code}/projector").status_code == 403
    assert attendee_client.get(f"/b/{breakout.code}/projector/board").status_code == 403


def test_someone_not_attending_is_refused(participant_client, breakout):
    assert participant_client.get(f"/b/{breakout.code}/projector").status_code == 403
    assert participant_client.get(f"/b/{breakout.code}/projector/board").status_code == 403


def test_an_unknown_code_is_not_found(console):
    assert console.get("/b/nosuchcode/projector").status_code == 404
    assert console.get("/b/nosuchcode/projector/board").status_code == 404


def test_anonymous_people_log_in_first(client, breakout):
    response = client.get(f"/b/{breakout.code}/projector")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fb%2F{breakout.code}%2Fprojector"


@pytest.fixture
def voters(app, db, breakout, attendee):
    """The attendee and two more, three votes each."""
    return [attendee] + [factories.make_attendee(app, db, breakout) for _ in range(2)]


def test_the_most_voted_needs_are_pinned_in_order_and_the_rest_follows(console, db, breakout, voters, log_need):
    first, second, third, fourth, _ = (log_need(title) for title in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"))
    for need, people in ((first, voters), (second, voters[:2]), (third, voters[:1]), (fourth, voters[1:2])):
        for person in people:
            votes.vote(session=db, need=need, user=person)
    page = _page(console, breakout)
    # Most votes first; of two needs with as many votes, the newer one.
    assert _titles(page, "pinned") == ["Alpha", "Bravo", "Delta"]
    assert _titles(page, "paged") == ["Charlie", "Echo"]
    assert '<h2 class="wall-band" id="wall-pinned-title">Most votes</h2>' in page
    assert 'More needs <span class="wall-count">(2)</span>' in page
    assert '<span class="wall-vote-count">3</span> votes' in page
    assert '<span class="wall-vote-count">1</span> vote</span>' in page
    fragment = _fragment(console, breakout)
    assert _titles(fragment, "pinned") == ["Alpha", "Bravo", "Delta"]
    assert _titles(fragment, "paged") == ["Charlie", "Echo"]


def test_a_need_without_votes_is_never_pinned_as_one_of_the_most_voted(console, db, breakout, attendee, log_need):
    for title in ("Alpha", "Bravo", "Charlie", "Delta"):
        log_need(title)
    page = _page(console, breakout)
    assert _titles(page, "pinned") == []
    assert "Most votes" not in page
    assert _titles(page, "paged") == ["Delta", "Charlie", "Bravo", "Alpha"]  # as many votes: newest first
    assert 'Needs <span class="wall-count">(4)</span>' in page
    votes.vote(session=db, need=db.exec(select(Need).where(Need.title == "Bravo")).one(), user=attendee)
    page = _page(console, breakout)
    assert _titles(page, "pinned") == ["Bravo"]
    assert _titles(page, "paged") == ["Delta", "Charlie", "Alpha"]


def test_the_sort_of_the_breakout_page_does_not_change_the_wall(console, db, breakout, attendee, log_need):
    first = log_need("Counting people on the promenade")
    log_need("Newer and without votes")
    votes.vote(session=db, need=first, user=attendee)
    page = _page(console, breakout, "?sort=newest")
    assert _titles(page, "pinned") == ["Counting people on the promenade"]
    assert _titles(page, "paged") == ["Newer and without votes"]


def test_the_wall_escapes_what_people_typed(console, db, breakout, attendee, log_need):
    need = log_need('"><script>alert(1)</script>', organisation='<img src=x onerror="alert(2)">')
    votes.vote(session=db, need=need, user=attendee)
    for html in (_page(console, breakout), _fragment(console, breakout)):
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html


def test_the_wall_holds_no_link_form_or_navigation(console, db, breakout, attendee, log_need):
    """The room only reads the wall: nothing on it to click, fill in or follow, even for a facilitator."""
    voted = log_need("Counting people on the promenade")
    log_need("Crowd flows at the carnival")
    votes.vote(session=db, need=voted, user=attendee)
    page = _page(console, breakout)
    assert _titles(page, "pinned") and _titles(page, "paged")  # both parts are there to be checked
    for html in (page, _fragment(console, breakout)):
        tags = _body_tags(html)
        assert tags
        interactive = [(tag, attrs) for tag, attrs in tags if tag in INTERACTIVE]
        assert interactive == []
        assert [attrs for _, attrs in tags if "href" in attrs or "tabindex" in attrs or "onclick" in attrs] == []
        assert "site-header" not in html and "site-footer" not in html
        assert "sort=" not in html and "Leave projector mode" not in html


def test_esc_leads_a_facilitator_to_the_console_and_an_attendee_to_the_breakout(console, attendee_client, breakout):
    assert f'data-leave-url="/manage/breakouts/{breakout.id}/capture"' in _page(console, breakout)
    assert f'data-leave-url="/b/{breakout.code}"' in _page(attendee_client, breakout)
    assert "Esc leaves the projector view" in _page(attendee_client, breakout)


def test_a_closed_breakout_and_an_empty_one_say_so(console, db, breakout):
    assert "No need yet. Scan the code to add the first one" in _page(console, breakout)
    breakout.locked_at = utcnow()
    db.add(breakout)
    db.commit()
    assert "This breakout is closed: no new needs or votes." in _page(console, breakout)


def test_internal_needs_are_never_projected_even_by_a_facilitator(console, breakout, log_need):
    log_need("Gap we cannot publish", sensitivity="internal")
    log_need("Counting people on the promenade")
    page = _page(console, breakout)
    assert "Counting people on the promenade" in page
    assert "Gap we cannot publish" not in page
    fragment = console.get(f"/b/{breakout.code}/projector/board").get_data(as_text=True)
    assert "Counting people on the promenade" in fragment
    assert "Gap we cannot publish" not in fragment
    # The facilitator's own board still shows it: only the projector leaves it out.
    assert "Gap we cannot publish" in console.get(f"/b/{breakout.code}/board").get_data(as_text=True)


def test_an_attendee_or_an_outsider_never_sees_an_internal_need(
    app, db, breakout, attendee_client, participant_client, console, log_need
):
    log_need("Gap we cannot publish", sensitivity="internal")  # stated by the attendee themself
    log_need("Counting people on the promenade")
    page = _page(attendee_client, breakout)
    fragment = _fragment(attendee_client, breakout)
    assert "Counting people on the promenade" in page and "Counting people on the promenade" in fragment
    assert "Gap we cannot publish" not in page
    assert "Gap we cannot publish" not in fragment
    # Someone with no part in the breakout gets neither the wall nor its poll.
    for url in (f"/b/{breakout.code}/projector", f"/b/{breakout.code}/projector/board"):
        response = participant_client.get(url)
        assert response.status_code == 403
        assert "Gap we cannot publish" not in response.get_data(as_text=True)
        assert "Counting people on the promenade" not in response.get_data(as_text=True)
    # A facilitator of another breakout of the workshop is an outsider here too.
    other = factories.make_breakout(db, breakout.workshop, title="Other room")
    colleague = factories.make_user(db, role="facilitator")
    db.add(BreakoutFacilitator(breakout_id=other.id, user_id=colleague.id))
    db.commit()
    client = app.test_client()
    log_in(client, colleague)
    assert client.get(f"/b/{breakout.code}/projector").status_code == 403
    assert client.get(f"/b/{breakout.code}/projector/board").status_code == 403


def test_the_projected_board_answers_304_until_something_changes(console, db, breakout, attendee, log_need):
    url = f"/b/{breakout.code}/projector/board"
    page = _page(console, breakout)
    etag = re.search(r'data-etag="([^"]+)"', page).group(1).replace("&#34;", '"')
    unchanged = console.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    need = log_need("Counting people on the promenade")
    changed = console.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert _titles(changed.get_data(as_text=True), "paged") == ["Counting people on the promenade"]
    assert changed.headers["ETag"] != etag
    # A vote changes the wall too: the need moves up among the most voted.
    etag = changed.headers["ETag"]
    assert console.get(url, headers={"If-None-Match": etag}).status_code == 304
    votes.vote(session=db, need=need, user=attendee)
    voted = console.get(url, headers={"If-None-Match": etag})
    assert voted.status_code == 200
    assert _titles(voted.get_data(as_text=True), "pinned") == ["Counting people on the promenade"]
