"""Text people type is shown escaped everywhere: pages, e-mails, downloads."""

from __future__ import annotations

from tests import factories
from tests.conftest import log_in, post_form

NASTY = '"><script>alert(1)</script>'


def test_names_are_escaped_on_pages(app, db, organiser_client):
    person = factories.make_user(db, name=NASTY, organisation=NASTY)
    listing = organiser_client.get("/manage/users").get_data(as_text=True)
    client = app.test_client()
    log_in(client, person)
    own = client.get("/me").get_data(as_text=True)
    for page in (listing, own):
        assert "<script>alert(1)" not in page
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_names_are_escaped_in_html_mail(client, outbox, db):
    factories.make_user(db, name=NASTY, email="nasty@example.org")
    post_form(client, "/password/forgot", {"email": "nasty@example.org"})
    [message] = outbox()
    html = message.get_body(("html",)).get_content()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
