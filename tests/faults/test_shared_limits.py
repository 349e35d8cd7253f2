"""Rate limits shared through Redis by separate servers: the limit holds however the tries are spread.

Two gunicorn servers (two processes each) count log-in failures in the same Redis (database 15,
under a key prefix of the test's own, deleted afterwards). Ten wrong passwords for one account,
sent alternately to each, pause the account: the eleventh try is refused with 429 on either
server, even with the right password from a new browser. The control run keeps the counts in each
process's memory, and there the eleventh try goes through: the harness can tell shared limits
from counts kept apart. A Redis that does not answer fails the test.
"""

from __future__ import annotations

import secrets

import pytest
import redis

from tests import factories
from tests.liveserver import Browser, LiveServer

REDIS = "redis://127.0.0.1:6379/15"
WRONG = "not the password at all"
LIMIT = 10
#: A wrong password is answered by the form again, with its error.
REFUSED = {200, 422}


@pytest.fixture
def redis_prefix():
    """A key prefix of the test's own in Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS)
    client.ping()  # fails when Redis is not running: the battery needs it
    prefix = f"workshops-faults-{secrets.token_hex(4)}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def _log_in(server: LiveServer, email: str, password: str) -> int:
    """One try from a new browser, as someone guessing would send it."""
    browser = Browser(server.url)
    browser.open_form("/login")
    return browser.post("/login", {"email": email, "password": password, "next": ""}).status


def _spread_failures(servers: list[LiveServer], email: str) -> list[int]:
    return [_log_in(servers[n % 2], email, WRONG) for n in range(LIMIT)]


def test_ten_failures_spread_over_two_servers_pause_the_account_on_both(
    backend, live_database, serve, redis_prefix, faults_report
):
    [person] = live_database.add_people(f"shared-{backend}", 1)
    config = {"RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": redis_prefix}
    servers = [serve(live_database, workers=2, threads=2, **config) for _ in range(2)]

    failures = _spread_failures(servers, person.email)
    eleventh = _log_in(servers[0], person.email, WRONG)
    right_password_elsewhere = _log_in(servers[1], person.email, factories.PASSWORD)

    faults_report(
        f"{backend}: 2 servers x 2 processes on Redis; tries 1-{LIMIT} {failures}; 11th {eleventh} on the first, "
        f"12th (right password, new browser) {right_password_elsewhere} on the second"
    )
    assert set(failures) <= REFUSED, servers[0].problems() + servers[1].problems()
    assert eleventh == 429
    assert right_password_elsewhere == 429


def test_control_without_shared_storage_each_process_counts_alone(backend, live_database, serve, faults_report):
    [person] = live_database.add_people(f"apart-{backend}", 1)
    servers = [serve(live_database, workers=2, threads=2, RATELIMIT_STORAGE_URI="memory://") for _ in range(2)]

    failures = _spread_failures(servers, person.email)
    eleventh = _log_in(servers[0], person.email, WRONG)

    faults_report(f"{backend}: 2 servers x 2 processes, memory://; tries 1-{LIMIT} {failures}; 11th {eleventh}")
    assert set(failures) <= REFUSED
    assert eleventh in REFUSED  # counted apart, the limit is several times the configured one
