"""What a use case's text still owes its template: guidance left in, empty sections, missing headings.

First the check itself (``workshops.usecases.guidance``), then where people meet it: the use-case
page lists the findings by section, and sending for review goes ahead with the findings in the
confirmation, against the template in force (the organisers' own once they edit it).
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.conftest import post_form
from workshops.usecases import services
from workshops.usecases.guidance import Finding, FindingKind, findings
from workshops.usecases.models import UseCase, UseCaseRevision
from workshops.usecases.template_default import DEFAULT_TEMPLATE

SUCCESS = "Success criteria and KPIs"
SUCCESS_GUIDANCE = "How the end-users will tell that it works: measurable targets where possible."
#: As a finding quotes it: without its closing stop.
SUCCESS_QUOTED = "How the end-users will tell that it works: measurable targets where possible"


def _finished(**replacements: str) -> str:
    """The default template with every guidance line replaced by the author's words, then ``replacements``."""
    body = re.sub(r"(?m)^_(.+)_$", "Written by the author.", DEFAULT_TEMPLATE)
    for old, new in replacements.items():
        body = body.replace(old, new)
    return body


def _kinds(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind.value, f.section) for f in found]


# --- The check ----------------------------------------------------------------------------------


def test_a_finished_text_owes_nothing():
    assert findings(_finished(), DEFAULT_TEMPLATE) == []


def test_the_untouched_template_holds_guidance_in_every_section():
    found = findings(DEFAULT_TEMPLATE, DEFAULT_TEMPLATE)
    assert [f.kind for f in found] == [FindingKind.guidance] * 6
    assert found[3] == Finding(FindingKind.guidance, SUCCESS, SUCCESS_QUOTED)
    assert all(f.blocks_publication for f in found)
    assert found[3].sentence == f"Section “{SUCCESS}” still holds the template's guidance “{SUCCESS_QUOTED}”."


@pytest.mark.parametrize(
    "left",
    [
        f"_{SUCCESS_GUIDANCE}_",  # as the template has it
        "How the end-users will tell that it works: measurable targets where possible",  # no emphasis, no stop
        "  how the END-USERS will   tell that it works:\nmeasurable targets where possible!  ",  # case, spaces, lines
        "*How the end-users will tell that it works: measurable targets where possible…*",  # other emphasis
        "How the end-users will tell that it works…",  # cut short with an ellipsis, as the issue saw it
        "_How the end-users will tell..._",  # three dots
        "> How the end-users will tell that it works: measurable targets where possible.",  # quoted
    ],
)
def test_guidance_is_found_whatever_its_case_spacing_emphasis_and_punctuation(left):
    body = _finished(**{"## Success criteria and KPIs\n\nWritten by the author.": f"## {SUCCESS}\n\n{left}\n"})
    assert _kinds(findings(body, DEFAULT_TEMPLATE)) == [("guidance", SUCCESS)]


def test_guidance_left_on_a_line_above_the_authors_words_is_found_and_the_section_is_not_empty():
    body = _finished(**{"## Success criteria and KPIs\n\nWritten by the author.": (
        f"## Success criteria and KPIs\n\n_{SUCCESS_GUIDANCE}_\n- detection within 2 s"
    )})  # fmt: skip
    assert _kinds(findings(body, DEFAULT_TEMPLATE)) == [("guidance", SUCCESS)]


def test_a_short_or_different_sentence_is_not_guidance():
    for text in ("How…", "How the end-users will cope with rain.", "Measurable targets where possible: 2 s."):
        body = _finished(**{"## Success criteria and KPIs\n\nWritten by the author.": f"## {SUCCESS}\n\n{text}"})
        assert findings(body, DEFAULT_TEMPLATE) == [], text


def test_an_empty_section_and_a_missing_one_are_told_apart_and_only_the_empty_one_blocks():
    body = _finished(**{
        "## The challenge\n\nWritten by the author.\n": "## The challenge\n\n<!-- to do -->\n\n---\n",
        "## Constraints (legal, ethical, privacy)\n\nWritten by the author.\n": "",
    })  # fmt: skip
    found = findings(body, DEFAULT_TEMPLATE)
    assert _kinds(found) == [("empty", "The challenge"), ("missing", "Constraints (legal, ethical, privacy)")]
    assert [f.blocks_publication for f in found] == [True, False]
    assert found[0].sentence == "Section “The challenge” is empty."
    assert found[1].sentence == "Section “Constraints (legal, ethical, privacy)” is missing (the template has it)."


def test_headings_match_by_their_words_whatever_their_level_case_or_closing_marks():
    body = _finished(**{
        "## Context": "# CONTEXT:",
        "## The challenge": "### the challenge ###",
        "## Test bed and data available": "Test bed and data available\n---------------------------",
    })  # fmt: skip
    assert findings(body, DEFAULT_TEMPLATE) == []


def test_a_section_holding_sub_headings_is_not_empty_but_an_empty_sub_section_of_the_template_is():
    template = "## Solution\n\n### Outcomes\n\n_What changes._\n\n### Users\n\n_Who uses it._\n"
    body = "## Solution\n\n### Outcomes\n\nFewer intrusions.\n\n### Users\n\n"
    assert _kinds(findings(body, template)) == [("empty", "Users")]


def test_code_is_text_never_a_heading_nor_guidance():
    body = _finished(**{"Written by the author.\n\n## The challenge": "```\n## The challenge\n```\n\n## The challenge"})
    assert findings(body, DEFAULT_TEMPLATE) == []
    fenced = f"## {SUCCESS}\n\n```\n{SUCCESS_GUIDANCE}\n```\n"
    assert ("guidance", SUCCESS) not in _kinds(findings(fenced, DEFAULT_TEMPLATE))


def test_a_text_with_nothing_in_it_is_one_finding_that_blocks():
    for body in ("", "   \n\n", "<!-- nothing yet -->"):
        found = findings(body, DEFAULT_TEMPLATE)
        assert found == [Finding(FindingKind.empty, "")]
        assert found[0].blocks_publication and found[0].sentence == "The text is empty."


def test_guidance_before_any_heading_and_long_guidance_are_quoted_shortened():
    template = "_" + "Describe the challenge in plain words for an SME that has never heard of it. " * 3 + "_\n\n## A\n"
    body = template.replace("## A\n", "## A\n\nDone.\n")
    [finding] = findings(body, template)
    assert finding.section == "" and finding.kind is FindingKind.guidance
    assert len(finding.excerpt) == 90 and finding.excerpt.endswith("…")
    assert finding.sentence.startswith("The text still holds the template's guidance “Describe the challenge")


# --- Where people meet it -----------------------------------------------------------------------


def _use_case(app, db, author, body: str, **values) -> UseCase:
    with app.app_context():
        values = services.UseCaseInput(title="Drone detection at ports", body=body, **values)
        return services.create_use_case(session=db, author=author, values=values, need_ids=[])


def _page(client, use_case: UseCase) -> str:
    return client.get(f"/manage/use-cases/{use_case.id}").get_data(as_text=True)


def _findings_panel(page: str) -> str:
    match = re.search(r'<section class="call-warning usecase-findings".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_the_use_case_page_lists_what_is_left_by_section(app, db, facilitator, facilitator_client):
    body = _finished(**{"## The challenge\n\nWritten by the author.\n": "## The challenge\n\n"}).replace(
        "## Success criteria and KPIs\n\nWritten by the author.",
        f"## Success criteria and KPIs\n\n_{SUCCESS_GUIDANCE}_",
    )
    use_case = _use_case(app, db, facilitator, body)
    panel = _findings_panel(_page(facilitator_client, use_case))
    assert "Still to finish in the text" in panel and "2 things are left to do" in panel
    assert "You may still send it for review." in panel
    assert "<li>Section “The challenge” is empty. <strong" in panel
    assert f"Section “{SUCCESS}” still holds the template&#39;s guidance “{SUCCESS_QUOTED}”." in panel
    assert panel.count("Holds up publication.") == 2
    assert f'href="/manage/use-cases/{use_case.id}/edit"' in panel
    assert 'href="/manage/use-case-template"' not in panel  # the template is the organisers' page


def test_a_finished_text_shows_no_panel(app, db, facilitator, facilitator_client):
    assert _findings_panel(_page(facilitator_client, _use_case(app, db, facilitator, _finished()))) == ""


def test_sending_for_review_goes_ahead_and_the_confirmation_names_what_is_left(
    app, db, facilitator, facilitator_client
):
    use_case = _use_case(app, db, facilitator, DEFAULT_TEMPLATE.replace("_Who faces", "Ports. _Who faces", 1))
    page = _page(facilitator_client, use_case)
    assert re.search(r'<button type="submit" class="button" aria-describedby="findings-summary">Send for review', page)
    url = f"/manage/use-cases/{use_case.id}"
    sent = post_form(facilitator_client, f"{url}/state", {"state": "in_review"}, form_url=url, follow_redirects=True)
    db.rollback()
    assert db.get(UseCase, use_case.id, populate_existing=True).state == "in_review"
    flash = re.search(r'<p class="flash flash-warning"[^>]*>(.*?)</p>', sent.get_data(as_text=True), re.S).group(1)
    assert flash.startswith("The use case is sent for review. Its text still has 5 things to finish: ")
    assert f"Section “{SUCCESS}” still holds the template&#39;s guidance" in flash
    assert "And 1 more, listed on the page." in flash
    changes = db.exec(select(UseCaseRevision.change).where(UseCaseRevision.use_case_id == use_case.id)).all()
    assert changes == ["Created", "Sent for review"]


def test_a_finished_text_is_sent_for_review_with_the_plain_confirmation(app, db, facilitator, facilitator_client):
    use_case = _use_case(app, db, facilitator, _finished())
    url = f"/manage/use-cases/{use_case.id}"
    sent = post_form(facilitator_client, f"{url}/state", {"state": "in_review"}, form_url=url, follow_redirects=True)
    flashes = re.findall(r'<p class="flash (flash-\w+)"[^>]*>(.*?)</p>', sent.get_data(as_text=True), re.S)
    assert flashes == [("flash-success", "The use case is sent for review.")]


def test_the_template_in_force_is_the_organisers_own_once_they_edit_it(
    app, db, facilitator, facilitator_client, organiser_client
):
    use_case = _use_case(app, db, facilitator, _finished())
    own = "## Context\n\n_Say <b>who</b> is affected._\n\n## Budget\n\n_How much it may cost._\n"
    saved = post_form(organiser_client, "/manage/use-case-template", {"body": own, "save": "Save"})
    assert saved.status_code == 302
    panel = _findings_panel(_page(facilitator_client, use_case))
    assert "Section “Budget” is missing (the template has it)." in panel
    assert "Holds up publication" not in panel  # written before: nothing of the new template is left in it
    fresh = _use_case(app, db, facilitator, own)
    panel = _findings_panel(_page(facilitator_client, fresh))
    assert "still holds the template&#39;s guidance “Say &lt;b&gt;who&lt;/b&gt; is affected”" in panel
    assert "<b>who</b>" not in panel
