"""The breakout page on a phone: the anchor bar, compact urgency and visibility, and voting from a similar need."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, log_in
from workshops.events import registration as reg
from workshops.events.models import BreakoutFacilitator
from workshops.needs import services as needs
from workshops.needs.models import SENSITIVITY_EXPLANATIONS, URGENCY_WORDS, Need, Vote
from workshops.timeutil import utcnow

JSON = {"Accept": "application/json"}
DRONES = {"title": "Drone detection over the terminal", "statement": "We need to detect drones over the terminal."}


@dataclass
class Node:
    """An element of a page, enough to ask what a browser and a screen reader would find."""

    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    def text(self) -> str:
        """The element's text, as a screen reader reads it (visually hidden parts included)."""
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag: str, **attributes) -> list[Node]:
        """The descendants of that tag whose attributes hold these values (``class_`` for a class)."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(_matches(child, name, value) for name, value in attributes.items()):
                    found.append(child)
                found.extend(child.find_all(tag, **attributes))
        return found

    def find(self, tag: str, **attributes) -> Node:
        """The one such descendant (the test fails when there are none or several)."""
        found = self.find_all(tag, **attributes)
        assert len(found) == 1, f"{len(found)} <{tag} {attributes}>"
        return found[0]


def _matches(node: Node, name: str, value) -> bool:
    if name == "class_":
        return value in node.attrs.get("class", "").split()
    return node.attrs.get(name) == value


class _Tree(HTMLParser):
    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "wbr", "source"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = Node("#document", {})
        self.open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value if value is not None else "" for name, value in attrs})
        self.open[-1].children.append(node)
        if tag not in self.VOID:
            self.open.append(node)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)


def page(html: str) -> Node:
    """A page's elements as a tree."""
    return _Tree(html).root


@pytest.fixture
def workshop(db):
    return factories.make_workshop(db, title="Marseille workshop")


@pytest.fixture
def breakout(db, workshop):
    return factories.make_breakout(db, workshop, title="Ports: drones and perimeter", capacity=20, hour=1)


@pytest.fixture
def other_breakout(db, workshop):
    """A later breakout of the same workshop, whose board its attendees see too."""
    return factories.make_breakout(db, workshop, title="Airports", capacity=20, hour=3)


@pytest.fixture
def lea(app, db, breakout, other_breakout):
    """An attendee of both breakouts: she may read the needs of both boards."""
    user = factories.make_user(db, name="Léa Martin", email="lea@example.fr", organisation="Port of Marseille")
    with app.app_context():
        reg.register(
            session=db,
            workshop=breakout.workshop,
            user=user,
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id, other_breakout.id)),
        )
    return user


@pytest.fixture
def lea_client(app, lea):
    client = app.test_client()
    log_in(client, lea)
    return client


@pytest.fixture
def tom(app, db, breakout, other_breakout):
    """Another attendee of both breakouts, who stated most needs."""
    user = factories.make_user(db, name="Tom Peeters", email="tom@example.be")
    with app.app_context():
        reg.register(
            session=db,
            workshop=breakout.workshop,
            user=user,
            choices=reg.Choices(mode="on_site", breakout_ids=(breakout.id, other_breakout.id)),
        )
    return user


def _log(app, db, breakout, author, title, statement, **changes) -> Need:
    values = needs.NeedInput(title=title, statement=statement, **changes)
    with app.app_context():
        return needs.log_need(session=db, breakout=breakout, values=values, author=author)[0]


@pytest.fixture
def drone_needs(app, db, breakout, other_breakout, lea, tom) -> dict[str, Need]:
    """Needs like the one Léa is typing: Tom's and her own on this board, Tom's on the other board."""
    return {
        "theirs": _log(app, db, breakout, tom, "Detecting drones over the port", "We need to detect drones at night."),
        "own": _log(app, db, breakout, lea, "Drone alerts for the port police", "We need drone alerts for the police."),
        "elsewhere": _log(
            app, db, other_breakout, tom, "Drone detection at the airport", "We need to detect drones over runways."
        ),
    }


def _similar(client, breakout) -> dict:
    response = client.get(f"/b/{breakout.code}/similar", query_string=DRONES)
    assert response.status_code == 200
    return response.json


def _by_title(answer: dict) -> dict[str, dict]:
    return {suggestion["title"]: suggestion for suggestion in answer["suggestions"]}


def test_the_anchor_bar_leads_to_the_form_and_to_the_board_with_its_count(lea_client, breakout, drone_needs):
    body = page(lea_client.get(f"/b/{breakout.code}").get_data(as_text=True))
    bar = body.find("nav", class_="breakout-jump")
    assert bar.attrs["aria-label"] == "On this page"
    links = {link.attrs["href"]: " ".join(link.text().split()) for link in bar.find_all("a")}
    assert links == {"#log-title": "Log a need", "#board-title": "The board (2 needs)"}  # the count: this board's
    assert body.find("h2", id="log-title").text() == "Log a need"
    assert body.find("h2", id="board-title")  # where the second anchor lands
    # The bar comes before the form, so that both are within the first screen of a phone.
    order = [node.attrs.get("id") or node.tag for node in body.find_all("nav") + body.find_all("form")]
    assert order.index("nav") < order.index("form")


def test_without_a_board_to_see_there_is_no_bar(app, db, breakout, lea_client):
    breakout.board_visibility = "facilitators"
    db.add(breakout)
    db.commit()
    body = page(lea_client.get(f"/b/{breakout.code}").get_data(as_text=True))
    assert body.find_all("nav", class_="breakout-jump") == []
    assert body.find_all("h2", id="board-title") == []


def _compact(body: Node, name: str) -> Node:
    return next(f for f in body.find_all("fieldset", class_="compact-choices") if f.find_all("input", name=name))


def test_urgency_is_a_row_of_five_small_buttons_whose_labels_keep_the_words(lea_client, breakout):
    body = page(lea_client.get(f"/b/{breakout.code}").get_data(as_text=True))
    urgency = _compact(body, "urgency")
    assert urgency.find("legend").text() == "Urgency"
    radios = urgency.find_all("input", name="urgency")
    assert [r.attrs["type"] for r in radios] == ["radio"] * 5
    assert [r.attrs["id"] for r in radios] == [f"urgency-{i}" for i in range(5)]  # the error summary links here
    for level, radio in enumerate(radios, start=1):
        label = urgency.find("label", **{"for": radio.attrs["id"]})
        hidden = label.find("span", class_="visually-hidden")
        # On screen the number; for a screen reader the whole choice, as the form always said it.
        assert label.text().replace(hidden.text(), "").strip() == str(level)
        assert label.text() == f"{level} · {URGENCY_WORDS[level]}"
    assert [("checked" in r.attrs) for r in radios] == [False, False, True, False, False]  # 3 by default
    # The chosen option's words are shown under the row (by CSS: each option's words follow its label).
    words = urgency.find_all("span", class_="compact-words")
    assert [w.text() for w in words] == [f"{level} · {URGENCY_WORDS[level]}" for level in range(1, 6)]
    assert all(w.attrs["aria-hidden"] == "true" for w in words)  # already in the labels: not read twice


def test_visibility_is_three_small_buttons_named_by_their_first_word(lea_client, breakout):
    body = page(lea_client.get(f"/b/{breakout.code}").get_data(as_text=True))
    sensitivity = _compact(body, "sensitivity")
    assert sensitivity.find("legend").text() == "Who may see and quote it"
    shown = []
    for radio in sensitivity.find_all("input", name="sensitivity"):
        label = sensitivity.find("label", **{"for": radio.attrs["id"]})
        hidden = label.find("span", class_="visually-hidden")
        shown.append((radio.attrs["value"], label.text().replace(hidden.text(), "").strip(), label.text()))
    assert shown == [
        ("public", "Public", SENSITIVITY_EXPLANATIONS["public"]),
        ("anonymous", "Anonymous", SENSITIVITY_EXPLANATIONS["anonymous"]),
        ("internal", "Internal", SENSITIVITY_EXPLANATIONS["internal"]),
    ]


def test_other_radio_fields_of_the_site_keep_their_big_choices(app, db, breakout, facilitator, facilitator_client):
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    body = page(facilitator_client.get(f"/manage/breakouts/{breakout.id}/capture").get_data(as_text=True))
    assert _compact(body, "urgency")  # the console's need form is the same form
    settings = next(f for f in body.find_all("fieldset") if f.find_all("input", name="board_visibility"))
    assert "compact-choices" not in settings.attrs["class"]
    assert settings.find("ul", class_="choices")


def test_a_refused_urgency_is_said_next_to_the_row_and_nothing_typed_is_lost(lea_client, breakout):
    data = {**DRONES, "urgency": "9", "sensitivity": "anonymous", "organisation_type": "end_user"}
    response = lea_client.post(
        f"/b/{breakout.code}", data={**data, "csrf_token": csrf_token(lea_client, f"/b/{breakout.code}")}
    )
    assert response.status_code == 200
    body = page(response.get_data(as_text=True))
    urgency = _compact(body, "urgency")
    assert "has-error" in urgency.attrs["class"]
    assert "urgency-error" in urgency.attrs["aria-describedby"].split()  # read with the group's name
    assert urgency.find("p", id="urgency-error").text().strip()
    assert all(r.attrs.get("aria-invalid") == "true" for r in urgency.find_all("input", name="urgency"))
    summary = body.find("div", class_="error-summary")
    assert [a.attrs["href"] for a in summary.find_all("a")] == ["#urgency-0"]
    assert body.find("input", id="title").attrs["value"] == DRONES["title"]
    assert [r.attrs["value"] for r in _compact(body, "sensitivity").find_all("input") if "checked" in r.attrs] == [
        "anonymous"
    ]


def test_the_similar_needs_say_which_ones_take_a_vote(lea_client, breakout, drone_needs):
    answer = _similar(lea_client, breakout)
    found = _by_title(answer)
    assert set(found) == {need.title for need in drone_needs.values()}
    theirs, own, elsewhere = (found[drone_needs[k].title] for k in ("theirs", "own", "elsewhere"))
    assert (theirs["votable"], theirs["vote_url"]) == (True, f"/needs/{drone_needs['theirs'].id}/vote")
    assert (own["votable"], own["vote_url"], own["mine"]) == (False, None, True)  # no vote "instead" of one's own
    assert (elsewhere["votable"], elsewhere["vote_url"], elsewhere["same_board"]) == (False, None, False)
    assert elsewhere["where"] == "Airports · Marseille workshop"  # "open it" instead
    for suggestion in found.values():  # the keys the form used before are all still there
        assert {"id", "title", "statement", "where", "same_board", "url"} <= set(suggestion)
        assert suggestion["voted"] is False
    assert answer["votes_left"] == breakout.votes_per_person


def test_dismissed_needs_and_closed_breakouts_take_no_vote(app, db, breakout, lea_client, drone_needs):
    with app.app_context():
        needs.dismiss_need(session=db, need=drone_needs["theirs"], reason="Said twice.")
    assert drone_needs["theirs"].title not in _by_title(_similar(lea_client, breakout))  # no longer suggested
    second = _log(app, db, breakout, factories.make_user(db), "Drone detection at night", "We need drone detection.")
    assert _by_title(_similar(lea_client, breakout))[second.title]["votable"] is True
    breakout.locked_at = utcnow()
    db.add(breakout)
    db.commit()
    assert _by_title(_similar(lea_client, breakout))[second.title]["votable"] is False


def _vote_as_the_script_does(client, breakout, url: str):
    """POST to the suggestion's vote URL with the page's CSRF token in the header, asking for JSON."""
    token = csrf_token(client, f"/b/{breakout.code}")
    return client.post(url, headers={**JSON, "X-CSRFToken": token})


def test_voting_from_a_suggestion_goes_through_the_vote_route(app, db, breakout, lea, lea_client, drone_needs):
    theirs = _by_title(_similar(lea_client, breakout))[drone_needs["theirs"].title]
    response = _vote_as_the_script_does(lea_client, breakout, theirs["vote_url"])
    assert response.status_code == 204
    votes = db.exec(select(Vote).where(Vote.user_id == lea.id)).all()
    assert [(v.need_id, v.breakout_id) for v in votes] == [(drone_needs["theirs"].id, breakout.id)]
    again = _similar(lea_client, breakout)
    assert _by_title(again)[drone_needs["theirs"].title]["voted"] is True
    assert again["votes_left"] == breakout.votes_per_person - 1
    board = lea_client.get(f"/b/{breakout.code}/board").get_data(as_text=True)
    assert "Take back" in board  # the board shows the vote as the person's


def test_a_vote_from_a_suggestion_respects_the_vote_limit(app, db, breakout, lea, lea_client, drone_needs, tom):
    breakout.votes_per_person = 1
    db.add(breakout)
    db.commit()
    first = _log(app, db, breakout, tom, "Drone sightings log", "We need a shared log of drone sightings.")
    suggestions = _by_title(_similar(lea_client, breakout))
    assert _vote_as_the_script_does(lea_client, breakout, suggestions[first.title]["vote_url"]).status_code == 204
    assert _similar(lea_client, breakout)["votes_left"] == 0
    refused = _vote_as_the_script_does(lea_client, breakout, suggestions[drone_needs["theirs"].title]["vote_url"])
    assert refused.status_code == 422
    assert "take it back to vote here" in refused.json["error"]
    db.expire_all()
    assert [v.need_id for v in db.exec(select(Vote).where(Vote.user_id == lea.id))] == [first.id]


def test_a_vote_without_the_csrf_token_is_refused_and_counts_nothing(db, breakout, lea, lea_client, drone_needs):
    theirs = _by_title(_similar(lea_client, breakout))[drone_needs["theirs"].title]
    assert lea_client.post(theirs["vote_url"], headers=JSON).status_code == 400
    stranger = lea_client.application.test_client()  # another session's token is no token
    assert lea_client.post(theirs["vote_url"], headers={**JSON, "X-CSRFToken": csrf_token(stranger)}).status_code == 400
    assert db.exec(select(Vote)).all() == []


def test_a_need_of_a_board_the_person_does_not_attend_takes_no_vote(app, db, workshop, lea_client, tom):
    elsewhere = factories.make_breakout(db, workshop, title="Stadiums", capacity=20, hour=5)
    factories.make_attendee(app, db, elsewhere, email="sam@example.org")
    need = _log(app, db, elsewhere, tom, "Drones over the stadium", "We need to detect drones over the stands.")
    assert _vote_as_the_script_does(lea_client, elsewhere, f"/needs/{need.id}/vote").status_code == 404
    assert db.exec(select(Vote)).all() == []


def test_only_the_attendees_page_offers_votes_among_similar_needs(
    db, breakout, lea_client, facilitator, facilitator_client
):
    """The console types for a speaker: a vote from there would be the facilitator's, not theirs."""
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    attendee = page(lea_client.get(f"/b/{breakout.code}").get_data(as_text=True))
    assert attendee.find("section", class_="capture-form").attrs.get("data-similar-votes") == ""
    console = page(facilitator_client.get(f"/manage/breakouts/{breakout.id}/capture").get_data(as_text=True))
    assert all("data-similar-votes" not in s.attrs for s in console.find_all("section"))
