"""Internal needs never reach published text: drafts leave them out, publication refuses a call quoting one.

The corpus below is what people type in a breakout when they think nobody outside will read it:
markup, scripts, Markdown, accents, entities. Each text carries a code word (a bird) so that its
presence in any export can be seen whatever escaping the export applies.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import docx
import pytest
from sqlmodel import select

from tests import factories
from tests.calls.publishing import publish
from tests.conftest import log_in, post_form
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import OpenCall
from workshops.events.models import BreakoutFacilitator
from workshops.needs import disclosure
from workshops.needs.models import Need
from workshops.usecases.models import UseCase, UseCaseNeed

#: (title, statement, code word): what must never be published.
INTERNAL = [
    ("Kestrel radar gaps", "<script>alert('x')</script> Our radar gaps near the Kestrel quay are known to smugglers."),
    (
        "Falconridge failed",
        "Vendor **Falconridge** failed the acceptance test. [click](javascript:alert(1)) Never say so.",
    ),
    ("Tunnel codes", "Access codes\n# Osprey tunnel access codes are shared by e-mail\n\n> between shifts"),
    ("Grenzübergänge", "Überwachung der Grenzübergänge: die Zaunsensoren von Harrierwerk melden ständig Fehlalarme."),
    ("Cells & tables", "&amp; &lt;b&gt; {#attr} | table | the Merlinbay cells report 40 % packet loss at night."),
    ("Quotes", 'Plain "quotes" and \'apostrophes\' "><svg onload=alert(1)> Buzzardline passwords rotate once a year.'),
]
CODE_WORDS = ["Kestrel", "Falconridge", "Osprey", "Harrierwerk", "Merlinbay", "Buzzardline", "Peregrine"]


@pytest.fixture
def breakout(db):
    domain = factories.make_domain(db, name="Border security")
    workshop = factories.make_workshop(db, title="Vilnius 2021")
    return factories.make_breakout(db, workshop, title="Borders", domain_id=domain.id)


def _need(db, breakout, title, statement, **values) -> Need:
    need = Need(
        breakout_id=breakout.id,
        domain_id=breakout.domain_id,
        title=title,
        statement=statement,
        organisation=values.pop("organisation", "State Border Guard"),
        organisation_type="end_user",
        country="LT",
        **values,
    )
    db.add(need)
    db.commit()
    return need


@pytest.fixture
def public(db, breakout):
    return [
        _need(db, breakout, "Drones at the border", "We need to detect drones crossing the border at night."),
        _need(db, breakout, "Fence sensors", "We need fence sensors that do not ring for every deer."),
    ]


@pytest.fixture
def internal(db, breakout):
    return [
        _need(db, breakout, title, statement, sensitivity="internal", organisation="Peregrine Service")
        for title, statement in INTERNAL
    ]


class _Form(HTMLParser):
    """The values a browser would send for the use-case form, as the page pre-fills them."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in {"checkbox", "submit"}:
            self.values[name] = attributes.get("value") or ""
        elif tag == "input" and name and "checked" in attributes:
            self.values[name] = attributes.get("value") or "y"
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "option" and "selected" in attributes and self._select:
            self.values[self._select] = attributes.get("value") or ""
        if tag == "select":
            self._select = name
            self.values.setdefault(name, "")

    _select: str | None = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            value = self.values[self._textarea]  # a browser drops the newline that opens a textarea
            self.values[self._textarea] = (
                value.removeprefix("\r\n") if value.startswith("\r\n") else value.removeprefix("\n")
            )
            self._textarea = None


def _prefilled(page: str) -> dict[str, str]:
    form = _Form()
    form.feed(page)
    return form.values


def _draft(client, needs) -> tuple[str, str, dict[str, str]]:
    url = "/manage/use-cases/new?" + "&".join(f"need={n.id}" for n in needs)
    page = client.get(url).get_data(as_text=True)
    return url, page, _prefilled(page)


def _create(client, db, needs, title: str) -> UseCase:
    """Create the use case from its draft as the organiser would, keeping what the draft says."""
    url, _page, values = _draft(client, needs)
    values.update(title=title, save="Create the use case")
    response = post_form(client, "/manage/use-cases/new", values, form_url=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.rollback()  # end the session's read transaction: its snapshot predates the request
    use_case = db.exec(select(UseCase).where(UseCase.title == title)).one()
    use_case.state = "accepted"  # the review itself is not what is tested here
    db.add(use_case)
    db.commit()
    return use_case


def _call(client, db, slug: str, use_case: UseCase) -> OpenCall:
    values = {
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "timezone": "Europe/Vilnius",
        "opens_at": "2028-01-10T09:00",
        "closes_at": "2028-04-10T17:00",
        "introduction": "Welcome.",
        "eligibility": "SMEs.",
        "funding": "Up to €60,000.",
        "evaluation": "",
        "how_to_apply": "Apply online.",
    }
    assert post_form(client, "/manage/calls/new", values).status_code == 302
    db.rollback()
    call = db.exec(select(OpenCall).where(OpenCall.slug == slug)).one()
    url = f"/manage/calls/{call.id}"
    added = post_form(client, f"{url}/challenges", {"use_case_id": str(use_case.id)}, form_url=url)
    assert added.status_code == 302
    return call


def _text_of(fmt: str, data: bytes) -> str:
    if fmt != "docx":
        return data.decode()
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_draft_leaves_internal_needs_out_and_says_so(organiser_client, db, public, internal):
    _url, page, values = _draft(organiser_client, [*internal[:2], *public])
    drafted = "\n".join(values[name] for name in ("title", "summary", "owners", "body"))
    for word in CODE_WORDS:
        assert word not in drafted
    assert values["title"] in {"Drones at the border", "Fence sensors"}
    assert "We need to detect drones crossing the border at night." in values["summary"]
    assert "- Drones at the border (Vilnius 2021, Borders)" in values["body"]
    assert "2 of these needs are internal" in page and "their words are left out of the draft" in page
    assert page.count("internal: not quoted") == 2
    assert values["needs"] == ",".join(str(n.id) for n in [*internal[:2], *public])  # still linked


def test_a_draft_from_internal_needs_only_quotes_nothing(organiser_client, db, internal):
    _url, page, values = _draft(organiser_client, internal)
    assert values["title"] == values["summary"] == values["owners"] == ""
    for word in CODE_WORDS:
        assert word not in values["body"]
    assert "6 of these needs are internal" in page


def test_internal_needs_stay_out_of_every_export_of_a_call_drafted_from_them(
    app, organiser_client, db, public, internal
):
    use_case = _create(organiser_client, db, [*internal, *public], "Border drones")
    linked = set(db.exec(select(UseCaseNeed.need_id).where(UseCaseNeed.use_case_id == use_case.id)))
    assert linked == {n.id for n in [*internal, *public]}  # traceability keeps them for the organisers
    use_case.body = re.sub(r"(?m)^_.+_$", "Written by the organisers.", use_case.body)  # the template's guidance
    db.add(use_case)
    db.commit()
    call = _call(organiser_client, db, "open-call-9", use_case)
    url = f"/manage/calls/{call.id}"
    published = publish(organiser_client, call)
    assert published.status_code == 302
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "published"
    anonymous = app.test_client()
    read = {"public page": anonymous.get("/calls/open-call-9/").get_data(as_text=True)}
    for fmt in CALL_FORMATS:
        response = anonymous.get(f"/calls/open-call-9/export.{fmt}")
        assert response.status_code == 200, fmt
        read[f"call.{fmt}"] = _text_of(fmt, response.data)
    for fmt in REPORT_FORMATS:
        response = organiser_client.get(f"{url}/report.{fmt}")
        assert response.status_code == 200, fmt
        read[f"report.{fmt}"] = _text_of(fmt, response.data)
    for where, text in read.items():
        assert "Drones at the border" in text or "Border drones" in text, where  # the call is there
        for word in CODE_WORDS:
            assert word.casefold() not in text.casefold(), (where, word)
        for title, _statement in INTERNAL:
            assert title not in text, (where, title)


@pytest.mark.parametrize(
    ("pasted", "where"),
    [
        ("Our radar gaps near the KESTREL quay\nare known to smugglers", "body"),  # case and line breaks
        ("Vendor \\*\\*Falconridge\\*\\* failed the acceptance test.", "summary"),  # Markdown escapes
        ("die Zaunsensoren von Harrierwerk melden standig Fehlalarme", "body"),  # accents
    ],
)
def test_publication_refuses_a_call_that_quotes_an_internal_need(organiser_client, db, public, internal, pasted, where):
    use_case = _create(organiser_client, db, public, "Border drones")
    db.rollback()
    use_case = db.get(UseCase, use_case.id)
    setattr(use_case, where, f"{getattr(use_case, where)}\n\nAs we heard: {pasted}.")
    db.add(use_case)
    db.commit()
    call = _call(organiser_client, db, "open-call-9", use_case)
    url = f"/manage/calls/{call.id}"
    refused = post_form(organiser_client, f"{url}/publish", form_url=url, follow_redirects=True)
    page = refused.get_data(as_text=True)
    assert "quotes the internal need #" in page and "Internal needs are never published" in page
    assert re.search(r"The challenge “Border drones” quotes the internal need #\d+ “[^”]+”", page)
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "draft"
    assert organiser_client.get("/calls/open-call-9/").status_code == 404


def test_publication_refuses_a_call_introduction_that_quotes_an_internal_need(organiser_client, db, public, internal):
    call = _call(organiser_client, db, "open-call-9", _create(organiser_client, db, public, "Border drones"))
    db.rollback()  # the session's snapshot predates the requests
    call = db.get(OpenCall, call.id)
    call.introduction = "Welcome. Buzzardline passwords rotate once a year."
    db.add(call)
    db.commit()
    url = f"/manage/calls/{call.id}"
    page = post_form(organiser_client, f"{url}/publish", form_url=url, follow_redirects=True).get_data(as_text=True)
    assert re.search(r"The introduction quotes the internal need #\d+", page)
    db.rollback()
    assert db.get(OpenCall, call.id, populate_existing=True).state == "draft"


# --- The check itself ---------------------------------------------------------------------------


def _internal(statement: str, need_id: int = 1) -> disclosure.InternalText:
    return disclosure.InternalText(need_id, "Title", statement)


@pytest.mark.parametrize(
    "text",
    [
        "radar gaps near the kestrel quay",  # the whole statement, in other case
        "As said: *Radar* gaps near\nthe Kestrel quay!",  # emphasis, line break, punctuation
        "Radar gaps near the Késtrel quay",  # an accent
    ],
)
def test_a_statement_is_found_however_it_is_written(text):
    [found] = disclosure.quotations({"body": text}, [_internal("Radar gaps near the Kestrel quay.")])
    assert (found.need_id, found.where) == (1, "body")


def test_any_eight_words_of_a_long_statement_are_found():
    statement = "We lost two drones last week. The spare parts come from a supplier we do not trust at all."
    text = "Context: the spare parts come from a supplier we do not trust at all, they said."
    assert [q.where for q in disclosure.quotations({"intro": text}, [_internal(statement)])] == ["intro"]
    seven = "the spare parts come from a supplier"  # one word short of a quotation
    assert disclosure.quotations({"intro": seven}, [_internal(statement)]) == []


def test_short_statements_and_common_words_do_not_block_publication():
    internal = [_internal("Need radios.", 1), _internal("We lost two drones last week.", 2)]
    texts = {"body": "Need radios that work. We lost two drones in tests.", "other": "drones last week"}
    assert disclosure.quotations(texts, internal) == []
    # A word run is matched whole words only: "gaps near" does not match "gapsnear".
    assert (
        disclosure.quotations({"b": "radar gapsnear the kestrel quay"}, [_internal("Radar gaps near the Kestrel quay")])
        == []
    )


def test_each_text_quoting_a_need_is_named_once():
    need = _internal("Radar gaps near the Kestrel quay are known.")
    texts = {
        "a": "Radar gaps near the Kestrel quay are known.",
        "b": "nothing",
        "c": "radar gaps near the kestrel quay are known",
    }
    assert [q.where for q in disclosure.quotations(texts, [need])] == ["a", "c"]


def test_the_use_case_page_warns_before_any_call_is_refused(app, organiser_client, db, public, internal, facilitator):
    use_case = _create(organiser_client, db, public, "Border drones")
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "This text quotes" not in page
    db.rollback()
    use_case = db.get(UseCase, use_case.id)
    use_case.body += "\n\nThey told us the Merlinbay cells report 40 % packet loss at night."
    db.add(use_case)
    db.commit()
    page = organiser_client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "This text quotes an internal need</strong>:" in page
    assert f'href="/needs/{internal[4].id}">#{internal[4].id} “Cells &amp; tables”</a>' in page
    db.add(BreakoutFacilitator(breakout_id=internal[4].breakout_id, user_id=facilitator.id))
    db.commit()
    client = app.test_client()
    log_in(client, facilitator)
    shown = client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)
    assert "This text quotes an internal need</strong>." in shown and "Cells &amp; tables" not in shown
