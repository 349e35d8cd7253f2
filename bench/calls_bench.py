"""Benchmark of the call exports (issue 7): call text and consultation report, for 60 and 500 challenges.

Run it with ``make bench`` (``QUICK=1``: fewer repetitions, the same sizes) or directly::

    .venv/bin/python bench/calls_bench.py [--quick] [--repeats N] [--json PATH]

It builds, in a SQLite database in a temporary folder (migrated as ``flask init-db`` does, then the
demo loaded),

* 2,000 participant accounts, and the archive of ``bench/needs_data.py``: 50 archived workshops of
  10 breakouts each and 20,000 open needs on them (texts recombined from ``tests/data/needs-dev.json``,
  one in eight internal and one in eight anonymous, a vote or two each), written in bulk and without
  similarity vectors, which no export reads; each archived workshop gets 40 confirmed registrations
  (two in three agreeing to be listed), for the report's participant counts;
* 500 accepted use cases, each fed by 40 of those needs (20,000 links; the 40 needs of a use case
  come from 40 breakouts of four or five workshops), with the titles, summaries, owners and Markdown
  bodies of the demo use cases in turn, and a first revision each;
* two calls, of 60 and of 500 challenges (the first 60 use cases, and all 500), composed with
  ``add_challenges`` and published with ``publish`` of ``workshops.calls.composition``, as the
  organisers' pages do (without their audit entries and e-mails).

Then, for each call, it times every format of the call text (md, html, docx, csv, json) and of the
consultation report (md, html, docx) as a download makes it: in a fresh session, read the call
(``exports.read``; for the report also ``report.build``) and write the format. It prints the best
and the median wall time of ``--repeats`` runs (5; 2 with ``--quick``) and their median CPU time
(steadier on a shared machine), the peak of Python's allocations during one more run
(``tracemalloc``: it does not see the memory libxml2 allocates for the DOCX tree, so the DOCX
figures are a lower bound), the size, and the number of SQL statements of the whole download,
beside the issue's goals (checked against the best run): under 1 s for every format of the call
text at both sizes (issue 15: published challenges keep their rendered HTML), and under 1.5 s for
the consultation report in Markdown and HTML at 500. Then the time and the statements of
``exports.read`` and ``report.build`` alone, at both sizes: the statements must not grow with the
size. It reports figures and never fails on one; it writes them to ``bench/results/calls.json`` too.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import logging
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from needs_data import ARCHIVE_SLUG, SYNTHETIC_NEEDS, _add_archive, dev_needs
from workshop_data import BENCH_DOMAIN

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "calls.json"
SIZES = (60, 500)
USE_CASES = 500
NEEDS_PER_USE_CASE = SYNTHETIC_NEEDS // USE_CASES
ACCOUNTS = 2000
REGISTRATIONS_PER_WORKSHOP = 40
SEED = 7
#: The issue's goals, in seconds: (kind, format, challenges) → goal; the others have none.
GOALS = {("call", fmt, size): 1.0 for fmt in ("md", "html", "docx", "csv", "json") for size in SIZES}
GOALS |= {("report", fmt, 500): 1.5 for fmt in ("md", "html")}
#: Cheap password hashing for the demo accounts: nobody logs in here.
CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}
COUNTRIES = ["FR", "BE", "NL", "LT", "DK", "PL", "DE", "IT", "ES", "PT", "FI", "SE", "AT", "IE", "GR", "EE"]
ORGANISATIONS = [
    ("City of Lyon", "end_user"), ("Port of Rotterdam", "end_user"), ("Vilnius Police", "end_user"),
    ("Brandweer Antwerpen", "end_user"), ("Copenhagen Airport", "end_user"), ("Red Cross", "end_user"),
    ("Ministry of Interior", "public_authority"), ("Frontex", "public_authority"), ("Thales", "integrator"),
    ("Airbus Defence", "integrator"), ("Sopra Steria", "integrator"), ("Sensing Labs", "sme"),
    ("KU Leuven", "research"), ("TNO", "research"), ("Safe Cluster", "cluster"),
]  # fmt: skip


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """Print what is being done and how long it took."""
    print(f"· {text} …", end="", flush=True)
    started = time.perf_counter()
    yield
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


# --- Building the data --------------------------------------------------------------------------


def make_app(folder: Path):
    """An application on a new SQLite database in ``folder``, migrated to the newest schema."""
    from workshops import create_app
    from workshops.migrate import upgrade

    app = create_app(
        {
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{folder / 'calls.db'}",
            "MAIL_OUTBOX": str(folder / "outbox"),
            "LOG_REQUESTS": False,
            **CHEAP_ARGON2,
        }
    )
    upgrade(app.extensions["workshops.engine"])
    # The application logs each audited change at INFO; here that would drown the figures.
    logging.getLogger("workshops").setLevel(logging.WARNING)
    return app


def add_accounts(session, rng: random.Random, now: datetime) -> None:
    """Participant accounts at ``BENCH_DOMAIN``, the speakers and voters of the archived needs."""
    from sqlalchemy import insert

    from workshops.auth.models import User, new_session_token

    rows = []
    for number in range(ACCOUNTS):
        organisation, organisation_type = rng.choice(ORGANISATIONS)
        rows.append(
            {
                "email": f"person-{number}@{BENCH_DOMAIN}",
                "name": f"Bench person {number}",
                "organisation": organisation,
                "organisation_type": organisation_type,
                "country": rng.choice(COUNTRIES),
                "cluster_id": None,
                "role": "participant",
                "password_hash": "!",  # no password: nobody logs in with these accounts
                "session_token": new_session_token(),
                "confirmed_at": now,
                "created_at": now,
                "last_login_at": None,
            }
        )
    session.execute(insert(User.__table__), rows)


def add_registrations(session, now: datetime) -> int:
    """Confirmed registrations of the bench people for each archived workshop; return how many."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from workshops.auth.models import User
    from workshops.events.models import Registration, Workshop

    people = list(session.exec(select(User.id).where(col(User.email).like(f"%@{BENCH_DOMAIN}")).order_by(User.id)))
    workshops = session.exec(
        select(Workshop).where(col(Workshop.slug).like(ARCHIVE_SLUG.format(0)[:-2] + "%")).order_by(Workshop.id)
    ).all()
    rows = []
    for index, workshop in enumerate(workshops):
        consent = workshop.starts_at - timedelta(days=10)
        for seat in range(REGISTRATIONS_PER_WORKSHOP):
            rows.append(
                {
                    "workshop_id": workshop.id,
                    "user_id": people[(index * REGISTRATIONS_PER_WORKSHOP + seat) % len(people)],
                    "mode": "on_site",
                    "state": "confirmed",
                    "waitlist_position": None,
                    "dietary": "",
                    "accessibility": "",
                    "consent_processing_at": consent,
                    "consent_listing_at": consent if seat % 3 else None,
                    "privacy_notice_version": 1,
                    "checked_in_at": None,
                    "reminder_sent_at": None,
                    "created_at": consent,
                    "updated_at": consent,
                    "cancelled_at": None,
                }
            )
    session.execute(insert(Registration.__table__), rows)
    return len(rows)


def add_use_cases(session, now: datetime) -> list[int]:
    """500 accepted use cases, 40 needs each, with the demo's texts in turn; return their ids in order."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from workshops.auth.models import User
    from workshops.events.models import Breakout, Workshop
    from workshops.needs.models import Need
    from workshops.programme.models import Domain
    from workshops.usecases.demo import load
    from workshops.usecases.models import UseCase, UseCaseNeed, UseCaseRevision

    texts = load()
    domains = {domain.slug: domain.id for domain in session.exec(select(Domain))}
    organiser = session.exec(select(User.id).where(User.email == "organiser@example.org")).one()
    need_ids = list(
        session.exec(
            select(Need.id)
            .join(Breakout, col(Breakout.id) == Need.breakout_id)
            .join(Workshop, col(Workshop.id) == Breakout.workshop_id)
            .where(col(Workshop.slug).like(ARCHIVE_SLUG.format(0)[:-2] + "%"))
            .order_by(Need.id)
        )
    )
    if len(need_ids) < USE_CASES * NEEDS_PER_USE_CASE:
        raise RuntimeError(f"only {len(need_ids)} archived needs, {USE_CASES * NEEDS_PER_USE_CASE} wanted")
    first = session.exec(select(UseCase.id).order_by(col(UseCase.id).desc()).limit(1)).first() or 0
    use_cases, revisions, links = [], [], []
    for number in range(USE_CASES):
        item = texts[number % len(texts)]
        use_case_id = first + 1 + number
        values = {
            "title": f"{item['title']} ({number + 1})",
            "summary": item["summary"],
            "domain_id": domains[item["domain"]],
            "test_bed_id": None,
            "owners": "\n".join(item["owners"]),
            "owners_may_be_named": bool(item.get("owners_may_be_named")),
            "trl_min": item["trl_min"],
            "trl_max": item["trl_max"],
            "body": "\n".join(item["body"]) + "\n",
            "state": "accepted",
            "rejected_reason": "",
        }
        use_cases.append(
            {
                "id": use_case_id,
                **values,
                "created_by_id": organiser,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
                "deleted_by_id": None,
                "version": 1,
            }
        )
        revisions.append(
            {
                "use_case_id": use_case_id,
                "number": 1,
                "author_id": organiser,
                "created_at": now,
                "change": f"Created from {NEEDS_PER_USE_CASE} needs",
                **values,
            }
        )
        chosen = need_ids[number * NEEDS_PER_USE_CASE : (number + 1) * NEEDS_PER_USE_CASE]
        links += [
            {"use_case_id": use_case_id, "need_id": need_id, "added_at": now, "added_by_id": organiser}
            for need_id in chosen
        ]
    session.execute(insert(UseCase.__table__), use_cases)
    session.execute(insert(UseCaseRevision.__table__), revisions)
    for start in range(0, len(links), 5000):
        session.execute(insert(UseCaseNeed.__table__), links[start : start + 5000])
    return [row["id"] for row in use_cases]


def add_calls(session, use_case_ids: list[int]) -> dict[int, int]:
    """A published call per size, composed and published by ``calls.composition``; return size → call id."""
    from workshops.calls import composition
    from workshops.calls.demo import ELIGIBILITY, EVALUATION, FUNDING, HOW_TO_APPLY, INTRODUCTION
    from workshops.calls.models import OpenCall

    calls = {}
    for size in SIZES:
        call = OpenCall(
            name=f"Benchmark call of {size} challenges",
            slug=f"bench-call-{size}",
            timezone="Europe/Brussels",
            opens_at=datetime(2022, 1, 17, 8, tzinfo=UTC),
            closes_at=datetime(2022, 4, 15, 15, tzinfo=UTC),
            introduction=INTRODUCTION,
            eligibility=ELIGIBILITY,
            funding=FUNDING,
            evaluation=EVALUATION,
            how_to_apply=HOW_TO_APPLY,
        )
        session.add(call)
        session.commit()
        composition.add_challenges(session, call, use_case_ids=use_case_ids[:size])
        composition.publish(session, call)
        calls[size] = call.id
    return calls


def build(app) -> dict:
    """Load the demo and the bench data; return the call ids by size and what was built."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from workshops.demo import seed_demo
    from workshops.events.models import Registration
    from workshops.needs.models import Need, Vote
    from workshops.usecases.models import UseCaseNeed

    engine = app.extensions["workshops.engine"]
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        with step("demo data (seed-demo)"):
            seed_demo(session=session)
            session.commit()
        with step(f"{ACCOUNTS:,} accounts, {SYNTHETIC_NEEDS:,} archived needs with votes, registrations"):
            add_accounts(session, rng, now)
            _add_archive(session, SYNTHETIC_NEEDS, dev_needs(), lambda *_: None, rng, now)
            add_registrations(session, now)
            session.commit()
        with step(f"{USE_CASES} accepted use cases, {NEEDS_PER_USE_CASE} needs each"):
            use_case_ids = add_use_cases(session, now)
            session.commit()
        with step(f"calls of {' and '.join(str(size) for size in SIZES)} challenges, published"):
            calls = add_calls(session, use_case_ids)

        def count(model) -> int:
            return session.exec(select(func.count()).select_from(model)).one()

        built = {
            "needs": count(Need),
            "votes": count(Vote),
            "use_case_links": count(UseCaseNeed),
            "registrations": count(Registration),
        }
    return {"calls": calls, "built": built}


# --- Measuring ----------------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements the engine runs while ``counting`` is on."""

    def __init__(self, engine) -> None:
        """Listen to ``engine``."""
        from sqlalchemy import event

        self.count = 0
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, *_args) -> None:
        if self.on:
            self.count += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[Callable[[], int]]:
        """Count the statements inside the block; the yielded function gives the count so far."""
        self.count, self.on = 0, True
        try:
            yield lambda: self.count
        finally:
            self.on = False


def export(engine, call_id: int, kind: str, fmt: str) -> bytes:
    """One download: read the call in a fresh session (and build the report), then write the format."""
    from sqlmodel import Session

    from workshops.calls import exports, report
    from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
    from workshops.calls.models import OpenCall

    with Session(engine) as session:
        call_text = exports.read(session, session.get(OpenCall, call_id))
        if kind == "report":
            return REPORT_FORMATS[fmt].data(report.build(session, call_text))
        return CALL_FORMATS[fmt].data(call_text)


def timed(run: Callable[[], object], repeats: int) -> tuple[list[float], list[float], object]:
    """Run ``repeats`` times; the wall times, the CPU times and the last result."""
    times, cpu_times, result = [], [], None
    for _ in range(repeats):
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return times, cpu_times, result


def peak_mb(run: Callable[[], object]) -> float:
    """The peak of Python's allocations during one run, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(app, calls: dict[int, int], repeats: int) -> tuple[list[dict], list[dict]]:
    """Time every format at every size; count the statements of reading; return both tables."""
    from sqlmodel import Session

    from workshops.calls import exports, report
    from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
    from workshops.calls.models import OpenCall

    engine = app.extensions["workshops.engine"]
    counter = StatementCounter(engine)
    rows, reads = [], []
    with app.app_context():
        export(engine, calls[SIZES[0]], "call", "md")  # warm up: imports, Markdown extensions, caches
        for size, call_id in calls.items():
            for kind, formats in (("call", CALL_FORMATS), ("report", REPORT_FORMATS)):
                for fmt in formats:
                    run = functools.partial(export, engine, call_id, kind, fmt)
                    with counter.counting() as statements:
                        times, cpu_times, data = timed(run, repeats)
                        sql = statements() // repeats
                    rows.append(
                        {
                            "kind": kind,
                            "format": fmt,
                            "challenges": size,
                            "best_s": min(times),
                            "median_s": statistics.median(times),
                            "median_cpu_s": statistics.median(cpu_times),
                            "peak_mb": peak_mb(run),
                            "bytes": len(data),
                            "sql": sql,
                            "goal_s": GOALS.get((kind, fmt, size)),
                        }
                    )
                    print(f"  {kind} {fmt} {size}: best {rows[-1]['best_s']:.3f} s", flush=True)

            def read(call_id=call_id):
                with Session(engine) as session:
                    return exports.read(session, session.get(OpenCall, call_id))

            def build_report(call_id=call_id):
                with Session(engine) as session:
                    return report.build(session, exports.read(session, session.get(OpenCall, call_id)))

            for name, run in (("exports.read", read), ("exports.read + report.build", build_report)):
                with counter.counting() as statements:
                    times, _, _ = timed(run, repeats)
                    sql = statements() // repeats
                reads.append({"what": name, "challenges": size, "median_s": statistics.median(times), "sql": sql})
    return rows, reads


# --- Reporting ----------------------------------------------------------------------------------


def print_tables(rows: list[dict], reads: list[dict], built: dict, repeats: int) -> None:
    """The figures beside the goals (information only)."""
    print()
    print(
        f"Call exports: {built['needs']:,} needs in the database ({built['votes']:,} votes, "
        f"{built['registrations']:,} registrations), {USE_CASES} accepted use cases fed by {NEEDS_PER_USE_CASE} needs "
        f"each; times of a whole download (read + write), {repeats} runs"
    )
    header = (
        f"{'export':<8} {'format':<6} {'challenges':>10} {'best':>9} {'median':>9} {'CPU':>9} "
        f"{'peak MB':>8} {'size':>10} {'SQL':>4}  goal (best run)"
    )
    print(header)
    print("-" * (len(header) + 14))
    for row in rows:
        goal = row["goal_s"]
        verdict = "" if goal is None else f"< {goal:g} s: {'met' if row['best_s'] < goal else 'MISSED'}"
        size = row["bytes"]
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
        print(
            f"{row['kind']:<8} {row['format']:<6} {row['challenges']:>10} {row['best_s']:>8.3f}s "
            f"{row['median_s']:>8.3f}s {row['median_cpu_s']:>8.3f}s {row['peak_mb']:>8.1f} {shown:>10} "
            f"{row['sql']:>4}  {verdict}"
        )
    print()
    print("Reading alone (median) and its SQL statements, which must not grow with the call:")
    for what in dict.fromkeys(r["what"] for r in reads):
        found = [r for r in reads if r["what"] == what]
        figures = ", ".join(f"{r['challenges']} challenges {r['median_s']:.3f} s, {r['sql']} statements" for r in found)
        same = len({r["sql"] for r in found}) == 1
        print(f"  {what}: {figures} ({'the same at every size' if same else 'GROWS with the size'})")
    print("Best and median wall time and median CPU time (steadier on a shared machine) of a whole download.")
    print("Peak MB is Python's allocations (tracemalloc); libxml2's memory for the DOCX tree is not in it.")


def main() -> int:
    """Build the data, measure, print, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (the same sizes)")
    parser.add_argument("--repeats", type=int, help="runs per export (default 5, 2 with --quick)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the figures")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    print(f"Call exports benchmark: calls of {' and '.join(map(str, SIZES))} challenges, {repeats} runs each")
    with tempfile.TemporaryDirectory(prefix="workshops-calls-bench-") as folder:
        app = make_app(Path(folder))
        try:
            made = build(app)
            with step("timing every export"):
                print(flush=True)
                rows, reads = measure(app, made["calls"], repeats)
        finally:
            app.extensions["workshops.engine"].dispose()
    print_tables(rows, reads, made["built"], repeats)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"repeats": repeats, "built": made["built"], "exports": rows, "reads": reads}, indent=2) + "\n"
    )
    print(f"Figures written to {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
