"""Publishing a call tells each contributor once, naming their challenges, and a failed mail undoes nothing."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from sqlmodel import select

from tests import factories
from tests.calls.publishing import publish
from workshops.calls import notifications
from workshops.calls.models import OpenCall
from workshops.events import consents
from workshops.needs import merging
from workshops.needs import services as needs
from workshops.needs.models import Need
from workshops.privacy.models import ConsentKind
from workshops.usecases.models import UseCase, UseCaseNeed

PUBLIC_URL = "http://workshops.test/calls/open-call-2/"


@pytest.fixture
def ctx(app):
    """The call is built in an application context that the ``call`` fixture then closes."""
    with app.app_context() as context:
        yield context


@pytest.fixture
def call(ctx, call_text):
    """The draft "Open Call 2": 1.1 "Drones over *ports*" fed by three people's needs, 2.1 "Flood sensors" by none.

    No application context stays open around the test's requests (each gets its own, as in production).
    """
    ctx.pop()
    yield call_text.call
    ctx.push()


@pytest.fixture
def drones_authors(db, call_text) -> list:
    """The three people whose needs (public, anonymous, internal) feed challenge 1.1."""
    use_case_id = call_text.groups[0].challenges[0].challenge.use_case_id
    stated = db.exec(
        select(Need).join(UseCaseNeed, UseCaseNeed.need_id == Need.id).where(UseCaseNeed.use_case_id == use_case_id)
    ).all()
    return [need.stated_by for need in sorted(stated, key=lambda n: n.id)]


def _need(app, db, breakout, author, title: str) -> Need:
    with app.app_context():
        values = needs.NeedInput(title=title, statement="We need it.", organisation=author.organisation)
        need, _ = needs.log_need(session=db, breakout=breakout, values=values, author=author)
    return need


def _merge(app, db, originals: list[Need], author) -> Need:
    with app.app_context():
        fresh = [db.get(Need, n.id, populate_existing=True) for n in originals]
        return merging.merge_needs(session=db, originals=fresh, values=merging.merged_values(fresh), author=author)


def _want_updates(app, db, *people) -> None:
    """The people asked to be told what became of their needs (the e-mail is opt-in)."""
    with app.app_context():
        for person in people:
            consents.give(session=db, user=person, kind=ConsentKind.updates, notice_version=1)


def _by_recipient(messages) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in messages:
        found.setdefault(message["To"], []).append(message)
    return found


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _publish(client, call: OpenCall):
    return publish(client, call)


def test_each_contributor_gets_one_mail_naming_all_their_challenges(
    app, db, call, call_text, drones_authors, organiser_client, facilitator, outbox
):
    lisbon, antwerp, police = drones_authors
    floods = db.get(UseCase, call_text.groups[1].challenges[0].challenge.use_case_id)
    breakout = db.exec(select(Need)).first().breakout
    merger = factories.make_user(db, name="Mia Merged", email="mia@example.org")
    deep = factories.make_user(db, name="Dee Deep", email="dee@example.org")
    idle = factories.make_user(db, name="Ida Idle", email="ida@example.org")
    unconfirmed = factories.make_user(db, name="Una Unconfirmed", email="una@example.org", confirmed=False)
    silent = factories.make_user(db, name="Sid Silent", email="sid@example.org")
    _want_updates(app, db, *drones_authors, merger, deep, idle, unconfirmed)

    # Lisbon's second need and Mia's are merged; Dee's need is merged into a need that is merged in turn.
    # The final need feeds "Flood sensors": all three authors feed it, through the merges.
    sensors, gauges = _need(app, db, breakout, lisbon, "Sensors"), _need(app, db, breakout, merger, "Gauges")
    first = _merge(app, db, [sensors, gauges], facilitator)
    second = _merge(app, db, [first, _need(app, db, breakout, deep, "River levels")], facilitator)
    _need(app, db, breakout, idle, "Something nobody used")
    unconfirmed_need = _need(app, db, breakout, unconfirmed, "Unconfirmed")
    silent_need = _need(app, db, breakout, silent, "Never asked to be told")
    db.add_all(
        [
            UseCaseNeed(use_case_id=floods.id, need_id=second.id),
            UseCaseNeed(use_case_id=floods.id, need_id=unconfirmed_need.id),
            UseCaseNeed(use_case_id=floods.id, need_id=silent_need.id),
        ]
    )
    db.commit()
    before = len(outbox())

    response = _publish(organiser_client, call)

    assert response.status_code == 302
    sent = outbox()[before:]
    recipients = _by_recipient(sent)
    expected = {lisbon.email, antwerp.email, police.email, merger.email, deep.email}
    assert set(recipients) == expected  # nobody whose needs feed nothing, nobody unconfirmed, nobody unasked
    assert Counter(m["To"] for m in sent) == dict.fromkeys(expected, 1)  # one message each
    both = _text(recipients[lisbon.email][0])
    assert "- Challenge 1.1: Drones over *ports*" in both and "- Challenge 2.1: Flood sensors" in both
    assert "these challenges" in both and PUBLIC_URL in both
    assert recipients[lisbon.email][0]["Subject"] == "Open Call 2 is published, with challenges from your needs"
    for email in (merger.email, deep.email):
        text = _text(recipients[email][0])
        assert "Challenge 2.1: Flood sensors" in text and "Challenge 1.1" not in text
    only_drones = _text(recipients[police.email][0])  # an internal need: its author is told, and only them
    assert "Challenge 1.1: Drones over *ports*" in only_drones and "Flood sensors" not in only_drones
    assert recipients[police.email][0]["Subject"] == "Open Call 2 is published, with a challenge from your needs"
    html = recipients[antwerp.email][0].get_body(("html",)).get_content()
    assert "<li>Challenge 1.1: Drones over *ports*</li>" in html and f'href="{PUBLIC_URL}"' in html
    page = organiser_client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    assert "5 contributors were told." in page


def test_a_failed_mail_is_logged_and_undoes_nothing(
    app, db, call, drones_authors, organiser_client, outbox, monkeypatch, caplog
):
    _want_updates(app, db, *drones_authors)
    failing = drones_authors[1].email
    real = notifications.send_mail

    def send(*, to, **kwargs):
        if to == failing:
            raise OSError("the mail server hung up")
        return real(to=to, **kwargs)

    monkeypatch.setattr(notifications, "send_mail", send)
    before = len(outbox())
    with caplog.at_level(logging.ERROR, logger="workshops.calls.notifications"):
        response = _publish(organiser_client, call)
    assert response.status_code == 302
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "published"
    assert sorted(m["To"] for m in outbox()[before:]) == sorted(p.email for p in drones_authors if p.email != failing)
    assert "could not tell account" in caplog.text
    assert "2 contributors were told." in organiser_client.get(f"/manage/calls/{call.id}").get_data(as_text=True)


def test_a_refused_publication_sends_nothing(app, db, call, call_text, organiser_client, outbox):
    floods = db.get(UseCase, call_text.groups[1].challenges[0].challenge.use_case_id)
    floods.state = "rejected"
    db.add(floods)
    db.commit()
    before = len(outbox())
    _publish(organiser_client, call)
    assert outbox()[before:] == []
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "draft"


def test_only_contributors_with_a_current_updates_consent_are_told(
    app, db, call, drones_authors, organiser_client, outbox
):
    asked, withdrew, never = drones_authors
    _want_updates(app, db, asked, withdrew)
    with app.app_context():
        consents.withdraw(session=db, user=withdrew, kind=ConsentKind.updates)
    before = len(outbox())

    _publish(organiser_client, call)

    assert [m["To"] for m in outbox()[before:]] == [asked.email]
    assert never.email not in {m["To"] for m in outbox()}
    assert "1 contributor was told." in organiser_client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
