"""The needs' requests timed one at a time against the served application (``bench/run.py`` calls it).

Throughput says little about these requests: a person waits for one look-up or one saved need, so
what matters is its latency with the server otherwise idle, and, for the live board, how long a
need takes to appear on another person's screen. Each function here sends real HTTP requests to the
gunicorn server, one at a time (the submit-to-display measure: two clients at once), and returns
the times in milliseconds; the figures are reported as p50 and p95 (nearest rank).

* :func:`look_ups`: the similar-needs look-up of a half-typed need, different text each time;
* :func:`posts`: the need form posted by the page's script (``Accept: application/json``, a fresh
  idempotency key and new text each time), each followed by a look-up, which then finds the
  needs changed and refreshes its worker's cache first;
* :func:`submit_to_display`: an attendee posts a need while a facilitator polls the board as the
  page's script does (``If-None-Match``, one second after the previous answer); the time from the
  start of the ``POST`` to the end of the first poll answer that holds the need, and the server's
  part of it (the ``POST`` plus that one board request).
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from needs_data import NewTexts, need_form

FETCH = {"Accept": "application/json"}
POLL_INTERVAL = 1.0
#: Seconds an attendee's need may take to reach the facilitator's board before it counts as lost.
DISPLAY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    """A response read in full, with when the request started and ended (``perf_counter``)."""

    status: int
    etag: str
    body: bytes
    started: float
    ended: float

    @property
    def ms(self) -> float:
        """How long the request took, from connecting to the last byte."""
        return (self.ended - self.started) * 1000


def send(
    base_url: str,
    path: str,
    *,
    cookie: str | None = None,
    method: str = "GET",
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request on a new connection (gunicorn's sync workers keep none alive) and time it."""
    parts = urllib.parse.urlsplit(base_url)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = f"session={cookie}"
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, response.getheader("ETag", ""), data, started, time.perf_counter())
    finally:
        connection.close()


@dataclass
class Timings:
    """Times of one measure, in milliseconds, with the statuses answered."""

    key: str
    label: str
    #: The status every request should get.
    expected: int = 200
    ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None

    def add(self, answer: Answer, ms: float | None = None) -> None:
        """Count one answer (and its time, or ``ms`` when the measure is not the request's own time)."""
        self.statuses[answer.status] += 1
        self.ms.append(answer.ms if ms is None else ms)

    @property
    def unexpected(self) -> int:
        """Answers with another status than the expected one."""
        return sum(n for status, n in self.statuses.items() if status != self.expected)

    def summary(self) -> dict:
        """Requests, p50, p95 and the maximum, and the statuses, for the report."""
        ordered = sorted(self.ms)
        return {
            "key": self.key,
            "label": self.label,
            "requests": len(ordered),
            "p50_ms": round(percentile(ordered, 50), 1),
            "p95_ms": round(percentile(ordered, 95), 1),
            "max_ms": round(ordered[-1], 1) if ordered else 0.0,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "expected_status": self.expected,
            "notes": self.notes,
            "skipped": self.skipped,
        }


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile ``share`` (0 to 100) of sorted values; 0 when there are none."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class People:
    """The sessions the requests are sent with: the facilitator's, and the attendee's with its CSRF token."""

    facilitator: str
    attendee: str
    attendee_csrf: str


def look_up_path(code: str, text: dict[str, str]) -> str:
    """The address the need form asks for similar needs."""
    return f"/b/{code}/similar?{urllib.parse.urlencode(text)}"


def warm_up(base_url: str, code: str, people: People, texts: NewTexts, *, threads: int = 4, each: int = 3) -> None:
    """Send look-ups from several threads at once, so that every worker loads the model and its index."""

    def run(texts_: list[dict[str, str]]) -> None:
        for text in texts_:
            send(base_url, look_up_path(code, text), cookie=people.facilitator, headers=FETCH, timeout=120)

    batches = [[texts.half_typed() for _ in range(each)] for _ in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, batches))


def look_ups(base_url: str, code: str, people: People, texts: NewTexts, count: int) -> Timings:
    """Time ``count`` look-ups of half-typed needs by the facilitator, one after another."""
    timings = Timings("similar", f"GET /b/{code}/similar (facilitator)")
    found = 0
    for _ in range(count):
        answer = send(base_url, look_up_path(code, texts.half_typed()), cookie=people.facilitator, headers=FETCH)
        timings.add(answer)
        if answer.status == 200 and json.loads(answer.body).get("suggestions"):
            found += 1
    timings.notes.append(f"{found} of {count} look-ups found suggestions")
    return timings


def posts(base_url: str, codes: tuple[str, str], people: People, texts: NewTexts, count: int) -> list[Timings]:
    """Time ``count`` needs posted by the attendee to ``codes[0]``, each followed by a look-up on ``codes[1]``.

    Returns the times of the ``POST`` requests (201 expected) and of the look-ups after them.
    """
    post_code, look_up_code = codes
    posted = Timings("post", f"POST /b/{post_code} (attendee, fetch)", expected=201)
    after = Timings("similar_after_save", f"GET /b/{look_up_code}/similar after a save (facilitator)")
    for _ in range(count):
        form = need_form(texts.whole(), people.attendee_csrf)
        posted.add(send(base_url, f"/b/{post_code}", cookie=people.attendee, method="POST", form=form, headers=FETCH))
        text = texts.half_typed()
        after.add(send(base_url, look_up_path(look_up_code, text), cookie=people.facilitator, headers=FETCH))
    return [posted, after]


class BoardPoller(threading.Thread):
    """The facilitator's page: asks for the board one second after each answer, with the last ETag."""

    def __init__(self, base_url: str, code: str, cookie: str) -> None:
        """Read the board once, for its ETag; start polling with :meth:`start`."""
        super().__init__(daemon=True)
        self.base_url, self.path, self.cookie = base_url, f"/b/{code}/board", cookie
        first = send(base_url, self.path, cookie=cookie, headers=FETCH)
        if first.status != 200 or not first.etag:
            raise RuntimeError(f"the board answered {first.status} without an ETag")
        self.etag = first.etag
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.wanted: str | None = None
        self.seen: Answer | None = None
        self.arrived = threading.Event()
        self.errors: Counter = Counter()

    def expect(self, marker: str) -> None:
        """Watch for the first answer that holds ``marker``."""
        with self.lock:
            self.wanted, self.seen = marker, None
            self.arrived.clear()

    def run(self) -> None:
        """Poll until stopped, as ``static/js/needs.js`` does."""
        while not self.stopped.is_set():
            try:
                answer = send(
                    self.base_url, self.path, cookie=self.cookie, headers={"If-None-Match": self.etag, **FETCH}
                )
            except OSError as error:
                self.errors[type(error).__name__] += 1
            else:
                if answer.status == 200:
                    self.etag = answer.etag or self.etag
                    with self.lock:
                        if self.wanted and self.seen is None and self.wanted.encode() in answer.body:
                            self.seen = answer
                            self.arrived.set()
                elif answer.status != 304:
                    self.errors[answer.status] += 1
            self.stopped.wait(POLL_INTERVAL)


def submit_to_display(
    base_url: str, code: str, people: People, texts: NewTexts, count: int, rng: random.Random
) -> list[Timings]:
    """Time ``count`` needs from the start of their ``POST`` until the polling board shows them.

    Before each need the attendee waits 0 to 1 second (uniformly) after the board showed the previous
    one, so that the ``POST`` falls at a random phase of the polling. Returns three measures: submit
    to display; the server's part (the ``POST`` plus the one board request that brought the need);
    the rest, waiting for the next poll.
    """
    total = Timings("display", "submit to display (POST, then the facilitator's next poll)", expected=201)
    server = Timings("display_server", "  of which the server: POST + one board GET", expected=201)
    waiting = Timings("display_wait", "  of which waiting for the next poll (1 s interval)", expected=201)
    poller = BoardPoller(base_url, code, people.facilitator)
    poller.start()
    lost = 0
    try:
        for _ in range(count):
            time.sleep(rng.uniform(0, POLL_INTERVAL))
            marker = f"live{secrets.token_hex(5)}"
            poller.expect(marker)
            form = need_form(texts.whole(marker), people.attendee_csrf)
            answer = send(base_url, f"/b/{code}", cookie=people.attendee, method="POST", form=form, headers=FETCH)
            if answer.status != 201 or not poller.arrived.wait(DISPLAY_TIMEOUT):
                lost += 1
                total.statuses[answer.status] += 1
                continue
            seen = poller.seen
            if seen is None:  # set before the event, and not cleared until the next need
                continue
            whole = (seen.ended - answer.started) * 1000
            own = answer.ms + seen.ms
            total.add(answer, whole)
            server.add(answer, own)
            waiting.add(answer, max(0.0, whole - own))
    finally:
        poller.stopped.set()
        poller.join(timeout=5 + POLL_INTERVAL)
    if lost:
        total.notes.append(
            f"WARNING: {lost} of {count} needs were refused or not on the board within {DISPLAY_TIMEOUT:.0f} s"
        )
    if poller.errors:
        total.notes.append(f"WARNING: board polls failed: {dict(poller.errors)}")
    return [total, server, waiting]


def measure(
    base_url: str,
    codes: tuple[str, str],
    people: People,
    counts: dict[str, int],
    *,
    seed: int,
    progress: Callable[[str], None] = lambda text: None,
) -> list[Timings]:
    """Run every measure in turn on the board ``codes[0]`` (posts go to ``codes[1]``); return their timings.

    ``counts`` gives the number of ``look_ups``, ``posts`` and ``displays``.
    """
    board_code, post_code = codes
    texts = NewTexts(seed)
    progress("warming up the workers (model, index of needs)")
    warm_up(base_url, board_code, people, texts)
    results = [look_ups(base_url, board_code, people, texts, counts["look_ups"])]
    results += posts(base_url, (post_code, board_code), people, texts, counts["posts"])
    results += submit_to_display(base_url, board_code, people, texts, counts["displays"], random.Random(seed))
    return results
