"""The application factory, configuration, health check and error pages."""

from __future__ import annotations

import pytest


def test_health_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_does_not(make_app, tmp_path):
    app = make_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite", "SECRET_KEY": "x" * 40, "TESTING": True}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"


def test_config_dict_overrides_environment(monkeypatch, make_app):
    monkeypatch.setenv("WORKSHOPS_PROGRAMME_NAME", "From the environment")
    assert make_app().config["PROGRAMME_NAME"] == "From the environment"
    app = make_app({"PROGRAMME_NAME": "From the dict"})
    assert app.config["PROGRAMME_NAME"] == "From the dict"


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 48, "DEBUG": True}, "DEBUG"),
    ],
)
def test_production_refuses_unsafe_configuration(overrides, complaint, make_app):
    with pytest.raises(RuntimeError, match=complaint):
        make_app({"ENV": "production", **overrides})


def test_an_unknown_time_zone_is_refused_at_start(make_app):
    with pytest.raises(RuntimeError, match="WORKSHOPS_TIMEZONE"):
        make_app({"TIMEZONE": "Europe/Atlantis"})
    assert make_app({"TIMEZONE": "Europe/Lisbon"}).config["TIMEZONE"] == "Europe/Lisbon"


def test_production_sets_secure_cookies_and_trusts_only_its_host(make_app):
    app = make_app({"ENV": "production", "SECRET_KEY": "s" * 48, "BASE_URL": "https://ws.example.eu"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["TRUSTED_HOSTS"] == ["ws.example.eu"]


def test_development_cookies_are_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"]


def test_unknown_host_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200


def test_not_found_page_uses_the_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    assert 'class="site-header"' in page


def test_unexpected_error_gives_generic_page_and_a_log_line(app, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "SELECT secret" not in page
    assert "Traceback" not in page
    assert any("unhandled error on GET /boom" in r.getMessage() for r in caplog.records)


def test_home_page_invites_newcomers(client):
    page = client.get("/").get_data(as_text=True)
    assert "Create an account" in page
    assert 'href="/static/css/site.css"' in page
