"""The rows of issue 15 ("fast at the peak") beside their goals, in one table, from the benchmarks' JSON.

Run last by ``make bench``, or alone after it::

    .venv/bin/python bench/goals.py [--results FOLDER] [--json PATH]

It reads what the benchmarks wrote to ``bench/results/`` (``--results``): ``latest.json`` of
``bench/run.py`` (the load against gunicorn as a share of the bare Flask "hello", the needs'
requests timed one at a time, the SQL statements of each request) and ``calls.json`` of
``bench/calls_bench.py`` (every export of a call of 500 challenges). It prints one row per line of
the issue's table, and one for every other call format at 500 challenges (the goal is "every call
format < 1 s at 500"): the figure measured, its share of hello where the goal is a share, the SQL
statements, the goal, "met" or "not met", and the issue's figure from before the work. A row
whose file, entry or figure is missing, or whose request did not get the answer it measures (a
board poll that was not a 304), says "not measured" with the reason; nothing is made up. It
writes the rows to ``bench/results/goals.json`` (``--json``).

It reports and never fails on a figure: the exit status is 0 whatever the rows say.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LATEST, CALLS, GOALS = "latest.json", "calls.json", "goals.json"
MET, NOT_MET, NOT_MEASURED = "met", "not met", "not measured"
#: Challenges of the call the export goals are about.
CHALLENGES = 500
#: Two hello runs further apart than this share mean the machine was busy (as ``bench/run.py`` warns).
DRIFT_WARNING_PERCENT = 20


@dataclass(frozen=True)
class Goal:
    """One row of the issue's table: where its figure is, and the limits it must keep."""

    key: str
    what: str
    goal: str
    #: The issue's figure before the work (``make bench QUICK=1`` on a 2-core machine).
    before: str
    #: ``load`` (``latest.json``'s load), ``needs`` (its needs' timings) or ``export`` (``calls.json``).
    source: str
    #: The status the loaded request must get for the figure to be this row's.
    status: int = 200
    min_share_percent: float | None = None
    max_statements: int | None = None
    max_p50_ms: float | None = None
    max_p95_ms: float | None = None
    #: ``(kind, format)`` of an export row, and the most seconds its best run may take.
    export: tuple[str, str] | None = None
    max_seconds: float | None = None


def export_goal(kind: str, fmt: str, before: str = "-") -> Goal:
    """The goal of one export of the call of 500 challenges: 1 s for the call, 1.5 s for the report."""
    limit = 1.0 if kind == "call" else 1.5
    name = "call" if kind == "call" else "consultation report"
    return Goal(
        key=f"{kind}_{fmt}",
        what=f"{name} {fmt.upper()} export, {CHALLENGES} challenges",
        goal=f"< {limit:g} s",
        before=before,
        source="export",
        export=(kind, fmt),
        max_seconds=limit,
    )


CALL_FORMATS = ("html", "md", "csv", "json", "docx")
GOAL_ROWS = [
    Goal(
        "board_304",
        "board poll, nothing changed (304)",
        "≥ 40 % of hello, ≤ 2 statements",
        "332 req/s, 8.8 %, 7 SQL",
        "load",
        status=304,
        min_share_percent=40,
        max_statements=2,
    ),
    Goal(
        "board_200",
        "board poll after a change (200, {board_needs} needs)",
        "≥ 10 % of hello",
        "60 req/s, 1.6 %, 14 SQL",
        "load",
        min_share_percent=10,
    ),
    Goal(
        "workshop_page",
        "workshop page /workshops/<slug>/ (anonymous)",
        "≥ 20 % of hello",
        "131 req/s, 3.5 %, 9 SQL",
        "load",
        min_share_percent=20,
    ),
    Goal("home", "home / (anonymous)", "≥ 25 % of hello", "10 %", "load", min_share_percent=25),
    Goal(
        "attendee_list",
        "attendee list, {registrations} registrations (p50 under load)",
        "p50 < 100 ms",
        "11 req/s, p50 1.0 s",
        "load",
        max_p50_ms=100,
    ),
    Goal(
        "similar_after_save",
        "similar needs right after a save (p95)",
        "p95 < 150 ms",
        "p95 166 ms",
        "needs",
        max_p95_ms=150,
    ),
    export_goal("call", "html", "best 5.4 s"),
    *(export_goal("call", fmt) for fmt in CALL_FORMATS if fmt not in ("html", "docx")),
    export_goal("report", "md", "4.9 s"),
    export_goal("report", "html", "6.2 s"),
    export_goal("call", "docx", "3.4 s"),
]


@dataclass
class Row:
    """One printed row: the figure, its share of hello, the statements, the goal and the verdict."""

    key: str
    what: str
    goal: str
    before: str
    verdict: str = NOT_MEASURED
    figure: str = "-"
    share_of_hello_percent: float | None = None
    statements: int | None = None
    #: The measured numbers the verdict was drawn from (requests per second, p50, seconds…).
    values: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One JSON file the rows come from, or why it could not be read."""

    name: str
    data: dict | None
    written: str = ""
    problem: str = ""


def read_source(folder: Path, name: str) -> Source:
    """Read ``folder/name``; a missing or broken file gives a source without data and the reason."""
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Source(name, None, problem=f"{name} not found")
    except (OSError, ValueError) as error:
        return Source(name, None, problem=f"{name} unreadable: {error}")
    if not isinstance(data, dict):
        return Source(name, None, problem=f"{name} holds no object")
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return Source(name, data, written=str(data.get("generated_at") or written))


def _number(value: object) -> float | None:
    """``value`` when it is a number (not a boolean), else ``None``."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _find(entries: object, match: Callable[[dict], bool]) -> dict | None:
    """The first dict of a JSON list that ``match`` accepts."""
    if not isinstance(entries, list):
        return None
    return next((entry for entry in entries if isinstance(entry, dict) and match(entry)), None)


def statements(latest: dict, key: str, row: Row, *, alone: bool = False) -> int | None:
    """The SQL statements of one request on the large database (``latest.json``'s queries), or ``None``.

    ``alone``: also note the request's median time in-process, one at a time, beside the time under load.
    """
    query = _find(latest.get("queries"), lambda entry: entry.get("key") == key)
    if query is None:
        row.notes.append("no SQL count in latest.json")
        return None
    alone_ms = _number(query.get("ms_large"))
    if alone and alone_ms is not None:
        row.notes.append(f"one request alone (in-process): {alone_ms:,.0f} ms")
    count = _number(query.get("large"))
    expected = query.get("expected_status")
    if count is None:
        row.notes.append("SQL not counted (no visitor, or no CSRF token)")
        return None
    if query.get("status_large") != expected:
        row.notes.append(f"SQL counted on a {query.get('status_large')} answer, not {expected}: not used")
        return None
    small = _number(query.get("small"))
    if small is not None and count > small:
        row.notes.append(f"statements grow with the data: {small:.0f} on the small database")
    return int(count)


def load_row(goal: Goal, latest: dict, row: Row) -> None:
    """Fill a row from the load of ``latest.json`` (throughput, share of hello, p50) and its SQL count."""
    row.statements = statements(latest, goal.key, row, alone=goal.max_p50_ms is not None)
    entry = _find(latest.get("load"), lambda entry: entry.get("key") == goal.key)
    if entry is None:
        row.notes.insert(0, "no load figure in latest.json")
        return
    if entry.get("skipped"):
        row.notes.insert(0, f"skipped: {entry['skipped']}")
        return
    if entry.get("status") != goal.status:
        row.notes.insert(0, f"answered {entry.get('status')}, not {goal.status}")
        return
    rate = _number(entry.get("requests_per_second"))
    latency = entry.get("latency_ms") if isinstance(entry.get("latency_ms"), dict) else {}
    p50 = _number(latency.get("50"))
    row.share_of_hello_percent = _number(entry.get("ratio_to_hello_percent"))
    if rate is None:
        row.notes.insert(0, "no requests per second in latest.json")
        return
    row.values = {"requests_per_second": rate, "connections": entry.get("connections")}
    row.figure = f"{rate:,.0f} req/s"
    if p50 is not None:
        row.values["p50_ms"] = p50
        row.figure += f", p50 {p50:,.0f} ms"
    errors = (_number(entry.get("non_2xx_3xx")) or 0) + (_number(entry.get("socket_errors")) or 0)
    if errors:
        row.notes.append(f"{errors:.0f} errors or 4xx/5xx answers during the load")
    checks = []
    if goal.min_share_percent is not None:
        checks.append((row.share_of_hello_percent, lambda share: share >= goal.min_share_percent, "no hello share"))
    if goal.max_statements is not None:
        checks.append((row.statements, lambda count: count <= goal.max_statements, "no SQL count"))
    if goal.max_p50_ms is not None:
        checks.append((p50, lambda ms: ms < goal.max_p50_ms, "no p50"))
    decide(row, checks)


def needs_row(goal: Goal, latest: dict, row: Row) -> None:
    """Fill a row from the needs' requests timed one at a time (``latest.json``'s needs) and its SQL count."""
    row.statements = statements(latest, goal.key, row)
    needs = latest.get("needs") if isinstance(latest.get("needs"), dict) else {}
    timing = _find(needs.get("timings"), lambda entry: entry.get("key") == goal.key)
    if timing is None:
        skipped = [reason for reason in latest.get("skipped") or [] if "needs'" in str(reason)]
        row.notes.insert(0, f"skipped: {skipped[0]}" if skipped else "no timing in latest.json")
        return
    statuses = timing.get("statuses") if isinstance(timing.get("statuses"), dict) else {}
    expected = str(timing.get("expected_status", 200))
    answered = _number(statuses.get(expected)) or 0
    if timing.get("skipped") or not answered:
        row.notes.insert(0, f"skipped: {timing.get('skipped') or f'no {expected} answer'}")
        return
    others = {status: n for status, n in statuses.items() if status != expected}
    if others:
        row.notes.append("also answered " + ", ".join(f"{status} × {n}" for status, n in others.items()))
    p50, p95 = _number(timing.get("p50_ms")), _number(timing.get("p95_ms"))
    if p95 is None:
        row.notes.insert(0, "no p95 in latest.json")
        return
    row.values = {"p95_ms": p95, "requests": _number(timing.get("requests")) or 0}
    row.figure = f"p95 {p95:,.0f} ms"
    if p50 is not None:
        row.values["p50_ms"] = p50
        row.figure += f", p50 {p50:,.0f} ms"
    row.notes.append(f"{row.values['requests']:.0f} look-ups, one at a time")
    decide(row, [(p95, lambda ms: ms < goal.max_p95_ms, "no p95")])


def export_row(goal: Goal, calls: dict, row: Row) -> None:
    """Fill a row from ``calls.json``: the best of the runs of one export of the call of 500 challenges."""
    kind, fmt = goal.export or ("", "")
    entry = _find(
        calls.get("exports"),
        lambda entry: (entry.get("kind"), entry.get("format"), entry.get("challenges")) == (kind, fmt, CHALLENGES),
    )
    if entry is None:
        row.notes.insert(0, f"no {kind} {fmt} export of {CHALLENGES} challenges in calls.json")
        return
    best, median = _number(entry.get("best_s")), _number(entry.get("median_s"))
    count = _number(entry.get("sql"))
    row.statements = None if count is None else int(count)
    if best is None:
        row.notes.insert(0, "no time in calls.json")
        return
    row.values = {"best_s": best}
    row.figure = f"best {best:.2f} s"
    if median is not None:
        row.values["median_s"] = median
        row.figure += f", median {median:.2f} s"
    cpu = _number(entry.get("median_cpu_s"))
    if cpu is not None:
        row.values["median_cpu_s"] = cpu
        row.figure += f", CPU {cpu:.2f} s"
    decide(row, [(best, lambda seconds: seconds < goal.max_seconds, "no time")])


def decide(row: Row, checks: list[tuple[float | None, Callable[[float], bool], str]]) -> None:
    """Set the verdict: "met" when every check holds, "not measured" when a figure a check needs is missing."""
    missing = [reason for value, _holds, reason in checks if value is None]
    if missing:
        row.verdict = NOT_MEASURED
        row.notes.insert(0, ", ".join(missing))
        return
    row.verdict = MET if all(holds(value) for value, holds, _reason in checks) else NOT_MET


def extra_call_formats(calls: Source) -> list[Goal]:
    """Goals of the call formats ``calls.json`` measured at 500 challenges beyond the five known ones."""
    if calls.data is None or not isinstance(calls.data.get("exports"), list):
        return []
    found = [
        entry.get("format")
        for entry in calls.data["exports"]
        if isinstance(entry, dict) and entry.get("kind") == "call" and entry.get("challenges") == CHALLENGES
    ]
    return [export_goal("call", str(fmt)) for fmt in dict.fromkeys(found) if fmt not in CALL_FORMATS]


def evaluate(latest: Source, calls: Source) -> list[Row]:
    """One row per goal, in the issue's order (the other call formats after the call's HTML)."""
    goals = list(GOAL_ROWS)
    extras = extra_call_formats(calls)
    at = next(i for i, goal in enumerate(goals) if goal.key == "report_md")
    goals[at:at] = extras
    sizes = {"registrations": "?", "board_needs": "~40"}
    if latest.data is not None:
        data = latest.data
        with contextlib.suppress(AttributeError, KeyError, TypeError):
            sizes["registrations"] = data["sizes"]["registrations"]
        with contextlib.suppress(AttributeError, KeyError, TypeError):
            sizes["board_needs"] = data["needs"]["databases"]["large"]["board_needs"]
    rows = []
    for goal in goals:
        row = Row(goal.key, goal.what.format(**sizes), goal.goal, goal.before)
        source = calls if goal.source == "export" else latest
        if source.data is None:
            row.notes.append(source.problem)
        elif goal.source == "load":
            load_row(goal, source.data, row)
        elif goal.source == "needs":
            needs_row(goal, source.data, row)
        else:
            export_row(goal, source.data, row)
        rows.append(row)
    return rows


def context_lines(latest: Source, calls: Source) -> list[str]:
    """What the figures come from: each file's date, the run's settings and the hello baseline."""
    lines = []
    if latest.data is None:
        lines.append(f"{LATEST}: {latest.problem}")
    else:
        data = latest.data
        settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
        hello = _number(data.get("hello_requests_per_second"))
        drift = _number(data.get("hello_drift_percent"))
        quick = " (quick)" if data.get("quick") else ""
        lines.append(
            f"{LATEST}{quick} of {latest.written}: {settings.get('load_tool', '?')}, "
            f"{settings.get('connections', '?')} connections, {settings.get('duration_s', '?')} s per route; "
            f"hello {'?' if hello is None else f'{hello:,.0f}'} req/s"
            + ("" if drift is None else f" (its two runs {drift:.0f} % apart)")
        )
        if drift is not None and drift > DRIFT_WARNING_PERCENT:
            lines.append("NOTE: the machine was busy during the load: read the shares of hello with care.")
    if calls.data is None:
        lines.append(f"{CALLS}: {calls.problem}")
    else:
        lines.append(f"{CALLS} of {calls.written}: best of {calls.data.get('repeats', '?')} runs of each download")
    return lines


def print_table(rows: list[Row], context: list[str]) -> None:
    """Print the rows beside their goals, then each row's notes (but a missing file's, said above once)."""
    print()
    print("Issue 15: fast at the peak — each row beside its goal")
    for line in context:
        print(f"  {line}")
    columns = [
        ("what", lambda row: row.what),
        ("measured", lambda row: row.figure),
        ("vs hello", lambda row: "-" if row.share_of_hello_percent is None else f"{row.share_of_hello_percent:.1f} %"),
        ("SQL", lambda row: "-" if row.statements is None else str(row.statements)),
        ("goal", lambda row: row.goal),
        ("verdict", lambda row: row.verdict),
        ("before (issue 15)", lambda row: row.before),
    ]
    cells = [[cell(row) for _name, cell in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, (name, _cell) in enumerate(columns)]
    header = "  ".join(name.ljust(width) for (name, _cell), width in zip(columns, widths, strict=True)).rstrip()
    print(header)
    print("-" * len(header))
    for line in cells:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())
    counts = {verdict: sum(row.verdict == verdict for row in rows) for verdict in (MET, NOT_MET, NOT_MEASURED)}
    print(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
    for row in rows:
        notes = [note for note in row.notes if not any(line.endswith(note) for line in context)]
        if notes:
            print(f"  {row.what}: {'; '.join(notes)}")
    print(
        "(SQL: statements of one request on the large database, or of one whole download; exports: the verdict "
        "is the best run's wall time, CPU the median CPU time, steadier on a busy machine)"
    )


def main(argv: list[str] | None = None) -> int:
    """Read the benchmarks' JSON, print the table, write ``goals.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the folder of latest.json and calls.json")
    parser.add_argument("--json", type=Path, help="where to write the rows (default: RESULTS/goals.json)")
    args = parser.parse_args(argv)
    latest, calls = read_source(args.results, LATEST), read_source(args.results, CALLS)
    rows = evaluate(latest, calls)
    context = context_lines(latest, calls)
    print_table(rows, context)
    target = args.json or args.results / GOALS
    target.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": {source.name: source.written or source.problem for source in (latest, calls)},
        "context": context,
        "rows": [asdict(row) for row in rows],
        "verdicts": {verdict: sum(row.verdict == verdict for row in rows) for verdict in (MET, NOT_MET, NOT_MEASURED)},
    }
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    print(f"Rows written to {shown}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
