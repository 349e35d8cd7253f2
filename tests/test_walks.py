"""Walks over every route, so that a page added later is covered without anyone remembering to.

CSRF: every rule that changes state refuses a request without a token and with another session's
token. Access: every rule under /manage/ and /me answers each role as the table below says; a rule
missing from the table fails the test.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

#: Who may use each personal or organiser page: the lowest role that may.
ACCESS = {
    "/me": "participant",
    "/me/password": "participant",
    "/me/needs": "participant",
    "/me/delete": "participant",
    "/me/data": "participant",
    "/me/data.json": "participant",
    "/me/consents/give": "participant",
    "/me/consents/withdraw": "participant",
    "/me/registrations": "participant",
    "/me/registrations/<int:registration_id>": "participant",
    "/me/registrations/<int:registration_id>/mode": "participant",
    "/me/registrations/<int:registration_id>/cancel": "participant",
    "/me/registrations/<int:registration_id>/undo": "participant",
    "/me/registrations/<int:registration_id>/requirements": "participant",
    "/me/registrations/<int:registration_id>/listing": "participant",
    "/me/registrations/<int:registration_id>/calendar.ics": "participant",
    "/manage/privacy": "organiser",
    "/manage/workshops": "organiser",
    "/manage/workshops/new": "organiser",
    "/manage/workshops/<int:workshop_id>": "organiser",
    "/manage/workshops/<int:workshop_id>/edit": "organiser",
    "/manage/workshops/<int:workshop_id>/close": "organiser",
    "/manage/workshops/<int:workshop_id>/copy": "organiser",
    "/manage/workshops/<int:workshop_id>/cancel": "organiser",
    "/manage/workshops/<int:workshop_id>/message": "organiser",
    "/manage/workshops/<int:workshop_id>/breakouts/new": "organiser",
    "/manage/breakouts/<int:breakout_id>/edit": "organiser",
    "/manage/breakouts/<int:breakout_id>/delete": "organiser",
    "/manage/test-beds": "organiser",
    "/manage/test-beds/new": "organiser",
    "/manage/test-beds/<int:test_bed_id>/edit": "organiser",
    "/manage/clusters": "organiser",
    "/manage/clusters/new": "organiser",
    "/manage/clusters/<int:cluster_id>/edit": "organiser",
    "/manage/domains": "organiser",
    "/manage/domains/new": "organiser",
    "/manage/domains/<int:domain_id>/edit": "organiser",
    "/manage/programme": "organiser",
    "/manage/breakouts/<int:breakout_id>/capture": "facilitator",
    "/manage/my-breakouts": "facilitator",
    "/manage/breakouts/<int:breakout_id>/qr-code": "facilitator",
    "/manage/needs/<int:need_id>/dismiss": "facilitator",
    "/manage/needs/<int:need_id>/reopen": "facilitator",
    "/manage/breakouts/<int:breakout_id>/lock": "facilitator",
    "/manage/breakouts/<int:breakout_id>/unlock": "facilitator",
    "/manage/breakouts/<int:breakout_id>/board": "facilitator",
    "/manage/needs/merge": "facilitator",
    "/manage/needs": "facilitator",
    "/manage/needs.csv": "facilitator",
    "/manage/needs/create": "facilitator",
    "/manage/workshops/<int:workshop_id>/attendees": "facilitator",
    "/manage/workshops/<int:workshop_id>/attendees.csv": "facilitator",
    "/manage/workshops/<int:workshop_id>/check-in": "facilitator",
    "/manage/workshops/<int:workshop_id>/check-in/results": "facilitator",
    "/manage/registrations/<int:registration_id>/check-in": "facilitator",
    "/manage/registrations/<int:registration_id>/undo-check-in": "facilitator",
    "/manage/registrations/<int:registration_id>/move": "organiser",
    "/manage/registrations/<int:registration_id>/promote": "organiser",
    "/manage/registrations/<int:registration_id>/remove": "organiser",
    "/manage/calls": "organiser",
    "/manage/calls/new": "organiser",
    "/manage/calls/<int:call_id>": "organiser",
    "/manage/calls/<int:call_id>/edit": "organiser",
    "/manage/calls/<int:call_id>/challenges": "organiser",
    "/manage/calls/<int:call_id>/challenges/<int:challenge_id>/move": "organiser",
    "/manage/calls/<int:call_id>/challenges/<int:challenge_id>/remove": "organiser",
    "/manage/calls/<int:call_id>/domains/<int:domain_id>/move": "organiser",
    "/manage/calls/<int:call_id>/publish": "organiser",
    "/manage/calls/<int:call_id>/close": "organiser",
    "/manage/calls/<int:call_id>/preview": "organiser",
    "/manage/calls/<int:call_id>/export.<fmt>": "organiser",
    "/manage/calls/<int:call_id>/report.<fmt>": "organiser",
    "/manage/users": "organiser",
    "/manage/users/<int:user_id>/delete": "organiser",
    "/manage/needs/<int:need_id>/keep": "organiser",
    "/manage/users/<int:user_id>/role": "organiser",
    "/manage/audit": "organiser",
    "/manage/audit.csv": "organiser",
    "/manage/use-cases": "facilitator",
    "/manage/use-cases/bulk": "facilitator",
    "/manage/use-cases/new": "facilitator",
    "/manage/use-cases/add-needs": "facilitator",
    "/manage/use-cases/preview": "facilitator",
    "/manage/use-cases/<int:use_case_id>": "facilitator",
    "/manage/use-cases/<int:use_case_id>/edit": "facilitator",
    "/manage/use-cases/<int:use_case_id>/state": "facilitator",
    "/manage/use-cases/<int:use_case_id>/comments": "facilitator",
    "/manage/use-cases/<int:use_case_id>/needs/<int:need_id>/remove": "facilitator",
    "/manage/use-cases/<int:use_case_id>/revisions": "facilitator",
    "/manage/use-cases/<int:use_case_id>/compare": "facilitator",
    "/manage/use-cases/<int:use_case_id>/delete": "organiser",
    "/manage/use-cases/<int:use_case_id>/restore": "organiser",
    "/manage/use-case-template": "organiser",
}
ROLES = ["anonymous", "participant", "facilitator", "organiser"]


def _example_url(rule) -> str:
    """A concrete URL for a rule, with ids that match nothing."""
    url = rule.rule
    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        value = "999999" if converter == "int" else "nothing-here"
        url = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?" + name + ">", value, url)
    return url


def _rules(app, predicate):
    return sorted((r for r in app.url_map.iter_rules() if predicate(r)), key=lambda r: r.rule)


def test_every_state_changing_rule_refuses_missing_and_foreign_tokens(app, organiser_client):
    rules = _rules(app, lambda r: r.methods & STATE_CHANGING)
    assert len(rules) >= 10  # the walk really walks
    foreign = csrf_token(app.test_client())
    for rule in rules:
        url = _example_url(rule)
        for method in sorted(rule.methods & STATE_CHANGING):
            without = organiser_client.open(url, method=method, data={})
            assert without.status_code == 400, f"{method} {url} without a token: {without.status_code}"
            with_foreign = organiser_client.open(url, method=method, data={"csrf_token": foreign})
            assert with_foreign.status_code == 400, f"{method} {url} with a foreign token: {with_foreign.status_code}"


def test_json_requests_need_the_token_too(organiser_client, participant):
    response = organiser_client.post(f"/manage/users/{participant.id}/role", json={"role": "organiser"})
    assert response.status_code == 400


def test_nothing_changes_state_on_get(app):
    """Log-out, role changes and exports are POST only."""
    for path in ["/logout", "/manage/audit.csv", "/manage/users/<int:user_id>/role", "/me/password"]:
        [rule] = [r for r in app.url_map.iter_rules() if r.rule == path]
        assert "GET" not in rule.methods, path


def test_every_personal_and_organiser_page_is_in_the_access_table(app):
    walked = {r.rule for r in _rules(app, lambda r: r.rule.startswith(("/manage/", "/me")))}
    assert walked == set(ACCESS), "add new /manage/ and /me pages to ACCESS with the role they need"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answer_the_table_gives(request, app, role):
    client = app.test_client() if role == "anonymous" else request.getfixturevalue(f"{role}_client")
    for rule in _rules(app, lambda r: r.rule in ACCESS):
        url = _example_url(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        token_page = "/login" if role == "anonymous" else "/me"
        data = {"csrf_token": csrf_token(client, token_page)} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        needed = ACCESS[rule.rule]
        location = response.headers.get("Location", "")
        if role == "anonymous":
            assert response.status_code == 302 and location.startswith("/login?next="), f"{method} {url}"
        elif ROLES.index(role) < ROLES.index(needed):
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
        else:
            assert response.status_code not in (401, 403), f"{role} {method} {url}: {response.status_code}"
            assert not location.startswith("/login"), f"{role} {method} {url} sent to log-in"
