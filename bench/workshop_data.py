"""Workshop data of the benchmark: a busy workshop, one to register for, and signed sessions of newcomers.

``bench/run.py`` adds to each database

* ``bench-workshop``: a published on-site workshop a month ahead with six breakouts in three time
  slots and many registrations (2,000 on the large database, 5 on the small one), each holding a
  seat in two breakouts of different slots; the last ~15 % of each breakout's seats are on its
  waiting list, at positions 1..n without gaps, as the registration service would have left them;
* ``bench-register``: a published workshop with four breakouts of 50 seats, which the registration
  load fills in turn, and a fifth without a seat limit, for the in-process statement count (so that
  its registration takes a seat on both databases, instead of a seat on the small one and a
  waiting-list place on the large one, two code paths);
* *newcomers*: confirmed accounts registered for nothing, each of whom registers once.

The rows are written directly (bulk ``INSERT``), not through the registration service: building
thousands of registrations one locked transaction at a time would take minutes. For each newcomer,
:func:`signed_sessions` signs the session cookie a browser would hold after logging in, with a CSRF
token bound to it, exactly as ``tests/events/test_concurrency.py`` does, so that the load never goes
through the (deliberately slow) password check.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

BIG_SLUG = "bench-workshop"
REGISTER_SLUG = "bench-register"
#: Newcomers' e-mail addresses end with this domain; the other bench accounts use ``bench.example.org``.
NEWCOMER_DOMAIN = "newcomers.bench.example.org"
BENCH_DOMAIN = "bench.example.org"
#: ``bench-workshop``: time slots, parallel breakouts per slot, breakouts each person chooses.
SLOTS = 3
PARALLEL = 2
CHOSEN_PER_PERSON = 2
#: Share of each breakout's seats that fit; the rest wait.
SEATED_SHARE = 0.85
REGISTER_BREAKOUTS = 4
REGISTER_CAPACITY = 50
DESCRIPTION = """\
A day of demonstrations and discussions between practitioners, integrators and researchers.

- **Morning**: test beds present their environments and their open calls.
- **Afternoon**: breakouts per test bed, with time for questions.

Bring your own use case: the organisers match it to a test bed during lunch.
"""


@dataclass(frozen=True)
class WorkshopIds:
    """Identifiers of the benchmark's workshops in one database."""

    big_id: int
    register_id: int
    register_breakout_ids: tuple[int, ...]
    open_breakout_id: int

    def placeholders(self) -> dict[str, object]:
        """Values for the ``{…}`` fields of route paths and forms."""
        return {
            "big_slug": BIG_SLUG,
            "big_id": self.big_id,
            "register_slug": REGISTER_SLUG,
            "register_id": self.register_id,
            "open_breakout": self.open_breakout_id,
        }


def breakout_capacity(registrations: int) -> int:
    """Seats per breakout of ``bench-workshop`` so that ~15 % of ``registrations``' seats wait."""
    per_breakout = registrations * CHOSEN_PER_PERSON / (SLOTS * PARALLEL)
    return max(1, int(per_breakout * SEATED_SHARE))


def _chosen_breakouts(person: int) -> list[int]:
    """Indexes (0 to 5) of the breakouts person number ``person`` chose: two slots, round robin."""
    slots = [(person + shift) % SLOTS for shift in range(CHOSEN_PER_PERSON)]
    return [slot * PARALLEL + (person // SLOTS) % PARALLEL for slot in slots]


def add_workshops(config: dict, *, registrations: int, capacity: int) -> WorkshopIds:
    """Add both workshops; register the first ``registrations`` bench accounts for ``bench-workshop``.

    ``capacity`` is the seat count of each breakout of ``bench-workshop`` (the same on both
    databases, so that the small one holds the same workshop with fewer people).
    """
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from workshops import create_app
    from workshops.auth.models import User
    from workshops.events.models import Breakout, BreakoutSeat, Registration, TestBed, Workshop
    from workshops.programme.models import Cluster

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(days=30)).replace(hour=8, minute=0, second=0)
    try:
        with Session(engine) as session, session.begin():
            test_beds = list(session.exec(select(TestBed.id).order_by(TestBed.id)))
            cluster_id = session.exec(select(Cluster.id).order_by(Cluster.id)).first()

            def workshop(slug: str, title: str) -> Workshop:
                row = Workshop(
                    slug=slug,
                    title=title,
                    cluster_id=cluster_id,
                    timezone="Europe/Brussels",
                    starts_at=start,
                    ends_at=start + timedelta(hours=9),
                    format="on_site",
                    venue="Rue de la Loi 1, Brussels",
                    onsite_capacity=None,
                    registration_opens_at=now - timedelta(days=20),
                    description=DESCRIPTION,
                    state="published",
                )
                session.add(row)
                session.flush()
                return row

            def breakouts(row: Workshop, capacities: list[int | None]) -> list[Breakout]:
                made = []
                for number, seats in enumerate(capacities):
                    slot = number // PARALLEL
                    begins = row.starts_at + timedelta(hours=1 + 2 * slot)
                    made.append(
                        Breakout(
                            workshop_id=row.id,
                            title=f"Breakout {number + 1}",
                            test_bed_id=test_beds[number % len(test_beds)] if test_beds else None,
                            starts_at=begins,
                            ends_at=begins + timedelta(minutes=90),
                            room=f"Room {chr(ord('A') + number)}",
                            capacity=seats,
                        )
                    )
                session.add_all(made)
                session.flush()
                return made

            big = workshop(BIG_SLUG, "Benchmark workshop: a busy day")
            big_breakouts = breakouts(big, [capacity] * (SLOTS * PARALLEL))
            register = workshop(REGISTER_SLUG, "Benchmark workshop: registration opens")
            *register_breakouts, open_breakout = breakouts(register, [REGISTER_CAPACITY] * REGISTER_BREAKOUTS + [None])

            people = list(
                session.exec(
                    select(User.id).where(User.email.like(f"%@{BENCH_DOMAIN}")).order_by(User.id).limit(registrations)
                )
            )
            if people:
                session.execute(insert(Registration.__table__), _registration_rows(big.id, people, now))
                registration_ids = list(
                    session.exec(
                        select(Registration.id).where(Registration.workshop_id == big.id).order_by(Registration.id)
                    )
                )
                seats = _seat_rows(registration_ids, [b.id for b in big_breakouts], capacity, now)
                session.execute(insert(BreakoutSeat.__table__), seats)
            return WorkshopIds(
                big_id=big.id,
                register_id=register.id,
                register_breakout_ids=tuple(b.id for b in register_breakouts),
                open_breakout_id=open_breakout.id,
            )
    finally:
        engine.dispose()


def _registration_rows(workshop_id: int, people: list[int], now: datetime) -> list[dict]:
    """Confirmed on-site registrations, the earliest first, with a few requirements and listing consents."""
    rows = []
    for number, user_id in enumerate(people):
        created = now - timedelta(days=19) + timedelta(minutes=5 * number)
        rows.append(
            {
                "workshop_id": workshop_id,
                "user_id": user_id,
                "mode": "on_site",
                "state": "confirmed",
                "waitlist_position": None,
                "dietary": "Vegetarian" if number % 9 == 0 else "",
                "accessibility": "Step-free access" if number % 40 == 0 else "",
                "consent_processing_at": created,
                "consent_listing_at": created if number % 3 == 0 else None,
                "privacy_notice_version": 1,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def _seat_rows(registration_ids: list[int], breakout_ids: list[int], capacity: int, now: datetime) -> list[dict]:
    """Two seats per registration, first come first seated; the rest wait at positions 1..n."""
    taken: Counter[int] = Counter()
    rows = []
    for number, registration_id in enumerate(registration_ids):
        for index in _chosen_breakouts(number):
            breakout_id = breakout_ids[index]
            taken[breakout_id] += 1
            waiting = taken[breakout_id] - capacity
            rows.append(
                {
                    "registration_id": registration_id,
                    "breakout_id": breakout_id,
                    "state": "waitlisted" if waiting > 0 else "confirmed",
                    "waitlist_position": waiting if waiting > 0 else None,
                    "created_at": now - timedelta(days=19) + timedelta(minutes=5 * number),
                }
            )
    return rows


def newcomer_tokens(config: dict, workshop_id: int, *, newest_first: bool = False) -> list[str]:
    """Session tokens of the newcomers not (yet) registered for ``workshop_id``, in account order."""
    from sqlmodel import Session, select

    from workshops import create_app
    from workshops.auth.models import User
    from workshops.events.models import Registration

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    try:
        with Session(engine) as session:
            registered = select(Registration.user_id).where(Registration.workshop_id == workshop_id)
            order = User.id.desc() if newest_first else User.id
            statement = (
                select(User.session_token)
                .where(User.email.like(f"%@{NEWCOMER_DOMAIN}"), User.id.not_in(registered))
                .order_by(order)
            )
            return list(session.exec(statement))
    finally:
        engine.dispose()


def signed_sessions(config: dict, tokens: list[str]) -> list[tuple[str, str]]:
    """Return a signed ``session`` cookie and its CSRF token per session token, as after a log-in.

    The server must run with the same ``SECRET_KEY`` as ``config``.
    """
    from flask import g
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from workshops import create_app

    app = create_app(config)
    serializer = app.session_interface.get_signing_serializer(app)
    if serializer is None:
        raise RuntimeError("the application has no secret key to sign sessions with")
    sessions = []
    try:
        with app.test_request_context():
            for token in tokens:
                flask_session.clear()
                g.pop("csrf_token", None)  # generate_csrf caches the token of the request in g
                flask_session.update({"_user_id": token, "_fresh": True})
                csrf = generate_csrf()
                sessions.append((serializer.dumps(dict(flask_session)), csrf))
    finally:
        app.extensions["workshops.engine"].dispose()
    return sessions


def registration_requests(sessions: list[tuple[str, str]], breakout_ids: tuple[int, ...]) -> list[dict[str, str]]:
    """One registration form per session (cookie and body), choosing the breakouts in turn."""
    requests = []
    for number, (cookie, csrf) in enumerate(sessions):
        form = {
            "mode": "on_site",
            "breakouts": str(breakout_ids[number % len(breakout_ids)]),
            "consent_processing": "y",
            "csrf_token": csrf,
        }
        requests.append({"cookie": f"session={cookie}", "body": urlencode(form)})
    return requests


def check_waiting_lists(config: dict, workshop_id: int) -> list[str]:
    """Describe what is wrong with the seats of a workshop's breakouts: overbooking, gaps; ``[]`` when right."""
    from sqlmodel import Session, select

    from workshops import create_app
    from workshops.events.models import Breakout, BreakoutSeat

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    problems = []
    try:
        with Session(engine) as session:
            breakouts = {b.id: b for b in session.exec(select(Breakout).where(Breakout.workshop_id == workshop_id))}
            confirmed: Counter[int] = Counter()
            positions: defaultdict[int, list[int]] = defaultdict(list)
            for seat in session.exec(select(BreakoutSeat).where(BreakoutSeat.breakout_id.in_(breakouts))):
                if seat.state == "confirmed":
                    confirmed[seat.breakout_id] += 1
                elif seat.state == "waitlisted":
                    positions[seat.breakout_id].append(seat.waitlist_position or 0)
            for breakout_id, breakout in breakouts.items():
                if breakout.capacity is not None and confirmed[breakout_id] > breakout.capacity:
                    problems.append(f"{breakout.title}: {confirmed[breakout_id]} seats for {breakout.capacity}")
                queue = sorted(positions[breakout_id])
                if queue != list(range(1, len(queue) + 1)):
                    problems.append(f"{breakout.title}: waiting-list positions are not 1..{len(queue)}")
    finally:
        engine.dispose()
    return problems


def seat_summary(config: dict, workshop_id: int) -> dict[str, int]:
    """Count a workshop's registrations and its breakout seats by state."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from workshops import create_app
    from workshops.events.models import Breakout, BreakoutSeat, Registration

    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    try:
        with Session(engine) as session:
            registrations = session.exec(
                select(func.count()).select_from(Registration).where(Registration.workshop_id == workshop_id)
            ).one()
            seats = session.exec(
                select(BreakoutSeat.state, func.count())
                .join(Breakout)
                .where(Breakout.workshop_id == workshop_id)
                .group_by(BreakoutSeat.state)
            ).all()
    finally:
        engine.dispose()
    return {"registrations": registrations, **{f"seats {state}": count for state, count in seats}}
