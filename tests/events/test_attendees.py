"""The attendee list of a workshop or breakout, its filters, who sees what, and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.audit.models import AuditEntry
from workshops.events.models import BreakoutFacilitator


@pytest.fixture
def workshop(db):
    """A hybrid workshop in Paris time with two breakouts at different times."""
    return factories.make_workshop(db, title="Ports workshop", format="hybrid", timezone="Europe/Paris")


@pytest.fixture
def breakouts(db, workshop):
    return [
        factories.make_breakout(db, workshop, hour=1, title="Port of Antwerp", capacity=1),
        factories.make_breakout(db, workshop, hour=3, title="Festival site"),
    ]


@pytest.fixture
def facilitating(db, facilitator, breakouts):
    """The facilitator runs the first breakout."""
    db.add(BreakoutFacilitator(breakout_id=breakouts[0].id, user_id=facilitator.id))
    db.commit()
    return breakouts[0]


@pytest.fixture
def people(db, workshop, breakouts):
    """Ana (confirmed, on site, seat in Antwerp, checked in), Bo (waiting for Antwerp, online), Cy (waiting)."""
    ana = factories.make_user(
        db, name="Ana Alves", email="ana@example.org", organisation="Port Authority", country="PT"
    )
    bo = factories.make_user(db, name="Bo Berg", email="bo@example.org", organisation="=cmd|' /C calc'!A0")
    cy = factories.make_user(db, name="Cy Cohen", email="cy@example.org", organisation="City of Lille")
    a = factories.make_registration(
        db,
        workshop,
        ana,
        dietary="Vegetarian",
        accessibility="Step-free access",
        checked_in_at=datetime(2030, 6, 3, 7, 42, tzinfo=UTC),
    )
    b = factories.make_registration(db, workshop, bo, mode="online")
    c = factories.make_registration(db, workshop, cy, state="waitlisted", waitlist_position=1)
    factories.make_seat(db, a, breakouts[0])
    factories.make_seat(db, b, breakouts[0], state="waitlisted", waitlist_position=1)
    factories.make_seat(db, b, breakouts[1])
    factories.make_seat(db, c, breakouts[1], state="requested")
    return {"ana": ana, "bo": bo, "cy": cy}


def _url(workshop, suffix="attendees"):
    return f"/manage/workshops/{workshop.id}/{suffix}"


def _names(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [name for name in ("Ana Alves", "Bo Berg", "Cy Cohen", "Dee Dorn") if name in page]


def test_organiser_sees_everyone_with_state_requirements_and_emails(organiser_client, workshop, people):
    response = organiser_client.get(_url(workshop))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(response) == ["Ana Alves", "Bo Berg", "Cy Cohen"]
    assert page.index("Ana Alves") < page.index("Bo Berg") < page.index("Cy Cohen")  # confirmed first
    assert "Port Authority" in page and "End-user · Portugal" in page and "On site" in page and "Online" in page
    assert "Waiting list, 1" in page
    assert "Vegetarian" in page and "Step-free access" in page
    assert "ana@example.org" in page
    assert "03 Jun, 09:42" in page  # 07:42 UTC shown in Paris summer time
    assert response.headers["Cache-Control"] == "no-store"


def test_facilitator_sees_the_list_without_requirements_or_emails(facilitator_client, workshop, facilitating, people):
    response = facilitator_client.get(_url(workshop))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(response) == ["Ana Alves", "Bo Berg", "Cy Cohen"]
    assert "Vegetarian" not in page and "Step-free access" not in page
    assert "ana@example.org" not in page and "Requirements" not in page
    assert "Promote by hand" not in page and "Remove from workshop" not in page  # organisers only


def test_facilitator_filters_only_by_breakouts_they_run(facilitator_client, workshop, breakouts, facilitating, people):
    page = facilitator_client.get(_url(workshop)).get_data(as_text=True)
    assert f'<option value="{breakouts[0].id}"' in page and f'<option value="{breakouts[1].id}"' not in page
    assert facilitator_client.get(_url(workshop) + f"?breakout={breakouts[0].id}").status_code == 200
    assert facilitator_client.get(_url(workshop) + f"?breakout={breakouts[1].id}").status_code == 404


def test_facilitator_of_another_workshop_gets_404(db, facilitator_client, facilitator, workshop, people):
    other = factories.make_workshop(db)
    db.add(BreakoutFacilitator(breakout_id=factories.make_breakout(db, other).id, user_id=facilitator.id))
    db.commit()
    assert facilitator_client.get(_url(other)).status_code == 200
    assert facilitator_client.get(_url(workshop)).status_code == 404
    assert facilitator_client.get(_url(workshop, "check-in")).status_code == 404
    assert post_form(facilitator_client, _url(workshop, "attendees.csv"), form_url=_url(other)).status_code == 404


def test_unknown_workshop_and_breakout_answer_404(organiser_client, workshop, people):
    assert organiser_client.get("/manage/workshops/999999/attendees").status_code == 404
    assert organiser_client.get(_url(workshop) + "?breakout=999999").status_code == 404


def test_participant_gets_403_and_anonymous_goes_to_log_in(client, participant_client, workshop):
    assert participant_client.get(_url(workshop)).status_code == 403
    response = client.get(_url(workshop))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_breakout_filter_shows_the_seat_state(organiser_client, workshop, breakouts, people):
    response = organiser_client.get(_url(workshop) + f"?breakout={breakouts[0].id}")
    page = response.get_data(as_text=True)
    assert _names(response) == ["Ana Alves", "Bo Berg"]
    assert 'data-label="Breakout seat"><span class="state state-confirmed">Seat<' in page
    assert 'data-label="Breakout seat"><span class="state state-waitlisted">Waiting list, 1<' in page
    assert 'data-label="State"><span class="state state-confirmed">Confirmed<' in page  # Bo's workshop place
    response = organiser_client.get(_url(workshop) + f"?breakout={breakouts[1].id}")
    assert _names(response) == ["Bo Berg", "Cy Cohen"]
    assert ">Requested<" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mode=online", ["Bo Berg"]),
        ("mode=on_site", ["Ana Alves", "Cy Cohen"]),
        ("state=waitlisted", ["Cy Cohen"]),
        ("state=confirmed", ["Ana Alves", "Bo Berg"]),
        ("q=lille", ["Cy Cohen"]),
        ("q=ANA", ["Ana Alves"]),
        ("q=%25", []),  # a wildcard is taken literally
        ("mode=nonsense&state=nonsense", ["Ana Alves", "Bo Berg", "Cy Cohen"]),
    ],
)
def test_filters(organiser_client, workshop, people, query, expected):
    assert _names(organiser_client.get(_url(workshop) + "?" + query)) == expected


def test_cancelled_people_only_when_asked(db, organiser_client, workshop, people):
    dee = factories.make_user(db, name="Dee Dorn")
    factories.make_registration(db, workshop, dee, state="cancelled")
    assert "Dee Dorn" not in _names(organiser_client.get(_url(workshop)))
    assert _names(organiser_client.get(_url(workshop) + "?state=cancelled")) == ["Dee Dorn"]


def test_names_are_escaped(db, organiser_client, workshop):
    person = factories.make_user(db, name='"><script>alert(1)</script>')
    factories.make_registration(db, workshop, person)
    page = organiser_client.get(_url(workshop)).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_the_list_is_paged_by_100(db, organiser_client, workshop):
    for n in range(101):
        factories.make_registration(db, workshop, factories.make_user(db, name=f"Zed {n:03d}"))
    first = organiser_client.get(_url(workshop) + "?q=zed").get_data(as_text=True)
    second = organiser_client.get(_url(workshop) + "?q=zed&page=2").get_data(as_text=True)
    assert first.count('<th scope="row"') == 100 and "Page 1 of 2" in first
    assert "/attendees?page=2&amp;q=zed" in first  # the pager keeps the filters
    assert second.count('<th scope="row"') == 1 and "Zed 100" in second


def test_the_list_makes_as_many_queries_for_50_people_as_for_5(db, organiser_client, count_queries, breakouts):
    def queries_for(size: int) -> int:
        workshop = factories.make_workshop(db, format="hybrid")
        first, second, _third = (factories.make_breakout(db, workshop, hour=h) for h in (1, 3, 5))
        for n in range(size):
            registration = factories.make_registration(db, workshop, factories.make_user(db), dietary="None")
            factories.make_seat(db, registration, first)
            factories.make_seat(db, registration, second, state="waitlisted", waitlist_position=n + 1)
        with count_queries() as statements:
            response = organiser_client.get(_url(workshop))
        assert response.status_code == 200 and response.get_data(as_text=True).count("Move to") == size * 2
        with count_queries() as filtered:
            organiser_client.get(_url(workshop) + f"?breakout={first.id}&mode=on_site")
        return len(statements), len(filtered)

    assert queries_for(5) == queries_for(50)


def _read_csv(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_organiser_csv_holds_emails_requirements_and_neutralised_cells(db, organiser_client, workshop, people):
    response = post_form(organiser_client, _url(workshop, "attendees.csv"), form_url=_url(workshop))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = _read_csv(response)
    assert [row["name"] for row in rows] == ["Ana Alves", "Bo Berg", "Cy Cohen"]
    ana, bo, cy = rows
    assert ana["email"] == "ana@example.org" and ana["dietary"] == "Vegetarian"
    assert ana["accessibility"] == "Step-free access"
    assert ana["checked in (Europe/Paris)"] == "2030-06-03 09:42"
    assert bo["organisation"] == "'=cmd|' /C calc'!A0" and bo["mode"] == "online"
    assert cy["state"] == "waitlisted" and cy["waiting list position"] == "1"
    [entry] = db.exec(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert entry.detail == f"attendees of workshop {workshop.id}"


def test_facilitator_csv_holds_only_what_they_may_see(facilitator_client, workshop, breakouts, facilitating, people):
    url = _url(workshop, "attendees.csv") + f"?breakout={breakouts[0].id}&state=confirmed"
    response = post_form(facilitator_client, url, form_url=_url(workshop))
    rows = _read_csv(response)
    assert [row["name"] for row in rows] == ["Ana Alves", "Bo Berg"]
    assert "email" not in rows[0] and "dietary" not in rows[0] and "accessibility" not in rows[0]
    assert (rows[0]["breakout seat"], rows[1]["breakout seat"]) == ("Seat", "Waiting list, 1")
    assert rows[1]["breakouts"].startswith(f"{breakouts[0].title} (waiting list, 1)")
    assert "Vegetarian" not in response.get_data(as_text=True)


def test_export_refuses_get_and_participants(participant_client, organiser_client, workshop):
    assert organiser_client.get(_url(workshop, "attendees.csv")).status_code == 405
    response = post_form(participant_client, _url(workshop, "attendees.csv"), form_url="/me")
    assert response.status_code == 403


def test_the_export_makes_as_many_queries_for_many_people_as_for_few(db, organiser_client, count_queries):
    def queries_for(size: int) -> int:
        workshop = factories.make_workshop(db)
        breakout = factories.make_breakout(db, workshop)
        for _ in range(size):
            factories.make_seat(db, factories.make_registration(db, workshop, factories.make_user(db)), breakout)
        with count_queries() as statements:
            response = post_form(organiser_client, _url(workshop, "attendees.csv"), form_url=_url(workshop))
        assert len(_read_csv(response)) == size
        return len(statements)

    assert queries_for(3) == queries_for(520)  # past one batch of 500 for relationship loading
