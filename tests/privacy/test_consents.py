"""Consents: boxes start unticked, each consent is logged with the notice's version, withdrawing is one step."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests import factories
from tests.calls.conftest import _build as build_call
from tests.conftest import log_in, post_form
from workshops.calls import report
from workshops.events import consents
from workshops.events import registration as reg
from workshops.events.models import Registration
from workshops.privacy.models import Consent, PrivacyNotice


@pytest.fixture
def workshop(db):
    """An open workshop."""
    return factories.make_workshop(db, slug="port-of-antwerp", title="Port of Antwerp")


def _consents(db, user) -> list[tuple[str, int | None, int, bool]]:
    db.rollback()
    rows = db.exec(select(Consent).where(Consent.user_id == user.id).order_by(Consent.id)).all()
    return [(c.kind, c.registration_id, c.notice_version, c.withdrawn_at is not None) for c in rows]


def _my_data_form(client, url: str, data: dict):
    return post_form(client, url, data, form_url="/me/data")


def test_every_consent_box_on_the_registration_form_starts_unticked(participant_client, workshop):
    page = participant_client.get(f"/workshops/{workshop.slug}/register").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="consent_[a-z]+"[^>]*>', page)
    names = {re.search(r'name="(consent_[a-z]+)"', box).group(1) for box in boxes}
    assert names == {"consent_processing", "consent_listing", "consent_updates"}
    assert not any("checked" in box for box in boxes)
    assert "E-mail me when my needs feed a use case or an open call (optional)." in page


def test_registering_logs_processing_and_the_ticked_consents_with_the_notice_version(
    participant_client, participant, db, workshop
):
    db.add(PrivacyNotice(version=2, body="Version two."))
    db.commit()
    response = post_form(
        participant_client,
        f"/workshops/{workshop.slug}/register",
        {"mode": "on_site", "consent_processing": "y", "consent_listing": "y", "consent_updates": "y"},
    )
    assert response.status_code == 302
    registration = db.exec(select(Registration)).one()
    assert _consents(db, participant) == [
        ("processing", registration.id, 2, False),
        ("listing", registration.id, 2, False),
        ("updates", None, 2, False),
    ]
    assert registration.consent_listing_at is not None


def test_registering_without_the_optional_boxes_logs_processing_only(participant_client, participant, db, workshop):
    post_form(
        participant_client, f"/workshops/{workshop.slug}/register", {"mode": "on_site", "consent_processing": "y"}
    )
    registration = db.exec(select(Registration)).one()
    assert _consents(db, participant) == [("processing", registration.id, 1, False)]
    assert registration.consent_listing_at is None


def test_withdrawing_the_listing_takes_the_organisation_off_the_list_at_once_and_stamps_the_log(app, db):
    with app.app_context():
        call_text = build_call(db)
    lisbon = db.exec(select(Registration).order_by(Registration.id)).first()
    person = lisbon.user
    client = app.test_client()
    log_in(client, person)

    def listed() -> list[str]:
        db.rollback()
        [part] = report.build(db, call_text).workshops
        page = app.test_client().get(f"/workshops/{lisbon.workshop.slug}/").get_data(as_text=True)
        on_the_public_page = "Organisations taking part" in page and "<li>Port of Lisbon</li>" in page
        assert on_the_public_page == (part.listed == ["Port of Lisbon"])  # the public page and the report agree
        return part.listed

    assert listed() == []
    # Given in one step from "My data", under the current notice.
    response = _my_data_form(client, "/me/consents/give", {"kind": "listing", "registration_id": lisbon.id})
    assert response.status_code == 302 and response.location.endswith("/me/data#consents")
    assert listed() == ["Port of Lisbon"]
    assert "Organisations that agreed to be listed: Port of Lisbon" in report.markdown(report.build(db, call_text))
    assert _consents(db, person)[-1] == ("listing", lisbon.id, 1, False)

    # Withdrawn in one step from the registration's page: gone from the list, the log stamped.
    response = post_form(client, f"/me/registrations/{lisbon.id}/listing", form_url=f"/me/registrations/{lisbon.id}")
    assert response.status_code == 302
    assert listed() == []
    assert "Organisations that agreed to be listed" not in report.markdown(report.build(db, call_text))
    assert _consents(db, person)[-1] == ("listing", lisbon.id, 1, True)

    # Given again (a new row with the current notice), then withdrawn from "My data" by the consent's id.
    db.add(PrivacyNotice(version=2, body="Version two."))
    db.commit()
    _my_data_form(client, "/me/consents/give", {"kind": "listing", "registration_id": lisbon.id})
    assert listed() == ["Port of Lisbon"]
    newest = db.exec(select(Consent).where(Consent.kind == "listing").order_by(Consent.id.desc())).first()
    assert (newest.notice_version, newest.withdrawn_at) == (2, None)
    _my_data_form(client, "/me/consents/withdraw", {"consent_id": newest.id})
    assert listed() == []
    assert [row[3] for row in _consents(db, person) if row[0] == "listing"] == [True, True]


def test_the_updates_consent_is_given_and_withdrawn_in_one_step(participant_client, participant, db, app):
    page = participant_client.get("/me/data").get_data(as_text=True)
    assert "We do not e-mail you when your needs feed a use case or an open call." in page
    response = _my_data_form(participant_client, "/me/consents/give", {"kind": "updates"})
    assert response.status_code == 302
    with app.app_context():
        assert consents.current_updates(db, participant) is not None
    page = participant_client.get("/me/data").get_data(as_text=True)
    assert "We will e-mail you when your needs feed a use case or an open call." in page  # the flash
    assert "Stop these e-mails" in page
    # Giving it again while current adds nothing.
    _my_data_form(participant_client, "/me/consents/give", {"kind": "updates"})
    assert _consents(db, participant) == [("updates", None, 1, False)]
    _my_data_form(participant_client, "/me/consents/withdraw", {"kind": "updates"})
    assert _consents(db, participant) == [("updates", None, 1, True)]
    with app.app_context():
        assert consents.current_updates(db, participant) is None
    assert "E-mail me about my needs" in participant_client.get("/me/data").get_data(as_text=True)


def test_the_processing_consent_is_not_withdrawn_on_its_own(participant_client, participant, db, workshop, app):
    with app.app_context():
        reg.register(session=db, workshop=workshop, user=participant, choices=reg.Choices(mode="on_site"))
    processing = db.exec(select(Consent).where(Consent.kind == "processing")).one()
    page = participant_client.get("/me/data").get_data(as_text=True)
    assert "Required: ends with the registration or with your account." in page
    response = _my_data_form(participant_client, "/me/consents/withdraw", {"consent_id": processing.id})
    assert response.status_code == 302
    assert "This consent ends with the registration, or with the account." in participant_client.get(
        "/me/data"
    ).get_data(as_text=True)
    assert _consents(db, participant)[0][3] is False


def test_another_persons_consent_or_registration_answers_404(participant_client, db, workshop, app):
    other = factories.make_user(db)
    with app.app_context():
        outcome = reg.register(
            session=db, workshop=workshop, user=other, choices=reg.Choices(mode="on_site", consent_listing=True)
        )
        consents.give(session=db, user=other, kind="updates", notice_version=1)
    theirs = db.exec(select(Consent).where(Consent.user_id == other.id, Consent.kind == "listing")).one()
    updates = db.exec(select(Consent).where(Consent.user_id == other.id, Consent.kind == "updates")).one()
    registration_id = outcome.registration.id
    for url, data in (
        ("/me/consents/withdraw", {"consent_id": theirs.id}),
        ("/me/consents/withdraw", {"consent_id": updates.id}),
        ("/me/consents/withdraw", {"consent_id": 99999}),
        ("/me/consents/withdraw", {"kind": "listing", "registration_id": registration_id}),
        ("/me/consents/give", {"kind": "listing", "registration_id": registration_id}),
    ):
        assert _my_data_form(participant_client, url, data).status_code == 404, (url, data)
    assert all(withdrawn is False for *_rest, withdrawn in _consents(db, other))
    db.rollback()
    assert db.get(Registration, registration_id).consent_listing_at is not None


def test_an_unknown_kind_or_a_missing_token_is_refused(participant_client):
    assert _my_data_form(participant_client, "/me/consents/give", {"kind": "processing"}).status_code == 400
    assert _my_data_form(participant_client, "/me/consents/give", {"kind": "spam"}).status_code == 400
    assert participant_client.post("/me/consents/give", data={"kind": "updates"}).status_code == 400


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/me/data"),
        ("post", "/me/data.json"),
        ("post", "/me/consents/give"),
        ("post", "/me/consents/withdraw"),
    ],
)
def test_anonymous_people_are_sent_to_log_in(client, method, url):
    response = client.get(url) if method == "get" else post_form(client, url, form_url="/login")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
