"""Benchmark of the DOCX writer (``workshops.calls.docx``) on calls of 60 and 500 synthetic challenges.

Run it directly::

    .venv/bin/python bench/docx_bench.py [--challenges 60 500] [--repeats 3] [--dense] [--json PATH]

Each challenge is what the call-text export writes: a "Challenge d.n" heading, a facts table and
about a page and a half of Markdown (headings, paragraphs with bold, italic and links, a five-item
KPI list, a small table), under one heading per domain, after a title block and a table of
contents. Two sentences in five have a bold word, three in ten an italic one, one in four a link;
``--dense`` puts a bold and an italic word in every sentence (Python-Markdown's time grows with
the number of inline elements).

Each size runs in a fresh Python process, so that its peak memory (the growth of the process's
maximum resident set while building, which counts libxml2's memory too) is its own. It prints the
best and median time of ``--repeats`` builds (and the CPU time, steadier on a shared machine), the
time Python-Markdown alone takes to render the same texts, the file size and that memory, against
the goals of issue 7: under 1 s for 60 challenges, under 5 s for 500. It never fails on a figure.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {60: 1.0, 500: 5.0}
WORDS = [
    "data", "platform", "sensor", "farm", "energy", "grid", "citizen", "water", "quality", "model", "open",
    "pilot", "interoperable", "standard", "municipality", "mobility", "health", "privacy", "edge", "cloud",
    "twin", "monitoring", "service", "network", "region",
]  # fmt: skip


def sentence(rng: random.Random, dense: bool, words: int = 14) -> str:
    """A sentence; some words bold or italic, some a link (``dense``: a bold and an italic word in each)."""
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen[0] = chosen[0].capitalize()
    marked = rng.randrange(2, words - 3)
    if dense or rng.random() < 0.4:
        chosen[marked] = f"**{chosen[marked]}**"
    if dense or rng.random() < 0.3:
        chosen[marked + 2] = f"*{chosen[marked + 2]}*"
    if rng.random() < (0.3 if dense else 0.25):
        chosen[1] = f"[{chosen[1]}](https://example.org/resources/{rng.randrange(10_000)})"
    return " ".join(chosen) + "."


def prose(rng: random.Random, dense: bool, sentences: int) -> str:
    """A paragraph."""
    return " ".join(sentence(rng, dense) for _ in range(sentences))


def challenge_markdown(rng: random.Random, dense: bool) -> str:
    """About a page and a half of a use case's Markdown."""
    lines = [
        "# Context",
        "",
        prose(rng, dense, 5),
        "",
        prose(rng, dense, 4),
        "",
        "# Challenge",
        "",
        prose(rng, dense, 6),
        "",
    ]
    lines += ["## Expected outcomes", "", prose(rng, dense, 4), "", "# KPIs", ""]
    lines += [f"- {sentence(rng, dense, 8)}" for _ in range(5)]
    lines += ["", "# Resources", "", "| Resource | Provider | Access |", "| --- | --- | --- |"]
    lines += [f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for _ in range(4)]
    lines += ["", prose(rng, dense, 5), ""]
    return "\n".join(lines)


def make_call(challenges: int, dense: bool = False, seed: int = 2022) -> list[dict]:
    """Synthetic challenges in three domains."""
    rng = random.Random(seed)
    call = []
    for index in range(challenges):
        domain = index * 3 // challenges + 1
        call.append(
            {
                "domain": domain,
                "number": f"{domain}.{index + 1}",
                "title": " ".join(rng.choice(WORDS) for _ in range(5)).capitalize(),
                "facts": [
                    ("Domain", f"Domain {domain}"),
                    ("Challenge owner", f"{rng.choice(WORDS).capitalize()} authority"),
                    ("TRL", f"{rng.randint(2, 5)} to {rng.randint(6, 8)}"),
                    ("Needs", str(rng.randint(5, 80))),
                    ("Organisations", str(rng.randint(2, 30))),
                    ("Countries", str(rng.randint(1, 12))),
                ],
                "body": challenge_markdown(rng, dense),
            }
        )
    return call


def build(call: list[dict]) -> bytes:
    """The call text as the export writes it."""
    from workshops.calls.docx import DocxWriter

    writer = DocxWriter(title="Open Call 9", subject="Challenges", created=datetime(2022, 1, 10, tzinfo=UTC))
    writer.title_block("Open Call 9", "Challenges of the open call")
    writer.table_of_contents()
    domain = None
    for challenge in call:
        if challenge["domain"] != domain:
            domain = challenge["domain"]
            writer.page_break()
            writer.heading(f"Domain {domain}", 1)
        writer.heading(f"Challenge {challenge['number']}: {challenge['title']}", 2)
        writer.facts(challenge["facts"])
        writer.markdown(challenge["body"], base_level=3)
    return writer.to_bytes()


def child(challenges: int, repeats: int, dense: bool) -> dict:
    """One size, in this process: wall and CPU times, Markdown's share, size and memory."""
    import workshops.calls.docx  # noqa: F401 - importing is not part of the timing
    from workshops.markdown import parser

    call = make_call(challenges, dense)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, cpu_times, data = [], [], b""
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        data = build(call)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    renderer = parser(align_attribute=False)  # as the DOCX writer renders
    start = time.perf_counter()
    for challenge in call:
        renderer.reset().convert(challenge["body"])
    rendering = time.perf_counter() - start
    return {
        "challenges": challenges,
        "best_s": min(times),
        "median_s": statistics.median(times),
        "best_cpu_s": min(cpu_times),
        "markdown_render_s": rendering,
        "bytes": len(data),
        "peak_rss_growth_mb": (peak - baseline) / 1024,
        "markdown_chars_per_challenge": sum(len(c["body"]) for c in call) // challenges,
    }


def main() -> int:
    """Run each size in its own process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--challenges", type=int, nargs="+", default=[60, 500])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dense", action="store_true", help="a bold and an italic word in every sentence")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.challenges[0], args.repeats, args.dense)))
        return 0
    results = []
    for size in args.challenges:
        command = [sys.executable, __file__, "--child", "--challenges", str(size), "--repeats", str(args.repeats)]
        command += ["--dense"] if args.dense else []
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        goal = GOALS.get(size)
        verdict = "" if goal is None else f"  goal < {goal:.0f} s: {'met' if result['best_s'] < goal else 'MISSED'}"
        print(
            f"DOCX, {size} challenges: best {result['best_s']:.2f} s (CPU {result['best_cpu_s']:.2f} s), "
            f"median {result['median_s']:.2f} s "
            f"(Markdown rendering alone {result['markdown_render_s']:.2f} s), {result['bytes'] / 1e6:.1f} MB, "
            f"peak memory +{result['peak_rss_growth_mb']:.0f} MB{verdict}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
