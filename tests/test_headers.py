"""Security headers on every response."""

from __future__ import annotations

import pytest

PAGES = ["/", "/login", "/signup", "/password/forgot", "/no/such/page"]


@pytest.mark.parametrize("path", PAGES)
def test_html_pages_carry_a_strict_content_security_policy(client, path):
    policy = client.get(path).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_pages_have_no_inline_script_or_style(client, organiser_client):
    for response in [client.get("/"), client.get("/signup"), organiser_client.get("/manage/users")]:
        page = response.get_data(as_text=True)
        assert "<script>" not in page
        assert " style=" not in page
        assert "<style" not in page


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/static/css/site.css"])
def test_nosniff_and_referrer_policy_everywhere(client, path):
    with client.get(path) as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_personal_pages_are_not_stored_by_caches(participant_client, client):
    assert participant_client.get("/me").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    with client.get("/static/css/site.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_only_in_production(client, make_app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    production = make_app(
        {
            "ENV": "production",
            "SECRET_KEY": "s" * 48,
            "BASE_URL": "https://ws.example.eu",
        }
    )
    response = production.test_client().get("/", base_url="https://ws.example.eu")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie_client = production.test_client()
    cookie_client.get("/login", base_url="https://ws.example.eu")
    cookie = cookie_client.get_cookie("session", domain="ws.example.eu")
    assert cookie is not None
    assert cookie.secure
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_request_too_large_is_refused(client):
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("status", "text"),
    [(400, "Bad request"), (403, "Not allowed"), (405, "Not allowed"), (409, "please try again"), (500, "went wrong")],
)
def test_error_pages_are_friendly_and_in_the_layout(app, status, text):
    from flask import abort

    @app.route(f"/test-error-{status}")
    def fail():
        if status == 500:
            raise ValueError("SELECT password_hash FROM account")
        abort(status)

    page = app.test_client().get(f"/test-error-{status}")
    body = page.get_data(as_text=True)
    assert page.status_code == status
    assert text in body
    assert 'class="site-header"' in body
    assert "password_hash" not in body
    assert "Traceback" not in body
