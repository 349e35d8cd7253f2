"""Benchmark of the similar-need suggestions (``workshops.needs.similarity``) at 20,000 stored needs.

Run it directly (it is meant to run in ``make bench`` too)::

    .venv/bin/python bench/similarity_bench.py [--needs 20000] [--lookups 50] [--blas-threads N]
                                               [--json PATH]

It

1. loads the model and reports how long that takes (once per process, on first use);
2. times building the representation of one need (what happens on each save) on needs whose
   texts it has not seen, so that nothing comes from the cache of parts;
3. makes ``--needs`` synthetic needs by recombining the parts of the labelled needs in
   ``tests/data/needs-dev.json`` (a title from one need, a statement from another, a context from
   a third), computes their representations and keeps them as ``(id, bytes)`` pairs, the way
   they come out of the database;
4. times ``--lookups`` look-ups as the need form makes them: the query is a need being typed,
   made of sentences recombined from the labelled needs so that it is new to the model; each
   look-up embeds its three parts, turns the stored bytes into a matrix and ranks the candidates
   (the worst case: the form is filled at once). It also times the look-up after the next
   keystroke (one part new, the other two cached), the two halves of a look-up apart (embedding
   the query; ranking among the stored bytes), and ranking in an index kept between look-ups;
5. times building that index (what a worker does on its first look-up) against updating it in
   place by the needs a save changes (what it does on a look-up after a save).

It prints p50 and p95 per measure and never fails on a figure: the exit status is non-zero only
when the benchmark cannot run (the model is not installed, the data file is missing).
``--blas-threads`` sets ``OPENBLAS_NUM_THREADS`` (and the OpenMP and MKL equivalents) before NumPy
loads, to compare one thread per process with the default.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "needs-dev.json"
TARGET_MS = 150.0


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=20_000, help="synthetic needs stored (default 20000)")
    parser.add_argument("--lookups", type=int, default=50, help="timed look-ups (default 50)")
    parser.add_argument("--builds", type=int, default=30, help="timed representations of one need (default 30)")
    parser.add_argument("--blas-threads", type=int, help="threads for NumPy's BLAS (default: the library's)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.blas_threads:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(args.blas_threads)

    sys.path.insert(0, str(ROOT))
    import numpy as np

    from workshops.needs import similarity

    try:
        needs = json.loads(DATA.read_text(encoding="utf-8"))["needs"]
    except (OSError, KeyError, ValueError) as error:
        print(f"cannot read the labelled needs in {DATA}: {error}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    results: dict[str, object] = {
        "needs": args.needs,
        "lookups": args.lookups,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(f"similar-need suggestions: {args.needs} stored needs, {args.lookups} look-ups")
    print(f"  {os.cpu_count()} CPUs, BLAS threads {results['blas_threads']}, NumPy {np.__version__}")

    started = time.perf_counter()
    try:
        similarity.load_model()
    except similarity.ModelUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    results["model_load_ms"] = _ms(started)
    print(f"  model load (once per process)          {results['model_load_ms']:8.1f} ms")

    sentences = [s for need in needs for part in ("need", "context") for s in _sentences(need[part])]
    titles = [need["title"] for need in needs]

    def new_need() -> tuple[str, str, str]:
        """A need the model has not seen: a title and recombined sentences, with a number to make it new."""
        number = rng.randrange(10**6)
        return (
            f"{rng.choice(titles)} ({number})",
            " ".join(rng.sample(sentences, 2)),
            " ".join(rng.sample(sentences, 2)),
        )

    similarity.represent(*new_need())  # the first products warm the caches of the BLAS library
    build_ms = []
    for _ in range(args.builds):
        title, statement, context = new_need()
        started = time.perf_counter()
        representation = similarity.represent(title, statement, context)
        build_ms.append(_ms(started))
    results["representation_bytes"] = len(representation)
    results["build"] = _report("representation of one need (on save)", build_ms)

    started = time.perf_counter()
    stored = []
    for need_id in range(1, args.needs + 1):
        title, statement, context = (rng.choice(needs)[part] for part in ("title", "need", "context"))
        stored.append((need_id, similarity.represent(title, statement, context)))
    print(f"  {args.needs} synthetic needs represented in {_ms(started) / 1000:.1f} s (parts cached)")
    print(f"  representation size                    {len(representation):8d} bytes")

    lookup_ms, typing_ms, query_ms, rank_ms, kept_ms = [], [], [], [], []
    index = similarity.SimilarityIndex(stored)
    for _ in range(args.lookups):
        title, statement, context = new_need()
        started = time.perf_counter()
        similarity.suggest(title, statement, context, stored)
        lookup_ms.append(_ms(started))
        started = time.perf_counter()  # the next keystroke: one part changes, the others are cached
        similarity.suggest(title, f"{statement} {rng.choice(titles).split()[0]}", context, stored)
        typing_ms.append(_ms(started))

        title, statement, context = new_need()  # new again, so that its parts are not cached
        started = time.perf_counter()
        query = similarity.represent(title, statement, context)
        query_ms.append(_ms(started))
        started = time.perf_counter()
        similarity.rank(query, stored)
        rank_ms.append(_ms(started))
        started = time.perf_counter()
        index.search(query)
        kept_ms.append(_ms(started))
    results["lookup"] = _report(f"look-up among {args.needs} (target {TARGET_MS:.0f} ms)", lookup_ms)
    results["lookup_query_embedding"] = _report("  of which: embedding the query", query_ms)
    results["lookup_rank_from_bytes"] = _report("  of which: bytes to matrix, ranking", rank_ms)
    results["lookup_typing"] = _report("look-up after a keystroke (1 part new)", typing_ms)
    results["lookup_kept_index"] = _report("ranking in an index kept in memory", kept_ms)

    build_index_ms, update_ms = [], []
    for _ in range(args.builds):
        started = time.perf_counter()
        kept = similarity.SimilarityIndex(stored, spare=len(stored) // 4)
        build_index_ms.append(_ms(started))
    for n in range(args.lookups):  # a need saved: edited, added, or closed (its slot freed, then reused)
        need_id, representation = rng.choice(stored)
        started = time.perf_counter()
        kept.put(need_id, representation)
        kept.put(args.needs + 1 + n, representation)
        kept.remove(rng.choice(stored)[0])
        update_ms.append(_ms(started))
    results["index_build"] = _report(f"building the index of {args.needs}", build_index_ms)
    results["index_update"] = _report("updating it by 3 needs saved", update_ms)
    p95 = results["lookup"]["p95_ms"]
    verdict = "within" if p95 < TARGET_MS else "OVER"
    print(f"  look-up p95 {p95:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _sentences(text: str) -> list[str]:
    """The sentences of a text, split after a full stop, question or exclamation mark."""
    return [sentence for sentence in re.split(r"(?<=[.!?])\s+", text.strip()) if sentence]


def _ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000


def _report(label: str, timings: list[float]) -> dict[str, float]:
    """Print and return the median and 95th percentile of some timings."""
    ordered = sorted(timings)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"  {label:39s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms")
    return {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "max_ms": round(ordered[-1], 2)}


if __name__ == "__main__":
    sys.exit(main())
