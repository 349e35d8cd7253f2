"""The home page points to published calls, never to drafts."""

from __future__ import annotations

from workshops.calls import composition as calls


def test_the_home_page_lists_published_calls_only(client, db, call_text):
    assert "Open Call 2" not in client.get("/").get_data(as_text=True)  # still a draft
    calls.publish(db, call_text.call)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calls/open-call-2/">Open Call 2</a>' in page
    assert "closes 10 April 2027, 17:00 (Europe/Brussels)" in page
