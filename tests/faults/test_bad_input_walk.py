"""The bad-input walk (issue 18): every route, as every role, fed the values that once answered 500.

On the demo data (and the rows the factories add), each role walks every rule of ``app.url_map``
with the Flask test client: path parameters filled with real ids and, where a parameter is text,
with each value of the corpus; every query parameter the code reads (found by reading the code, so
that one added later is walked too) given each value; every form the pages show (and, for a POST
with no page, the fields of the form classes its view names) sent again with one field at a time
replaced by each value, as a form body and as JSON. No answer may be a 5xx, and afterwards no text
column of any table may hold a NUL or another control character but tab and line breaks.

Not part of ``make test``: ``make test-faults`` runs it, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import inspect
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import pytest
from flask import current_app
from sqlalchemy import String, event, select
from sqlmodel import Session
from werkzeug.datastructures import ImmutableMultiDict
from wtforms.fields.core import UnboundField

from tests import factories
from tests.conftest import CHEAP_ARGON2
from workshops.auth.demo import DEMO_PASSWORD
from workshops.auth.models import User
from workshops.calls import composition
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import Challenge, OpenCall
from workshops.demo import DEMO_ACCOUNTS, seed_demo
from workshops.events.models import BreakoutFacilitator, TestBed
from workshops.forms import Form
from workshops.models import metadata
from workshops.needs import services as needs
from workshops.programme.models import Cluster
from workshops.timeutil import utcnow
from workshops.usecases.explorer.filters import DIMENSIONS
from workshops.usecases.models import UseCase, UseCaseState

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "participant", "facilitator", "organiser")
ACCOUNTS = {role.value: email for email, _name, role, *_rest in DEMO_ACCOUNTS}

#: Percent-encoded bytes that are no UTF-8: sent as they are, never encoded again.
INVALID_UTF8 = "%ff%fe"
#: ``2**31`` is one past what PostgreSQL's integer holds, ``2**63`` past SQLite's.
_BASE = ["\x00", "a\x00b", "²", "٣", str(2**31), str(2**63), "-1", "0001-01-01", "0001-01-01T00:00", INVALID_UTF8]
PATH_CORPUS = _BASE
QUERY_CORPUS = [*_BASE, "x" * 10**4]
FORM_CORPUS = [*_BASE, "x" * 10**6]
#: What a script could put in a JSON body instead of a text: a lone surrogate, numbers, nesting, null.
JSON_CORPUS = ["\ud800", 2**64, 2.5, True, None, {"nested": "x"}, [["a"]]]
#: Whole JSON bodies that are no object of fields.
JSON_BODIES = [[1, 2], "text", 5, None]

#: What the code reads from query strings: ``request.args.get("q")``, ``args.getlist("need")``…
QUERY_READ = re.compile(r"""\b(?:request\.(?:args|values)|args)\.(?:get|getlist)\(\s*["'](\w+)["']""")
QUERY_INDEXED = re.compile(r"""\brequest\.(?:args|values)\[\s*["'](\w+)["']\s*\]""")
GIVEN = re.compile(r"""\b_given\(\s*args\s*,\s*["'](\w+)["']""")
#: Rules whose success changes what the walker can do next: walked last.
LAST = ("/delete", "/remove", "/cancel", "/close", "/withdraw", "/logout")


def query_parameters() -> list[str]:
    """Every query parameter name the application's code reads, sorted."""
    names = set(DIMENSIONS)
    for path in (ROOT / "workshops").rglob("*.py"):
        source = path.read_text()
        for pattern in (QUERY_READ, QUERY_INDEXED, GIVEN):
            names.update(pattern.findall(source))
    return sorted(names)


#: The query parameters read since last cleared (``ReadingRecorded``).
READ: set[str] = set()


class ReadingRecorded(ImmutableMultiDict):
    """Request arguments that note which names are read (``get``, ``getlist``, ``[]``, ``in``)."""

    def __getitem__(self, key):
        """Note the name, then as usual."""
        READ.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        """Note the name, then as usual."""
        READ.add(key)
        return super().getlist(key, type=type)

    def __contains__(self, key):
        """Note the name, then as usual."""
        READ.add(key)
        return super().__contains__(key)


def shown(value) -> str:
    """A value as the failure list shows it: its repr, cut to 40 characters."""
    written = repr(value)
    return written if len(written) <= 40 else written[:37] + "..."


# --- Forms as the pages show them -------------------------------------------------------------------


@dataclass
class PageForm:
    """A POST form of a page: where it goes, what a browser would send as it stands, and every field name."""

    action: str
    pairs: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    radios: dict[str, str] = field(default_factory=dict)

    def add_name(self, name: str) -> None:
        """Know a field, whether or not it is sent as the form stands."""
        if name not in self.names:
            self.names.append(name)

    def baseline(self) -> list[tuple[str, str]]:
        """The pairs sent as the page stands, with a first choice for radio groups left unchosen."""
        chosen = {name for name, _ in self.pairs}
        return self.pairs + [(name, value) for name, value in self.radios.items() if name not in chosen]


class FormsOfPage(HTMLParser):
    """The POST forms of a page, fields outside a form (``form="id"``) included."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        #: Every form by its id (or its place); ``None`` for a GET form.
        self.forms: dict[str, PageForm | None] = {}
        self._open: str | None = None
        self._select: tuple[str, str, bool] | None = None
        self._chosen: list[str] = []
        self._first: str | None = None
        self._textarea: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        """Open a form, or note a field of one (an option of the open select)."""
        a = {name: "" if value is None else value for name, value in attrs}
        if tag == "form":
            key = a.get("id") or f"form-{len(self.forms) + 1}"
            post = a.get("method", "get").lower() == "post"
            self.forms[key] = PageForm(action=a.get("action") or self.page_url) if post else None
            self._open = key
        elif tag == "option" and self._select is not None:
            self._first = a.get("value", "") if self._first is None else self._first
            if "selected" in a:
                self._chosen.append(a.get("value", ""))
        elif a.get("name") and (a.get("form") or self._open) is not None:
            self._field(tag, a.get("form") or self._open, a["name"], a)

    def _field(self, tag: str, owner: str, name: str, a: dict) -> None:
        form = self.forms.get(owner)
        if form is None or tag not in ("input", "select", "textarea", "button"):
            return
        form.add_name(name)
        kind = a.get("type", "text").lower()
        if tag == "select":
            self._select, self._chosen, self._first = (owner, name, "multiple" in a), [], None
        elif tag == "textarea":
            self._textarea, self._text = (owner, name), []
        elif tag == "button" or kind in ("submit", "button", "image", "reset", "file"):
            return
        elif kind == "radio":
            form.radios.setdefault(name, a.get("value", "on"))
            if "checked" in a:
                form.pairs.append((name, a.get("value", "on")))
        elif kind != "checkbox" or "checked" in a:
            form.pairs.append((name, a.get("value", "on" if kind == "checkbox" else "")))

    def handle_data(self, data):
        """Text of a textarea."""
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        """Close a form, a select or a textarea."""
        if tag == "form":
            self._open = None
        elif tag == "textarea" and self._textarea is not None:
            owner, name = self._textarea
            self.forms[owner].pairs.append((name, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            owner, name, multiple = self._select
            chosen = self._chosen or ([] if multiple or self._first is None else [self._first])
            self.forms[owner].pairs.extend((name, value) for value in chosen)
            self._select = None


def page_forms(page_url: str, html: str) -> list[PageForm]:
    """The POST forms of a page."""
    parser = FormsOfPage(page_url)
    parser.feed(html)
    return [form for form in parser.forms.values() if form is not None]


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """A form body as a browser encodes it, ``INVALID_UTF8`` left as the raw bytes it stands for."""
    parts = [f"{quote_plus(name)}={value if value == INVALID_UTF8 else quote_plus(value)}" for name, value in pairs]
    return "&".join(parts).encode("ascii")


def replaced(pairs: list[tuple[str, str]], name: str, value) -> list[tuple[str, object]]:
    """The pairs with every value of ``name`` replaced by one ``value`` (added when the form did not send it)."""
    kept = [(n, v) for n, v in pairs if n != name]
    return [*kept, (name, value)]


def guessed_fields(app, endpoint: str) -> list[str]:
    """For a POST with no page: the fields of the form classes its view (or else its module) names."""
    view = inspect.unwrap(app.view_functions[endpoint])
    module = inspect.getmodule(view)
    names: list[str] = []
    for source in (inspect.getsource(view), inspect.getsource(module)):
        for word in dict.fromkeys(re.findall(r"\b([A-Z]\w*Form)\b", source)):
            cls = getattr(module, word, None)
            if isinstance(cls, type) and issubclass(cls, Form):
                names += [n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField)]
        if names:
            break
    return list(dict.fromkeys(["csrf_token", *names]))


# --- The walker ---------------------------------------------------------------------------------------


@dataclass
class Walk:
    """One role's walk: the client, the ids it uses, what it sent and what failed."""

    app: object
    client: object
    role: str
    ids: dict
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    forms: dict[str, list[PageForm]] = field(default_factory=dict)
    #: The query parameters each GET rule was seen reading.
    parameters_read: dict[str, list[str]] = field(default_factory=dict)
    #: How many answers of each status (the report shows that the walk got past the doors).
    statuses: Counter = field(default_factory=Counter)
    #: POST forms sent as a page showed them, and as guessed from a form class.
    forms_shown: int = 0
    forms_guessed: int = 0

    def send(self, rule: str, where: str, value, method: str, url: str, **kwargs):
        """Send one request; note a 5xx or an exception with the rule, role, parameter and value."""
        self.requests += 1
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as error:  # any exception is a finding, listed with the others
            self.failures.append(f"{method} {rule} as {self.role}: {where}={shown(value)} raised {error!r:.200}")
            return None
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.failures.append(
                f"{method} {rule} as {self.role}: {where}={shown(value)} answered {response.status_code}"
            )
        response.get_data()
        response.close()  # a static file's handle, say
        return response

    def csrf_token(self) -> str:
        """A CSRF token of this client's session."""
        page = self.client.get("/login" if self.role == "anonymous" else "/me").get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token for {self.role}"
        return match.group(1)

    def logged_in_again(self) -> None:
        """Log in again if a form of the walk ended the session (a log-out went through)."""
        if self.role == "anonymous" or self.client.get("/me").status_code == 200:
            return
        log_in(self.client, ACCOUNTS[self.role])


def log_in(client, email: str) -> None:
    """Log ``client`` in through the log-in form."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"could not log in as {email}"


def walk_rows(session: Session) -> dict:
    """Rows the walkers meet at work, beside the demo (whose workshops are past, boards locked, call closed).

    An upcoming workshop open for registration, the demo facilitator facilitating its first breakout,
    the demo participant registered with a seat in it and two open needs on its board (one theirs),
    a draft call with a challenge. Returns their ids and codes by the path parameter they fill.
    """
    accounts = {u.email: u for u in session.exec(select(User).where(User.email.in_(ACCOUNTS.values()))).scalars()}
    participant, facilitator = accounts[ACCOUNTS["participant"]], accounts[ACCOUNTS["facilitator"]]
    workshop = factories.make_workshop(session, slug="walk-upcoming")
    breakout = factories.make_breakout(session, workshop, hour=1)
    factories.make_breakout(session, workshop, hour=3)
    session.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    registration = factories.make_registration(session, workshop, participant)
    factories.make_seat(session, registration, breakout)
    other = factories.make_attendee(current_app, session, breakout, name="Nadia Null", email="nadia@example.org")
    own, theirs = (
        needs.log_need(
            session=session, breakout=breakout, values=needs.NeedInput(title=title, statement=text), author=a
        )[0]
        for title, text, a in [("Crowd counts", "We need counts.", participant), ("Drones", "We need eyes.", other)]
    )
    accepted = session.exec(select(UseCase).where(UseCase.state == UseCaseState.accepted)).scalars().first()
    call = OpenCall(
        name="Walk call", slug="walk-call", timezone="Europe/Brussels", opens_at=utcnow(), closes_at=utcnow()
    )
    session.add(call)
    session.commit()
    composition.add_challenges(session, call, use_case_ids=[accepted.id])
    draft = session.exec(select(UseCase).where(UseCase.state == UseCaseState.draft)).scalars().first()
    return {
        "workshop_id": workshop.id,
        "breakout_id": breakout.id,
        "registration_id": registration.id,
        "need_id": own.id,
        "use_case_id": draft.id,
        "call_id": call.id,
        "challenge_id": session.exec(select(Challenge.id).where(Challenge.call_id == call.id)).scalars().first(),
        "domain_id": accepted.domain_id,
        "cluster_id": session.exec(select(Cluster.id)).scalars().first(),
        "test_bed_id": session.exec(select(TestBed.id)).scalars().first(),
        "user_id": other.id,
        "version": 1,
        "code": breakout.code,
        "workshop_slug": workshop.slug,
        "call_slug": session.exec(select(OpenCall.slug).where(OpenCall.id != call.id)).scalars().first(),
        "token": "no-such-token",
        "filename": "css/site.css",
        "needs": [own.id, theirs.id],
    }


def _value_of(rule, name: str, ids: dict) -> list[str]:
    """The real values of a path parameter: its id, or every format of an export."""
    if name == "slug":
        return [ids["call_slug"] if rule.rule.startswith("/calls/") else ids["workshop_slug"]]
    if name == "fmt":
        return list(REPORT_FORMATS if "/report." in rule.rule else CALL_FORMATS)
    return [str(ids[name])]


def _url(rule, values: dict[str, str]) -> str:
    url = rule.rule
    for name, value in values.items():
        url = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?" + name + ">", value, url)
    return url


def _quoted(value: str) -> str:
    return value if value == INVALID_UTF8 else quote(value, safe="")


def rule_urls(rule, ids: dict) -> list[str]:
    """The rule's URLs with real values (several for the export formats)."""
    filled: list[dict[str, str]] = [{}]
    for name in rule.arguments:
        filled = [{**done, name: value} for done in filled for value in _value_of(rule, name, ids)]
    return [_url(rule, values) for values in filled]


def corpus_urls(rule, ids: dict) -> list[tuple[str, str, str]]:
    """(parameter, value, URL): the rule with one path parameter at a time given each corpus value."""
    real = {name: _value_of(rule, name, ids)[0] for name in rule.arguments}
    return [
        (name, value, _url(rule, {**real, name: _quoted(value)})) for name in rule.arguments for value in PATH_CORPUS
    ]


def query(pairs: list[tuple[str, str]]) -> str:
    """A query string, ``INVALID_UTF8`` left as the raw bytes it stands for."""
    return form_body(pairs).decode("ascii")


def extra_pages(ids: dict) -> list[str]:
    """Pages whose forms only show with a query string: merging two needs, a use case from one."""
    first, second = ids["needs"]
    return [f"/manage/needs/merge?need={first}&need={second}", f"/manage/use-cases/new?need={first}"]


def walk_gets(walk: Walk, rules, parameters: list[str]) -> None:
    """Every GET rule: its real URLs (their forms noted), each corpus value in the path and in the query.

    Each value goes into every query parameter at once, then into each parameter the rule reads on
    its own (``ReadingRecorded`` finds which, with every parameter given "1").
    """
    for rule in rules:
        for url in rule_urls(rule, walk.ids):
            response = walk.send(rule.rule, "path", url, "GET", url)
            if response is not None and response.mimetype == "text/html" and response.status_code in (200, 422):
                note_forms(walk, url, response.get_data(as_text=True))
            READ.clear()
            walk.send(rule.rule, "every parameter", "1", "GET", f"{url}?{query([(n, '1') for n in parameters])}")
            read = sorted(READ & set(parameters))
            walk.parameters_read[rule.rule] = read
            for value in QUERY_CORPUS:
                walk.send(
                    rule.rule, "every parameter", value, "GET", f"{url}?{query([(n, value) for n in parameters])}"
                )
                for name in read:
                    walk.send(rule.rule, name, value, "GET", f"{url}?{query([(name, value)])}")
        for name, value, url in corpus_urls(rule, walk.ids):
            walk.send(rule.rule, name, value, "GET", url)
    for url in extra_pages(walk.ids):
        response = walk.send(url, "path", url, "GET", url)
        if response is not None and response.status_code == 200:
            note_forms(walk, url, response.get_data(as_text=True))


def note_forms(walk: Walk, page_url: str, html: str) -> None:
    """Keep the POST forms of a page, by the path they post to."""
    for form in page_forms(page_url, html):
        path = urlsplit(form.action).path
        known = walk.forms.setdefault(path, [])
        if all((f.action, f.names) != (form.action, form.names) for f in known):
            known.append(form)


def walk_posts(walk: Walk, rules) -> None:
    """Every POST rule: each form for it, one field at a time given each value, as a form body and as JSON."""
    for rule in sorted(rules, key=lambda r: (r.rule.endswith(LAST), r.rule)):
        for url in rule_urls(rule, walk.ids)[:1]:
            token = walk.csrf_token()
            forms = [f for f in walk.forms.get(urlsplit(url).path, []) if f.action]
            walk.forms_shown += len(forms)
            if not forms:
                guessed = PageForm(action=url, names=guessed_fields(walk.app, rule.endpoint))
                guessed.pairs = [(name, "") for name in guessed.names]
                forms = [guessed]
                walk.forms_guessed += 1
            for form in forms:
                post_form(walk, rule, form, token)
            for body in JSON_BODIES:
                headers = {"X-CSRFToken": token, "Accept": "application/json"}
                walk.send(rule.rule, "JSON body", body, "POST", url, json=body, headers=headers)
            walk.logged_in_again()
        token = walk.csrf_token()
        for name, value, url in corpus_urls(rule, walk.ids):
            walk.send(rule.rule, name, value, "POST", url, data={"csrf_token": token})


def post_form(walk: Walk, rule, form: PageForm, token: str) -> None:
    """One form: each field in turn replaced by each form value, then by each JSON value."""
    baseline = [(n, token if n == "csrf_token" else v) for n, v in form.baseline()]
    if "csrf_token" not in dict(baseline):
        baseline.append(("csrf_token", token))
    kind = "application/x-www-form-urlencoded"
    for name in form.names or ["csrf_token"]:
        for value in FORM_CORPUS:
            body = form_body(replaced(baseline, name, value))
            walk.send(rule.rule, name, value, "POST", form.action, data=body, content_type=kind)
        as_json = {}
        for n, v in baseline:
            as_json.setdefault(n, []).append(v)
        plain = {n: v[0] if len(v) == 1 else v for n, v in as_json.items()}
        for value in JSON_CORPUS:
            headers = {"X-CSRFToken": token, "Accept": "application/json"}
            walk.send(
                rule.rule, f"{name} (JSON)", value, "POST", form.action, json={**plain, name: value}, headers=headers
            )
        walk.logged_in_again()


# --- What was stored ------------------------------------------------------------------------------

#: Control characters no stored text may hold: all but tab, line feed and carriage return.
STORED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _texts(parameters):
    """Every text among a statement's parameters (a row, rows, a dict or a list of them, for one or many)."""
    if isinstance(parameters, str):
        yield parameters
    elif isinstance(parameters, dict):
        for value in parameters.values():
            yield from _texts(value)
    elif isinstance(parameters, list | tuple):
        for value in parameters:
            yield from _texts(value)


def watch_writes(engine) -> tuple[list[str], object]:
    """Note every INSERT or UPDATE that sends a text with a control character (a later save may overwrite it).

    Returns the list it fills and the listener, to remove afterwards.
    """
    writes: list[str] = []

    def check(_connection, _cursor, statement, parameters, _context, _many):
        if not statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            return
        if any(STORED_CONTROL.search(text) for text in _texts(parameters)):
            writes.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", check)
    return writes, check


def _is_text(column) -> bool:
    """A text column: a string type, or a type decorating one (SQLModel's ``AutoString``)."""
    return isinstance(getattr(column.type, "impl", column.type), String)


def stored_control_characters(engine) -> list[str]:
    """Every text column of every table whose value holds a control character: ``table.column #id``."""
    found = []
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            columns = [c for c in table.columns if _is_text(c)]
            key = next(iter(table.primary_key.columns), None)
            for column in columns:
                rows = connection.execute(select(key, column).where(column.is_not(None))).all()
                found += [f"{table.name}.{column.name} #{row[0]}" for row in rows if STORED_CONTROL.search(row[1])]
    return found


# --- The test -------------------------------------------------------------------------------------


@pytest.fixture
def walk_app(app, make_app, db):
    """The demo data and the walkers' rows in the test database, and an application on it without rate limits.

    Its request arguments note what is read (``ReadingRecorded``); ``walk_app.walk_ids`` are the rows' ids.
    """
    walker = make_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-" + "k" * 40,
            "BASE_URL": "http://workshops.test",
            "RATELIMIT_ENABLED": False,
            "LOG_REQUESTS": False,
            **CHEAP_ARGON2,
        }
    )
    walker.request_class = type("Recorded", (walker.request_class,), {"parameter_storage_class": ReadingRecorded})
    with walker.app_context(), Session(walker.extensions["workshops.engine"], expire_on_commit=False) as session:
        seed_demo(session=session)
        walker.walk_ids = walk_rows(session)
    return walker


@pytest.mark.parametrize("role", ROLES)
def test_no_bad_input_gets_a_5xx_or_is_stored(walk_app, role, faults_report):
    started = time.perf_counter()
    client = walk_app.test_client()
    if role != "anonymous":
        log_in(client, ACCOUNTS[role])
    engine = walk_app.extensions["workshops.engine"]
    walk = Walk(app=walk_app, client=client, role=role, ids=walk_app.walk_ids)
    rules = sorted(walk_app.url_map.iter_rules(), key=lambda r: r.rule)
    writes, listener = watch_writes(engine)
    try:
        walk_gets(walk, [r for r in rules if "GET" in r.methods], query_parameters())
        walk_posts(walk, [r for r in rules if "POST" in r.methods])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    stored = stored_control_characters(engine)
    seconds = time.perf_counter() - started
    statuses = ", ".join(f"{status}×{count}" for status, count in sorted(walk.statuses.items()))
    faults_report(
        f"{walk.requests} requests in {seconds:.1f} s on {engine.dialect.name}, {len(walk.failures)} 5xx; "
        f"{walk.forms_shown} forms as shown, {walk.forms_guessed} guessed; statuses {statuses}; "
        f"{len(writes)} writes and {len(stored)} stored texts with control characters"
    )
    assert walk.requests > 1000  # the walk really walks
    assert not walk.failures, f"{len(walk.failures)} answers of 500 or more:\n" + "\n".join(walk.failures[:200])
    assert not writes, "control characters sent to the database by: " + ", ".join(sorted(set(writes)))
    assert not stored, "control characters stored in: " + ", ".join(stored[:50])


def test_the_walk_finds_the_parameters_the_code_reads():
    names = query_parameters()
    assert {"q", "page", "need", "add", "exclude", "workshop", "urgency"} <= set(names)


def test_the_form_parser_reads_what_a_browser_would_send():
    html = """
    <form method="post" action="/x" id="f">
      <input type="hidden" name="csrf_token" value="t">
      <input name="title" value="A &amp; B"><textarea name="body">
line</textarea>
      <select name="one"><option value="1">1</option><option value="2" selected>2</option></select>
      <select name="many" multiple><option value="a">a</option></select>
      <input type="radio" name="r" value="x"><input type="radio" name="r" value="y">
      <input type="checkbox" name="c" value="1"><button name="save" value="1">Save</button>
    </form>
    <input type="checkbox" name="tick" value="7" form="f" checked>
    <form method="get" action="/search"><input name="q"></form>
    """
    [form] = page_forms("/page", html)
    assert form.action == "/x"
    assert form.baseline() == [
        ("csrf_token", "t"),
        ("title", "A & B"),
        ("body", "line"),
        ("one", "2"),
        ("tick", "7"),
        ("r", "x"),
    ]
    assert set(form.names) == {"csrf_token", "title", "body", "one", "many", "r", "c", "save", "tick"}


def test_the_write_watch_sees_a_control_character_even_if_overwritten(app, db):
    engine = app.extensions["workshops.engine"]
    writes, listener = watch_writes(engine)
    try:
        user = factories.make_user(db, name="Nul\x01led")
        user.name = "Clean"
        db.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert writes == ["INSERT INTO account"]
    assert stored_control_characters(engine) == []


def test_the_storage_scan_finds_a_stored_nul(app, db):
    factories.make_user(db, name="Nul\x01led")
    assert any(
        found.startswith("account.name #") for found in stored_control_characters(app.extensions["workshops.engine"])
    )
