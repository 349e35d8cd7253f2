"""Send each of a list of prepared POST requests exactly once, from a pool of threads, and time them.

``bench/run.py`` uses it for the registration form: every request comes from a different
logged-in person (its own session cookie and CSRF token), which wrk cannot do, and a person who
registers twice only gets a redirect to their registration, which would measure the wrong thing.
Run it as its own process so that the load does not share the interpreter of what it measures::

    python bench/register_load.py http://127.0.0.1:8000 requests.json --threads 16 --warm-up 4

``requests.json`` holds ``{"path": "/workshops/x/register", "requests": [{"cookie": "session=…",
"body": "mode=on_site&…"}, …]}``. The first ``--warm-up`` requests are sent one by one and not
measured (each worker loads what a first registration needs); the others are shared by the
threads, each with a keep-alive ``http.client`` connection (reopened when the server closes it).
It prints one JSON object: requests, seconds, requests per second, latency percentiles 50/90/99
in milliseconds, the count of each status, of responses outside 2xx and 3xx and of socket errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from load import REQUEST_TIMEOUT, percentile

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Tally:
    """What one thread measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0


class Connection:
    """A keep-alive connection that reopens itself when the server closes it or a request fails."""

    def __init__(self, host: str, port: int) -> None:
        """Remember where to connect; the socket opens on the first request."""
        self.host, self.port = host, port
        self.http = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)

    def post(self, path: str, cookie: str, body: str) -> int:
        """Send one form and read the whole answer; return its status."""
        headers = {"Content-Type": FORM_TYPE, "Cookie": cookie}
        try:
            self.http.request("POST", path, body=body.encode(), headers=headers)
            response = self.http.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.reopen()
            raise
        if response.will_close:
            self.reopen()
        return response.status

    def reopen(self) -> None:
        """Close the socket; the next request opens a new one."""
        self.http.close()
        self.http = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)

    def close(self) -> None:
        """Close the socket."""
        self.http.close()


def drive(connection: Connection, path: str, pending: list[dict[str, str]], lock: threading.Lock, tally: Tally) -> None:
    """Take requests from ``pending`` until it is empty, sending each once."""
    while True:
        with lock:
            if not pending:
                return
            request = pending.pop()
        started = time.perf_counter()
        try:
            status = connection.post(path, request["cookie"], request["body"])
        except (OSError, http.client.HTTPException):
            tally.socket_errors += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses[status] += 1


def run(url: str, path: str, requests: list[dict[str, str]], *, threads: int, warm_up: int) -> dict:
    """Send ``requests`` to ``url`` + ``path`` from ``threads`` threads, after ``warm_up`` unmeasured ones."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    warm_statuses: Counter[int] = Counter()
    warm_errors = 0
    warming = Connection(host, port)
    try:
        for request in requests[:warm_up]:
            try:
                warm_statuses[warming.post(path, request["cookie"], request["body"])] += 1
            except (OSError, http.client.HTTPException):
                warm_errors += 1
    finally:
        warming.close()
    pending = list(reversed(requests[warm_up:]))  # pop() from the end keeps the file's order
    lock = threading.Lock()
    tallies = [Tally() for _ in range(threads)]
    connections = [Connection(host, port) for _ in range(threads)]
    workers = [
        threading.Thread(target=drive, args=(connection, path, pending, lock, tally), daemon=True)
        for connection, tally in zip(connections, tallies, strict=True)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    latencies = sorted(latency for tally in tallies for latency in tally.latencies)
    statuses = sum((tally.statuses for tally in tallies), Counter())
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {str(p): round(percentile(latencies, p) * 1000, 2) for p in (50, 90, 99)},
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "warm_up_statuses": {str(status): count for status, count in sorted(warm_statuses.items())},
        "warm_up_socket_errors": warm_errors,
        "non_2xx_3xx": sum(count for status, count in statuses.items() if not 200 <= status < 400),
        "socket_errors": sum(tally.socket_errors for tally in tallies),
    }


def main() -> None:
    """Parse the command line, send the requests and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="http:// address of the server, without a path")
    parser.add_argument("requests", type=Path, help="JSON file of the path and the requests")
    parser.add_argument("--threads", type=int, default=16, help="parallel connections (default 16)")
    parser.add_argument("--warm-up", type=int, default=0, help="requests sent first, one by one, not measured")
    args = parser.parse_args()
    spec = json.loads(args.requests.read_text())
    figures = run(args.url, spec["path"], spec["requests"], threads=args.threads, warm_up=args.warm_up)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
