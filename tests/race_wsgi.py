"""The application for the concurrency test's control run: a pause between counting seats and writing.

With the lock switched off (``WORKSHOPS_REGISTRATION_LOCKING=false``), each count of confirmed
seats ends its transaction and waits ``WORKSHOPS_REGISTRATION_RACE_DELAY`` seconds before the
write: exactly the mistake the lock prevents, widened so that the harness is sure to see it. The
delay lives here, in the tests, and nowhere in the registration code.
"""

from __future__ import annotations

import functools
import os
import time

from workshops.events.registration import locking, places
from wsgi import app

DELAY = float(os.environ.get("WORKSHOPS_REGISTRATION_RACE_DELAY", "0"))


def _paused(count):
    @functools.wraps(count)
    def counted(session, *args, **kwargs):
        taken = count(session, *args, **kwargs)
        if not locking.locking_enabled():
            session.commit()
            time.sleep(DELAY)
        return taken

    return counted


places.confirmed_in_mode = _paused(places.confirmed_in_mode)
places.confirmed_in_breakout = _paused(places.confirmed_in_breakout)

__all__ = ["app"]
