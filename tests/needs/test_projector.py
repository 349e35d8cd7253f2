"""Projector mode: who may open it, the short link and its QR code, and the board the room reads."""

from __future__ import annotations

import re

import pytest
import segno

from tests import factories
from tests.conftest import log_in
from workshops.events.models import BreakoutFacilitator
from workshops.needs import services as needs
from workshops.needs import votes

BASE_URL = "http://workshops.test"  # the test application's BASE_URL


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
    assert f'<a href="{link}">{BASE_URL}<wbr>/b/{breakout.code}</a>' in page  # may wrap after the host
    assert f'<figure class="projector-qr" role="img" aria-label="QR code of the link {link}"><svg ' in page
    assert '<body class="projector">' in page  # no site header or footer: the room sees the board alone
    assert "<h1>Crowd safety</h1>" in page
    assert "<title>Projector · Crowd safety · " in page
    assert f'data-url="/b/{breakout.code}/projector/board?sort=votes"' in page  # the poll keeps the sort


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


def test_the_board_shows_the_most_voted_needs_first_and_escaped(console, db, breakout, attendee, log_need):
    first = log_need("Counting people on the promenade")
    log_need('"><script>alert(1)</script>')
    votes.vote(session=db, need=first, user=attendee)
    page = _page(console, breakout)
    assert page.index("Counting people on the promenade") < page.index("&#34;&gt;&lt;script&gt;alert(1)")
    assert "<script>alert(1)" not in page
    newest = _page(console, breakout, "?sort=newest")
    assert newest.index("&#34;&gt;&lt;script&gt;alert(1)") < newest.index("Counting people on the promenade")
    assert 'href="?sort=newest"' in page
    assert f'data-url="/b/{breakout.code}/projector/board?sort=newest"' in newest


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


def test_the_projected_board_answers_304_until_something_changes(console, breakout, log_need):
    url = f"/b/{breakout.code}/projector/board"
    page = _page(console, breakout)
    etag = re.search(r'data-etag="([^"]+)"', page).group(1).replace("&#34;", '"')
    unchanged = console.get(url + "?sort=votes", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    log_need("Counting people on the promenade")
    changed = console.get(url + "?sort=votes", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Counting people on the promenade" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag
