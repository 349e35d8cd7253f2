"""Public pages that do not depend on the person: conditional GETs, and their anonymous view kept rendered.

A workshop's page, the home page or a published call is the same for every visitor who is not
logged in, until something it shows changes. Its view names that state in a small *key*: a
version read in one short query, and whatever the clock decides (is registration open?). From the
key come the page's ETag, so that a browser asking again with ``If-None-Match`` gets a 304 and no
body, and the place of the rendered page in this process's ``PageCache``, so that the next
visitor gets it without a template being rendered.

Only the anonymous view is shared. A logged-in person's page shows their name, their own
registration and a CSRF token bound to their session: it is rendered for them each time and never
stored anywhere (``no-store``, the site's default). Nor is a page shared while the visitor has a
message waiting (a flash), nor kept when rendering it wrote to the session or made a CSRF token.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask import Response, current_app, g, request, session
from flask_login import current_user

#: Rendered pages kept per process, in bytes of HTML; the least recently used go first.
DEFAULT_LIMIT = 32 * 1024 * 1024
#: What an anonymous public page tells browsers and proxies: keep it, but ask before each use, and
#: never hand it to a request with other cookies (a logged-in person's) without asking.
REVALIDATE = "no-cache"


class PageCache:
    """Rendered anonymous pages by key, at most ``limit`` bytes of them, shared by the threads of a process."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        """The page kept under ``key``, or ``None``."""
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        """Keep ``html`` under ``key``, dropping the least recently used pages beyond the limit."""
        if len(html) > self.limit:
            return
        with self._lock:
            previous = self._pages.pop(key, None)
            self._size -= len(previous) if previous is not None else 0
            self._pages[key] = html
            self._size += len(html)
            while self._size > self.limit:
                _, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped)


def page_cache() -> PageCache:
    """The current application's cache (one per application, so tests never share pages)."""
    found = current_app.extensions.get("page_cache")
    if found is None:
        found = current_app.extensions.setdefault("page_cache", PageCache(int(current_app.config["PAGE_CACHE_BYTES"])))
    return found


@cache
def release() -> str:
    """What tells this code and these templates from another release: the newest change among their files.

    Part of every ETag, so that a browser never keeps a page rendered by templates since replaced.
    """
    root = Path(__file__).resolve().parent
    newest = 0.0
    for folder in (root, root.parent / "templates"):
        for directory, _, names in os.walk(folder):
            for name in names:
                if name.endswith((".py", ".html")):
                    newest = max(newest, os.stat(os.path.join(directory, name)).st_mtime)
    return f"{newest:.0f}"


def _shared() -> bool:
    """Whether this request gets the view every anonymous visitor gets: not logged in, no message waiting."""
    return not current_user.is_authenticated and not session.get("_flashes")


def public_page(key: tuple, render: Callable[[], str]) -> Response | str:
    """Answer a GET of a page that is the same for every anonymous visitor while ``key`` stays the same.

    ``key`` holds everything the anonymous view depends on (versions, what the clock decides);
    ``render`` renders the page. A logged-in person (or one with a flash to see) gets ``render()``
    alone, with the site's ``no-store``. Anyone else gets a 304 when their ``If-None-Match`` holds
    the page's ETag, else the page kept for this key and address, rendered only when missing.
    """
    if not _shared():
        return render()
    place = (*key, request.host, request.full_path)
    etag = "a" + hashlib.sha256(repr((release(), place)).encode()).hexdigest()[:24]
    if etag in request.if_none_match:
        return _headers(Response(status=304), etag)
    cache_ = page_cache()
    html = cache_.get(place)
    if html is None:
        html = render()
        if _may_keep():
            cache_.put(place, html)
    return _headers(Response(html, mimetype="text/html"), etag)


def _may_keep() -> bool:
    """Whether the page just rendered is fit for anyone: it wrote nothing to the session, made no CSRF token."""
    return not session.modified and current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in g


def _headers(response: Response, etag: str) -> Response:
    g.public_page = True  # the site's ``no-store`` (``workshops.security``) is not for this answer
    response.set_etag(etag)
    response.headers["Cache-Control"] = REVALIDATE
    response.vary.add("Cookie")
    return response
