"""A small HTTP load generator, used by ``bench/run.py`` only when ``wrk`` is not installed.

Run it as its own process so that the load does not share the interpreter of what it measures::

    python bench/load.py http://127.0.0.1:8000/ --duration 5 --connections 16 --header "Cookie: session=…"

Each connection is a thread with one keep-alive ``http.client`` connection that sends the same
request (``GET``, or ``--method POST --data "a=1&b=2"`` for a form) back to back until the time is
up. It prints one JSON object on standard output: requests, seconds, requests per second, latency
percentiles 50/90/99 in milliseconds, the number of responses outside 2xx and 3xx (what wrk calls
"Non-2xx or 3xx responses") and of socket errors.

Python threads share one interpreter lock, so against a fast server this generator is itself the
bottleneck and reports lower figures than wrk would; compare routes within one run only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Seconds a single request may take before it counts as a socket error.
REQUEST_TIMEOUT = 30


@dataclass
class Tally:
    """What one connection thread measured."""

    latencies: list[float] = field(default_factory=list)
    non_2xx_3xx: int = 0
    socket_errors: int = 0


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile ``share`` (0 to 100) of sorted ``values``, 0 when empty."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(share / 100 * len(values)))
    return values[rank - 1]


@dataclass(frozen=True)
class Request:
    """The request every connection repeats."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


def drive(host: str, port: int, request: Request, deadline: float, tally: Tally) -> None:
    """Send ``request`` on one keep-alive connection until ``deadline`` (a ``perf_counter`` value)."""
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request(request.method, request.path, body=request.body, headers=request.headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                tally.socket_errors += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
                continue
            tally.latencies.append(time.perf_counter() - started)
            if not 200 <= response.status < 400:
                tally.non_2xx_3xx += 1
            if response.will_close:
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    finally:
        connection.close()


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    headers: dict[str, str],
    method: str = "GET",
    data: str | None = None,
) -> dict:
    """Load ``url`` with ``connections`` parallel connections for ``duration`` seconds; return the figures.

    With ``data``, each request carries it as an ``application/x-www-form-urlencoded`` body.
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if data is not None:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    request = Request(method, path, headers, None if data is None else data.encode())
    tallies = [Tally() for _ in range(connections)]
    started = time.perf_counter()
    deadline = started + duration
    threads = [
        threading.Thread(target=drive, args=(host, port, request, deadline, tally), daemon=True) for tally in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for tally in tallies for latency in tally.latencies)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {str(p): round(percentile(latencies, p) * 1000, 2) for p in (50, 90, 99)},
        "non_2xx_3xx": sum(tally.non_2xx_3xx for tally in tallies),
        "socket_errors": sum(tally.socket_errors for tally in tallies),
    }


def parse_header(text: str) -> tuple[str, str]:
    """Split ``"Name: value"`` into its two parts."""
    name, separator, value = text.partition(":")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"not a header: {text!r}")
    return name.strip(), value.strip()


def main() -> None:
    """Parse the command line, run the load and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="http:// address to load")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="parallel connections (default 16)")
    parser.add_argument("--header", type=parse_header, action="append", default=[], help='"Name: value"')
    parser.add_argument("--method", default="GET", help="HTTP method (default GET)")
    parser.add_argument("--data", help="form body, url-encoded, sent with each request")
    args = parser.parse_args()
    figures = run(
        args.url,
        duration=args.duration,
        connections=args.connections,
        headers=dict(args.header),
        method=args.method,
        data=args.data,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
