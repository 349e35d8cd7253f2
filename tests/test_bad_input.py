"""Bad input never reaches the database raw (issue 18).

Addresses: an id is ASCII digits a column holds, else 404; a control character in a path is 404
before any view. Query strings: a control character is 400; numbers go through ``http.number``.
Forms (``workshops.forms.Form``, the base of every form, JSON bodies included): a control character,
a number in other digits or past a column's range, a date outside 2000 to 2100 are refused next to
their field with 422, and nothing is stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, post_form
from workshops import http
from workshops.calls.models import OpenCall
from workshops.events.models import BreakoutFacilitator, BreakoutSeat, Registration, Workshop
from workshops.forms import CONTROL_CHARACTER_MESSAGE, DATE_MESSAGE, DIGITS_MESSAGE, NUMBER_RANGE_MESSAGE, Form
from workshops.needs import services as needs
from workshops.needs.models import Need
from workshops.usecases import services as use_cases
from workshops.usecases.models import UseCase, UseCaseComment

JSON = {"Accept": "application/json"}


def _error_of(page: str, field: str) -> str:
    """The error shown next to a field (its ``…-error`` paragraph), or ``""``."""
    match = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


@pytest.fixture
def breakout(db):
    workshop = factories.make_workshop(db, slug="nice")
    return factories.make_breakout(db, workshop, title="Crowd safety", capacity=10)


@pytest.fixture
def attendee(app, db, breakout):
    return factories.make_attendee(app, db, breakout, name="Marie Dubois", email="marie@example.fr")


@pytest.fixture
def attendee_client(app, attendee):
    client = app.test_client()
    post_form(client, "/login", {"email": attendee.email, "password": factories.PASSWORD})
    return client


def _need(app, db, breakout, author, title="Crowd counts") -> Need:
    values = needs.NeedInput(title=title, statement="We need live crowd counts.")
    with app.app_context():
        return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


def _need_fields(**changes) -> dict:
    fields = {"title": "Crowds", "statement": "We need counts.", "urgency": "3", "sensitivity": "public"}
    return {**fields, "organisation_type": "end_user", **changes}


def _fresh(db, model, key):
    """The row as stored now, not as this session remembers it."""
    db.rollback()
    return db.get(model, key, populate_existing=True)


def _needs(db) -> list[Need]:
    db.rollback()
    return list(db.exec(select(Need)))


# --- Ids in addresses --------------------------------------------------------------------------------


def test_an_id_in_other_digits_or_past_what_a_column_holds_is_not_found(client, organiser_client):
    assert client.get("/privacy/1").status_code == 200
    for path in ["/privacy/١", f"/privacy/{2**63}", "/privacy/2147483648", "/privacy/-1"]:
        assert client.get(path).status_code == 404, path
    assert organiser_client.get("/manage/workshops/2147483648").status_code == 404
    assert organiser_client.get(f"/manage/workshops/{2**64}/edit").status_code == 404


def test_routes_still_build_and_take_the_largest_id(app, client):
    with app.test_request_context():
        from flask import url_for

        assert url_for("privacy.notice_version", version=http.MAX_ID) == f"/privacy/{http.MAX_ID}"
    assert client.get(f"/privacy/{http.MAX_ID}").status_code == 404  # no such version, but no error


def test_a_control_character_in_an_address_is_not_found_before_any_view(db, client, count_queries):
    factories.make_workshop(db, slug="nice")
    assert client.get("/workshops/nice/").status_code == 200
    with count_queries() as statements:
        for path in ["/workshops/nice%00/", "/workshops/a%00b/", "/calls/%00/", "/workshops/nice%0A/"]:
            assert client.get(path).status_code == 404, path
    assert not [s for s in statements if "FROM workshop" in s or "FROM open_call" in s]


# --- Query strings ---------------------------------------------------------------------------------


def test_a_query_value_or_name_with_a_control_character_is_refused_with_the_error_page(db, organiser_client):
    factories.make_user(db, name="Nadia Null")
    assert organiser_client.get("/manage/users?q=Nadia").status_code == 200
    for query in ["q=a%00b", "q=%01", "q%00=x", "role=%7F"]:
        response = organiser_client.get(f"/manage/users?{query}")
        assert response.status_code == 400, query
        assert "The request could not be understood" in response.get_data(as_text=True)
    assert organiser_client.get("/manage/users?q=a%00b", headers=JSON).json["error"]


def test_tabs_and_line_breaks_in_a_query_value_still_work(attendee_client, breakout):
    response = attendee_client.get(f"/b/{breakout.code}/similar?statement=Line+one%0D%0Aline%09two")
    assert response.status_code == 200
    assert attendee_client.get(f"/b/{breakout.code}/similar?statement=a%00b").status_code == 400


NUMBERS = [("12", 12), (" 12 ", 12), ("0", 0), (str(http.MAX_ID), http.MAX_ID), ("-1", None), ("", None), (None, None)]
NO_NUMBERS = [
    ("²", None),
    ("٣", None),
    ("1_000", None),
    ("1e3", None),
    (str(http.MAX_ID + 1), None),
    (str(2**63), None),
]


@pytest.mark.parametrize(("text", "number"), NUMBERS + NO_NUMBERS)
def test_a_number_in_a_query_string_is_ascii_digits_within_range(text, number):
    assert http.number(text) == number


def test_ids_keep_the_order_given_once_each_and_drop_what_is_no_id():
    assert http.ids(["3", " 1 ", "3", "²", "٣", "0", "-2", str(2**63), "x", "2"]) == [3, 1, 2]
    assert http.integer("-2147483648") == http.MIN_INTEGER
    assert http.integer("-2147483649") is None


def test_numbers_in_query_strings_that_are_no_numbers_are_ignored(app, db, breakout, attendee, attendee_client):
    facilitator = factories.make_user(db, role="facilitator")
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    console = app.test_client()
    post_form(console, "/login", {"email": facilitator.email, "password": factories.PASSWORD})
    need = _need(app, db, breakout, attendee)
    workshop = breakout.workshop_id
    for url in [
        "/manage/needs?page=²",
        "/manage/needs?workshop=²&urgency=²&breakout=٣&cluster=²",
        f"/manage/needs?need={2**63}&page={2**63}",
        f"/manage/needs/merge?need={need.id}&need=²&add=²",
        "/manage/use-cases/new?need=²",
        f"/manage/use-cases?domain=²&page={2**63}",
        f"/manage/workshops/{workshop}/attendees?breakout={2**63}&page=²",
    ]:
        assert console.get(url).status_code < 400, url
    response = attendee_client.get(f"/b/{breakout.code}/similar?exclude=²&exclude={2**63}&title=Crowd")
    assert response.status_code == 200


def test_a_revision_number_past_the_range_is_ignored(app, db, organiser, organiser_client):
    with app.app_context():
        values = use_cases.UseCaseInput(title="Drones over ports", body="## Context\n")
        use_case = use_cases.create_use_case(session=db, author=organiser, values=values, need_ids=[])
    response = organiser_client.get(f"/manage/use-cases/{use_case.id}/compare?a={2**63}&b=1")
    assert response.status_code == 200  # revision 1 alone, as with ?b=1


# --- Text in forms -----------------------------------------------------------------------------------


def test_a_control_character_in_a_profile_is_refused_next_to_the_field_and_nothing_stored(
    participant_client, db, participant
):
    fields = {"name": "Pat\x00", "organisation": "Police\x1b", "organisation_type": "end_user", "country": "BE"}
    response = post_form(participant_client, "/me", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error_of(page, "name") == CONTROL_CHARACTER_MESSAGE
    assert _error_of(page, "organisation") == CONTROL_CHARACTER_MESSAGE
    assert 'value="Pat\ufffd"' in page  # shown again, the character marked where it was
    assert "\x00" not in page
    participant = _fresh(db, type(participant), participant.id)
    assert participant.name == "Pat Participant" and "\x1b" not in participant.organisation


def test_a_need_with_a_control_character_is_refused_and_tabs_and_line_breaks_are_kept(attendee_client, db, breakout):
    response = post_form(attendee_client, f"/b/{breakout.code}", _need_fields(statement="We need\x0bcounts."))
    assert response.status_code == 422
    assert _error_of(response.get_data(as_text=True), "statement") == CONTROL_CHARACTER_MESSAGE
    assert _needs(db) == []
    statement = "Line one\r\nline two\tend"
    assert post_form(attendee_client, f"/b/{breakout.code}", _need_fields(statement=statement)).status_code == 302
    [need] = _needs(db)
    assert "line two\tend" in need.statement


def test_a_comment_with_a_nul_is_refused(app, db, organiser, organiser_client):
    with app.app_context():
        values = use_cases.UseCaseInput(title="Drones over ports", body="## Context\n")
        use_case = use_cases.create_use_case(session=db, author=organiser, values=values, need_ids=[])
    url = f"/manage/use-cases/{use_case.id}"
    response = post_form(organiser_client, f"{url}/comments", {"body": "Looks\x00good"}, form_url=url)
    assert response.status_code == 422
    assert CONTROL_CHARACTER_MESSAGE in response.get_data(as_text=True)
    db.rollback()
    assert list(db.exec(select(UseCaseComment))) == []


def test_a_json_need_gets_the_same_checks_through_the_same_form(attendee_client, db, breakout):
    url = f"/b/{breakout.code}"
    headers = {**JSON, "X-CSRFToken": csrf_token(attendee_client, url)}
    for field, value in [("statement", "a\x00b"), ("title", "\ud800")]:
        response = attendee_client.post(url, json=_need_fields(**{field: value}), headers=headers)
        assert response.status_code == 422
        assert response.json["errors"][field] == [CONTROL_CHARACTER_MESSAGE]
    nested = attendee_client.post(url, json=_need_fields(title={"a": 1}), headers=headers)
    assert nested.status_code == 422 and nested.json["errors"]["title"] == ["Give the need a short title."]
    for body in ([1, 2], "text", 5):
        assert attendee_client.post(url, json=body, headers=headers).status_code == 400
    assert _needs(db) == []
    saved = attendee_client.post(url, json=_need_fields(title=2031, urgency=3), headers=headers)
    assert saved.status_code == 201
    assert [n.title for n in _needs(db)] == ["2031"]


def test_the_csrf_token_in_a_json_body_is_left_to_the_csrf_check(attendee_client, db, breakout):
    url = f"/b/{breakout.code}"
    headers = {**JSON, "X-CSRFToken": csrf_token(attendee_client, url)}
    saved = attendee_client.post(url, json=_need_fields(csrf_token="\ud800"), headers=headers)
    assert saved.status_code == 201  # the header's token was checked; the body's is never stored nor shown
    assert len(_needs(db)) == 1


def test_a_form_sent_with_no_body_reads_as_a_form_sent_empty(app, db, breakout, attendee, attendee_client):
    registration = db.exec(select(Registration).where(Registration.user_id == attendee.id)).one()
    url = f"/me/registrations/{registration.id}"
    response = attendee_client.post(url, headers={"X-CSRFToken": csrf_token(attendee_client, url)})
    assert response.status_code == 302  # no breakout ticked, as a browser sends it
    db.rollback()
    assert db.exec(select(BreakoutSeat).where(BreakoutSeat.registration_id == registration.id)).all() == []


def test_an_idempotency_key_of_any_length_is_stored_hashed(attendee_client, db, breakout):
    response = post_form(attendee_client, f"/b/{breakout.code}", _need_fields(idempotency_key="k" * 5000))
    assert response.status_code == 302
    [need] = _needs(db)
    assert len(need.idempotency_key) == 64


# --- Numbers in forms ------------------------------------------------------------------------------


def test_a_need_version_that_is_no_number_is_refused_and_nothing_changes(app, db, breakout, attendee, attendee_client):
    need = _need(app, db, breakout, attendee)
    url = f"/needs/{need.id}/edit"
    response = post_form(attendee_client, url, _need_fields(title="Changed", version="²"))
    assert response.status_code == 422
    assert "Reload the page: the form is incomplete." in response.get_data(as_text=True)
    stored = _fresh(db, Need, need.id)
    assert (stored.title, stored.version) == ("Crowd counts", 1)


def test_a_use_case_version_in_other_digits_is_refused(app, db, organiser, organiser_client):
    with app.app_context():
        values = use_cases.UseCaseInput(title="Drones over ports", body="## Context\n")
        use_case = use_cases.create_use_case(session=db, author=organiser, values=values, need_ids=[])
    fields = {"title": "Changed", "trl_min": "4", "trl_max": "7", "body": "Text", "version": "١", "save": "Save"}
    response = post_form(organiser_client, f"/manage/use-cases/{use_case.id}/edit", fields)
    assert response.status_code == 422
    assert "Reload the page: the form is incomplete." in response.get_data(as_text=True)
    assert _fresh(db, UseCase, use_case.id).title == "Drones over ports"


def test_a_whole_number_field_takes_ascii_digits_within_a_columns_range(app, db, breakout, facilitator):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    client = app.test_client()
    post_form(client, "/login", {"email": facilitator.email, "password": factories.PASSWORD})
    url = f"/manage/breakouts/{breakout.id}/board"
    console = f"/manage/breakouts/{breakout.id}/capture"
    for votes in ["٥", str(2**63), "5"]:
        post_form(client, url, {"board_visibility": "attendees", "votes_per_person": votes}, form_url=console)
        assert _fresh(db, type(breakout), breakout.id).votes_per_person == (5 if votes == "5" else 3), votes


def test_an_id_past_the_range_in_a_form_is_refused(app, db, organiser, organiser_client):
    response = post_form(
        organiser_client,
        "/manage/use-cases/add-needs",
        {"use_case_id": str(2**63), "need": str(2**63)},
        form_url="/manage/needs",
    )
    assert response.status_code == 302  # back to the list, with why


def test_the_number_messages_say_what_to_type(organiser_client, db, breakout):
    url = f"/manage/workshops/{breakout.workshop_id}/breakouts/new"
    fields = {"title": "More", "domain_id": "", "test_bed_id": "", "room": "", "online_room": ""}
    for capacity, message in [("٣", DIGITS_MESSAGE), ("1_000", DIGITS_MESSAGE), (str(2**31), NUMBER_RANGE_MESSAGE)]:
        response = post_form(organiser_client, url, {**fields, "capacity": capacity})
        assert response.status_code == 422, capacity
        assert _error_of(response.get_data(as_text=True), "capacity") == message


# --- Dates in forms --------------------------------------------------------------------------------


def _workshop_fields(**changes) -> dict:
    return {
        "title": "Port security needs",
        "slug": "port-security",
        "state": "published",
        "format": "on_site",
        "timezone": "Europe/Paris",
        "starts_at": "2031-11-16T09:30",
        "ends_at": "2031-11-16T17:00",
        "venue": "Palais du Pharo, Marseille",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "0001-01-01T00:00"),
        ("ends_at", "9999-12-31T23:59"),
        ("registration_opens_at", "0001-01-01T00:00"),
        ("registration_closes_at", "2101-01-01T00:00"),
        ("starts_at", "1999-12-31T23:59"),
    ],
)
def test_a_workshop_date_outside_2000_to_2100_is_refused_next_to_the_field(organiser_client, db, field, value):
    response = post_form(organiser_client, "/manage/workshops/new", _workshop_fields(**{field: value}))
    assert response.status_code == 422
    assert _error_of(response.get_data(as_text=True), field) == DATE_MESSAGE
    assert list(db.exec(select(Workshop))) == []


def test_the_edges_of_the_date_window_are_accepted(organiser_client, db):
    fields = _workshop_fields(starts_at="2000-01-01T00:00", ends_at="2000-01-01T09:00")
    assert post_form(organiser_client, "/manage/workshops/new", fields).status_code == 302
    fields = _workshop_fields(slug="late", starts_at="2100-12-31T09:00", ends_at="2100-12-31T17:00")
    assert post_form(organiser_client, "/manage/workshops/new", fields).status_code == 302


def test_a_call_date_outside_the_window_is_refused(organiser_client, db):
    fields = {"name": "Open Call 3", "slug": "", "timezone": "Europe/Paris", "opens_at": "0001-01-01T00:00"}
    response = post_form(organiser_client, "/manage/calls/new", {**fields, "closes_at": "2031-04-01T17:00"})
    assert response.status_code == 422
    assert _error_of(response.get_data(as_text=True), "opens_at") == DATE_MESSAGE
    assert list(db.exec(select(OpenCall))) == []


def test_an_edit_with_a_date_outside_the_window_changes_nothing(organiser_client, db):
    start = datetime(2031, 11, 16, 8, 30, tzinfo=UTC)
    workshop = factories.make_workshop(db, starts_at=start, ends_at=start + timedelta(hours=7))
    url = f"/manage/workshops/{workshop.id}/edit"
    fields = _workshop_fields(slug=workshop.slug, registration_opens_at="0001-01-01T00:00")
    response = post_form(organiser_client, url, fields)
    assert response.status_code == 422
    assert _fresh(db, Workshop, workshop.id).registration_opens_at == workshop.registration_opens_at


# --- One base for every form ---------------------------------------------------------------------


def test_every_form_of_the_application_checks_its_input(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("workshops.")}
    assert len(forms) > 30
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, Form)] == []
