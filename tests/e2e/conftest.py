"""End-to-end fixtures: the app served by gunicorn with two workers, driven by Debian's Chromium.

Each test gets the demo database, a fresh outbox, and helpers that scan every page with axe-core
and keep a screenshot of it under ``test-artifacts/screens/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.liveserver import ROOT, LiveServer

SCREENS = ROOT / "test-artifacts" / "screens"
BLOCKING_IMPACTS = {"serious", "critical"}
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use the system Chromium: Playwright cannot download its own browser here."""
    if not Path(CHROMIUM).exists():
        pytest.fail("The end-to-end tests need Chromium: sudo apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One server for the session: the tests use distinct accounts, so they do not interfere."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.flask("init-db")
    server.flask("seed-demo")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(page, live_server):
    """A browser page with the server's address as base URL."""
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def check_page(request):
    """Scan the page with axe-core (no serious or critical violation) and keep a screenshot."""
    axe = Axe()
    counter = iter(range(1, 100))
    folder = SCREENS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)

    def check(page, label: str) -> None:
        page.screenshot(path=folder / f"{next(counter):02d}-{label}.png", full_page=True)
        violations = axe.run(page).response["violations"]
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert blocking == [], f"axe on {label} ({page.url}):\n" + "\n".join(blocking)

    return check
