"""The consultation report: who took part per workshop, breakouts and needs, and the needs behind each challenge."""

from __future__ import annotations

from workshops.calls import report


def test_the_report_counts_participants_and_lists_public_needs_only(db, call_text):
    built = report.build(db, call_text)
    [part] = built.workshops
    assert part.workshop.title == "Lisbon 2021"
    assert part.participants == 3
    assert dict(part.by_country) == {"Portugal": 1, "Belgium": 1, "France": 1}
    assert part.listed == []  # nobody ticked the listing consent
    assert [(b.needs) for b in part.breakouts] == [2]  # the internal need is not counted
    lines = built.needs_by_challenge["1.1"]
    assert [(n.title, n.organisation) for n in lines] == [("Need 0", "Port of Lisbon"), ("Need 1", "anonymous")]
    assert built.needs_by_challenge["2.1"] == []


def test_the_report_in_markdown_and_html_never_names_the_hidden(db, call_text):
    built = report.build(db, call_text)
    for document in (report.markdown(built), report.html(built)):
        assert "Consultation report: Open Call 2" in document
        assert "Port of Lisbon" in document
        assert "Port of Antwerp" not in document.split("The needs behind")[1]  # the anonymous need's organisation
        assert "Secret Police" not in document and "Need 2" not in document  # the internal need
    markdown = report.markdown(built)
    assert "| Need 0 | Port of Lisbon | Other | PT | Lisbon 2021 |" in markdown
    assert report.markdown(report.build(db, call_text)) == markdown
