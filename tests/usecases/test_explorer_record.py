"""The explorer keeps the record straight (issue 14).

Where ticked needs may go, what "Create" does with none ticked, merged needs counted once under the
need they were merged into, and the filters in force shown as chips that each remove one filter.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlmodel import func, select

from tests import factories
from tests.conftest import post_form
from workshops.events.models import BreakoutFacilitator
from workshops.needs import erasure, merging, provenance
from workshops.needs.models import Need
from workshops.timeutil import utcnow
from workshops.usecases import rules
from workshops.usecases.explorer import Filters, active_filters, cleared, explore, facets
from workshops.usecases.explorer.filters import MAX_QUERY_STRING
from workshops.usecases.models import UseCase, UseCaseNeed, UseCaseState

# --- Data ------------------------------------------------------------------------------------------


def _need(db, breakout, title: str, **fields) -> Need:
    values = {
        "statement": f"We need {title.lower()}.",
        "organisation": "Port of Aarhus",
        "organisation_type": "end_user",
        "country": "DK",
        **fields,
    }
    need = Need(breakout_id=breakout.id, title=title, **values)
    db.add(need)
    db.commit()
    return need


@pytest.fixture
def harbour(db):
    """One workshop, one breakout, four open needs: two from Denmark, one from France, one from Lithuania."""
    workshop = factories.make_workshop(db, title="Aarhus workshop")
    breakout = factories.make_breakout(db, workshop, title="Harbour")
    needs = {
        "quay": _need(db, breakout, "Drones over the quay", country="DK", urgency=5),
        "gate": _need(db, breakout, "Drones at the gate", country="DK", urgency=4),
        "fence": _need(db, breakout, "Fence sensors", country="FR", urgency=3, organisation="Port of Marseille"),
        "border": _need(db, breakout, "Border cameras", country="LT", urgency=2, organisation="State Border Guard"),
    }
    return workshop, breakout, needs


def _merge(db, author, *originals: Need, title: str) -> Need:
    values = merging.merged_values(list(originals))
    values.title = title
    return merging.merge_needs(session=db, originals=list(originals), values=values, author=author)


def _page(client, **args) -> str:
    response = client.get("/manage/needs", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _synthesis_form(page: str) -> str:
    start = page.index('<form id="synthesis-form"')
    return page[start : page.index("</form>", start)]


def _button(form: str, text: str) -> str:
    return next(tag for tag, label in re.findall(r"(<button [^>]*>)([^<]*)</button>", form) if label == text)


def _text(fragment: str) -> str:
    """What a screen reader reads of a fragment: its text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


# --- a. "Add to use case" -----------------------------------------------------------------------------


def test_add_to_use_case_starts_with_no_use_case_chosen(db, harbour, organiser_client):
    db.add_all([UseCase(title="Accepted port drones", state="accepted"), UseCase(title="Drafted gates")])
    db.commit()

    form = _synthesis_form(_page(organiser_client))

    select_tag = re.search(r'<select id="use_case_id" name="use_case_id"[^>]*>', form).group(0)
    assert "required" in select_tag  # the browser asks for a choice before "Add" sends anything
    options = re.findall(r"<option ([^>]*)>([^<]*)</option>", form)
    assert options[0] == ('value=""', "Choose a use case…")
    assert not any("selected" in attributes for attributes, _ in options)
    # Only "Add" needs a use case: the other two buttons skip the browser's check of the list.
    assert "formnovalidate" in _button(form, "Create use case from these")
    assert "formnovalidate" in _button(form, "Merge these")
    assert "formnovalidate" not in _button(form, "Add to use case")


def test_use_cases_are_offered_by_state_the_latest_edited_first_reviewed_ones_marked(db, harbour, organiser_client):
    now = utcnow()
    older = UseCase(title="Older draft", updated_at=now - timedelta(days=3))
    newer = UseCase(title="Newer draft", updated_at=now - timedelta(days=1))
    review = UseCase(title="Under review", state="in_review", updated_at=now)
    accepted = UseCase(title="Accepted already", state="accepted", updated_at=now)
    gone = UseCase(title="Deleted one", deleted_at=now)
    db.add_all([older, newer, review, accepted, gone])
    db.commit()

    form = _synthesis_form(_page(organiser_client))

    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', form, re.S)
    offered = [(label, re.findall(r">([^<]+)</option>", body)) for label, body in groups]
    assert offered == [
        ("Drafts", ["Newer draft (draft)", "Older draft (draft)"]),
        ("In review", ["Under review (in review)"]),
        ("Accepted: adding needs changes a reviewed use case", ["Accepted already (accepted)"]),
    ]
    assert "Deleted one" not in form


@pytest.mark.parametrize("role", ["facilitator", "organiser"])
def test_the_use_cases_offered_are_exactly_those_the_rules_let_the_person_edit(request, db, harbour, role):
    person = request.getfixturevalue(role)
    client = request.getfixturevalue(f"{role}_client")
    db.add(BreakoutFacilitator(breakout_id=harbour[1].id, user_id=person.id))  # so that they have needs to tick
    use_cases = [UseCase(title=f"Use case {state}", state=state) for state in UseCaseState]
    db.add_all(use_cases)
    db.commit()

    form = _synthesis_form(_page(client))

    for use_case in use_cases:
        assert (f'<option value="{use_case.id}">' in form) == rules.may_edit(person, use_case), use_case.state
    if role == "facilitator":
        assert "accepted" not in form  # a facilitator may not edit an accepted use case: it is not offered


def test_an_add_without_a_use_case_chosen_links_nothing(db, harbour, organiser_client):
    _, _, needs = harbour
    draft = UseCase(title="A draft")
    db.add(draft)
    db.commit()

    response = post_form(
        organiser_client,
        "/manage/use-cases/add-needs",
        {"use_case_id": "", "need": [needs["quay"].id]},
        form_url="/manage/needs",
    )

    assert response.status_code == 302
    assert db.exec(select(func.count()).select_from(UseCaseNeed)).one() == 0


# --- b. "Create use case from these" with nothing ticked ---------------------------------------------


def test_create_with_nothing_ticked_is_refused_with_the_reason_and_the_filters_kept(db, harbour, organiser_client):
    before = db.exec(select(func.count()).select_from(UseCase)).one()
    carried = urlencode({"country": ["DK"], "q": "drones", "sort": "votes"}, doseq=True)

    response = organiser_client.get("/manage/needs/create", query_string={"filters": carried, "use_case_id": ""})

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/manage/needs"
    assert parse_qs(location.query) == {"country": ["DK"], "q": ["drones"], "sort": ["votes"]}
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tick at least one need to create a use case from it." in page
    assert re.search(r'<p class="flash flash-error" role="alert">Tick at least one need', page)
    assert 'value="drones"' in page  # the search box as it was
    assert db.exec(select(func.count()).select_from(UseCase)).one() == before


def test_create_with_needs_ticked_opens_the_new_use_case_with_them_only(db, harbour, organiser_client):
    _, _, needs = harbour
    ids = [needs["gate"].id, needs["quay"].id]

    response = organiser_client.get(
        "/manage/needs/create",
        query_string={"need": [str(i) for i in ids], "filters": "country=DK", "use_case_id": ""},
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/manage/use-cases/new"
    assert parse_qs(location.query) == {"need": [str(i) for i in ids]}  # in the order ticked, nothing else
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Drones at the gate" in page and "Drones over the quay" in page


def test_the_create_button_carries_the_filters_and_goes_through_the_explorer(db, harbour, organiser_client):
    form = _synthesis_form(_page(organiser_client, country="DK", q="drones", page="1"))

    assert re.search(r'<form id="synthesis-form" class="synthesis" method="get" action="/manage/needs/create"', form)
    create = _button(form, "Create use case from these")
    carried = html.unescape(re.search(r'name="filters" value="([^"]*)"', create).group(1))
    assert parse_qs(carried) == {"country": ["DK"], "q": ["drones"]}
    assert 'data-reason="why-create"' in create
    assert '<span id="why-create" hidden>Tick at least one need to create a use case from it.</span>' in form
    assert "None ticked yet: tick a need to create a use case from it" in form


@pytest.mark.parametrize(
    "carried",
    [
        "next=//evil.example&q=x&country=ZZ&page=2",
        "q=x&" + "&".join(f"tag={n}" for n in range(5000)),
        "%ZZ%%&&==;" * 2000,
        "q=" + "x" * (MAX_QUERY_STRING * 2),
    ],
)
def test_what_the_create_button_carries_back_is_read_as_filters_only(harbour, organiser_client, carried):
    response = organiser_client.get("/manage/needs/create", query_string={"filters": carried})

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("", "", "/manage/needs")
    assert "evil" not in response.headers["Location"] and "next" not in parse_qs(location.query)
    assert "ZZ" not in location.query  # not a country: dropped
    assert len(response.headers["Location"]) < 4000


def test_create_is_for_those_who_work_on_use_cases(client, participant_client):
    assert client.get("/manage/needs/create").headers["Location"].startswith("/login?next=")
    assert participant_client.get("/manage/needs/create").status_code == 403


# --- c. Merged needs count once, under the need they were merged into -------------------------------


def test_merged_originals_are_no_live_needs_but_count_under_their_merged_need(db, harbour, organiser, organiser_client):
    _, _, needs = harbour
    merged = _merge(db, organiser, needs["quay"], needs["gate"], title="Drones over quay and gate")

    page = explore(db, organiser, Filters())

    titles = [row.need.title for row in page.items]
    assert sorted(titles) == ["Border cameras", "Drones over quay and gate", "Fence sensors"]
    assert page.total == 3
    rows = {row.need.title: row for row in page.items}
    assert rows["Drones over quay and gate"].merges == 2
    assert rows["Fence sensors"].merges == 0
    assert rows["Drones over quay and gate"].merges == len(provenance.origins(db, [merged.id])[merged.id])

    found = facets(db, organiser, Filters())
    assert {v.value: v.count for v in found["country"]} == {"DK": 1, "FR": 1, "LT": 1}
    assert {v.value: v.count for v in found["state"]} == {"open": 3, "dismissed": 0}  # no "merged" to tick
    assert sum(v.count for v in found["workshop"]) == 3

    html_page = _page(organiser_client)
    assert re.search(r"<strong>3</strong> needs", html_page)
    assert f'<a href="/needs/{merged.id}#originals-title">Includes 2 merged needs</a>' in html_page
    assert "Drones over the quay</a>" not in html_page and "Drones at the gate</a>" not in html_page


def test_a_merge_of_a_merge_counts_every_stated_need_once(db, harbour, organiser):
    _, _, needs = harbour
    first = _merge(db, organiser, needs["quay"], needs["gate"], title="Drones")
    second = _merge(db, organiser, first, needs["fence"], title="Drones and fences")

    rows = {row.need.title: row for row in explore(db, organiser, Filters()).items}

    assert set(rows) == {"Drones and fences", "Border cameras"}
    assert rows["Drones and fences"].merges == 3
    assert second.id in {row.need.id for row in rows.values()}


def test_the_csv_leaves_merged_originals_out_as_the_list_does(db, harbour, organiser, organiser_client):
    _, _, needs = harbour
    _merge(db, organiser, needs["quay"], needs["gate"], title="Drones over quay and gate")

    response = post_form(organiser_client, "/manage/needs.csv", form_url="/manage/needs")

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert sorted(row["title"] for row in rows) == ["Border cameras", "Drones over quay and gate", "Fence sensors"]


def test_an_original_whose_merged_need_was_deleted_stands_for_itself_again(db, harbour, organiser):
    _, _, needs = harbour
    merged = _merge(db, organiser, needs["quay"], needs["gate"], title="Drones over quay and gate")
    erasure.delete_needs(session=db, need_ids=[merged.id])
    db.commit()

    page = explore(db, organiser, Filters())

    assert {row.need.title for row in page.items} >= {"Drones over the quay", "Drones at the gate"}
    states = {v.value: (v.label, v.count) for v in facets(db, organiser, Filters())["state"]}
    assert states["merged"] == ("Merged", 2)  # marked merged, findable by that state


def test_a_facilitator_sees_the_merge_count_of_their_breakouts_needs(db, harbour, facilitator, organiser):
    _, breakout, needs = harbour
    db.add(BreakoutFacilitator(breakout_id=breakout.id, user_id=facilitator.id))
    db.commit()
    _merge(db, organiser, needs["quay"], needs["gate"], needs["fence"], title="Port perimeter")

    rows = {row.need.title: row.merges for row in explore(db, facilitator, Filters()).items}

    assert rows == {"Port perimeter": 3, "Border cameras": 0}


# --- d. The filters in force, as chips ----------------------------------------------------------------


def test_chips_name_each_filter_by_its_words_and_remove_only_it(db, harbour, organiser):
    workshop, _, needs = harbour
    filters = Filters.from_args(
        {
            "q": "drones",
            "country": ["DK", "FR"],
            "workshop": [str(workshop.id)],
            "sort": "votes",
            "need": [str(needs["quay"].id)],
        }
    )

    chips = active_filters(filters, facets(db, organiser, filters))

    assert [(chip.legend, chip.label) for chip in chips] == [
        ("Search", "“drones”"),
        ("Workshop", "Aarhus workshop"),
        ("Country", "Denmark"),
        ("Country", "France"),
    ]
    without_denmark = chips[2].args
    assert without_denmark["country"] == ["FR"] and without_denmark["q"] == "drones"
    assert without_denmark["sort"] == "votes" and without_denmark["need"] == [needs["quay"].id]  # sort and ticks kept
    assert "q" not in chips[0].args and chips[0].args["country"] == ["DK", "FR"]
    assert cleared(filters) == {"sort": "votes", "need": [needs["quay"].id]}


def test_the_page_shows_chips_as_links_with_names_that_say_what_they_remove(db, harbour, organiser_client):
    page = _page(organiser_client, country=["DK", "FR"], urgency="5", q="drones")

    chips = page[page.index('<div class="filter-chips">') : page.index('<div class="explorer-summary">')]
    links = {_text(body): href for href, body in re.findall(r'<a class="chip" href="([^"]+)">(.*?)</a>', chips)}
    assert list(links) == [
        "Remove filter: Search “drones”",
        "Remove filter: Country Denmark",
        "Remove filter: Country France",
        "Remove filter: Urgency 5 · Critical",
    ]
    denmark = parse_qs(urlsplit(html.unescape(links["Remove filter: Country Denmark"])).query)
    assert denmark == {"country": ["FR"], "urgency": ["5"], "q": ["drones"]}
    clear = html.unescape(re.search(r'<a class="chip-clear" href="([^"]+)">Clear all', chips).group(1))
    assert clear == "/manage/needs"
    assert '<ul class="chip-list" aria-labelledby="chips-title">' in chips

    followed = organiser_client.get(html.unescape(links["Remove filter: Country Denmark"])).get_data(as_text=True)
    assert [_text(body) for body in re.findall(r'<a class="chip" href="[^"]+">(.*?)</a>', followed)] == [
        "Remove filter: Search “drones”",
        "Remove filter: Country France",
        "Remove filter: Urgency 5 · Critical",
    ]


def test_removing_the_last_chip_leaves_no_chips_and_keeps_the_ticks(db, harbour, organiser_client):
    _, _, needs = harbour
    page = _page(organiser_client, country="FR", need=str(needs["quay"].id), sort="urgency")
    href = html.unescape(re.search(r'<a class="chip" href="([^"]+)">', page).group(1))
    assert parse_qs(urlsplit(href).query) == {"sort": ["urgency"], "need": [str(needs["quay"].id)]}

    page = organiser_client.get(href).get_data(as_text=True)

    assert 'class="filter-chips"' not in page
    assert f'name="need" value="{needs["quay"].id}" form="synthesis-form" checked' in page


def test_a_chip_escapes_what_was_typed(db, harbour, organiser_client):
    page = _page(organiser_client, q='"><script>alert(1)</script>', tag="<b>x</b>")

    chips = page[page.index('<div class="filter-chips">') : page.index('<div class="explorer-summary">')]
    assert "<script>" not in chips and "<b>" not in chips
    assert "&lt;script&gt;" in chips and "&lt;b&gt;x&lt;/b&gt;" in chips


def test_without_a_script_the_filters_apply_with_a_button_and_the_script_applies_them_on_change(
    client, harbour, organiser_client
):
    page = _page(organiser_client, country="DK")

    assert '<button class="button" type="submit" form="explorer-filters" data-apply>Apply filters</button>' in page
    assert '<button class="button" type="submit">Search</button>' in page
    assert re.search(r'<input type="checkbox" name="country" value="DK" form="explorer-filters" checked>', page)
    with organiser_client.get("/static/js/usecases/explorer.js") as response:
        script = response.get_data(as_text=True)
    assert "requestSubmit" in script and "data-apply" in script and "aria-disabled" in script


def test_no_filter_no_chips(harbour, organiser_client):
    assert 'class="filter-chips"' not in _page(organiser_client, sort="votes")
