"""The revision diff: changed words and lines marked, unchanged lines plain, everything escaped."""

from __future__ import annotations

from flask import render_template_string

from workshops.usecases import diff
from workshops.usecases.diff import ADDED, CHANGED, REMOVED, SAME, Gap, LineRow, Segment


def test_tokens_join_back_to_the_text():
    text = "Drones, at night:  over the *port* (Marseille-Fos)…"
    assert "".join(diff.tokens(text)) == text


def test_changed_words_are_marked_and_the_rest_is_plain():
    before, after = diff.diff_words("Detect drones over the port", "Detect small drones over the harbour")
    assert "".join(s.text for s in before) == "Detect drones over the port"
    assert "".join(s.text for s in after) == "Detect small drones over the harbour"
    assert [s.text.strip() for s in before if s.kind == REMOVED] == ["port"]
    assert [s.text.strip() for s in after if s.kind == ADDED] == ["small", "harbour"]
    assert all(s.kind in (SAME, REMOVED) for s in before) and all(s.kind in (SAME, ADDED) for s in after)


def test_a_space_between_two_changes_joins_them():
    before, after = diff.diff_words("one two three", "one four five")
    assert before == (Segment("one "), Segment("two three", REMOVED))
    assert after == (Segment("one "), Segment("four five", ADDED))


def test_identical_texts_have_no_change():
    assert diff.diff_words("same text", "same text") == ((Segment("same text"),), (Segment("same text"),))
    rows = diff.diff_lines("a\nb", "a\nb")
    assert [row.kind for row in rows] == [SAME, SAME]
    assert diff.with_context(rows) == [Gap(2)]


def test_lines_are_paired_changed_removed_and_added():
    before = "## Context\n\nPorts at night.\nOld line\nKept"
    after = "## Context\n\nPorts by day.\nKept\nNew line"
    rows = diff.diff_lines(before, after)
    assert rows[0] == LineRow(SAME, (Segment("## Context"),), (Segment("## Context"),), 1, 1)
    assert rows[1].kind == SAME
    assert rows[2] == LineRow(
        CHANGED,
        (Segment("Ports "), Segment("at night", REMOVED), Segment(".")),
        (Segment("Ports "), Segment("by day", ADDED), Segment(".")),
        3,
        3,
    )
    assert rows[3] == LineRow(REMOVED, (Segment("Old line", REMOVED),), None, 4, None)
    assert rows[4] == LineRow(SAME, (Segment("Kept"),), (Segment("Kept"),), 5, 4)
    assert rows[5] == LineRow(ADDED, None, (Segment("New line", ADDED),), None, 5)


def test_long_unchanged_runs_fold_into_gaps_with_context_kept():
    before = "\n".join(f"line {i}" for i in range(20))
    after = before.replace("line 10", "line ten")
    shown = diff.with_context(diff.diff_lines(before, after), context=2)
    assert shown[0] == Gap(8)
    assert [row.kind for row in shown[1:6]] == [SAME, SAME, CHANGED, SAME, SAME]
    assert shown[-1] == Gap(7)


def test_fields_compare_in_order_with_changes_marked():
    fields = diff.compare_fields(
        {"title": "drones at sea", "trl": "4 to 7"},
        {"title": "small drones at sea", "trl": "4 to 7"},
        {"title": "Title", "trl": "TRL"},
    )
    assert [(f.label, f.changed) for f in fields] == [("Title", True), ("TRL", False)]
    assert fields[0].before == (Segment("drones at sea"),)
    assert fields[0].after == (Segment("small ", ADDED), Segment("drones at sea"))
    assert fields[1].before == (Segment("4 to 7"),)


def test_the_template_escapes_every_segment_and_marks_changes(app):
    before, after = diff.diff_words('Say <script>alert("x")</script>', 'Say <img src=x onerror=alert(1)> & "y"')
    with app.test_request_context():
        html = render_template_string(
            '{% from "usecases/_macros.html" import segments %}{{ segments(before) }}|{{ segments(after) }}',
            before=before,
            after=after,
        )
    assert "<script" not in html and "<img" not in html
    assert "&lt;" in html and "script&gt;" in html and "img src=x" in html
    assert html.count("<del>") >= 1 and html.count("<ins>") >= 1
    assert '<span class="visually-hidden">removed: </span>' in html
    assert '<span class="visually-hidden">added: </span>' in html
    assert html.startswith("Say ")  # unchanged text plain, outside any mark
