"""Whether an organiser may accept a use case they wrote: a programme setting, off unless the organisers turn it on.

Off, a second person accepts each use case: the author is not offered "Accept", a request to
accept is refused (403 on the page, a named refusal in the bulk action) and changes nothing. The
setting's changes are recorded in the audit log, and the migration adds it switched off.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests import factories
from tests.conftest import log_in, post_form
from workshops.audit.models import AuditEntry
from workshops.db import make_engine
from workshops.migrate import downgrade, upgrade
from workshops.programme.models import ProgrammeSettings
from workshops.usecases import rules, services
from workshops.usecases.models import UseCase, UseCaseRevision, UseCaseState

SETTINGS = "/manage/programme"


@pytest.fixture
def colleague(app, db):
    """A second organiser, logged in."""
    person = factories.make_user(db, name="Cleo Colleague", email="cleo@example.org", role="organiser")
    client = app.test_client()
    log_in(client, person)
    return person, client


def _in_review(app, db, author) -> UseCase:
    values = services.UseCaseInput(title="Drone detection at ports", body="## Context\n\nPorts.\n")
    with app.app_context():
        use_case = services.create_use_case(session=db, author=author, values=values, need_ids=[])
        return services.change_state(session=db, use_case=use_case, actor=author, to_state="in_review")


def _state(db, use_case) -> str:
    db.rollback()
    return db.get(UseCase, use_case.id, populate_existing=True).state


def _changes(db, use_case) -> list[str]:
    db.rollback()
    rows = db.exec(select(UseCaseRevision.change).where(UseCaseRevision.use_case_id == use_case.id))
    return list(rows)


def _accept(client, use_case, **kwargs):
    url = f"/manage/use-cases/{use_case.id}"
    return post_form(client, f"{url}/state", {"state": "accepted"}, form_url=url, **kwargs)


def _allow_own(client, allowed: bool):
    data = {"timezone": "", **({"organisers_accept_own": "y"} if allowed else {})}
    return post_form(client, SETTINGS, data)


def test_by_default_the_author_is_not_offered_to_accept_and_is_refused(app, db, organiser, organiser_client):
    use_case = _in_review(app, db, organiser)
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert 'value="accepted"' not in page and 'value="rejected"' in page  # rejecting or sending back stays
    assert "You created this use case, so another organiser accepts it" in page
    assert rules.next_states(organiser, use_case) == [UseCaseState.rejected, UseCaseState.draft]

    refused = _accept(organiser_client, use_case)
    assert refused.status_code == 403
    assert "You created this use case, so another organiser must accept it" in refused.get_data(as_text=True)
    assert _state(db, use_case) == "in_review" and _changes(db, use_case) == ["Created", "Sent for review"]
    with app.app_context(), pytest.raises(services.OwnAcceptance):
        services.change_state(session=db, use_case=use_case, actor=organiser, to_state="accepted")


def test_another_organiser_accepts_it(app, db, organiser, colleague):
    person, client = colleague
    use_case = _in_review(app, db, organiser)
    page = client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert 'value="accepted"' in page and "You created this use case" not in page
    assert _accept(client, use_case).status_code == 302
    assert _state(db, use_case) == "accepted"
    db.rollback()
    last = db.exec(select(UseCaseRevision).where(UseCaseRevision.use_case_id == use_case.id)).all()[-1]
    assert last.change == "Accepted" and last.author_id == person.id


def test_the_bulk_action_refuses_the_authors_own_and_accepts_the_others(
    app, db, organiser, organiser_client, colleague
):
    person, _client = colleague
    own = _in_review(app, db, organiser)
    theirs = _in_review(app, db, person)
    data = {"use_case": [str(own.id), str(theirs.id)], "action": "accepted"}
    response = post_form(organiser_client, "/manage/use-cases/bulk", data, form_url="/manage/use-cases")
    assert response.status_code == 302
    assert _state(db, own) == "in_review" and _state(db, theirs) == "accepted"
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    flashes = [" ".join(m.split()) for m in re.findall(r'<p class="flash [^"]*"[^>]*>(.*?)</p>', page, re.S)]
    assert flashes[0] == "1 use case accepted: “Drone detection at ports”."
    assert flashes[1].startswith("1 use case not accepted. You created this use case, so another organiser must")


def test_with_the_setting_on_organisers_accept_their_own(app, db, organiser, organiser_client):
    saved = _allow_own(organiser_client, True)
    assert saved.status_code == 302
    page = organiser_client.get(SETTINGS).get_data(as_text=True)
    assert "organisers may accept the use cases they wrote" in page
    assert re.search(r'<input [^>]*\bchecked\b[^>]*name="organisers_accept_own"', page)
    use_case = _in_review(app, db, organiser)
    assert 'value="accepted"' in organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert _accept(organiser_client, use_case).status_code == 302
    assert _state(db, use_case) == "accepted"

    _allow_own(organiser_client, False)  # and off again: the next one waits for a second person
    other = _in_review(app, db, organiser)
    assert _accept(organiser_client, other).status_code == 403 and _state(db, other) == "in_review"


def test_a_facilitators_own_use_case_is_accepted_by_any_organiser(app, db, facilitator, organiser_client):
    use_case = _in_review(app, db, facilitator)
    assert _accept(organiser_client, use_case).status_code == 302 and _state(db, use_case) == "accepted"


def test_the_setting_is_for_organisers_only_and_its_changes_are_audited(
    app, db, organiser, organiser_client, facilitator_client
):
    assert facilitator_client.get(SETTINGS).status_code == 403
    assert post_form(facilitator_client, SETTINGS, {"organisers_accept_own": "y"}, form_url="/me").status_code == 403
    _allow_own(organiser_client, True)
    _allow_own(organiser_client, True)  # saved again unchanged: nothing to record
    post_form(organiser_client, SETTINGS, {"timezone": "Europe/Vilnius"})
    db.rollback()
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "settings_changed").order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.target_type, e.target_id, e.detail) for e in entries] == [
        (organiser.id, "programme", 1, "organisers_accept_own: no -> yes"),
        (organiser.id, "programme", 1, "timezone: (none) -> Europe/Vilnius; organisers_accept_own: yes -> no"),
    ]
    assert db.exec(select(ProgrammeSettings)).one().organisers_accept_own is False


def test_the_migration_adds_the_setting_switched_off_and_takes_it_back(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    upgrade(engine, "0013")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO programme_settings (id, timezone, updated_at) VALUES (1, 'UTC', '2027-01-01')")
        )
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT organisers_accept_own FROM programme_settings")).scalar_one() in (
            0,
            False,
        )
        connection.execute(
            text(
                "INSERT INTO audit_entry (at, action, target_type, detail, ip) "
                "VALUES ('2027-01-01', 'settings_changed', 'programme', '', '')"
            )
        )
    downgrade(engine, "0013")
    with engine.connect() as connection:
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(programme_settings)"))]
        assert "organisers_accept_own" not in columns
        assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == 0
    engine.dispose()
