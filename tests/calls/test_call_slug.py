"""A call's address is made from its name unless the organiser writes one; a bad or taken one is a clear error."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from tests.conftest import post_form
from workshops.calls.models import OpenCall
from workshops.slugs import slugify, unique

NEW = "/manage/calls/new"


def _form(**overrides) -> dict:
    values = {
        "name": "Open Call 3",
        "slug": "",
        "timezone": "Europe/Brussels",
        "opens_at": "2028-01-10T09:00",
        "closes_at": "2028-04-10T17:00",
        "introduction": "Welcome, with a long introduction typed by hand.",
        "funding": "Up to €60,000 per project.",
    }
    values.update(overrides)
    return values


def _slugs(db) -> list[str]:
    db.rollback()
    return list(db.exec(select(OpenCall.slug).order_by(OpenCall.id)))


def _call(db, slug: str) -> OpenCall:
    call = OpenCall(
        name=slug, slug=slug, opens_at=datetime(2028, 1, 1, tzinfo=UTC), closes_at=datetime(2028, 2, 1, tzinfo=UTC)
    )
    db.add(call)
    db.commit()
    return call


def _error(page: str, field: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Open Call 3", "open-call-3"),
        ("  Appel à projets n°2 — Sécurité des ports  ", "appel-a-projets-n-2-securite-des-ports"),
        ("Łódź & Straße: Ærø", "lodz-strasse-aero"),
        ("Kvietimas Nr. 1 (Klaipėda)", "kvietimas-nr-1-klaipeda"),
    ],
)
def test_a_slug_left_empty_is_made_from_the_name(organiser_client, db, name, slug):
    response = post_form(organiser_client, NEW, _form(name=name))
    assert response.status_code == 302
    assert _slugs(db) == [slug]


def test_a_made_slug_is_numbered_when_another_call_has_it(organiser_client, db):
    _call(db, "open-call-3")
    _call(db, "open-call-3-2")
    assert post_form(organiser_client, NEW, _form()).status_code == 302
    # The page's script fills the field in and says so: the server numbers that one too.
    filled = _form(slug="open-call-3", slug_from_name="1")
    assert post_form(organiser_client, NEW, filled).status_code == 302
    assert _slugs(db) == ["open-call-3", "open-call-3-2", "open-call-3-3", "open-call-3-4"]


def test_a_slug_typed_by_hand_is_kept_as_typed(organiser_client, db):
    assert post_form(organiser_client, NEW, _form(slug="oc3")).status_code == 302
    assert _slugs(db) == ["oc3"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slug": "open-call-2"}, "Another call has this short name; choose another."),
        ({"slug": "open-call-2", "slug_from_name": "1"}, "Another call has this short name"),  # not what the name gives
        ({"slug": "Open Call 3!"}, "Use lowercase letters, digits and single hyphens only, e.g. open-call-2."),
        ({"slug": "x" * 81}, "Field cannot be longer than 80 characters."),
        ({"name": "???", "slug": ""}, "Enter a short name for the address: the name has no letters or digits"),
    ],
)
def test_a_bad_or_taken_slug_is_an_error_next_to_the_field_and_nothing_is_lost(organiser_client, db, values, message):
    _call(db, "open-call-2")
    response = post_form(organiser_client, NEW, _form(**values))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in _error(page, "slug"), page
    assert "Welcome, with a long introduction typed by hand." in page and "Up to €60,000 per project." in page
    assert db.exec(select(func.count()).select_from(OpenCall)).one() == 1


def test_a_draft_renamed_keeps_its_slug_unless_left_to_the_name(organiser_client, db):
    call = _call(db, "open-call-3")
    url = f"/manage/calls/{call.id}/edit"
    assert post_form(organiser_client, url, _form(name="Open Call 3 (final)", slug="open-call-3")).status_code == 302
    assert _slugs(db) == ["open-call-3"]
    assert post_form(organiser_client, url, _form(name="Open Call 3 (final)", slug="")).status_code == 302
    assert _slugs(db) == ["open-call-3-final"]
    # Its own slug is no clash: made again from the same name it stays the same.
    assert post_form(organiser_client, url, _form(name="Open Call 3 (final)", slug="")).status_code == 302
    assert _slugs(db) == ["open-call-3-final"]


def test_the_form_offers_the_script_that_fills_the_slug_in(organiser_client):
    page = organiser_client.get(NEW).get_data(as_text=True)
    assert 'name="slug"' in re.search(r'<input[^>]*data-slug-from="name"[^>]*>', page).group(0)
    assert '<input id="slug_from_name" name="slug_from_name" type="hidden" value="">' in page
    assert '<script type="module" src="/static/js/calls/slug.js' in page
    assert "Made from the name unless you change it." in page


def test_slugify_cuts_at_a_word_and_unique_stays_within_the_limit():
    assert slugify("Drone detection at ports and borders", limit=20) == "drone-detection-at"
    assert slugify("x" * 30, limit=10) == "x" * 10
    assert slugify("!!!", limit=10) == ""
    assert unique("abcdefghij", {"abcdefghij"}, limit=10) == "abcdefgh-2"
