"""Times shown in a named zone (the workshop's, else the programme's), and only canonical zone names offered."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import post_form
from workshops.audit.models import AuditEntry
from workshops.events.models import Workshop
from workshops.programme.models import ProgrammeSettings
from workshops.timeutil import canonical_timezone, default_timezone, local, timezone_choices, timezone_problem
from workshops.usecases import services
from workshops.usecases.models import UseCase, UseCaseComment, UseCaseRevision

WINTER = datetime(2027, 1, 15, 8, 5, tzinfo=UTC)  # 09:05 in Paris (CET)
SUMMER = datetime(2027, 7, 1, 8, 5, 7, tzinfo=UTC)  # 10:05 in Paris (CEST)
#: Old names the time-zone database keeps as links, with the names of today.
OLD_NAMES = {
    "Africa/Asmera": "Africa/Asmara",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "US/Eastern": "America/New_York",
    "Europe/Kiev": "Europe/Kyiv",
    "Asia/Calcutta": "Asia/Kolkata",
    "Etc/UTC": "UTC",
    "GMT": "UTC",
}


def _programme_zone(db, zone: str) -> None:
    db.add(ProgrammeSettings(id=1, timezone=zone))
    db.commit()


# --- Only canonical names -----------------------------------------------------------------------


def test_only_canonical_zone_names_are_offered():
    offered = set(timezone_choices())
    assert not offered & set(OLD_NAMES), "an old name is offered"
    assert not {name for name in offered if name.startswith(("Etc/", "US/", "SystemV/"))}
    assert set(OLD_NAMES.values()) <= offered
    assert {"Europe/Brussels", "Europe/Amsterdam", "Europe/Copenhagen", "Europe/Vilnius", "Europe/Warsaw"} <= offered
    assert list(timezone_choices()) == sorted(offered)
    for name in offered:
        ZoneInfo(name)  # every one loads


def test_every_old_name_maps_to_an_offered_zone_with_the_same_clock():
    for old, today in OLD_NAMES.items():
        assert canonical_timezone(old) == today
    moments = [datetime(2021, 11, 16, 8, 30, tzinfo=UTC), datetime(2024, 7, 1, 12, tzinfo=UTC), WINTER, SUMMER]
    for name in available_timezones():
        canonical = canonical_timezone(name)
        if canonical is None:  # a zone of no place (Etc/GMT+5, EST5EDT) is neither offered nor mapped
            assert name not in timezone_choices()
            continue
        assert canonical in timezone_choices(), name
        for moment in moments:
            assert moment.astimezone(ZoneInfo(name)).utcoffset() == moment.astimezone(ZoneInfo(canonical)).utcoffset()
    assert canonical_timezone("Mars/Olympus_Mons") is None and canonical_timezone("") is None


def test_the_message_names_the_zone_to_choose():
    assert timezone_problem("Europe/Paris") is None
    assert timezone_problem("Africa/Asmera") == (
        "“Africa/Asmera” is an old name of this time zone: choose Africa/Asmara, its name today."
    )
    assert "is not a time zone" in timezone_problem("Mars/Olympus_Mons")


def test_a_new_workshop_in_an_old_zone_name_is_refused_with_the_name_to_use(organiser_client, db):
    form = {
        "title": "Kyiv workshop",
        "slug": "kyiv-workshop",
        "cluster_id": "",
        "state": "draft",
        "format": "online",
        "timezone": "Europe/Kiev",
        "starts_at": "2031-11-16T09:30",
        "ends_at": "2031-11-16T17:00",
        "venue": "",
        "online_link": "https://meet.example.eu/kyiv",
        "onsite_capacity": "",
        "online_capacity": "50",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "description": "",
    }
    response = post_form(organiser_client, "/manage/workshops/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“Europe/Kiev” is an old name of this time zone: choose Europe/Kyiv, its name today." in page
    assert db.exec(select(Workshop).where(Workshop.slug == "kyiv-workshop")).first() is None
    saved = post_form(organiser_client, "/manage/workshops/new", form | {"timezone": "Europe/Kyiv"})
    assert saved.status_code == 302
    db.rollback()  # end the read transaction that predates the save
    assert db.exec(select(Workshop.timezone).where(Workshop.slug == "kyiv-workshop")).one() == "Europe/Kyiv"


def test_a_stored_old_name_is_edited_as_its_name_of_today(organiser_client, db):
    workshop = factories.make_workshop(db, timezone="Asia/Calcutta")
    page = organiser_client.get(f"/manage/workshops/{workshop.id}/edit").get_data(as_text=True)
    assert '<option selected value="Asia/Kolkata">' in page
    assert 'value="Asia/Calcutta"' not in page  # not offered, and not chosen by accident either


def test_the_programme_refuses_an_old_name_and_reads_a_stored_one_as_today(app, organiser_client, db):
    response = post_form(organiser_client, "/manage/programme", {"timezone": "US/Eastern"})
    assert response.status_code == 200
    assert "“US/Eastern” is an old name of this time zone: choose America/New_York" in response.get_data(as_text=True)
    assert db.exec(select(ProgrammeSettings)).first() is None
    db.rollback()
    _programme_zone(db, "Europe/Kiev")  # stored before the names were checked
    with app.test_request_context():
        assert default_timezone() == "Europe/Kyiv"
    form = organiser_client.get("/manage/workshops/new").get_data(as_text=True)
    assert '<option selected value="Europe/Kyiv">' in form
    settings = organiser_client.get("/manage/programme").get_data(as_text=True)
    assert '<option selected value="Europe/Kyiv">' in settings


# --- Times in the programme's zone, named -------------------------------------------------------


def test_local_without_a_place_uses_the_programmes_zone_and_names_it(app, db):
    with app.test_request_context():
        assert local(WINTER) == "15 Jan 2027, 08:05 UTC"  # no zone chosen: the configured one
    _programme_zone(db, "Europe/Paris")
    with app.test_request_context():
        assert local(WINTER) == "15 Jan 2027, 09:05 CET"
        assert local(SUMMER) == "01 Jul 2027, 10:05 CEST"
        assert local(WINTER, "Europe/Vilnius") == "15 Jan 2027, 10:05 EET"  # a workshop's own zone wins
    with app.app_context():  # outside a request too (exports, the command line)
        assert local(SUMMER) == "01 Jul 2027, 10:05 CEST"


@pytest.fixture
def paris(db):
    """The programme runs on Paris time."""
    _programme_zone(db, "Europe/Paris")


@pytest.fixture
def use_case(app, db, organiser, paris) -> UseCase:
    """A use case changed in winter, its first revision made in summer, and a winter comment."""
    values = services.UseCaseInput(title="Drones over ports", body="## Context\n\nPorts.\n")
    with app.app_context():
        created = services.create_use_case(session=db, author=organiser, values=values, need_ids=[])
    created.updated_at = WINTER
    revision = db.exec(select(UseCaseRevision).where(UseCaseRevision.use_case_id == created.id)).one()
    revision.created_at = SUMMER
    db.add_all(
        [
            created,
            revision,
            UseCaseComment(use_case_id=created.id, author_id=organiser.id, body="Fine", created_at=WINTER),
        ]
    )
    db.commit()
    return created


def test_the_use_case_list_shows_change_times_in_the_programmes_zone(organiser_client, use_case):
    page = organiser_client.get("/manage/use-cases").get_data(as_text=True)
    assert "15 Jan 2027, 09:05 CET" in page
    assert "08:05 UTC" not in page and "(UTC)" not in page


def test_a_use_case_its_revisions_and_comments_show_times_in_the_programmes_zone(organiser_client, use_case):
    url = f"/manage/use-cases/{use_case.id}"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "01 Jul 2027, 10:05 CEST" in page  # the latest revision
    assert "15 Jan 2027, 09:05 CET" in page  # the comment
    assert "UTC" not in page
    revisions = organiser_client.get(f"{url}/revisions").get_data(as_text=True)
    assert "Times are Europe/Paris." in revisions
    assert "01 Jul 2027, 10:05 CEST" in revisions and "08:05 UTC" not in revisions


def test_the_audit_log_shows_times_in_the_programmes_zone(organiser_client, db, paris):
    db.add_all([AuditEntry(action="export", at=SUMMER, detail="summer"), AuditEntry(action="export", at=WINTER)])
    db.commit()
    page = organiser_client.get("/manage/audit").get_data(as_text=True)
    assert "Times are in the programme’s zone, Europe/Paris." in page
    assert "01 Jul 2027, 10:05:07 CEST" in page and "15 Jan 2027, 09:05:00 CET" in page
    assert "UTC" not in page.split("<main", 1)[1]


def test_the_audit_log_reads_the_programmes_zone_once_however_many_entries(organiser_client, db, paris, count_queries):
    def statements_for(entries: int) -> int:
        db.add_all([AuditEntry(action="export", at=WINTER) for _ in range(entries)])
        db.commit()
        with count_queries() as statements:
            assert organiser_client.get("/manage/audit").status_code == 200
        return len(statements)

    assert statements_for(2) == statements_for(40)


def test_the_audit_download_gives_times_in_iso_8601_with_their_offset(organiser_client, db, paris):
    db.add(AuditEntry(action="export", at=SUMMER, detail="summer"))
    db.commit()
    response = post_form(organiser_client, "/manage/audit.csv", form_url="/manage/audit")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    [summer] = [row for row in rows if row["detail"] == "summer"]
    assert summer["time (UTC)"] == "2027-07-01T08:05:07+00:00"  # machine-readable, whatever the programme's zone
    assert datetime.fromisoformat(summer["time (UTC)"]) == SUMMER
