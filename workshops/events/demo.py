"""Demo workshops: the November 2021 series that fed Open Call 1, and an upcoming series.

``demo_people.json`` lists the participants: each one's organisation, type of organisation and
country (which agree: the needs they stated carry them, see ``workshops/needs/demo_needs.json``),
and the breakout each attended at the 2021 workshops they came to. So each 2021 workshop has its
own participants, and its own mix of organisations and countries in the consultation report.

The upcoming series is dated from the day it is seeded and open for registration, with one full
breakout that has a waiting list, so that a newcomer sees every state of journey 1 in ``make run``.
Every row is found by its natural key first, so seeding twice adds nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from workshops.auth import services as accounts
from workshops.auth.demo import DEMO_PASSWORD
from workshops.auth.models import User
from workshops.auth.passwords import hash_password
from workshops.events import registration as reg
from workshops.events.models import (
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    TestBed,
    Workshop,
)
from workshops.privacy.models import Consent, ConsentKind
from workshops.programme.models import Cluster, Domain
from workshops.timeutil import utcnow

TEST_BEDS = [
    # name, domain slug, location, description
    (
        "Port of Marseille-Fos",
        "sensitive-infrastructure-protection",
        "Marseille, France",
        "Container and energy terminals on 10,000 hectares: perimeter, drones, access control and the "
        "port community system.",
    ),
    (
        "Regional electricity grid control room",
        "sensitive-infrastructure-protection",
        "Vilnius, Lithuania",
        "A transmission operator's control room and substations, with their operational technology.",
    ),
    (
        "Scheldt estuary flood defences",
        "disaster-resilience",
        "Antwerp, Belgium",
        "Dikes, storm-surge barriers and the crisis centre that watches them.",
    ),
    (
        "Var forest-fire zone",
        "disaster-resilience",
        "Var, France",
        "Mediterranean forest with hilltop cameras, fire brigades and evacuation routes.",
    ),
    (
        "Promenade des Anglais",
        "public-spaces-and-major-events",
        "Nice, France",
        "Seven kilometres of seafront promenade with events for up to 100,000 people.",
    ),
    (
        "Festival site of the Hague Beach Stadium",
        "public-spaces-and-major-events",
        "The Hague, Netherlands",
        "A seasonal event site on the beach: gates, crowd flows and stewarding.",
    ),
]

#: The demo's participants (``demo01@example.org`` onwards, in this order): name, organisation, type,
#: country, cluster, and the breakout each attended at the 2021 workshops they came to.
PEOPLE_DATA = Path(__file__).with_name("demo_people.json")
#: The first sixteen register for the upcoming workshop (eleven at the port, five for the full grid breakout).
UPCOMING_PEOPLE = 16
PAST_SERIES = [
    # slug, title, day in November 2021, format, venue, host, breakouts (title, test bed, hour, length, capacity)
    (
        "securit-2021-infrastructure",
        "SecurIT workshop: sensitive infrastructure protection",
        16,
        "hybrid",
        "Technopôle de l'Arbois, Aix-en-Provence",
        "Safe",
        [
            ("Ports and terminals", "Port of Marseille-Fos", 1, 2, 30),
            ("Energy grids", "Regional electricity grid control room", 1, 2, 20),
        ],
    ),
    (
        "securit-2021-disaster-resilience",
        "SecurIT workshop: disaster resilience",
        18,
        "online",
        "",
        "LSEC",
        [
            ("Floods and storm surges", "Scheldt estuary flood defences", 1, 2, 20),
            ("Forest fires", "Var forest-fire zone", 4, 2, 20),
        ],
    ),
    (
        "securit-2021-public-spaces",
        "SecurIT workshop: public spaces protection and major events",
        23,
        "on_site",
        "HSD Campus, Wilhelmina van Pruisenweg 104, The Hague",
        "HSD",
        [
            ("Seafront and promenades", "Promenade des Anglais", 1, 2, 20),
            ("Festivals and gates", "Festival site of the Hague Beach Stadium", 1, 2, 20),
        ],
    ),
]

UPCOMING_DESCRIPTION = """\
End-users and integrators from the eight clusters meet to state the needs that will become the
challenges of the next open call.

- **Morning:** breakouts per test bed, where you state your needs and vote on others'.
- **Afternoon:** a second round of breakouts, then the plenary with the first synthesis.

Lunch is served on site. Online participants join the same breakouts through the breakout rooms.
"""


def seed_workshops(*, session: Session, clusters: dict[str, Cluster]) -> dict[str, int]:
    """Load test beds, demo people, the past series and the upcoming series; return what was added."""
    added = {"test beds": 0, "people": 0, "workshops": 0, "registrations": 0}
    domains = {d.slug: d for d in session.exec(select(Domain))}
    test_beds = {t.name: t for t in session.exec(select(TestBed))}
    for name, domain_slug, location, description in TEST_BEDS:
        if name not in test_beds:
            test_beds[name] = TestBed(
                name=name, domain_id=domains[domain_slug].id, location=location, description=description
            )
            session.add(test_beds[name])
            added["test beds"] += 1
    session.commit()
    people = _demo_people(session, clusters, added)
    _updates_consents(session, people)
    facilitator = accounts.find_user_by_email(session, "facilitator@example.org")
    for spec in PAST_SERIES:
        _past_workshop(session, spec, clusters, test_beds, people, facilitator, added)
    _upcoming_workshop(session, clusters, test_beds, people, facilitator, added)
    return added


def load_people() -> list[dict]:
    """The demo's participants as the data file gives them."""
    return json.loads(PEOPLE_DATA.read_text(encoding="utf-8"))["people"]


def _demo_people(session: Session, clusters: dict[str, Cluster], added: dict[str, int]) -> list[User]:
    """The demo participants' accounts, ``demo01@example.org`` onwards, created when missing."""
    people = []
    # Every demo participant has the published password: hashed once, not seventy times (slow on purpose).
    password_hash = None
    for index, person in enumerate(load_people(), start=1):
        email = f"demo{index:02d}@example.org"
        user = accounts.find_user_by_email(session, email)
        if user is None:
            profile = accounts.Profile(
                name=person["name"],
                organisation=person["organisation"],
                organisation_type=person["organisation_type"],
                country=person["country"],
                cluster_id=clusters[person["cluster"]].id if person["cluster"] else None,
            )
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = accounts.create_user(
                session=session, email=email, password=DEMO_PASSWORD, profile=profile, password_hash=password_hash
            )
            added["people"] += 1
        people.append(user)
    return people


def _updates_consents(session: Session, people: list[User]) -> None:
    """Every other demo person (the 1st, 3rd, …) asked to hear what became of their needs; once only."""
    asked = set(session.exec(select(Consent.user_id).where(Consent.kind == ConsentKind.updates.value)))
    for person in people[::2]:
        if person.id not in asked:
            session.add(
                Consent(
                    user_id=person.id,
                    kind=ConsentKind.updates.value,
                    notice_version=1,
                    given_at=datetime(2021, 10, 20, 9, 0, tzinfo=UTC),
                )
            )
    session.commit()


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _past_workshop(session, spec, clusters, test_beds, people, facilitator, added) -> None:
    slug, title, day, format_, venue, host, breakout_specs = spec
    if session.exec(select(Workshop).where(Workshop.slug == slug)).first() is not None:
        return
    zone = ZoneInfo("Europe/Paris")
    start = datetime(2021, 11, day, 9, 30, tzinfo=zone)
    workshop = Workshop(
        slug=slug,
        title=title,
        cluster_id=clusters[host].id,
        timezone="Europe/Paris",
        starts_at=start,
        ends_at=_at(start, 16, 30),
        format=format_,
        venue=venue,
        online_link="https://meet.example.eu/securit-2021" if format_ != "on_site" else "",
        onsite_capacity=40 if format_ != "online" else None,
        online_capacity=100 if format_ != "on_site" else None,
        registration_opens_at=start - timedelta(days=30),
        registration_closes_at=start - timedelta(days=1),
        description="One of the three workshops of November 2021 whose needs became the challenges of Open Call 1.",
        state="archived",
    )
    session.add(workshop)
    session.flush()
    breakouts = {}
    for title_, test_bed, hour, length, capacity in breakout_specs:
        breakout = Breakout(
            workshop_id=workshop.id,
            title=title_,
            test_bed_id=test_beds[test_bed].id,
            domain_id=test_beds[test_bed].domain_id,
            starts_at=start + timedelta(hours=hour),
            ends_at=start + timedelta(hours=hour + length),
            room=f"Salle {len(breakouts) + 1}",
            capacity=capacity,
        )
        breakout.facilitators = [facilitator]
        session.add(breakout)
        breakouts[title_] = breakout
    session.flush()
    for index, (person, spec) in enumerate(zip(people, load_people(), strict=True)):
        if slug not in spec["breakouts"]:
            continue
        # The listing consent, the check-in and (at a hybrid workshop) online attendance go by the
        # person, not by the workshop: each workshop's mix follows from who came to it.
        mode = "online" if format_ == "online" or (format_ == "hybrid" and index % 4 == 3) else "on_site"
        registration = Registration(
            workshop_id=workshop.id,
            user_id=person.id,
            mode=mode,
            state=RegistrationState.confirmed.value,
            consent_processing_at=start - timedelta(days=10),
            consent_listing_at=start - timedelta(days=10) if index % 3 else None,
            checked_in_at=start - timedelta(minutes=15) if index % 5 else None,
        )
        session.add(registration)
        session.flush()
        for kind, at in (
            (ConsentKind.processing, registration.consent_processing_at),
            (ConsentKind.listing, registration.consent_listing_at),
        ):
            if at is not None:
                session.add(
                    Consent(
                        user_id=person.id,
                        kind=kind.value,
                        registration_id=registration.id,
                        notice_version=registration.privacy_notice_version,
                        given_at=at,
                    )
                )
        session.add(
            BreakoutSeat(
                registration_id=registration.id,
                breakout_id=breakouts[spec["breakouts"][slug]].id,
                state=SeatState.confirmed,
            )
        )
        added["registrations"] += 1
    added["workshops"] += 1
    session.commit()


def _upcoming_workshop(session, clusters, test_beds, people, facilitator, added) -> None:
    slug = "securit-workshop-open-call-2"
    if session.exec(select(Workshop).where(Workshop.slug == slug)).first() is not None:
        return
    zone = ZoneInfo("Europe/Paris")
    day = (utcnow() + timedelta(days=21)).astimezone(zone)
    start = _at(day, 9, 30)
    workshop = Workshop(
        slug=slug,
        title="SecurIT workshop: needs for Open Call 2",
        cluster_id=clusters["Safe"].id,
        timezone="Europe/Paris",
        starts_at=start,
        ends_at=_at(day, 17, 0),
        format="hybrid",
        venue="Technopôle de l'Arbois, Avenue Louis Philibert, 13100 Aix-en-Provence",
        online_link="https://meet.example.eu/securit-open-call-2",
        onsite_capacity=60,
        online_capacity=150,
        registration_opens_at=utcnow() - timedelta(days=1),
        registration_closes_at=start - timedelta(days=2),
        description=UPCOMING_DESCRIPTION,
        state="published",
    )
    session.add(workshop)
    session.flush()
    specs = [
        ("Ports: drones and perimeter", "Port of Marseille-Fos", (10, 0), (12, 0), "Salle Calanques", 12),
        (
            "Grid control rooms under cyber attack",
            "Regional electricity grid control room",
            (10, 0),
            (12, 0),
            "Salle Sainte-Victoire",
            3,
        ),
        ("Flood early warning", "Scheldt estuary flood defences", (14, 0), (15, 30), "Salle Calanques", 15),
        ("Crowd safety on the promenade", "Promenade des Anglais", (14, 0), (15, 30), "Salle Sainte-Victoire", 15),
    ]
    breakouts = {}
    for title, test_bed, (h1, m1), (h2, m2), room, capacity in specs:
        breakout = Breakout(
            workshop_id=workshop.id,
            title=title,
            test_bed_id=test_beds[test_bed].id,
            domain_id=test_beds[test_bed].domain_id,
            starts_at=_at(day, h1, m1),
            ends_at=_at(day, h2, m2),
            room=room,
            online_room="https://meet.example.eu/securit-open-call-2/" + test_bed.split()[0].lower(),
            capacity=capacity,
        )
        breakout.facilitators = [facilitator]
        session.add(breakout)
        breakouts[title] = breakout
    added["workshops"] += 1
    session.commit()
    # Eleven of twelve seats taken at the port, and the grid breakout full with two people waiting.
    ports, grid = breakouts["Ports: drones and perimeter"], breakouts["Grid control rooms under cyber attack"]
    choices = [(ports.id,)] * 11 + [(grid.id,)] * 5
    for person, breakout_ids in zip(people[:UPCOMING_PEOPLE], choices, strict=True):
        reg.register(
            session=session,
            workshop=workshop,
            user=person,
            choices=reg.Choices(mode="on_site", breakout_ids=breakout_ids),
        )
        added["registrations"] += 1
