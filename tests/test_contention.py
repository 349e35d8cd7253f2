"""Log-ins, sign-ups and profile edits at the same moment against gunicorn: no 5xx, every write stored.

Each write transaction takes its lock up front (``transactions.run_write``: ``BEGIN IMMEDIATE`` on
SQLite), so that no request has to upgrade a read lock, which SQLite cannot wait for: before, 216
of 300 simultaneous log-ins answered 500 "database is locked". The time of a log-in is bookkeeping,
stored on the side, and never fails the log-in. The server runs on the suite's database (SQLite
under ``make test``, PostgreSQL under ``make test-pg``) with one and with two processes of four
threads. This is the quick version; the battery in ``tests/faults`` sends crowds of 300.
"""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from tests import factories
from tests.liveserver import Browser, LiveServer, burst, each, port_in
from workshops.auth.models import User

LOG_INS = 60
SIGN_UPS = 30
PROFILE_EDITS = 30
#: Ports for this module's servers (5200-5299 are the range of these tests).
PORTS = range(5200, 5300)
#: The servers hash as cheaply as the seeded accounts, so that no log-in upgrades its hash.
CHEAP = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1, "LOG_REQUESTS": "false"}


@pytest.fixture(params=[(1, 4), (2, 4)], ids=["1x4", "2x4"])
def server(request, app, tmp_path, database_url):
    """A gunicorn server on the suite's database, with this many processes of this many threads."""
    workers, threads = request.param
    live = LiveServer(
        tmp_path, database_url=database_url, workers=workers, threads=threads, port=port_in(PORTS), **CHEAP
    )
    live.start()
    yield live
    live.stop()


def _logged_in(server: LiveServer, person: User) -> Browser:
    browser = Browser(server.url)
    browser.open_form("/login")
    answer = browser.post("/login", {"email": person.email, "password": factories.PASSWORD, "next": ""})
    assert answer.status == 302, (answer.status, answer.body[:300])
    return browser


def test_log_ins_sign_ups_and_profile_edits_at_once_answer_no_5xx_and_store_everything(server, db):
    arriving = factories.make_people(db, "arriving", LOG_INS)
    editors = factories.make_people(db, "editor", PROFILE_EDITS)
    newcomers = [f"newcomer-{n}@example.org" for n in range(SIGN_UPS)]

    log_in_browsers = [Browser(server.url) for _ in arriving]
    each(log_in_browsers, lambda browser: browser.open_form("/login"))
    sign_up_browsers = [Browser(server.url) for _ in newcomers]
    each(sign_up_browsers, lambda browser: browser.open_form("/signup"))
    edit_browsers = each(editors, lambda person: _logged_in(server, person))
    each(edit_browsers, lambda browser: browser.open_form("/me"))

    def log_in(browser: Browser, person: User):
        return browser.post("/login", {"email": person.email, "password": factories.PASSWORD, "next": ""})

    def sign_up(browser: Browser, address: str):
        form = {
            "name": address.split("@")[0],
            "email": address,
            "password": "ferry harbour lantern 42",
            "organisation": "Newcomers Ltd",
            "organisation_type": "sme",
            "country": "LT",
            "cluster_id": "",
            "next": "",
        }
        return browser.post("/signup", form)

    def edit(browser: Browser, n: int):
        form = {"name": f"Edited {n}", "organisation": f"Edited org {n}", "organisation_type": "sme", "country": "DK"}
        return browser.post("/me", form)

    crowd = burst(
        [lambda b=b, p=p: log_in(b, p) for b, p in zip(log_in_browsers, arriving, strict=True)]
        + [lambda b=b, a=a: sign_up(b, a) for b, a in zip(sign_up_browsers, newcomers, strict=True)]
        + [lambda b=b, n=n: edit(b, n) for n, b in enumerate(edit_browsers)]
    )
    print(f"{server.workers}x{server.threads} on {db.get_bind().dialect.name}: {crowd.figures()}")
    assert crowd.server_errors == 0, server.problems()
    assert crowd.statuses == {302: LOG_INS + SIGN_UPS + PROFILE_EDITS}, (crowd.statuses, server.problems())

    assert {browser.get("/me").status for browser in log_in_browsers} == {200}
    db.rollback()  # a new snapshot: what the server stored meanwhile
    created = db.exec(select(User).where(col(User.email).like("newcomer-%"))).all()
    assert sorted(user.email for user in created) == sorted(newcomers)
    assert all(user.confirmed_at is None for user in created)
    edited = db.exec(select(User.name).where(col(User.email).like("editor-%")).order_by(User.id)).all()
    assert sorted(edited) == sorted(f"Edited {n}" for n in range(PROFILE_EDITS))
    recorded = db.exec(select(User.id).where(col(User.email).like("arriving-%"), col(User.last_login_at).is_not(None)))
    print(f"log-in times stored (bookkeeping): {len(recorded.all())} of {LOG_INS}")
