"""The demo workshops: three 2021 workshops with participants of their own, and the upcoming one.

The consultation report of Open Call 1 reads who took part in each 2021 workshop; identical
breakdowns (the same sixteen people everywhere) read as made up. Each workshop now has its own
participants, seated in the breakout they attended, within its capacity.
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from workshops.auth.demo import DEMO_PASSWORD
from workshops.auth.models import User
from workshops.auth.passwords import verify_password
from workshops.calls import participation
from workshops.events import demo
from workshops.events.models import Breakout, BreakoutSeat, Registration, Workshop

PAST = ["securit-2021-infrastructure", "securit-2021-disaster-resilience", "securit-2021-public-spaces"]


def _seed(app) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def _past(db) -> list[Workshop]:
    workshops = {w.slug: w for w in db.exec(select(Workshop).where(Workshop.state == "archived"))}
    return [workshops[slug] for slug in PAST]


def test_the_three_2021_workshops_have_different_participants_and_breakdowns(app, db):
    _seed(app)
    parts = participation.read(db, [w.id for w in _past(db)]).workshops
    assert [p.workshop.slug for p in parts] == PAST
    counts = [p.participants for p in parts]
    assert len(set(counts)) == 3, counts
    for one, other in ((0, 1), (0, 2), (1, 2)):
        assert parts[one].by_type != parts[other].by_type, (PAST[one], PAST[other])
        assert parts[one].by_country != parts[other].by_country, (PAST[one], PAST[other])
    # Countries by name, and more than a handful of them: the needs came from across Europe.
    assert all(len(p.by_country) >= 8 for p in parts)
    assert all(name[:1].isupper() and len(name) > 2 for p in parts for name, _ in p.by_country)


def test_each_participant_sits_in_the_breakout_the_data_file_gives_within_its_capacity(app, db):
    _seed(app)
    people = demo.load_people()
    emails = {f"demo{index:02d}@example.org": person for index, person in enumerate(people, start=1)}
    for workshop in _past(db):
        rows = db.exec(
            select(User.email, Breakout.title)
            .join(Registration, Registration.user_id == User.id)
            .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id)
            .join(Breakout, Breakout.id == BreakoutSeat.breakout_id)
            .where(Registration.workshop_id == workshop.id)
        ).all()
        expected = {
            (email, person["breakouts"][workshop.slug])
            for email, person in emails.items()
            if workshop.slug in person["breakouts"]
        }
        assert set(rows) == expected, workshop.slug
        capacities = {b.title: b.capacity for b in db.exec(select(Breakout).where(Breakout.workshop_id == workshop.id))}
        assert all(n <= capacities[title] for title, n in Counter(title for _, title in rows).items())


def test_the_people_other_journeys_rely_on_are_where_they_expect(app, db):
    """demo05 (My data) came to two 2021 workshops; demo12 (issue 14) to those of 16 and 18 November."""
    _seed(app)
    slugs = {w.id: w.slug for w in db.exec(select(Workshop))}

    def attended(email: str) -> set[str]:
        user = db.exec(select(User).where(User.email == email)).one()
        return {slugs[r.workshop_id] for r in db.exec(select(Registration).where(Registration.user_id == user.id))}

    assert {PAST[0], PAST[1]} <= attended("demo05@example.org")
    assert {PAST[0], PAST[1]} <= attended("demo12@example.org")
    upcoming = db.exec(select(Workshop).where(Workshop.slug == "securit-workshop-open-call-2")).one()
    states = Counter(r.state for r in db.exec(select(Registration).where(Registration.workshop_id == upcoming.id)))
    assert sum(states.values()) == demo.UPCOMING_PEOPLE


def test_every_demo_participant_logs_in_with_the_published_password(app, db):
    _seed(app)
    people = db.exec(select(User).where(User.email.like("demo%@example.org")).order_by(User.email)).all()
    assert len(people) == len(demo.load_people())
    with app.app_context():
        assert verify_password(people[0].password_hash, DEMO_PASSWORD)
        assert verify_password(people[-1].password_hash, DEMO_PASSWORD)
        assert not verify_password(people[-1].password_hash, DEMO_PASSWORD + "x")
