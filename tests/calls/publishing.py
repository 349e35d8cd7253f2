"""Publishing a call the way an organiser does: the confirmation page first, then its form."""

from __future__ import annotations

import re

from tests.conftest import CSRF_PATTERN

CONFIRMATION = re.compile(r'name="confirmation"[^>]*value="([^"]*)"')


def confirmation_of(client, call_id: int) -> tuple[str, str]:
    """The confirmation page's CSRF token and publication token ("" when the page offers no publication)."""
    page = client.get(f"/manage/calls/{call_id}/publish").get_data(as_text=True)
    csrf = CSRF_PATTERN.search(page)
    assert csrf, page
    token = CONFIRMATION.search(page)
    return csrf.group(1), token.group(1) if token else ""


def publish(client, call, **kwargs):
    """Open the call's publication page and confirm what it says, as the organiser's browser does."""
    call_id = call if isinstance(call, int) else call.id
    csrf, token = confirmation_of(client, call_id)
    return client.post(f"/manage/calls/{call_id}/publish", data={"csrf_token": csrf, "confirmation": token}, **kwargs)
