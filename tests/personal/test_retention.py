"""The retention period: a purge with a frozen clock deletes registration details after it, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.calls.conftest import call_text  # noqa: F401 - the call fed by the workshop "Lisbon 2021"
from tests.conftest import post_form
from workshops import cli
from workshops.calls import report
from workshops.events import retention
from workshops.events.models import BreakoutSeat, Registration, Workshop, WorkshopAttendance
from workshops.needs import services as needs
from workshops.needs.models import Need, Vote
from workshops.personal.retention import purge
from workshops.privacy.models import Consent
from workshops.usecases.models import UseCase, UseCaseNeed

#: The workshop of the tests ends on 16 November 2021 at 17:00 UTC.
ENDED = datetime(2021, 11, 16, 17, 0, tzinfo=UTC)
BEFORE = datetime(2022, 10, 16, 17, 0, tzinfo=UTC)  # 11 months after
AFTER = datetime(2022, 11, 17, 17, 0, tzinfo=UTC)  # 12 months and a day after


def _need(db, breakout, author, title, sensitivity, **extra) -> Need:
    values = needs.NeedInput(title=title, statement="We need it.", organisation="Port", sensitivity=sensitivity)
    need = needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]
    for name, value in extra.items():
        setattr(need, name, value)
    db.add(need)
    db.commit()
    return need


@pytest.fixture
def world(app, db):
    """A past workshop with one of every registration detail and every kind of need; another recent one."""
    workshop = factories.make_workshop(
        db, title="Antwerp 2021", starts_at=ENDED - timedelta(hours=8), ends_at=ENDED, state="archived"
    )
    breakout = factories.make_breakout(db, workshop)
    people = [
        factories.make_user(db, organisation_type="end_user", country="BE"),
        factories.make_user(db, organisation_type="end_user", country="BE"),
        factories.make_user(db, organisation_type="integrator", country="FR"),
        factories.make_user(db, organisation_type="sme", country=""),
    ]
    registrations = [
        factories.make_registration(
            db,
            workshop,
            person,
            dietary="vegetarian",
            accessibility="wheelchair",
            checked_in_at=ENDED - timedelta(hours=7),
            consent_listing_at=ENDED - timedelta(days=20),
        )
        for person in people
    ]
    waiting = factories.make_registration(db, workshop, factories.make_user(db), state="waitlisted")
    factories.make_registration(db, workshop, factories.make_user(db), state="cancelled", mode="online")
    for registration in registrations:
        factories.make_seat(db, registration, breakout)
    factories.make_seat(db, waiting, breakout, state="waitlisted", waitlist_position=1)
    for kind in ("processing", "listing"):
        db.add(Consent(user_id=people[0].id, kind=kind, registration_id=registrations[0].id, notice_version=1))
    db.add(Consent(user_id=people[0].id, kind="updates", notice_version=1))  # the account's, not the registration's
    db.commit()

    public = _need(db, breakout, people[0], "Public need", "public")
    anonymous = _need(db, breakout, people[1], "Anonymous need", "anonymous")
    internal = _need(db, breakout, people[2], "Internal need", "internal")
    kept = _need(db, breakout, people[2], "Kept internal need", "internal", kept_at=ENDED)
    original = _need(db, breakout, people[0], "Merged original", "public", state="merged", merged_into_id=internal.id)
    use_case = UseCase(title="Drones", state="draft")
    db.add(use_case)
    db.flush()
    db.add_all([UseCaseNeed(use_case_id=use_case.id, need_id=n.id) for n in (public, internal)])
    db.add_all([Vote(need_id=n.id, user_id=people[3].id, breakout_id=breakout.id) for n in (public, internal, kept)])
    db.commit()

    recent_end = BEFORE - timedelta(days=10)
    recent = factories.make_workshop(db, title="Recent", starts_at=recent_end - timedelta(hours=6), ends_at=recent_end)
    recent_breakout = factories.make_breakout(db, recent, hour=0)
    recent_registration = factories.make_registration(db, recent, people[0], dietary="vegan")
    factories.make_seat(db, recent_registration, recent_breakout)
    recent_internal = _need(db, recent_breakout, people[0], "Recent internal need", "internal")
    return {
        "workshop": workshop,
        "breakout": breakout,
        "people": people,
        "needs": {"public": public, "anonymous": anonymous, "internal": internal, "kept": kept, "original": original},
        "use_case": use_case,
        "recent": recent,
        "recent_internal": recent_internal,
    }


def _purge(app, db, now, **kwargs):
    with app.app_context():
        done = purge(session=db, now=now, default_months=app.config["RETENTION_MONTHS"], **kwargs)
    _fresh(db)
    return done


def _fresh(db) -> None:
    """End the test session's read transaction and forget what it read: what follows reads afresh."""
    db.rollback()
    db.expire_all()


def _registrations(db, workshop) -> list[Registration]:
    return db.exec(select(Registration).where(Registration.workshop_id == workshop.id)).all()


def _attendance(db, workshop) -> dict[tuple[str, str], int]:
    rows = db.exec(select(WorkshopAttendance).where(WorkshopAttendance.workshop_id == workshop.id)).all()
    return {(row.organisation_type, row.country): row.participants for row in rows}


def test_months_are_calendar_months_and_a_missing_day_becomes_the_last():
    assert retention.add_months(datetime(2021, 1, 31, 17, tzinfo=UTC), 1) == datetime(2021, 2, 28, 17, tzinfo=UTC)
    assert retention.add_months(datetime(2024, 1, 31, 17, tzinfo=UTC), 1) == datetime(2024, 2, 29, 17, tzinfo=UTC)
    assert retention.add_months(datetime(2021, 3, 31, tzinfo=UTC), 1) == datetime(2021, 4, 30, tzinfo=UTC)
    assert retention.add_months(datetime(2021, 11, 16, tzinfo=UTC), 12) == datetime(2022, 11, 16, tzinfo=UTC)
    assert retention.add_months(datetime(2021, 12, 15, tzinfo=UTC), 1) == datetime(2022, 1, 15, tzinfo=UTC)
    assert retention.add_months(datetime(2021, 11, 30, tzinfo=UTC), 27) == datetime(2024, 2, 29, tzinfo=UTC)


def test_nothing_is_deleted_before_the_period_ends(app, db, world):
    workshop = world["workshop"]
    assert _purge(app, db, BEFORE) == []
    on_the_day = retention.add_months(ENDED, 12)
    assert _purge(app, db, on_the_day - timedelta(seconds=1)) == []
    assert len(_registrations(db, workshop)) == 6
    assert db.get(Need, world["needs"]["internal"].id) is not None
    assert db.get(Workshop, workshop.id).purged_at is None
    assert _attendance(db, workshop) == {}


def test_after_the_period_the_details_go_and_the_counts_stay(app, db, world):
    workshop, found = world["workshop"], {name: need.id for name, need in world["needs"].items()}
    [done] = _purge(app, db, AFTER)
    assert (done.title, done.registrations, done.internal_needs) == ("Antwerp 2021", 6, 1)
    assert (done.participants, done.attendance_rows) == (4, 3)
    assert done.due_at == datetime(2022, 11, 16, 17, tzinfo=UTC)

    # The registrations go, with their requirements, modes, check-ins, listing consents and seats.
    assert _registrations(db, workshop) == []
    assert db.exec(select(BreakoutSeat).where(BreakoutSeat.breakout_id == world["breakout"].id)).all() == []
    assert [c.kind for c in db.exec(select(Consent)).all()] == ["updates"]
    assert db.get(Workshop, workshop.id).purged_at == AFTER
    # Confirmed participants stay as counts; the waiting list and cancellations are not counted.
    assert _attendance(db, workshop) == {("end_user", "BE"): 2, ("integrator", "FR"): 1, ("sme", ""): 1}

    # The internal need goes with its votes and its use-case link; every other need stays.
    assert db.get(Need, found["internal"]) is None
    assert db.exec(select(Vote).where(Vote.need_id == found["internal"])).all() == []
    links = db.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == world["use_case"].id)).all()
    assert links == [found["public"]]
    assert db.get(Need, found["original"]).merged_into_id is None
    for name in ("public", "anonymous", "kept", "original"):
        assert db.get(Need, found[name]) is not None, name
    votes = db.exec(select(Vote.need_id)).all()
    assert sorted(votes) == sorted([found["public"], found["kept"]])
    # The accounts stay: only registration details are purged.
    assert all(db.get(type(p), p.id) is not None for p in world["people"])

    # The other workshop, within its period, is untouched.
    assert [r.dietary for r in _registrations(db, world["recent"])] == ["vegan"]
    assert db.get(Need, world["recent_internal"].id) is not None
    assert db.get(Workshop, world["recent"].id).purged_at is None


def test_a_second_run_deletes_nothing_more(app, db, world):
    assert len(_purge(app, db, AFTER)) == 1
    counts = _attendance(db, world["workshop"])
    assert _purge(app, db, AFTER + timedelta(days=1)) == []
    assert _attendance(db, world["workshop"]) == counts
    assert db.get(Workshop, world["workshop"].id).purged_at == AFTER
    assert db.get(Need, world["needs"]["kept"].id) is not None


def test_a_workshop_of_its_own_period_goes_earlier(app, db, world):
    recent, recent_internal = world["recent"], world["recent_internal"].id
    recent.retention_months = 3
    db.add(recent)
    db.commit()
    in_two = retention.add_months(recent.ends_at, 2)
    in_three = retention.add_months(recent.ends_at, 3)
    assert [d.title for d in _purge(app, db, in_two)] == ["Antwerp 2021"]  # already 12 months old then
    assert _purge(app, db, in_three - timedelta(minutes=1)) == []
    assert [d.title for d in _purge(app, db, in_three)] == ["Recent"]
    assert _registrations(db, recent) == []
    assert db.get(Need, recent_internal) is None


def test_a_period_ending_on_a_day_february_lacks(app, db):
    end = datetime(2022, 1, 31, 18, tzinfo=UTC)
    workshop = factories.make_workshop(db, starts_at=end - timedelta(hours=8), ends_at=end, retention_months=1)
    factories.make_registration(db, workshop, factories.make_user(db))
    assert _purge(app, db, datetime(2022, 2, 28, 17, 59, tzinfo=UTC)) == []
    [done] = _purge(app, db, datetime(2022, 2, 28, 18, tzinfo=UTC))
    assert done.registrations == 1


def test_a_longer_configured_period_keeps_the_details(app, db, world):
    with app.app_context():
        assert purge(session=db, now=AFTER, default_months=24) == []
    assert len(_registrations(db, world["workshop"])) == 6


def test_the_command_says_what_it_did_and_a_dry_run_deletes_nothing(app, db, world, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setattr(cli, "utcnow", lambda: BEFORE)
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert result.output == "Nothing to purge.\n"

    monkeypatch.setattr(cli, "utcnow", lambda: AFTER)
    dry = runner.invoke(args=["purge-expired", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge “Antwerp 2021” (due 2022-11-16): 6 registrations and 1 internal need;" in dry.output
    assert "Would purge 1 workshop: 6 registrations and 1 internal need would be deleted." in dry.output
    _fresh(db)
    assert len(_registrations(db, world["workshop"])) == 6
    assert db.get(Workshop, world["workshop"].id).purged_at is None

    done = runner.invoke(args=["purge-expired"])
    assert done.exit_code == 0, done.output
    assert done.output == (
        "Purged “Antwerp 2021” (due 2022-11-16): 6 registrations and 1 internal need; "
        "4 participants kept as 3 counts.\n"
        "Purged 1 workshop: 6 registrations and 1 internal need deleted.\n"
    )
    _fresh(db)
    assert _registrations(db, world["workshop"]) == []
    assert runner.invoke(args=["purge-expired"]).output == "Nothing to purge.\n"


def test_the_consultation_report_keeps_the_counts_of_a_purged_workshop(app, db, call_text):  # noqa: F811
    before = report.build(db, call_text)
    [workshop] = [part.workshop for part in before.workshops]
    due = retention.add_months(workshop.ends_at, 12)
    [done] = _purge(app, db, due + timedelta(days=1))
    assert (done.title, done.registrations, done.internal_needs) == ("Lisbon 2021", 3, 1)

    [part] = report.build(db, call_text).workshops
    [was] = before.workshops
    assert part.participants == was.participants == 3
    assert dict(part.by_country) == dict(was.by_country) == {"Portugal": 1, "Belgium": 1, "France": 1}
    assert part.by_type == was.by_type
    assert part.listed == []
    assert [b.needs for b in part.breakouts] == [2]  # public and anonymous needs stay
    assert "3 participants." in report.markdown(report.build(db, call_text))


def test_a_purged_workshop_shows_its_country_as_not_given_when_unknown(app, db, world):
    _purge(app, db, AFTER)
    with app.app_context():
        [part] = report._workshops(db, [world["workshop"].id])
    assert part.participants == 4
    assert dict(part.by_country) == {"Belgium": 2, "France": 1, "Not given": 1}
    assert dict(part.by_type)["SME"] == 1


# --- The organisers' screens -------------------------------------------------------------------


def _edit_form(workshop: Workshop, **overrides) -> dict:
    values = {
        "title": workshop.title,
        "slug": workshop.slug,
        "cluster_id": "",
        "state": workshop.state,
        "format": "on_site",
        "timezone": "UTC",
        "starts_at": f"{workshop.starts_at:%Y-%m-%dT%H:%M}",
        "ends_at": f"{workshop.ends_at:%Y-%m-%dT%H:%M}",
        "venue": workshop.venue,
        "online_link": "",
        "onsite_capacity": "",
        "online_capacity": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "description": "",
    }
    values.update(overrides)
    return values


def test_organisers_set_a_workshops_period_on_its_form(db, organiser_client):
    start = datetime(2031, 11, 16, 9, tzinfo=UTC)
    workshop = factories.make_workshop(db, starts_at=start, ends_at=start + timedelta(hours=8), timezone="UTC")
    url = f"/manage/workshops/{workshop.id}/edit"
    form = organiser_client.get(url).get_data(as_text=True)
    assert 'name="retention_months"' in form and "Empty: 12 months, the default." in form
    page = organiser_client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert "kept until 16 November 2032" in page and "the default" in page

    for bad in ("0", "121", "soon"):
        response = post_form(organiser_client, url, _edit_form(workshop, retention_months=bad))
        assert response.status_code == 200
        error = response.get_data(as_text=True).split('id="retention_months-error"')[1][:200]
        assert "Enter a number of months from 1 to 120" in error or "Not a valid integer" in error
    _fresh(db)
    assert db.get(Workshop, workshop.id).retention_months is None

    response = post_form(organiser_client, url, _edit_form(workshop, retention_months="3"))
    assert response.status_code == 302, response.get_data(as_text=True)
    _fresh(db)
    assert db.get(Workshop, workshop.id).retention_months == 3
    page = organiser_client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert "kept until 16 February 2032" in page
    assert 'value="3"' in organiser_client.get(url).get_data(as_text=True)

    post_form(organiser_client, url, _edit_form(workshop, retention_months=""))
    _fresh(db)
    assert db.get(Workshop, workshop.id).retention_months is None


def test_a_purged_workshop_says_when_its_details_were_deleted(app, db, world, organiser_client):
    _purge(app, db, AFTER)
    page = organiser_client.get(f"/manage/workshops/{world['workshop'].id}").get_data(as_text=True)
    assert "Registration details deleted on 17 November 2022" in page


def test_organisers_keep_an_internal_need(app, db, world, organiser_client):
    internal = world["needs"]["internal"]
    url = f"/needs/{internal.id}"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "Keep beyond the retention period" in page
    response = post_form(organiser_client, f"/manage/needs/{internal.id}/keep", {"keep": "1"}, form_url=url)
    assert response.status_code == 302 and response.headers["Location"] == url
    _fresh(db)
    assert db.get(Need, internal.id).kept_at is not None
    assert "Stop keeping" in organiser_client.get(url).get_data(as_text=True)

    assert _purge(app, db, AFTER)[0].internal_needs == 0
    assert db.get(Need, internal.id) is not None

    post_form(organiser_client, f"/manage/needs/{internal.id}/keep", {"keep": "0"}, form_url=url)
    _fresh(db)
    assert db.get(Need, internal.id).kept_at is None


def test_the_keep_button_is_for_internal_needs_only(db, world, organiser_client):
    public = world["needs"]["public"]
    url = f"/needs/{public.id}"
    assert "Keep beyond the retention period" not in organiser_client.get(url).get_data(as_text=True)
    response = post_form(organiser_client, f"/manage/needs/{public.id}/keep", {"keep": "1"}, form_url=url)
    assert response.status_code == 302
    _fresh(db)
    assert db.get(Need, public.id).kept_at is None
    for bad in ("2", "", "yes"):
        assert post_form(organiser_client, f"/manage/needs/{public.id}/keep", {"keep": bad}).status_code == 400
    assert post_form(organiser_client, "/manage/needs/999999/keep", {"keep": "1"}, form_url="/").status_code == 404


@pytest.mark.parametrize("who", ["facilitator_client", "participant_client"])
def test_only_organisers_keep_needs(request, db, world, who):
    client = request.getfixturevalue(who)
    internal = world["needs"]["internal"]
    assert "Keep beyond" not in client.get(f"/needs/{internal.id}").get_data(as_text=True)
    response = post_form(client, f"/manage/needs/{internal.id}/keep", {"keep": "1"}, form_url="/")
    assert response.status_code == 403
    _fresh(db)
    assert db.get(Need, internal.id).kept_at is None


def test_the_keep_route_sends_strangers_to_log_in(client, db, world):
    internal = world["needs"]["internal"]
    response = post_form(client, f"/manage/needs/{internal.id}/keep", {"keep": "1"}, form_url="/login")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
