"""``bench/goals.py``: the rows of issue 15 beside their goals, from the JSON the benchmarks write.

The table is what a maintainer reads to know whether the issue is done: a row must say "met" only
when every limit of its goal holds, "not met" when one does not, and "not measured" (never a
made-up figure, never a crash) when its file, entry or figure is missing or the request did not
get the answer the row is about. The last test feeds it what ``bench/run.py``'s own writer
writes, so that a renamed key on either side breaks here rather than in a silent "not measured".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import goals  # noqa: E402

ROW_KEYS = [
    "board_304",
    "board_200",
    "workshop_page",
    "home",
    "attendee_list",
    "similar_after_save",
    "call_html",
    "call_md",
    "call_csv",
    "call_json",
    "report_md",
    "report_html",
    "call_docx",
]


def load_entry(key: str, rate: float, share: float, *, status: int = 200, p50: float = 5.0, **more) -> dict:
    """One entry of ``latest.json``'s load, as ``bench/run.py`` writes it."""
    return {
        "key": key,
        "label": key,
        "status": status,
        "connections": 16,
        "requests_per_second": rate,
        "ratio_to_hello_percent": share,
        "latency_ms": {"50": p50, "90": p50 * 2, "99": p50 * 3},
        "non_2xx_3xx": 0,
        "socket_errors": 0,
        "skipped": None,
        **more,
    }


def query_entry(key: str, large: int, *, small: int | None = None, status: int = 200) -> dict:
    """One entry of ``latest.json``'s statement counts."""
    return {
        "key": key,
        "small": large if small is None else small,
        "large": large,
        "status_small": status,
        "status_large": status,
        "expected_status": status,
    }


def sample_latest() -> dict:
    """A run where the 304 poll, the home page and the look-up meet their goals and the others do not."""
    return {
        "generated_at": "2026-12-08T04:00:00+00:00",
        "quick": True,
        "settings": {"load_tool": "wrk 4.2.0", "connections": 16, "duration_s": 2},
        "sizes": {"registrations": 500},
        "hello_requests_per_second": 4000.0,
        "hello_drift_percent": 3.0,
        "load": [
            load_entry("hello", 4000, 100),
            load_entry("board_304", 1800, 45.0, status=304),
            load_entry("board_200", 300, 7.5),
            load_entry("workshop_page", 700, 17.5),
            load_entry("home", 1200, 30.0),
            load_entry("attendee_list", 40, 1.0, p50=350.0),
        ],
        "needs": {
            "databases": {"large": {"board_needs": 40}},
            "timings": [
                {
                    "key": "similar_after_save",
                    "requests": 15,
                    "p50_ms": 60.0,
                    "p95_ms": 120.0,
                    "statuses": {"200": 15},
                    "expected_status": 200,
                    "skipped": None,
                }
            ],
        },
        "queries": [
            query_entry("board_304", 2, status=304),
            query_entry("board_200", 9),
            query_entry("workshop_page", 6, small=5),
            query_entry("home", 4),
            query_entry("attendee_list", 5),
            query_entry("similar_after_save", 3),
        ],
        "skipped": [],
    }


def sample_calls() -> dict:
    """Every export of the calls of 60 and 500 challenges; at 500 the DOCX and the report's HTML miss."""
    seconds = {"md": 0.2, "html": 0.3, "docx": 1.4, "csv": 0.1, "json": 0.1}
    exports = [
        {"kind": "call", "format": fmt, "challenges": size, "best_s": s, "median_s": s * 1.1, "sql": 12}
        for size in (60, 500)
        for fmt, s in seconds.items()
    ]
    exports += [
        {"kind": "report", "format": fmt, "challenges": 500, "best_s": s, "median_s": s, "sql": 20}
        for fmt, s in (("md", 1.2), ("html", 1.7), ("docx", 3.0))
    ]
    return {"repeats": 2, "exports": exports}


def run_goals(folder: Path, capsys) -> tuple[dict[str, dict], str]:
    """Run ``bench/goals.py`` on ``folder``; return its rows by key and what it printed."""
    assert goals.main(["--results", str(folder)]) == 0
    printed = capsys.readouterr().out
    written = json.loads((folder / "goals.json").read_text())
    return {row["key"]: row for row in written["rows"]}, printed


def write(folder: Path, name: str, data: dict) -> None:
    (folder / name).write_text(json.dumps(data))


def test_every_row_of_the_issue_beside_its_goal_with_its_verdict(tmp_path, capsys):
    write(tmp_path, "latest.json", sample_latest())
    write(tmp_path, "calls.json", sample_calls())

    rows, printed = run_goals(tmp_path, capsys)

    assert list(rows) == ROW_KEYS
    verdicts = {key: row["verdict"] for key, row in rows.items()}
    assert verdicts == {
        "board_304": "met",
        "board_200": "not met",
        "workshop_page": "not met",
        "home": "met",
        "attendee_list": "not met",
        "similar_after_save": "met",
        "call_html": "met",
        "call_md": "met",
        "call_csv": "met",
        "call_json": "met",
        "report_md": "met",
        "report_html": "not met",
        "call_docx": "not met",
    }
    assert rows["board_304"]["share_of_hello_percent"] == 45.0
    assert rows["board_304"]["statements"] == 2
    assert rows["attendee_list"]["values"]["p50_ms"] == 350.0
    assert rows["call_docx"]["values"]["best_s"] == 1.4  # the 500-challenge call, not the 60 one
    assert rows["call_docx"]["statements"] == 12
    assert "statements grow with the data: 5 on the small database" in rows["workshop_page"]["notes"]
    # The printed table: one line per row, with its figure, share, statements, goal and verdict.
    lines = {line.split("  ")[0]: line for line in printed.splitlines()}
    board = lines["board poll, nothing changed (304)"]
    for cell in ("1,800 req/s", "45.0 %", "≥ 40 % of hello, ≤ 2 statements", "met", "332 req/s"):
        assert cell in board
    assert "not met" in lines["attendee list, 500 registrations (p50 under load)"]
    assert "board poll after a change (200, 40 needs)" in lines
    assert "best 1.40 s" in lines["call DOCX export, 500 challenges"]
    assert "8 met, 5 not met, 0 not measured" in printed


def test_the_304_poll_misses_when_it_sends_more_than_two_statements(tmp_path, capsys):
    latest = sample_latest()
    latest["queries"][0] = query_entry("board_304", 3, status=304)
    write(tmp_path, "latest.json", latest)

    rows, _ = run_goals(tmp_path, capsys)

    assert rows["board_304"]["share_of_hello_percent"] == 45.0
    assert rows["board_304"]["verdict"] == "not met"


def test_missing_files_and_keys_say_not_measured(tmp_path, capsys):
    latest = sample_latest()
    latest["load"] = [entry for entry in latest["load"] if entry["key"] != "board_200"]
    latest["queries"] = [entry for entry in latest["queries"] if entry["key"] != "board_304"]
    latest["needs"] = {"timings": []}
    latest["skipped"] = ["the needs' look-ups and POST requests: the similarity model is not installed"]
    home = next(entry for entry in latest["load"] if entry["key"] == "home")
    del home["ratio_to_hello_percent"]  # no hello to compare with
    write(tmp_path, "latest.json", latest)  # and no calls.json at all

    rows, printed = run_goals(tmp_path, capsys)

    assert list(rows) == ROW_KEYS
    for key in ("board_304", "board_200", "home", "similar_after_save", "call_html", "report_md", "call_docx"):
        assert rows[key]["verdict"] == "not measured", key
    assert rows["board_200"]["figure"] == "-"
    assert rows["board_304"]["figure"] == "1,800 req/s, p50 5 ms"  # measured, but its SQL count is missing
    assert "no SQL count" in rows["board_304"]["notes"][0]
    assert "similarity model is not installed" in rows["similar_after_save"]["notes"][0]
    assert rows["workshop_page"]["verdict"] == "not met"  # the rows that were measured still say so
    assert "calls.json: calls.json not found" in printed
    assert "0 met, 2 not met, 11 not measured" in printed


@pytest.mark.parametrize(
    "broken",
    [
        lambda latest: latest["load"][1].update(status=200),  # the poll's ETag did not hold: not a 304
        lambda latest: latest["load"][1].update(skipped="no facilitator session"),
        lambda latest: latest["queries"][0].update(status_large=200),  # counted on a 200, not the 304
    ],
)
def test_a_poll_that_was_not_a_304_is_not_measured(tmp_path, capsys, broken):
    latest = sample_latest()
    broken(latest)
    write(tmp_path, "latest.json", latest)

    rows, _ = run_goals(tmp_path, capsys)

    assert rows["board_304"]["verdict"] == "not measured"


def test_a_broken_file_is_not_measured_rather_than_a_crash(tmp_path, capsys):
    (tmp_path / "latest.json").write_text("{ not json")
    write(tmp_path, "calls.json", {"exports": "nothing"})

    rows, printed = run_goals(tmp_path, capsys)

    assert {row["verdict"] for row in rows.values()} == {"not measured"}
    assert "latest.json unreadable" in printed


def test_goals_reads_what_the_benchmark_writes(tmp_path, capsys):
    """``bench/run.py``'s routes, its wrk parser and its writer give the rows their figures."""
    import run
    from needs_data import NeedIds
    from workshop_data import WorkshopIds

    ids = WorkshopIds(big_id=3, register_id=4, register_breakout_ids=(7, 8), open_breakout_id=7)
    needs = NeedIds(
        board_breakout_id=5,
        board_code="BOARD",
        post_breakout_id=6,
        post_code="POST",
        attendee_token="token",
        board_needs=40,
        board_votes=90,
        needs_total=20_040,
        vectors=True,
    )
    values = ids.placeholders() | needs.placeholders()
    wrk_output = (
        "Running 2s test @ http://127.0.0.1:5500/\n"
        "  Latency Distribution\n     50%    4.00ms\n     90%    9.00ms\n     99%   20.00ms\n"
        "  2400 requests in 2.00s, 1.00MB read\nRequests/sec:   1200.00\n"
    )
    load = []
    for route in [run.BASELINE, *run.APP_ROUTES]:
        route = route.resolved(values)
        figures = run.parse_wrk(wrk_output.replace("1200.00", "4000.00") if route.key == "hello" else wrk_output)
        result = run.LoadResult(route.label, route.path, route.logged_in, key=route.key, status=200, **figures)
        load.append(result)
    load[[route.key for route in [run.BASELINE, *run.APP_ROUTES]].index("board_304")].status = 304
    for result in load:
        result.ratio_to_hello_percent = round(100 * result.requests_per_second / run.hello_rate(load), 1)
    samples = {route: run.PageSample(route.expected_status, ["SELECT 1"] * 2, 1.0) for route in run.QUERY_ROUTES}
    measured = run.Measured(
        quick=True,
        tool="wrk 4.2.0",
        duration=2,
        sizes=run.Sizes(accounts=1000, registrations=500, newcomers=300),
        databases=run.Databases(
            accounts={"small": 20, "large": 1300}, ids={"large": ids}, needs={"small": needs, "large": needs}
        ),
        load=load,
        needs=[
            {
                "key": "similar_after_save",
                "label": "similar after a save",
                "requests": 15,
                "p50_ms": 80.0,
                "p95_ms": 140.0,
                "max_ms": 150.0,
                "statuses": {"200": 15},
                "expected_status": 200,
                "notes": [],
                "skipped": None,
            }
        ],
        counts={"look_ups": 30, "posts": 15, "displays": 6},
        queries=run.query_table(samples, samples, values),
        skipped=[],
        seconds_total=1.0,
    )
    run.write_results(run.make_report(measured), tmp_path / "latest.json")

    rows, printed = run_goals(tmp_path, capsys)

    for key in ("board_304", "board_200", "workshop_page", "home", "attendee_list"):
        assert rows[key]["values"]["requests_per_second"] == 1200.0, key
        assert rows[key]["share_of_hello_percent"] == 30.0, key
        assert rows[key]["statements"] == 2, key
    assert rows["board_304"]["verdict"] == "not met"  # 30 % of hello, under the 40 % asked
    assert rows["home"]["verdict"] == "met"
    assert rows["attendee_list"]["verdict"] == "met"  # p50 4 ms
    assert "one request alone (in-process): 1 ms" in rows["attendee_list"]["notes"]
    assert rows["similar_after_save"]["verdict"] == "met"
    assert rows["similar_after_save"]["statements"] == 2
    assert "attendee list, 500 registrations (p50 under load)" in printed
    assert "hello 4,000 req/s" in printed


def test_the_benchmark_servers_stay_in_bench_ports(monkeypatch):
    """With ``BENCH_PORTS`` set, each server gets a free port of that range, never one already given out."""
    import socket

    import run

    monkeypatch.setenv("BENCH_PORTS", "5580-5583")
    monkeypatch.setattr(run, "_ports_taken", set())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 5580))
        busy.listen()
        given = [run.free_port(), run.free_port(), run.free_port()]
        assert given == [5581, 5582, 5583]
        with pytest.raises(run.BenchError):
            run.free_port()
