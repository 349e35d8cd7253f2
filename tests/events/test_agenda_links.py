"""The workshop page links a breakout's title to its page (``/b/<code>``) for exactly those it lets in."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import log_in
from workshops.events.models import BreakoutFacilitator


@pytest.fixture
def agenda(app, db, facilitator):
    """A workshop of two breakouts: the facilitator runs the first; people hold seats in each."""
    workshop = factories.make_workshop(db, slug="antwerp", title="Antwerp workshop")
    ports = factories.make_breakout(db, workshop, title="Ports", hour=1, capacity=1)
    floods = factories.make_breakout(db, workshop, title="Floods", hour=3)
    db.add(BreakoutFacilitator(breakout_id=ports.id, user_id=facilitator.id))
    db.commit()
    seated = factories.make_attendee(app, db, floods, name="Sofie Seated", email="sofie@example.org")
    factories.make_attendee(app, db, ports, name="Piet Port", email="piet@example.org")
    waiting = factories.make_attendee(app, db, ports, name="Wim Waiting", email="wim@example.org")  # ports is full
    return {"workshop": workshop, "ports": ports, "floods": floods, "seated": seated, "waiting": waiting}


def _linked(client, workshop) -> set[str]:
    page = client.get(f"/workshops/{workshop.slug}/").get_data(as_text=True)
    return set(re.findall(r'<h3><a href="/b/(\w+)">', page))


def _client_of(app, request, who: str, agenda):
    if who == "anonymous":
        return app.test_client()
    if who in ("participant", "facilitator", "organiser"):
        return request.getfixturevalue(f"{who}_client")
    client = app.test_client()
    log_in(client, agenda[who])
    return client


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("organiser", {"ports", "floods"}),
        ("facilitator", {"ports"}),
        ("seated", {"floods"}),
        ("waiting", set()),
        ("participant", set()),
        ("anonymous", set()),
    ],
)
def test_titles_link_only_for_those_the_breakout_lets_in(app, request, agenda, who, expected):
    client = _client_of(app, request, who, agenda)

    linked = _linked(client, agenda["workshop"])

    assert linked == {agenda[name].code for name in expected}
    for name in ("ports", "floods"):  # the link agrees with the breakout page's own answer
        response = client.get(f"/b/{agenda[name].code}")
        assert (response.status_code == 200) == (agenda[name].code in linked), (who, name, response.status_code)


def test_unlinked_titles_stay_plain_text(participant_client, agenda):
    page = participant_client.get("/workshops/antwerp/").get_data(as_text=True)

    assert "<h3>Ports</h3>" in page and "<h3>Floods</h3>" in page
    assert f"/b/{agenda['ports'].code}" not in page


def test_a_cancelled_registration_no_longer_links(app, db, agenda):
    from workshops.events import registration as reg
    from workshops.events.queries import registration_of

    with app.test_request_context():
        registration = registration_of(db, agenda["workshop"], agenda["seated"])
        reg.cancel(session=db, registration=registration)
    client = app.test_client()
    log_in(client, agenda["seated"])

    assert _linked(client, agenda["workshop"]) == set()
