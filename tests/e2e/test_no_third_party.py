"""No page loads anything from another host: every request a page makes stays on the loopback server.

The test walks the site as each kind of person (following the links of every page it reaches,
breadth first, up to a limit) and records every request the browser makes, including those of
scripts, styles, fonts and images. Participants' personal data must not reach a CDN or a font host.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

import pytest

from tests.e2e.journeys import log_in

#: Links not worth following: they change state on GET (none should), download files, or leave.
SKIPPED = (".csv", ".ics", ".json", ".md", ".docx", ".html", "/logout", "/export", "/report")
PAGES_PER_PERSON = 45


def _walk(page, live_server) -> tuple[set[str], list[str], list[str]]:
    """Visit pages reachable by links from the home page; return the pages seen, all requests, foreign ones."""
    own = urlsplit(live_server.url).netloc
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    queue, seen = [live_server.url + "/"], set()
    while queue and len(seen) < PAGES_PER_PERSON:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = urldefrag(href).url
            parts = urlsplit(link)
            if parts.netloc == own and not any(mark in parts.path for mark in SKIPPED) and link not in seen:
                queue.append(link)
    return seen, requested, [url for url in requested if _leaves(url, own)]


def _leaves(url: str, own: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.netloc not in (own, "")


@pytest.mark.parametrize("email", [None, "participant@example.org", "facilitator@example.org", "organiser@example.org"])
def test_no_page_requests_anything_from_another_host(browser, live_server, email):
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    if email:
        log_in(page, live_server, email)
    seen, requested, foreign = _walk(page, live_server)
    assert len(seen) >= 10, seen  # the walk reached a good part of the site
    assert any(url.endswith(".css") for url in requested)  # the recorder sees a page's own loads
    assert foreign == [], f"requests to other hosts: {sorted(set(foreign))[:10]}"
