"""The DOCX writer, read back with python-docx: Word structure, one sample per Markdown construct, same bytes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from workshops.calls.docx import DocxWriter
from workshops.markdown import render_markdown

CREATED = datetime(2022, 1, 10, 9, 30, tzinfo=UTC)
MARKUP = re.compile(r"<[a-zA-Z/!]|\*\*|\]\(|!\[|\[\^|```")


def new_writer(**overrides) -> DocxWriter:
    arguments = {"title": "Open Call 1", "subject": "Challenges", "author": "Programme office", "created": CREATED}
    return DocxWriter(**(arguments | overrides))


def read(writer: DocxWriter):
    return docx.Document(io.BytesIO(writer.to_bytes()))


def from_markdown(text: str, base_level: int = 2):
    writer = new_writer()
    writer.markdown(text, base_level=base_level)
    return read(writer)


def all_text(document) -> str:
    """Every piece of text in the body, tables and hyperlinks included, one paragraph a line."""
    lines = []
    for paragraph in document.element.body.iter(qn("w:p")):
        lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    return "\n".join(lines)


def list_position(paragraph) -> tuple[int, int] | None:
    """(ilvl, numId) of a list paragraph."""
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    return None if num_pr is None else (num_pr.ilvl.val, num_pr.numId.val)


def start_override(document, num_id: int, level: int = 0) -> int:
    numbering = document.part.numbering_part.element
    values = numbering.xpath(f'w:num[@w:numId="{num_id}"]/w:lvlOverride[@w:ilvl="{level}"]/w:startOverride/@w:val')
    return int(values[0])


def number_format(document, num_id: int, level: int = 0) -> str:
    numbering = document.part.numbering_part.element
    abstract = numbering.xpath(f'w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')[0]
    return numbering.xpath(f'w:abstractNum[@w:abstractNumId="{abstract}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val')[0]


# -- document structure -----------------------------------------------------------------------


def heading_levels(document) -> list[int]:
    """The level of every heading paragraph, in document order."""
    return [int(p.style.name.split()[1]) for p in document.paragraphs if p.style.name.startswith("Heading ")]


def assert_no_level_skipped(levels: list[int]) -> None:
    """No heading is more than one level deeper than the heading before it."""
    skips = [(i, earlier, later) for i, (earlier, later) in enumerate(pairwise(levels)) if later > earlier + 1]
    assert not skips, f"heading levels skip at (position, from, to): {skips}"


def test_headings_have_word_heading_styles_and_markdown_headings_nest():
    writer = new_writer()
    writer.heading("Domain 1: Ports", 1)
    writer.heading("Challenge 1.1: Drones", 2)
    writer.markdown("# Context\n\ntext\n\n## Detail\n\n###### Deepest", base_level=3)
    writer.markdown("# a\n\n## b\n\n### c\n\n#### d\n\n##### Capped", base_level=6)
    document = read(writer)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Domain 1: Ports"),
        ("Heading 2", "Challenge 1.1: Drones"),
        ("Heading 3", "Context"),
        ("Heading 4", "Detail"),
        ("Heading 5", "Deepest"),  # written six levels deep, nested one below "Detail"
        ("Heading 6", "a"),
        ("Heading 7", "b"),
        ("Heading 8", "c"),
        ("Heading 9", "d"),
        ("Heading 9", "Capped"),  # Word has nine heading levels
    ]


def test_a_body_that_starts_at_h2_and_jumps_to_h4_nests_one_level_at_a_time():
    writer = new_writer()
    writer.heading("Challenges", 1)
    writer.heading("1. Ports", 2)
    writer.heading("Challenge 1.1: Drones", 3)
    writer.markdown(
        "## Context\n\ntext\n\n#### Detail\n\n## Success criteria\n\n### KPIs\n\n#### Measured", base_level=4
    )
    writer.heading("Challenge 1.2: Floods", 3)
    writer.html("<h3>Frozen context</h3><p>text</p><h6>Frozen detail</h6>", base_level=4)
    levels = heading_levels(read(writer))
    assert levels == [1, 2, 3, 4, 5, 4, 5, 6, 3, 4, 5]
    assert_no_level_skipped(levels)


@pytest.mark.parametrize("level", [0, 10, "2"])
def test_heading_levels_outside_word_are_refused(level):
    with pytest.raises(ValueError, match="heading levels"):
        new_writer().heading("x", level)


def test_title_block_and_document_properties_come_from_the_arguments():
    writer = new_writer(created=datetime(2022, 1, 10, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    writer.title_block("Open Call 1", "Challenges of the call")
    document = read(writer)
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("Title", "Open Call 1"),
        ("Subtitle", "Challenges of the call"),
    ]
    properties = document.core_properties
    assert (properties.title, properties.subject, properties.author) == (
        "Open Call 1",
        "Challenges",
        "Programme office",
    )
    assert properties.created == properties.modified == CREATED  # converted to UTC
    assert (properties.revision, properties.language, properties.comments) == (1, "en-GB", "")
    lang = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val")
    assert lang == ["en-GB"]


def test_table_of_contents_is_a_field_that_word_updates_on_opening():
    writer = new_writer()
    writer.table_of_contents(levels="1-2")
    writer.heading("Domain 1", 1)
    document = read(writer)
    instructions = "".join(document.element.body.xpath(".//w:instrText/text()"))
    assert 'TOC \\o "1-2"' in instructions
    kinds = document.element.body.xpath(".//w:fldChar/@w:fldCharType")
    assert kinds == ["begin", "separate", "end"]
    assert document.paragraphs[0].style.name == "TOC Heading"
    settings_element = document.settings.element
    assert settings_element.xpath("w:updateFields/@w:val") == ["true"]
    names = [child.tag.rpartition("}")[2] for child in settings_element]
    assert names.index("updateFields") < names.index("compat")  # the schema's order, or Word complains


def test_without_a_table_of_contents_word_is_not_asked_to_update_fields():
    assert read(new_writer()).settings.element.xpath("w:updateFields") == []


def test_table_of_contents_levels_are_checked():
    with pytest.raises(ValueError, match="levels"):
        new_writer().table_of_contents(levels='1-3" \\f')


def test_paragraphs_take_a_style_by_name_and_keep_line_breaks():
    writer = new_writer()
    writer.paragraph("first line\nsecond line", style="Quote")
    writer.paragraph("plain")
    document = read(writer)
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("Quote", "first line\nsecond line"),
        ("Normal", "plain"),
    ]
    with pytest.raises(ValueError, match="no paragraph style"):
        writer.paragraph("x", style="No Such Style")


def test_facts_and_tables_are_word_tables_with_a_repeated_bold_header():
    writer = new_writer()
    writer.facts([("Domain", "Ports"), ("TRL", "4 to 6")])
    writer.table(["Need", "Organisation", "Country"], [["Drones", "Port of Example"], ["Noise", "City", "BE"]])
    writer.table([], [["no header"]])
    document = read(writer)
    facts, table, headless = document.tables
    assert [cell.text for cell in headless.rows[0].cells] == ["no header"]
    assert not headless.rows[0]._tr.xpath("w:trPr/w:tblHeader")
    assert [[cell.text for cell in row.cells] for row in facts.rows] == [["Domain", "Ports"], ["TRL", "4 to 6"]]
    assert all(run.bold for row in facts.rows for run in row.cells[0].paragraphs[0].runs)
    assert not any(run.bold for row in facts.rows for run in row.cells[1].paragraphs[0].runs)
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Need", "Organisation", "Country"],
        ["Drones", "Port of Example", ""],
        ["Noise", "City", "BE"],
    ]
    header = table.rows[0]
    assert header._tr.xpath("w:trPr/w:tblHeader")
    assert not table.rows[1]._tr.xpath("w:trPr/w:tblHeader")
    assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    assert table.style.name == "Table Grid"
    # Two tables in a row stay two tables: Word would join them otherwise.
    body = [child.tag.rpartition("}")[2] for child in document.element.body]
    assert body == ["tbl", "p", "tbl", "p", "tbl", "p", "sectPr"]


def test_list_items_make_a_plain_list_and_numbering_restarts():
    writer = new_writer()
    writer.list_items(["one KPI", "another KPI"])
    writer.list_items(["first", "second"], ordered=True)
    writer.list_items(["again"], ordered=True)
    document = read(writer)
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles == [
        ("List Bullet", "one KPI"),
        ("List Bullet", "another KPI"),
        ("List Number", "first"),
        ("List Number", "second"),
        ("List Number", "again"),
    ]
    bullets, first, second = (list_position(document.paragraphs[i])[1] for i in (0, 2, 4))
    assert number_format(document, bullets) == "bullet"
    assert first != second
    assert start_override(document, first) == start_override(document, second) == 1


def test_page_break():
    writer = new_writer()
    writer.page_break()
    assert read(writer).element.body.xpath(".//w:br/@w:type") == ["page"]


# -- Markdown, one construct at a time ---------------------------------------------------------


def test_bold_and_italic_runs_cover_exactly_the_marked_words():
    document = from_markdown("Plain **bold words** then *italic* and ***both*** end.")
    runs = document.paragraphs[0].runs
    assert [run.text for run in runs if run.bold] == ["bold words", "both"]
    assert [run.text for run in runs if run.italic] == ["italic", "both"]
    assert document.paragraphs[0].text == "Plain bold words then italic and both end."


def test_links_become_hyperlinks_to_http_and_mailto_only():
    text = (
        "See [the site](https://example.org/a?b=1&c=2), [again](https://example.org/a?b=1&c=2), "
        "[write](mailto:office@example.org), [a page](/calls/1) and [bad](javascript:alert(1))."
    )
    document = from_markdown(text)
    paragraph = document.paragraphs[0]
    assert [(link.text, link.address) for link in paragraph.hyperlinks] == [
        ("the site", "https://example.org/a?b=1&c=2"),
        ("again", "https://example.org/a?b=1&c=2"),
        ("write", "mailto:office@example.org"),
    ]
    assert paragraph.text == "See the site, again, write, a page and bad."
    links = [rel for rel in document.part.rels.values() if rel.reltype == RT.HYPERLINK]
    assert sorted(rel.target_ref for rel in links) == ["https://example.org/a?b=1&c=2", "mailto:office@example.org"]
    assert all(rel.is_external for rel in links)
    assert paragraph.hyperlinks[0].runs[0].style.name == "Hyperlink"


def test_link_targets_with_spaces_are_encoded():
    document = from_markdown("[x](<https://example.org/a b>)")
    assert [link.address for link in document.paragraphs[0].hyperlinks] == ["https://example.org/a%20b"]


def test_nested_lists_are_word_list_levels():
    document = from_markdown("- one\n- two\n    - two a\n        1. deep\n    - two b\n- three\n")
    items = [(p.style.name, p.text, list_position(p)[0]) for p in document.paragraphs]
    assert items == [
        ("List Bullet", "one", 0),
        ("List Bullet", "two", 0),
        ("List Bullet 2", "two a", 1),
        ("List Number 3", "deep", 2),
        ("List Bullet 2", "two b", 1),
        ("List Bullet", "three", 0),
    ]
    outer = list_position(document.paragraphs[0])[1]
    assert list_position(document.paragraphs[2])[1] == outer  # one list, deeper level
    assert number_format(document, outer, 1) == "bullet"
    assert number_format(document, list_position(document.paragraphs[3])[1], 2) == "lowerRoman"


def test_ordered_lists_restart_and_keep_their_start():
    document = from_markdown("1. a\n2. b\n\nBetween.\n\n1. c\n2. d\n\nAnd.\n\n3. e\n4. f\n")
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["a", "b", "c", "d", "e", "f"]
    first, second, third = (list_position(numbered[i])[1] for i in (0, 2, 4))
    assert list_position(numbered[1])[1] == first
    assert len({first, second, third}) == 3
    assert [start_override(document, num) for num in (first, second, third)] == [1, 1, 3]
    assert number_format(document, first) == "decimal"


def test_loose_list_items_keep_their_paragraphs_under_one_number():
    document = from_markdown("1. first paragraph\n\n    second paragraph\n\n2. next\n")
    items = [(p.style.name, p.text, list_position(p)) for p in document.paragraphs]
    num = items[0][2][1]
    assert items == [
        ("List Number", "first paragraph", (0, num)),
        ("List Continue", "second paragraph", None),
        ("List Number", "next", (0, num)),
    ]


def test_list_items_that_start_with_a_block_keep_their_place():
    document = from_markdown("- # A heading\n\n    text\n\n- - nested\n")
    items = [(p.style.name, p.text, list_position(p) and list_position(p)[0]) for p in document.paragraphs]
    assert items == [
        ("Heading 2", "A heading", None),
        ("List Continue", "text", None),
        ("List Bullet", "", 0),  # the item's bullet, then its nested list
        ("List Bullet 2", "nested", 1),
    ]


def test_code_is_monospace():
    document = from_markdown("Run `make test` now.\n\n```\ndef f():\n    return 1\n```\n")
    inline = [run for run in document.paragraphs[0].runs if run.text == "make test"]
    assert inline and inline[0].style.name == "Code Char"
    assert inline[0].style.font.name == "Courier New"
    block = document.paragraphs[1]
    assert (block.style.name, block.style.font.name) == ("Code", "Courier New")
    assert block.text == "def f():\n    return 1"


def test_a_markdown_table_becomes_a_word_table():
    document = from_markdown("| Resource | Provider |\n|:--|--:|\n| Port data | City |\n| Sensors | **Port** |\n")
    (table,) = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Resource", "Provider"],
        ["Port data", "City"],
        ["Sensors", "Port"],
    ]
    assert table.rows[0]._tr.xpath("w:trPr/w:tblHeader")
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not table.rows[1].cells[1].paragraphs[0].runs[0].bold


def test_cell_alignment_is_kept_when_the_html_has_it():
    # Python-Markdown writes style="text-align: …", which the sanitiser drops; align="…" is kept.
    writer = new_writer()
    writer.html('<table><tr><td align="right">1</td><td align="middle">2</td></tr></table>', base_level=1)
    (row,) = read(writer).tables[0].rows
    assert [cell.paragraphs[0].alignment for cell in row.cells] == [WD_ALIGN_PARAGRAPH.RIGHT, None]


def test_quotes_rules_and_line_breaks():
    document = from_markdown("> Quoted *words*\n\n---\n\nfirst  \nsecond\n")
    quote, rule, broken = document.paragraphs
    assert (quote.style.name, quote.text) == ("Quote", "Quoted words")
    assert rule.text == "" and rule._p.xpath("w:pPr/w:pBdr/w:bottom")
    assert broken.text == "first\nsecond"


@pytest.mark.parametrize(
    ("markdown", "expected", "absent"),
    [
        ("<div>inside a <span style='color:red'>div</span></div>", "inside a div", None),
        ("before\n\n<script>alert(1)</script>\n\nafter", "before\nafter", "alert"),
        ("![a diagram of the port](https://example.org/port.png)", "a diagram of the port", "port.png"),
        ("A claim[^1].\n\n[^1]: The source.", "A claim1.\nThe source.", "↩"),
        ("<iframe src='https://evil.example'></iframe>Text", "Text", "evil"),
        ("Term\n:   Its definition", "Term\nIts definition", None),
        ("<custom-tag>kept</custom-tag> text", "kept text", None),
        ("a &amp; b &lt;c&gt;", "a & b <c>", None),
    ],
)
def test_unsupported_markup_arrives_as_plain_text(markdown, expected, absent):
    document = from_markdown(markdown)
    text = "\n".join(line for line in all_text(document).split("\n") if line)
    assert text == expected
    if markdown != "a &amp; b &lt;c&gt;":
        assert not MARKUP.search(text)
    if absent:
        assert absent not in text
    assert not [rel for rel in document.part.rels.values() if rel.reltype == RT.IMAGE]


def test_already_rendered_html_gives_the_same_document():
    text = "## Context\n\nSome **bold** and a [link](https://example.org).\n\n- a\n- b\n"
    from_text, from_html = new_writer(), new_writer()
    from_text.markdown(text, base_level=3)
    from_html.html(str(render_markdown(text)), base_level=3)
    assert from_text.to_bytes() == from_html.to_bytes()


@pytest.mark.parametrize(
    "markdown",
    [
        "- " * 1000 + "deep",  # Python-Markdown itself gives up (RecursionError)
        ">" * 300 + " deep",
        "<em>" * 500 + "deep",
        "<table><tr><td>" * 100 + "deep",
        "control\x00characters\x0b\x1f &#1; &#xFFFE; and \ud800 deep",
    ],
)
def test_pathological_input_degrades_instead_of_breaking(markdown):
    document = from_markdown(markdown)
    assert "deep" in all_text(document)


def test_every_style_the_body_uses_is_defined():
    writer = new_writer()
    writer.title_block("T", "S")
    writer.table_of_contents()
    writer.facts([("a", "b")])
    writer.markdown(
        "# h\n\n**b** *i* `c` [l](https://e.org) ~~s~~\n\n- a\n    - b\n        - c\n\n1. a\n    1. b\n        1. c\n\n"
        "```\ncode\n```\n\n> q\n\n| a |\n|---|\n| b |\n\n1. loose\n\n    more\n",
        base_level=1,
    )
    document = read(writer)
    defined = {style.style_id for style in document.styles}
    used = set(document.element.body.xpath(".//w:pStyle/@w:val | .//w:rStyle/@w:val | .//w:tblStyle/@w:val"))
    assert used <= defined, used - defined
    assert {"Heading1", "ListBullet3", "ListNumber3", "Code", "CodeChar", "Hyperlink", "Quote", "TableGrid"} <= used


# -- same bytes ---------------------------------------------------------------------------------


def build_sample() -> bytes:
    writer = new_writer()
    writer.title_block("Open Call 1")
    writer.table_of_contents()
    writer.heading("Challenge 1.1", 2)
    writer.facts([("Domain", "Ports")])
    writer.markdown("Text with a [link](https://example.org).\n\n1. a\n2. b\n", base_level=3)
    return writer.to_bytes()


def test_the_same_document_gives_the_same_bytes():
    first, second = build_sample(), build_sample()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(2022, 1, 10, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert "docProps/thumbnail.jpeg" not in names  # the template's picture of an empty page


def test_to_bytes_can_be_called_again_and_writing_goes_on():
    writer = new_writer()
    writer.paragraph("one")
    first = writer.to_bytes()
    assert writer.to_bytes() == first
    writer.list_items(["two"], ordered=True)
    assert [p.text for p in read(writer).paragraphs] == ["one", "two"]


# -- whatever comes in --------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "# ", "**", "_", "`", "```\n", "\n", "\n\n", "- ", "    - ", "1. ", "> ", "| a | b |\n|---|---|\n", "[x](",
        ")", "](", "<", ">", '"', "'", "&", "&#1;", "&nbsp;", "http://e.x/a b", "mailto:a@b", "<script>", "<div>",
        "</div>", "<table><tr><td>", "<li>", "<br>", "<img alt=a>", "![i](", "[^1]", "[^1]: n\n", "\t", "word",
        " ", "<!--", "-->", "\x00", "\x0c", "\ud800", "<pre>", "<a href='http://e.x'>", "</a>", "---\n", ":   ",
    ]
)  # fmt: skip


@settings(max_examples=75, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=6)), max_size=40).map("".join))
def test_any_text_gives_a_document_python_docx_reads(text):
    writer = new_writer()
    writer.markdown(text, base_level=2)
    writer.heading(text, 1)
    writer.facts([(text, text)])
    document = read(writer)
    assert document.paragraphs is not None
    assert all_text(document) is not None


WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "port", "drone", "sensor", "water"])
SENTENCE = st.lists(
    st.one_of(
        WORDS,
        WORDS.map("**{}**".format),
        WORDS.map("*{}*".format),
        WORDS.map("`{}`".format),
        WORDS.map("[{0}](https://example.org/{0})".format),
    ),
    min_size=1,
    max_size=8,
).map(" ".join)
BLOCK = st.one_of(
    SENTENCE,
    st.tuples(st.integers(1, 6), SENTENCE).map(lambda pair: "#" * pair[0] + " " + pair[1]),
    st.lists(SENTENCE, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {item}" for item in items)),
    st.lists(SENTENCE, min_size=1, max_size=4).map(lambda items: "\n".join(f"1. {item}" for item in items)),
    st.tuples(SENTENCE, SENTENCE).map(lambda pair: f"- {pair[0]}\n    - {pair[1]}"),
    st.tuples(SENTENCE, SENTENCE).map(lambda pair: f"| h |\n|---|\n| {pair[0]} |\n| {pair[1]} |"),
    SENTENCE.map("> {}".format),
    WORDS.map("```\n{}\n```".format),
)


@settings(max_examples=75, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=6).map("\n\n".join))
def test_supported_markdown_leaves_no_markup_and_loses_no_word(markdown):
    text = all_text(from_markdown(markdown))
    assert not MARKUP.search(text), text
    assert not re.search(r"[*`#|>\[\]]", text), text
    assert sorted(set(re.findall(r"[a-z]+", text))) == sorted(
        set(re.findall(r"\b(?!https|example|org)[a-z]+", markdown))
    )
