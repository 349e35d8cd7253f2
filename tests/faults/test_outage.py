"""The database goes away for some seconds under load, and comes back: 503s meanwhile, nothing half-written.

People register (two breakouts each) and attendees post needs from a page's script while, after a
moment, the database stops answering. On PostgreSQL a cluster of the test's own is stopped
(``pg_ctl stop -m fast``) for five seconds and started again. On SQLite another process holds the
file's locks for fifteen seconds, past SQLite's own ten seconds of retrying a reader: in WAL mode
every open connection keeps a shared lock on the database file, so a process asking for
``locking_mode=EXCLUSIVE`` would wait for as long as the server's pool holds connections; what
shuts readers and writers out is holding the WAL index's locks (the writer's, the checkpointer's,
recovery's and the read marks: https://www.sqlite.org/walformat.html), as a stuck process would.

``/healthz`` is polled all along, with a load balancer's five-second patience. While the database is
away the answers are 503 (or 409), never another 5xx; afterwards the same server answers again
without a restart, every request sent again goes through, no registration lacks a seat, no seat its
registration, and every need sent is stored once.
"""

from __future__ import annotations

import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from tests import factories
from tests.liveserver import Answer, Browser, each, port_in
from workshops.events.models import Breakout, BreakoutSeat, Registration
from workshops.needs.models import Need
from workshops.needs.services import scoped_key

CLUSTER_PORTS = range(5590, 5600)
DOWN_SECONDS = {"postgresql": 5.0, "sqlite": 15.0}
LOAD_BEFORE = 1.5
LOAD_AFTER = 2.5
REGISTRANTS = 500
ROOM = 40
JSON = {"Accept": "application/json"}
#: What else ``/healthz`` may give while the database is away: on SQLite, every request thread can be
#: waiting out SQLite's own ten seconds of retries for the WAL locks, and a health check then waits
#: for a thread past a load balancer's five seconds (status 0), which the balancer reads as down too.
HEALTH_MAY_GO_UNANSWERED = {"postgresql": set(), "sqlite": {0}}


class Cluster:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl), on a port of the battery's range.

    initdb refuses to run as root: as root, the cluster runs as the ``postgres`` user, in a folder
    that user owns.
    """

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
        if not found:
            pytest.fail("The outage test needs PostgreSQL's initdb (sudo apt-get install postgresql)")
        self.bin = Path(found[-1]).parent
        self.port = port_in(CLUSTER_PORTS)
        self.folder = Path(tempfile.mkdtemp(prefix="workshops-faults-pg-"))
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()

    def _run(self, program: str, *args) -> None:
        command = [*self.as_owner, self.bin / program, *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "postgres.log", "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster: ``fast`` ends every connection at once, as a crash or a restart would."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the cluster if it runs and delete its files."""
        subprocess.run(
            [*self.as_owner, self.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(databases):
    """The module's throw-away PostgreSQL cluster; its databases are dropped before it goes."""
    made = Cluster()
    yield made
    databases.release(made.url)
    made.remove()


#: The WAL index's lock bytes: the writer's (120), the checkpointer's (121), recovery's (122), the read marks.
WAL_LOCKS = range(120, 128)
HOLDER = """
import fcntl, os, sys
shm = os.open(sys.argv[1] + "-shm", os.O_RDWR)
for offset in range(int(sys.argv[2]), int(sys.argv[3])):
    fcntl.lockf(shm, fcntl.LOCK_EX, 1, offset, os.SEEK_SET)  # waits for the byte's current holder
print("held", flush=True)
sys.stdin.readline()
"""


class LockedFile:
    """Another process holding a SQLite file's WAL locks: nobody else may read or write it."""

    def __init__(self, path: str):
        self.path = path
        self.holder: subprocess.Popen | None = None

    def stop(self) -> None:
        """Take the locks, and hold them until ``start``."""
        self.holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, self.path, str(WAL_LOCKS.start), str(WAL_LOCKS.stop)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if self.holder.stdout.readline().strip() != "held":
            _, error = self.holder.communicate(timeout=10)
            raise AssertionError(f"could not lock {self.path}: {error}")

    def start(self) -> None:
        """Let the locks go (the process ends)."""
        self.holder.communicate("release\n", timeout=10)


@pytest.fixture
def outage(request, backend, databases):
    """The database of the test, and the switch that takes it away and brings it back."""
    if backend == "postgresql":
        cluster = request.getfixturevalue("cluster")
        database = databases.get("postgresql", server=cluster.url)
        return database, cluster
    database = databases.get("sqlite")
    return database, LockedFile(make_url(database.url).database)


def _median_ms(answers: list[Answer]) -> str:
    if not answers:
        return "none"
    times = [a.seconds * 1000 for a in answers]
    return f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"


def _statuses(answers: list[Answer]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.status] = counts.get(answer.status, 0) + 1
    return dict(sorted(counts.items()))


def test_database_outage_under_load(backend, outage, serve, signed_in, faults_report):
    database, switch = outage
    with database.session() as session:
        workshop = factories.make_workshop(session, slug=f"outage-{backend}")
        small = factories.make_breakout(session, workshop, hour=1, capacity=20)
        large = factories.make_breakout(session, workshop, hour=3)
        room = factories.make_breakout(session, workshop, hour=5)
    registrants = database.add_people(f"outage-{backend}", REGISTRANTS)
    attendees = database.add_people(f"outage-room-{backend}", ROOM)
    database.add_attendees(room, attendees)
    server = serve(database, workers=2, threads=4)
    register_path = f"/workshops/{workshop.slug}/register"
    registering = signed_in(server, registrants)
    posting = signed_in(server, attendees)
    assert {a.status for a in each(registering[:20], lambda b: b.open_form(register_path))} == {200}
    assert {a.status for a in each(posting, lambda b: b.open_form(f"/b/{room.code}"))} == {200}
    registration_form = {"mode": "on_site", "breakouts": [str(small.id), str(large.id)], "consent_processing": "y"}

    posts: list[tuple[int, str, Answer]] = []  # (attendee index, idempotency key, answer)
    registrations: list[tuple[int, Answer]] = []
    health: list[Answer] = []
    stop = threading.Event()
    next_registrant = iter(range(REGISTRANTS))
    lock = threading.Lock()

    def need_form(n: int, key: str) -> dict:
        return {
            "title": f"Outage need {n}",
            "statement": "We need the lights to stay on.",
            "urgency": "3",
            "sensitivity": "public",
            "organisation_type": "end_user",
            "test_bed_id": "",
            "idempotency_key": key,
        }

    def register_people() -> None:
        while not stop.is_set():
            with lock:
                n = next(next_registrant, None)
            if n is None:
                return
            registrations.append((n, registering[n].post(register_path, registration_form)))
            time.sleep(0.1)

    def post_needs(offset: int) -> None:
        n = offset
        while not stop.is_set():
            key = uuid.uuid4().hex
            answer = posting[n % ROOM].post(f"/b/{room.code}", need_form(n, key), headers=JSON)
            posts.append((n % ROOM, key, answer))
            n += 2
            time.sleep(0.1)

    def poll_health() -> None:
        prober = Browser(server.url, timeout=5)
        while not stop.is_set():
            health.append(prober.get("/healthz"))
            time.sleep(0.2)

    workers = [threading.Thread(target=register_people, daemon=True) for _ in range(6)]
    workers += [threading.Thread(target=post_needs, args=(offset,), daemon=True) for offset in (0, 1)]
    workers.append(threading.Thread(target=poll_health, daemon=True))
    for worker in workers:
        worker.start()
    try:
        time.sleep(LOAD_BEFORE)
        switch.stop()
        down_at = time.perf_counter()
        time.sleep(DOWN_SECONDS[backend])
        back_at = time.perf_counter()
        switch.start()
        time.sleep(LOAD_AFTER)
    finally:
        stop.set()
        for worker in workers:
            worker.join()

    # The same server answers again, without a restart.
    deadline = time.monotonic() + 30
    prober = Browser(server.url, timeout=5)
    while (back := prober.get("/healthz")).status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    healthy = [a.sent_at + a.seconds for a in health if a.sent_at >= back_at and a.status == 200]
    recovered_in = (min(healthy) if healthy else time.perf_counter()) - back_at
    home = prober.get("/")
    resent_registrations = [
        registering[n].post(register_path, registration_form) for n, answer in registrations if answer.status != 302
    ]
    resent_posts = [
        posting[n].post(f"/b/{room.code}", need_form(n, key), headers=JSON)
        for n, key, answer in posts
        if answer.status != 201
    ]

    load = [a for _, a in registrations] + [a for *_, a in posts]
    # In flight while the database was away: sent before it went, some wait and answer after.
    while_down = [a for a in load if a.sent_at <= back_at and a.sent_at + a.seconds >= down_at]
    health_down = [a for a in health if down_at <= a.sent_at and a.sent_at + a.seconds <= back_at]
    ids = [person.id for person in registrants]
    with database.session() as session:
        seats = dict(
            session.exec(
                select(Registration.id, func.count(BreakoutSeat.id))
                .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id, isouter=True)
                .where(Registration.workshop_id == workshop.id, Registration.user_id.in_(ids))
                .group_by(Registration.id)
            ).all()
        )
        orphan_seats = session.exec(
            select(func.count(BreakoutSeat.id))
            .join(Registration, BreakoutSeat.registration_id == Registration.id, isouter=True)
            .where(BreakoutSeat.breakout_id.in_([small.id, large.id]), Registration.id.is_(None))
        ).one()
        registered = set(
            session.exec(
                select(Registration.user_id).where(
                    Registration.workshop_id == workshop.id, Registration.user_id.in_(ids)
                )
            ).all()
        )
        keys = dict(
            session.exec(
                select(Need.idempotency_key, func.count())
                .where(Need.breakout_id == room.id)
                .group_by(Need.idempotency_key)
            ).all()
        )
        board_version = session.get(Breakout, room.id).board_version
    sent_keys = {scoped_key(attendees[n], room, key) for n, key, _ in posts}
    tried = {registrants[n].id for n, _ in registrations}
    faults_report(
        f"{backend}: database away {back_at - down_at:.1f} s; requests {len(load)}, statuses {_statuses(load)}; "
        f"while away {_statuses(while_down)}; /healthz while away {_statuses(health_down)}, "
        f"answer times {_median_ms(health_down)}; healthy again {recovered_in:.1f} s after it was back; "
        f"re-sent {len(resent_registrations)} registrations {_statuses(resent_registrations)}, "
        f"{len(resent_posts)} needs {_statuses(resent_posts)}; rows checked {len(seats)} registrations, "
        f"{sum(keys.values())} needs; seatless {sum(c != 2 for c in seats.values())}, orphan seats {orphan_seats}"
    )
    assert [a.status for a in load if a.status >= 500 and a.status != 503] == [], server.problems()
    assert [a for a in load if a.status == 0] == [], "a request got no answer at all"
    assert 503 in {a.status for a in while_down}, (_statuses(while_down), server.problems())
    # The health check never calls the database healthy while it is away, and says so when it answers.
    health_statuses = {a.status for a in health_down}
    assert 503 in health_statuses and health_statuses <= {503} | HEALTH_MAY_GO_UNANSWERED[backend], health_statuses
    assert back.status == 200 and home.status == 200, server.problems()
    assert {a.status for a in resent_registrations} <= {302}, server.problems()
    assert {a.status for a in resent_posts} <= {201}, server.problems()
    # Nothing half-written: every registration holds both its seats, every seat its registration.
    assert all(count == 2 for count in seats.values()), "a registration lacks a seat"
    assert orphan_seats == 0
    assert registered == tried  # everyone who tried, once the re-sent forms went through
    # Each need sent is stored once, and nothing else is.
    assert set(keys) == sent_keys and set(keys.values()) == {1}
    assert board_version >= len(keys)
