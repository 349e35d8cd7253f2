"""The needs explorer: who sees what, search, facet counts under combined filters, tags, sorting, paging, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import post_form
from workshops.audit.models import AuditEntry
from workshops.events.models import BreakoutFacilitator
from workshops.needs.models import Need, Vote
from workshops.timeutil import utcnow
from workshops.usecases.explorer import EXPORT_HEADER, Filters, explore, facets, split_tags, tag_key
from workshops.usecases.models import UseCase, UseCaseNeed

# --- Data ------------------------------------------------------------------------------------------

_order = iter(range(1, 1_000_000))


def _need(db, breakout, title: str, **fields) -> Need:
    """A need stored as the services store it (the search text is kept by the model's save hook)."""
    values = {
        "statement": f"We need {title.lower()}.",
        "organisation": "Port of Antwerp Authority",
        "organisation_type": "end_user",
        "country": "BE",
        "created_at": utcnow() - timedelta(days=1) + timedelta(seconds=next(_order)),
        **fields,
    }
    need = Need(breakout_id=breakout.id, title=title, **values)
    db.add(need)
    db.commit()
    return need


def _votes(db, need: Need, count: int) -> None:
    for _ in range(count):
        voter = factories.make_user(db)
        db.add(Vote(need_id=need.id, user_id=voter.id, breakout_id=need.breakout_id))
    db.commit()


@pytest.fixture
def world(db, facilitator):
    """Two workshops of two clusters, three breakouts (the facilitator runs the first), two domains, seven needs.

    | need | breakout | domain | test bed | type       | country | urgency | state     | tags               |
    | n1   | b1       | d1     | t1       | end_user   | FR      | 5       | open      | "Drones, Night"    |
    | n2   | b1       | d1     | -        | integrator | BE      | 5       | open      | "drones"           |
    | n3   | b2       | d1     | t1       | end_user   | FR      | 3       | merged    | ""                 |
    | n4   | b2       | d2     | t2       | end_user   | NL      | 5       | open      | " night ,  Drones" |
    | n5   | b3       | d2     | t2       | sme        | FR      | 3       | dismissed | "Sécurité"         |
    | n6   | b3       | d1     | -        | end_user   | BE      | 5       | open      | "SÉCURITÉ, drones" |
    | n7   | b3       | d2     | -        | research   | NL      | 1       | open      | ""                 |
    """
    c1 = factories.make_cluster(db, name="Safe Cluster", short_name="SAFE")
    c2 = factories.make_cluster(db, name="LSEC Leaders", short_name="LSEC")
    w1 = factories.make_workshop(db, title="Marseille workshop", cluster_id=c1.id)
    w2 = factories.make_workshop(db, title="Brussels workshop", cluster_id=c2.id)
    b1 = factories.make_breakout(db, w1, title="Ports")
    b2 = factories.make_breakout(db, w1, title="Festivals", hour=3)
    b3 = factories.make_breakout(db, w2, title="Floods")
    d1 = factories.make_domain(db, name="Infrastructure")
    d2 = factories.make_domain(db, name="Resilience")
    t1 = factories.make_test_bed(db, name="Port of Marseille", domain_id=d1.id)
    t2 = factories.make_test_bed(db, name="Meuse valley", domain_id=d2.id)
    db.add(BreakoutFacilitator(breakout_id=b1.id, user_id=facilitator.id))
    db.commit()
    rows = [
        ("n1", b1, d1, t1, "end_user", "FR", 5, "open", "Drones, Night"),
        ("n2", b1, d1, None, "integrator", "BE", 5, "open", "drones"),
        ("n3", b2, d1, t1, "end_user", "FR", 3, "merged", ""),
        ("n4", b2, d2, t2, "end_user", "NL", 5, "open", " night ,  Drones"),
        ("n5", b3, d2, t2, "sme", "FR", 3, "dismissed", "Sécurité"),
        ("n6", b3, d1, None, "end_user", "BE", 5, "open", "SÉCURITÉ, drones"),
        ("n7", b3, d2, None, "research", "NL", 1, "open", ""),
    ]
    needs = {}
    for title, breakout, domain, test_bed, kind, country, urgency, state, tags in rows:
        needs[title] = _need(
            db,
            breakout,
            title,
            domain_id=domain.id,
            test_bed_id=test_bed.id if test_bed else None,
            organisation_type=kind,
            country=country,
            urgency=urgency,
            state=state,
            tags=tags,
        )
    return {
        "clusters": (c1, c2),
        "workshops": (w1, w2),
        "breakouts": (b1, b2, b3),
        "domains": (d1, d2),
        "test_beds": (t1, t2),
        "needs": needs,
    }


def _titles(page) -> set[str]:
    return {row.need.title for row in page.items}


def _filters(**values) -> Filters:
    args = MultiDict()
    for name, value in values.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            args.add(name, str(item))
    return Filters.from_args(args)


def _counts(found, dimension) -> dict:
    return {value.value: value.count for value in found[dimension]}


# --- Access ----------------------------------------------------------------------------------------


def test_anonymous_people_go_to_log_in_and_participants_get_403(client, participant_client, world):
    response = client.get("/manage/needs")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert participant_client.get("/manage/needs").status_code == 403
    assert post_form(participant_client, "/manage/needs.csv", form_url="/me").status_code == 403
    assert client.post("/manage/needs.csv").status_code == 400  # no CSRF token, before anything else


def test_the_export_refuses_get(app):
    [rule] = [r for r in app.url_map.iter_rules() if r.rule == "/manage/needs.csv"]
    assert "GET" not in rule.methods


def test_a_facilitator_explores_only_the_needs_of_their_breakouts_internal_ones_included(
    db, world, facilitator, facilitator_client
):
    b1 = world["breakouts"][0]
    _need(db, b1, "Internal one", sensitivity="internal")
    _need(db, world["breakouts"][2], "Internal elsewhere", sensitivity="internal")
    assert _titles(explore(db, facilitator, Filters())) == {"n1", "n2", "Internal one"}
    page = facilitator_client.get("/manage/needs").get_data(as_text=True)
    assert ">Internal one</a>" in page and ">n1</a>" in page
    assert "Internal elsewhere" not in page and ">n4</a>" not in page
    # Other workshops' breakouts do not even appear among the filters.
    assert "Floods" not in page and "Brussels workshop" not in page


def test_an_organiser_explores_every_need(db, world, organiser, organiser_client):
    _need(db, world["breakouts"][2], "Internal elsewhere", sensitivity="internal")
    assert len(explore(db, organiser, Filters()).items) == 8
    page = organiser_client.get("/manage/needs").get_data(as_text=True)
    assert "Internal elsewhere" in page and re.search(r"<strong>8</strong> needs", page)


def test_an_anonymous_needs_organisation_is_for_organisers_only(db, world, facilitator_client, organiser_client):
    _need(db, world["breakouts"][0], "Quiet one", organisation="Secret Harbour Police", sensitivity="anonymous")
    page = facilitator_client.get("/manage/needs").get_data(as_text=True)
    assert "Quiet one" in page and "Secret Harbour Police" not in page and "<em>anonymous</em>" in page
    rows = _csv(post_form(facilitator_client, "/manage/needs.csv", form_url="/manage/needs"))
    quiet = next(row for row in rows if row["title"] == "Quiet one")
    assert quiet["organisation"] == "" and quiet["sensitivity"] == "anonymous"
    assert "Secret Harbour Police" not in str(rows)

    assert "Secret Harbour Police" in organiser_client.get("/manage/needs").get_data(as_text=True)
    rows = _csv(post_form(organiser_client, "/manage/needs.csv", form_url="/manage/needs"))
    assert next(row for row in rows if row["title"] == "Quiet one")["organisation"] == "Secret Harbour Police"


# --- Search ----------------------------------------------------------------------------------------


@pytest.fixture
def texts(db, organiser):
    """Needs whose words are spread over all their text fields."""
    workshop = factories.make_workshop(db)
    breakout = factories.make_breakout(db, workshop)
    _need(db, breakout, "Résilience des ports")
    _need(db, breakout, "Power", context="Le reseau électrique tombe.")
    _need(db, breakout, "Drone detection", desired_outcome="Alerts even at nuit tombée.")
    _need(db, breakout, "Drone only", statement="Counting drones by day.")
    _need(db, breakout, "Night shifts", affected="Les équipes de nuit.")
    _need(db, breakout, "Underscores", constraints="Keys in snake_case, 100% offline.")
    _need(db, breakout, "Lookalike", constraints="Keys in snakeXcase, 100x faster.")
    _need(db, breakout, "Said anonymously", organisation="Secret Harbour Police", sensitivity="anonymous")
    _need(db, breakout, "Tagged", tags="Cyber-sécurité")
    return breakout


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("resil", {"Résilience des ports"}),
        ("RÉSEAU", {"Power"}),
        ("drone nuit", {"Drone detection"}),
        ("nuit drone", {"Drone detection"}),
        ("DRONE", {"Drone detection", "Drone only"}),
        ("snake_case", {"Underscores"}),
        ("sn%case", set()),
        ("snake_", {"Underscores"}),
        ("%", None),  # no word at all: no search
        ("antwerp authority", None),  # the organisation of every public need here
        ("secret harbour", set()),  # an anonymous need is not found by its organisation
        ("securite", {"Tagged"}),
        ("tombé", {"Power", "Drone detection"}),
    ],
)
def test_search_matches_every_word_as_a_prefix_ignoring_case_and_accents(db, organiser, texts, query, found):
    everything = _titles(explore(db, organiser, Filters()))
    expected = everything - {"Said anonymously"} if query == "antwerp authority" else found
    if query == "%":
        expected = everything
    assert _titles(explore(db, organiser, _filters(q=query))) == expected


def test_the_page_searches_and_shows_the_query(organiser_client, texts):
    page = organiser_client.get("/manage/needs", query_string={"q": "Drone NUIT"}).get_data(as_text=True)
    assert "Drone detection" in page and "Drone only" not in page and "Night shifts" not in page
    assert "matching “Drone NUIT”" in page and 'value="Drone NUIT"' in page


# --- Facets ----------------------------------------------------------------------------------------


def test_facet_counts_under_two_combined_filters(db, world, organiser):
    d1, d2 = world["domains"]
    (w1, w2), (b1, b2, b3), (t1, t2), (c1, c2) = (
        world["workshops"],
        world["breakouts"],
        world["test_beds"],
        world["clusters"],
    )
    filters = _filters(domain=d1.id, urgency=5)
    assert _titles(explore(db, organiser, filters)) == {"n1", "n2", "n6"}
    found = facets(db, organiser, filters)
    assert _counts(found, "workshop") == {w1.id: 2, w2.id: 1}
    assert _counts(found, "breakout") == {b1.id: 2, b2.id: 0, b3.id: 1}
    assert _counts(found, "domain") == {d1.id: 3, d2.id: 1}  # the urgency filter kept, the domain one not
    assert _counts(found, "test_bed") == {t1.id: 1, t2.id: 0}
    assert _counts(found, "organisation_type") == {
        "end_user": 2,
        "integrator": 1,
        "sme": 0,
        "research": 0,
        "public_authority": 0,
        "cluster": 0,
        "other": 0,
    }
    assert _counts(found, "country") == {"BE": 2, "FR": 1, "NL": 0}
    assert _counts(found, "cluster") == {c1.id: 2, c2.id: 1}
    assert _counts(found, "urgency") == {5: 3, 4: 0, 3: 1, 2: 0, 1: 0}  # the domain filter kept
    assert _counts(found, "state") == {"open": 3, "dismissed": 0}  # "merged" only where some need still is
    assert _counts(found, "tag") == {"drones": 3, "night": 1, "sécurité": 1}
    labels = {value.value: value.label for value in found["tag"]}
    assert labels == {"drones": "drones", "night": "Night", "sécurité": "SÉCURITÉ"}
    assert [value.label for value in found["domain"]] == ["Infrastructure", "Resilience"]
    assert [value.label for value in found["country"]] == ["Belgium", "France", "Netherlands"]


def test_several_values_of_one_dimension_widen_and_the_counts_follow(db, world, organiser):
    d1, d2 = world["domains"]
    filters = _filters(country=["FR", "NL"], state="open")
    assert _titles(explore(db, organiser, filters)) == {"n1", "n4", "n7"}
    found = facets(db, organiser, filters)
    assert _counts(found, "country") == {"BE": 2, "FR": 1, "NL": 2}  # ticking BE would add n2 and n6
    assert _counts(found, "domain") == {d1.id: 1, d2.id: 2}
    assert _counts(found, "state") == {"open": 3, "merged": 1, "dismissed": 1}


def test_facets_of_a_facilitator_count_only_their_breakouts(db, world, facilitator):
    found = facets(db, facilitator, Filters())
    assert _counts(found, "breakout") == {world["breakouts"][0].id: 2}
    assert _counts(found, "workshop") == {world["workshops"][0].id: 2}
    assert _counts(found, "tag") == {"drones": 2, "night": 1}


def test_breakouts_of_the_same_title_are_told_apart_by_their_workshop(db, world, organiser):
    again = factories.make_breakout(db, world["workshops"][1], title="Ports", hour=4)
    _need(db, again, "n8")
    labels = {value.value: value.label for value in facets(db, organiser, Filters())["breakout"]}
    b1, b2, b3 = world["breakouts"]
    assert labels == {
        b1.id: "Ports · Marseille workshop",
        b2.id: "Festivals",
        b3.id: "Floods",
        again.id: "Ports · Brussels workshop",
    }


def test_a_ticked_value_that_matches_nothing_stays_listed_to_be_unticked(db, world, organiser):
    found = facets(db, organiser, _filters(workshop=999999, tag="nowhere"))
    assert (999999, "999999", 0) in found["workshop"]
    assert ("nowhere", "nowhere", 0) in found["tag"]


def test_the_page_shows_counts_ticks_and_greys_out_empty_values(db, world, organiser_client):
    d1, d2 = world["domains"]
    page = organiser_client.get("/manage/needs", query_string={"domain": d1.id, "urgency": 5}).get_data(as_text=True)
    assert re.search(r"<strong>3</strong> needs", page)
    domain_box = re.search(rf'<input type="checkbox" name="domain" value="{d1.id}"[^>]*>', page).group(0)
    assert "checked" in domain_box
    assert re.search(rf'value="{d2.id}" form="explorer-filters"> <span class="facet-label">Resilience</span>', page)
    assert '(1<span class="visually-hidden"> need</span>)' in page
    assert '(3<span class="visually-hidden"> needs</span>)' in page
    sme = re.search(r'<input type="checkbox" name="organisation_type" value="sme"[^>]*>', page).group(0)
    assert "disabled" in sme
    assert "Clear filters" in page


# --- Tags ------------------------------------------------------------------------------------------


def test_tags_are_told_apart_by_trimmed_case_folded_text():
    assert split_tags(" night ,  Drones,,Night  Vision ") == ["night", "Drones", "Night Vision"]
    assert tag_key(" Night   Vision ") == "night vision"
    assert tag_key("SÉCURITÉ") == tag_key("sécurité")


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("DRONES", {"n1", "n2", "n4", "n6"}),
        ("  drones ", {"n1", "n2", "n4", "n6"}),
        ("night", {"n1", "n4"}),
        ("sécurité", {"n5", "n6"}),
        ("SÉCURITÉ", {"n5", "n6"}),
        ("drone", set()),  # a whole tag, not a part
        ("rones", set()),
        (["night", "sécurité"], {"n1", "n4", "n5", "n6"}),
    ],
)
def test_the_tag_filter_matches_whole_tags_whatever_their_case_and_spacing(db, world, organiser, tag, found):
    assert _titles(explore(db, organiser, _filters(tag=tag))) == found


def test_tags_with_wildcards_and_spaces_inside_match_only_themselves(db, world, organiser):
    breakout = world["breakouts"][0]
    _need(db, breakout, "percent", tags="100%, night  vision")
    _need(db, breakout, "lookalike", tags="100x,nightvision, night_vision")
    _need(db, breakout, "odd spaces", tags="\tNight\u00a0Vision ,night    vision")
    assert _titles(explore(db, organiser, _filters(tag="100%"))) == {"percent"}
    assert _titles(explore(db, organiser, _filters(tag="Night Vision"))) == {"percent", "odd spaces"}
    assert _counts(facets(db, organiser, _filters(tag="100%")), "tag")["night vision"] == 2
    assert _titles(explore(db, organiser, _filters(tag="night_vision"))) == {"lookalike"}


def test_the_tag_facet_follows_the_other_filters(db, world, organiser):
    d2 = world["domains"][1]
    filters = _filters(tag="drones", domain=d2.id)
    assert _titles(explore(db, organiser, filters)) == {"n4"}
    assert _counts(facets(db, organiser, filters), "tag") == {"drones": 1, "night": 1, "sécurité": 1}


# --- Sorting and paging ----------------------------------------------------------------------------


def test_sorting_by_votes_urgency_and_newest(db, world, organiser):
    needs = world["needs"]
    _votes(db, needs["n7"], 3)
    _votes(db, needs["n3"], 2)
    _votes(db, needs["n1"], 1)
    by = {
        sort: [row.need.title for row in explore(db, organiser, _filters(sort=sort)).items]
        for sort in ("votes", "urgency", "newest")
    }
    assert by["votes"][:3] == ["n7", "n3", "n1"]
    assert by["votes"][3:] == ["n6", "n5", "n4", "n2"]  # no votes: newest first
    assert by["urgency"] == ["n1", "n6", "n4", "n2", "n3", "n5", "n7"]
    assert by["newest"] == ["n7", "n6", "n5", "n4", "n3", "n2", "n1"]
    assert [row.votes for row in explore(db, organiser, _filters(sort="votes")).items][:3] == [3, 2, 1]
    assert _filters(sort="nonsense").sort == "newest"


def test_paging_keeps_the_filters(db, world, organiser_client):
    d1 = world["domains"][0]
    breakout = world["breakouts"][0]
    for n in range(52):
        _need(db, breakout, f"Paged need {n:02d}", domain_id=d1.id, urgency=4)
    query = {"domain": d1.id, "urgency": [4, 5], "sort": "urgency", "q": "paged"}
    first = organiser_client.get("/manage/needs", query_string=query).get_data(as_text=True)
    assert re.search(r"<strong>52</strong> needs", first) and "Page 1 of 2" in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    for part in (f"domain={d1.id}", "urgency=4", "urgency=5", "sort=urgency", "q=paged", "page=2"):
        assert part in link
    second = organiser_client.get(link).get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count('class="explorer-need"') == 2
    previous = re.search(r'href="([^"]+)" rel="prev"', second).group(1)
    assert "page=" not in previous and "sort=urgency" in previous


def test_a_page_past_the_end_shows_the_last(db, world, organiser):
    page = explore(db, organiser, Filters(), page=9, per_page=3)
    assert page.number == 3 and page.pages == 3 and len(page.items) == 1


# --- Use cases fed, and the synthesis form ----------------------------------------------------------


def test_each_need_lists_the_live_use_cases_it_feeds_and_the_synthesis_form(db, world, organiser, organiser_client):
    needs = world["needs"]
    live = UseCase(title="Drone detection for ports", state="in_review")
    gone = UseCase(title="Deleted use case", deleted_at=utcnow())
    db.add_all([live, gone])
    db.commit()
    db.add_all(
        [
            UseCaseNeed(use_case_id=live.id, need_id=needs["n1"].id),
            UseCaseNeed(use_case_id=gone.id, need_id=needs["n1"].id),
        ]
    )
    db.commit()
    rows = {row.need.title: row for row in explore(db, organiser, Filters()).items}
    assert [(u.title, u.state) for u in rows["n1"].use_cases] == [("Drone detection for ports", "in_review")]
    assert rows["n2"].use_cases == []
    page = organiser_client.get("/manage/needs").get_data(as_text=True)
    assert "Feeds:" in page and "Drone detection for ports" in page and "(in review)" in page
    assert "Deleted use case" not in page
    assert f'name="need" value="{needs["n1"].id}" form="synthesis-form"' in page
    assert '<form id="synthesis-form" class="synthesis" method="get"' in page
    assert "Create use case from these" in page and "Add to use case" in page
    assert re.search(rf'<option value="{live.id}">Drone detection for ports \(in review\)</option>', page)
    # The token rides on the Add button only, so that the GET "Create" never puts it in a URL.
    form = page[page.index('<form id="synthesis-form"') : page.index("</form>", page.index('id="synthesis-form"'))]
    assert 'type="hidden" name="csrf_token"' not in form
    assert re.search(r'formmethod="post" formaction="[^"]+" name="csrf_token" value="[^"]+"', form)


def test_a_facilitator_is_offered_only_the_use_cases_they_may_edit(db, world, facilitator_client):
    db.add_all([UseCase(title="A draft"), UseCase(title="An accepted one", state="accepted")])
    db.commit()
    page = facilitator_client.get("/manage/needs").get_data(as_text=True)
    assert "A draft (draft)" in page and "An accepted one" not in page


# --- CSV -------------------------------------------------------------------------------------------


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_holds_the_filtered_selection_with_every_column(db, world, organiser, organiser_client):
    needs = world["needs"]
    d1 = world["domains"][0]
    _votes(db, needs["n2"], 2)
    _need(db, world["breakouts"][0], '=HYPERLINK("http://evil.example")', domain_id=d1.id, urgency=5)
    _need(db, world["breakouts"][0], "Not for files", domain_id=d1.id, urgency=5, sensitivity="internal")
    use_case = UseCase(title="Port drones")
    db.add(use_case)
    db.commit()
    db.add(UseCaseNeed(use_case_id=use_case.id, need_id=needs["n2"].id))
    db.commit()
    response = post_form(
        organiser_client, f"/manage/needs.csv?domain={d1.id}&urgency=5&sort=votes", form_url="/manage/needs"
    )
    text = response.get_data(as_text=True)
    assert next(csv.reader(io.StringIO(text[1:]))) == EXPORT_HEADER
    rows = _csv(response)
    assert [row["title"] for row in rows] == ["n2", '\'=HYPERLINK("http://evil.example")', "n6", "n1"]
    n2 = rows[0]
    assert n2["votes"] == "2" and n2["use_cases"] == "Port drones" and n2["need"] == "We need n2."
    assert n2["organisation"] == "Port of Antwerp Authority" and n2["organisation_type"] == "integrator"
    assert n2["workshop"] == "Marseille workshop" and n2["breakout"] == "Ports" and n2["domain"] == "Infrastructure"
    assert n2["country"] == "BE" and n2["urgency"] == "5" and n2["state"] == "open" and n2["tags"] == "drones"
    assert n2["created_at"].endswith("+00:00") and "T" in n2["created_at"]
    assert rows[3]["test_bed"] == "Port of Marseille"
    assert "Not for files" not in text  # internal needs never leave in a file
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.detail == "needs explorer, 4 needs"


def test_the_page_offers_the_csv_with_the_current_filters(db, world, organiser_client):
    d1 = world["domains"][0]
    page = organiser_client.get("/manage/needs", query_string={"domain": d1.id, "q": "n"}).get_data(as_text=True)
    action = re.search(r'<form class="explorer-export" method="post" action="([^"]+)"', page).group(1)
    assert action.startswith("/manage/needs.csv?") and f"domain={d1.id}" in action and "q=n" in action


# --- Queries ---------------------------------------------------------------------------------------


def _many(db, world, count: int) -> None:
    breakouts = world["breakouts"]
    d1, _ = world["domains"]
    t1, _ = world["test_beds"]
    use_case = UseCase(title="Everything")
    db.add(use_case)
    db.commit()
    for n in range(count):
        need = _need(
            db, breakouts[n % 3], f"Bulk need {n}", domain_id=d1.id, test_bed_id=t1.id, tags=f"bulk, tag {n % 4}"
        )
        db.add(UseCaseNeed(use_case_id=use_case.id, need_id=need.id))
        if n % 5 == 0:
            voter = factories.make_user(db)
            db.add(Vote(need_id=need.id, user_id=voter.id, breakout_id=need.breakout_id))
    db.commit()


def test_the_page_makes_as_many_queries_for_60_needs_as_for_5(db, world, organiser_client, count_queries):
    query = {"tag": "bulk", "q": "bulk", "sort": "votes"}
    counted = []
    for total, more in ((5, 5), (60, 55)):
        _many(db, world, more)
        with count_queries() as statements:
            assert organiser_client.get("/manage/needs").status_code == 200
        with count_queries() as filtered:
            page = organiser_client.get("/manage/needs", query_string=query).get_data(as_text=True)
        assert f"<strong>{total}</strong> needs" in page
        counted.append((len(statements), len(filtered)))
    print("explorer page queries (plain, filtered) for 5 and 60 needs:", counted)
    assert counted[0] == counted[1], counted


def test_the_export_makes_as_many_queries_for_60_needs_as_for_5(db, world, organiser_client, count_queries):
    counted = []
    for total, more in ((5, 5), (60, 55)):
        _many(db, world, more)
        with count_queries() as statements:
            rows = _csv(post_form(organiser_client, "/manage/needs.csv?tag=bulk", form_url="/manage/needs"))
        assert len(rows) == total
        counted.append(len(statements))
    print("explorer export queries for 5 and 60 needs:", counted)
    assert counted[0] == counted[1], counted
