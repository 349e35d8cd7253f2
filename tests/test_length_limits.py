"""Length limits never cut what people typed or pasted.

No ``maxlength`` for the browser to cut with; a note the page's script keeps up; the server refusing
an over-long text with the form shown again, the text kept whole.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.db import max_length
from workshops.needs.models import Need
from workshops.usecases.models import UseCase

#: A rendered form control, and the attributes of one.
CONTROL = re.compile(r"<(?:input|textarea)\b[^>]*>")


def _control(page: str, name: str) -> str:
    [control] = [c for c in CONTROL.findall(page) if f'name="{name}"' in c]
    return control


def _textarea_text(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="nice")
    return factories.make_breakout(db, workshop, title="Crowd safety", capacity=10)


@pytest.fixture
def attendee_client(app, db, breakout):
    attendee = factories.make_attendee(app, db, breakout, name="Marie Dubois", email="marie@example.fr")
    client = app.test_client()
    log_in(client, attendee)
    return client


def test_a_need_statement_over_the_limit_is_refused_and_shown_again_whole(attendee_client, db, breakout):
    limit = max_length(Need, "statement")
    statement = "We need live crowd counts. " * 40  # 1,080 characters
    statement = statement.strip() + " <b>&</b>"
    over = len(statement) - limit
    response = post_form(
        attendee_client,
        f"/b/{breakout.code}",
        {"title": "Crowds", "statement": statement, "urgency": "3", "sensitivity": "public", "idempotency_key": "k"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert _textarea_text(page, "statement") == statement  # every character kept, escaped
    assert f"Use at most {limit} characters." in page
    assert f"{len(statement):,} of {limit:,} characters: shorten by {over:,}" in page
    assert db.exec(select(Need)).all() == []


def test_a_use_case_body_over_the_limit_is_refused_and_shown_again_whole(organiser_client, db):
    limit = max_length(UseCase, "body")
    body = "## Context\r\n\r\n" + "Ports need drones. " * (limit // 19 + 10)
    response = post_form(
        organiser_client,
        "/manage/use-cases/new",
        {"title": "Drones over ports", "trl_min": "4", "trl_max": "7", "body": body, "save": "Save"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _textarea_text(page, "body") == body
    assert f"Use at most {limit} characters." in page
    assert f"{len(body):,} of {limit:,} characters: shorten by {len(body) - limit:,}" in page
    assert db.exec(select(UseCase)).all() == []


@pytest.mark.parametrize(
    ("url", "name", "limit"),
    [
        ("/manage/use-cases/new", "body", 50_000),
        ("/manage/use-cases/new", "title", 200),
        ("/manage/workshops/new", "description", 20_000),
        ("/manage/workshops/new", "title", 200),
        ("/manage/clusters/new", "short_name", 40),
    ],
)
def test_limited_fields_tell_the_script_their_limit_instead_of_cutting(organiser_client, url, name, limit):
    page = organiser_client.get(url).get_data(as_text=True)
    control = _control(page, name)
    assert "maxlength=" not in control.replace("data-maxlength=", "")
    assert f'data-maxlength="{limit}"' in control
    described = re.search(r'aria-describedby="([^"]+)"', control).group(1).split()
    assert f"{name}-length" in described
    assert re.search(rf'<p class="hint length-note" id="{name}-length"></p>', page)
    assert "js/lib/length.js" in page


def test_no_form_field_of_a_page_cuts_input(attendee_client, breakout):
    """The need form's every text field: none with the browser's maxlength."""
    page = attendee_client.get(f"/b/{breakout.code}").get_data(as_text=True)
    controls = [c for c in CONTROL.findall(page) if 'type="hidden"' not in c and "data-maxlength" in c]
    assert len(controls) >= 8
    assert not [c for c in controls if re.search(r"(?<!data-)maxlength=", c)]


def test_a_text_within_the_limit_shows_no_warning(organiser_client):
    response = post_form(organiser_client, "/manage/clusters/new", {"name": "", "short_name": "x" * 40})
    page = response.get_data(as_text=True)
    assert "Enter the cluster&#39;s name." in page
    assert '<p class="hint length-note" id="short_name-length"></p>' in page
