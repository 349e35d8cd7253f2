"""DOCX documents with real Word structure, built fast, and the same bytes for the same input.

The call-text export and the consultation report write Word files through :class:`DocxWriter`; it
knows Word, not calls. python-docx supplies the package (styles, numbering, settings, document
properties) and reads the files back in the tests. The body is written as WordprocessingML text,
escaped as it is written, and spliced into document.xml when the file is saved: python-docx's object
API (``add_paragraph``, ``paragraph.style = …``) takes about 20 s for a call of 500 challenges, and
even a parsed tree of that body would take 100 MB.

    writer = DocxWriter(title="Open Call 1", created=call.published_at)
    writer.title_block("Open Call 1", "Challenges")
    writer.table_of_contents()                     # a TOC field that Word fills on opening
    writer.heading("Challenge 2.3: Water reuse", 2)  # style "Heading 2": in the navigation pane
    writer.facts([("Domain", "Water"), ("TRL", "4 to 6")])
    writer.markdown(use_case_text, base_level=3)   # its top headings become Heading 3
    data = writer.to_bytes()

The API:

- ``DocxWriter(*, title, subject="", author="", created, language="en-GB")``: document properties
  (title, subject, author, created = modified) come from the arguments, never from the clock; a
  naive ``created`` is taken as UTC. Pages are A4; ``language`` is the proofing language.
- ``title_block(title, subtitle="")``: "Title" and "Subtitle" paragraphs.
- ``table_of_contents(levels="1-3", title="Contents")``: a TOC field, and ``w:updateFields`` in
  settings.xml so that Word fills it when the file is opened (python-docx cannot compute one).
- ``heading(text, level)``: a "Heading 1" to "Heading 9" paragraph.
- ``paragraph(text, style=None)``: plain text in a Word paragraph style; newlines become breaks.
- ``list_items(items, *, ordered=False)``: a bulleted or numbered Word list of plain-text items.
- ``facts(rows)``: a two-column table of (label, value), labels in bold.
- ``table(header, rows)``: a table whose header row repeats on every page.
- ``markdown(text, *, base_level)``: the one Markdown converter, below.
- ``html(html, *, base_level)``: its second half, for HTML that :func:`word_html` rendered
  already (a published challenge keeps it); sanitised again, which costs little.
- ``page_break()``; ``to_bytes()``: the .docx file.

Markdown is rendered and sanitised with the project's settings (``workshops.markdown``; images keep
only their alt text), then the HTML is walked into Word structure: ``h1``-``h6`` become headings
nested so that the text's top headings are ``base_level`` and none is more than one level below
the heading before it, whatever levels the text skips (``workshops.calls.text.HeadingLevels``, the
rule of the Markdown and HTML exports; at most 9), ``p`` paragraphs, ``strong``/``em``/``del``/
``sup``/``sub`` bold, italic, struck, raised and lowered runs, ``code`` runs in "Code Char",
``pre`` a "Code" paragraph, ``a`` a real hyperlink when it points to http(s) or mailto (plain text
otherwise), ``ul``/``ol`` Word lists ("List Bullet"/"List Number", nesting as list levels, every
ordered list numbered from its own start), tables real tables (header row bold and repeated),
``blockquote`` "Quote" paragraphs, ``dt``/``dd`` bold terms and indented definitions, ``hr`` a
bottom border, ``br`` a line break, ``img`` its alt text. Anything else arrives as its plain text:
never raw markup, never an exception. Text that Python-Markdown cannot render at all (it recurses
without limit on a thousand nested list markers) arrives as the paragraphs of its source.

The same input gives the same bytes: the zip entries are sorted, stamped with the ``created`` date
and compressed alike (python-docx would stamp them with the current time).
"""

from __future__ import annotations

import io
import logging
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

import docx
import lxml.html
import nh3
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import parse_xml
from docx.shared import Pt, RGBColor, Twips

from workshops.calls.text import HeadingLevels
from workshops.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, parser

log = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 11906, 16838, 1440  # twips: A4, 2.54 cm margins
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CODE_FONT = "Courier New"
LINK_SCHEMES = {"http", "https", "mailto"}
TOC_PLACEHOLDER = "Word fills in the table of contents when it opens the document (or press F9 here)."
MAX_DEPTH = 32  # deeper HTML arrives as plain text, to keep the stack and the XML shallow
# libxml2 drops what is nested deeper than 256 elements unless told otherwise (then 2048).
_HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)

# The sanitiser of the web pages, plus images reduced to their alt text (no source, nothing fetched).
_TAGS = ALLOWED_TAGS | {"img"}
_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "img": {"alt"}}
_NAMESPACES = nsdecls("w", "r")
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HTML_SPACE = re.compile("[ \t\n\r\f]+")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_BREAK = "<w:r><w:br/></w:r>"
# Elements of settings.xml that come after w:updateFields (the schema fixes the order).
_AFTER_UPDATE_FIELDS = {
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr", "attachedSchema",
    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
}  # fmt: skip

# Run formatting, as bits.
BOLD, ITALIC, CODE, STRIKE, SUPER, SUB, LINK = 1, 2, 4, 8, 16, 32, 64
_INLINE = {
    "strong": BOLD, "b": BOLD, "em": ITALIC, "i": ITALIC, "code": CODE, "kbd": CODE, "samp": CODE,
    "del": STRIKE, "s": STRIKE, "sup": SUPER, "sub": SUB,
}  # fmt: skip
# Containers that separate their content from what surrounds it, even outside their usual parent.
_BLOCKISH = {"div", "dl", "tr", "td", "th", "thead", "tbody", "tfoot", "caption"}
_DROPPED = {"script", "style", "template"}  # defence in depth: the sanitiser removes them already


#: Raise it when :func:`word_html` renders differently: Word HTML stored by another version is rendered anew.
WORD_RULES = 1
_word_parsers = threading.local()


def word_html(text: str | None) -> str | None:
    """Markdown rendered and sanitised for :meth:`DocxWriter.html` (images as their alt text, tables unaligned).

    The first half of :meth:`DocxWriter.markdown`: ``""`` for no text, ``None`` for text that
    Python-Markdown cannot render at all (the writer then writes its paragraphs as plain text).
    """
    source = _clean(text or "")
    if not source.strip():
        return ""
    renderer = getattr(_word_parsers, "parser", None)
    if renderer is None:
        renderer = _word_parsers.parser = parser(align_attribute=False)
    try:
        html = renderer.reset().convert(source)
    except Exception:  # Python-Markdown recurses without limit on deeply nested lists, for one
        log.warning("Markdown could not be rendered; writing it as plain text", exc_info=True)
        return None
    return _sanitise(html)


def _sanitise(html: str) -> str:
    return _clean(nh3.clean(_clean(html), tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES))


def _clean(text: str) -> str:
    """Drop what XML 1.0 cannot hold (control characters, lone surrogates)."""
    return _INVALID_XML.sub("", text)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_runs(text: str, rpr: str = "") -> str:
    """Plain text as runs, one line break per newline."""
    lines = _clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _BREAK.join(f'<w:r>{rpr}<w:t xml:space="preserve">{_esc(line)}</w:t></w:r>' for line in lines)


@lru_cache(maxsize=128)
def _rpr(mask: int) -> str:
    """Run properties for a formatting mask, in the order the schema wants."""
    parts = []
    if mask & LINK:
        parts.append('<w:rStyle w:val="Hyperlink"/>')
        if mask & CODE:
            parts.append(f'<w:rFonts w:ascii="{CODE_FONT}" w:hAnsi="{CODE_FONT}" w:cs="{CODE_FONT}"/>')
    elif mask & CODE:
        parts.append('<w:rStyle w:val="CodeChar"/>')
    if mask & BOLD:
        parts.append("<w:b/>")
    if mask & ITALIC:
        parts.append("<w:i/>")
    if mask & STRIKE:
        parts.append("<w:strike/>")
    if mask & (SUPER | SUB):
        parts.append(f'<w:vertAlign w:val="{"superscript" if mask & SUPER else "subscript"}"/>')
    return f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""


@lru_cache(maxsize=1024)
def _ppr(style: str = "", num: int = 0, level: int = 0, indent: int = 0, align: str = "", rule: bool = False) -> str:
    """Paragraph properties, in the order the schema wants."""
    parts = [f'<w:pStyle w:val="{style}"/>'] if style else []
    if num:
        parts.append(f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>')
    if rule:
        parts.append('<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>')
    if indent:
        parts.append(f'<w:ind w:left="{indent}"/>')
    if align:
        parts.append(f'<w:jc w:val="{align}"/>')
    return f"<w:pPr>{''.join(parts)}</w:pPr>" if parts else ""


def _table_xml(rows: Sequence[Sequence[str]], widths: Sequence[int], header_rows: int = 0) -> str:
    """A table of cell contents (paragraph XML), in the "Table Grid" style; header rows repeat on each page."""
    look = f'w:firstRow="{int(header_rows > 0)}" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
    parts = [
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/>',
        f'<w:tblLook w:val="04A0" {look} w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{width}"/>' for width in widths),
        "</w:tblGrid>",
    ]
    for index, cells in enumerate(rows):
        parts.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if index < header_rows else "<w:tr>")
        for width, cell in zip(widths, cells, strict=True):
            parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{cell or "<w:p/>"}</w:tc>')
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def _add_table(out: list[str], xml: str) -> None:
    """Append a table; Word would merge two adjacent tables into one, so keep a paragraph between them."""
    if out and out[-1].startswith("<w:tbl>"):
        out.append("<w:p/>")
    out.append(xml)


def _abstract_num(abstract_id: int, *, ordered: bool) -> str:
    """A nine-level list definition: bullets, or 1. a. i. numbers, each level indented further."""
    levels = []
    for level in range(9):
        if ordered:
            fmt, text = ("decimal", "lowerLetter", "lowerRoman")[level % 3], f"%{level + 1}."
        else:
            fmt, text = "bullet", ("•", "◦", "▪")[level % 3]
        levels.append(
            f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
        )
    nsid = f"{0x5A1C0000 + abstract_id:08X}"  # any fixed value, unique in the file
    return (
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:nsid w:val="{nsid}"/>'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'
    )


def _list_styles(level: int, *, ordered: bool) -> tuple[str, str]:
    """The item and continuation paragraph styles of a list level (Word has three of each)."""
    suffix = ("", "2", "3")[min(level, 2)]
    return ("ListNumber" if ordered else "ListBullet") + suffix, "ListContinue" + suffix


class DocxWriter:
    """One Word document, written top to bottom; see the module docstring for the API."""

    def __init__(
        self, *, title: str, subject: str = "", author: str = "", created: datetime, language: str = "en-GB"
    ) -> None:
        self._document = docx.Document()
        self._body: list[str] = []  # the body's paragraphs and tables, spliced into document.xml at the end
        self._nums: list[str] = []  # w:num XML of ordered lists, parsed into numbering.xml at the end
        self._links: dict[str, str] = {}  # URL -> relationship id
        created = created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created
        self._zip_time = (min(max(created.year, 1980), 2107), created.month, created.day, 0, 0, 0)
        self._style_ids = {style.name: style.style_id for style in self._document.styles}
        self._set_properties(title=title, subject=subject, author=author, created=created, language=language)
        self._add_styles()
        self._set_numbering()
        section = self._document.sections[0]
        section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Twips(MARGIN)

    # -- what the exports call ------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        """The document's title, and a subtitle if given."""
        self._body.append(f"<w:p>{_ppr('Title')}{_text_runs(title)}</w:p>")
        if subtitle:
            self._body.append(f"<w:p>{_ppr('Subtitle')}{_text_runs(subtitle)}</w:p>")

    def table_of_contents(self, levels: str = "1-3", title: str = "Contents") -> None:
        """A table-of-contents field over the heading ``levels``, which Word fills when it opens the file."""
        if not re.fullmatch(r"[1-9]-[1-9]", levels):
            raise ValueError(f"levels must look like '1-3', not {levels!r}")
        if title:
            self._body.append(f"<w:p>{_ppr('TOCHeading')}{_text_runs(title)}</w:p>")
        self._body.append(
            '<w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> TOC \\o "{levels}" \\h \\z \\u </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>{_text_runs(TOC_PLACEHOLDER)}'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
        settings = self._document.settings.element
        if settings.find(qn("w:updateFields")) is None:
            update = parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>')
            later = next((el for el in settings if el.tag.rpartition("}")[2] in _AFTER_UPDATE_FIELDS), None)
            if later is None:
                settings.append(update)
            else:
                later.addprevious(update)

    def heading(self, text: str, level: int) -> None:
        """A heading in Word's "Heading ``level``" style (1 to 9), so the navigation pane lists it."""
        self._body.append(f"<w:p>{_ppr(f'Heading{_check_level(level)}')}{_text_runs(text)}</w:p>")

    def paragraph(self, text: str, style: str | None = None) -> None:
        """Plain text in a paragraph of the named Word style (default "Normal"); newlines break lines."""
        self._body.append(f"<w:p>{_ppr(self._style_id(style)) if style else ''}{_text_runs(text)}</w:p>")

    def list_items(self, items: Iterable[str], *, ordered: bool = False) -> None:
        """A bulleted or numbered list of plain-text items (numbering starts at 1)."""
        num = self._new_num(0, 1) if ordered else self._bullet_num
        ppr = _ppr(_list_styles(0, ordered=ordered)[0], num=num)
        self._body.extend(f"<w:p>{ppr}{_text_runs(item)}</w:p>" for item in items)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """A two-column table: labels in bold on the left, values on the right."""
        if rows:
            cells = [
                [f"<w:p>{_text_runs(label, _rpr(BOLD))}</w:p>", f"<w:p>{_text_runs(value)}</w:p>"]
                for label, value in rows
            ]
            _add_table(self._body, _table_xml(cells, [TEXT_WIDTH * 3 // 10, TEXT_WIDTH - TEXT_WIDTH * 3 // 10]))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A table with a bold header row (if any) that repeats on every page; short rows are padded."""
        columns = max([len(header), *(len(row) for row in rows)])
        if not columns:
            return
        cells = [[f"<w:p>{_text_runs(text, _rpr(BOLD))}</w:p>" for text in header]] if header else []
        cells += [[f"<w:p>{_text_runs(text)}</w:p>" for text in row] for row in rows]
        cells = [row + ["<w:p/>"] * (columns - len(row)) for row in cells]
        _add_table(self._body, _table_xml(cells, [TEXT_WIDTH // columns] * columns, header_rows=int(bool(header))))

    def markdown(self, text: str | None, *, base_level: int) -> None:
        """Markdown as Word structure, its top headings Heading ``base_level``, deeper ones nested below."""
        _check_level(base_level)
        html = word_html(text)
        if html is None:
            self.plain_blocks(text or "")
        elif html:
            self._walk(html, base_level)

    def plain_blocks(self, text: str) -> None:
        """Text that cannot be rendered as Markdown, one paragraph per block."""
        for block in re.split(r"\n[ \t]*\n", _clean(text)):
            if block.strip():
                self.paragraph(block.strip())

    def html(self, html: str, *, base_level: int) -> None:
        """Sanitised HTML rendered from Markdown as Word structure (see the module docstring)."""
        _check_level(base_level)
        self._walk(_sanitise(html), base_level)

    def _walk(self, html: str, base_level: int) -> None:
        converter = _Converter(self, self._body, base_level)
        converter.walk(lxml.html.fragment_fromstring(html, create_parent="div", parser=_HTML_PARSER), 0)
        converter.close()

    def page_break(self) -> None:
        """Start a new page."""
        self._body.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    def to_bytes(self) -> bytes:
        """The .docx file: sorted zip entries, all stamped with the ``created`` date."""
        if self._nums:
            numbering = self._document.part.numbering_part.element
            numbering.extend(list(parse_xml(f"<w:numbering {_NAMESPACES}>{''.join(self._nums)}</w:numbering>")))
            self._nums.clear()
        buffer = io.BytesIO()
        self._document.save(buffer)
        body = "".join(self._body)
        if self._body and self._body[-1].startswith("<w:tbl>"):
            body += "<w:p/>"  # the body ends with a paragraph, as Word's own files do
        document_name = self._document.part.partname.membername
        output = io.BytesIO()
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(output, "w") as target:
            for name in sorted(source.namelist()):
                data = source.read(name)
                if name == document_name:
                    data = _insert_body(data, body.encode())
                info = zipfile.ZipInfo(name, self._zip_time)
                info.create_system, info.external_attr = 3, 0o644 << 16
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        return output.getvalue()

    # -- for the converter ----------------------------------------------------------------------

    def _link(self, href: str) -> str | None:
        """The relationship id of an external hyperlink, or None when ``href`` is not http(s) or mailto."""
        try:
            scheme = urlsplit(href.strip()).scheme.lower()
        except ValueError:  # e.g. a broken IPv6 host
            return None
        if scheme not in LINK_SCHEMES:
            return None
        url = quote(href.strip(), safe=_URL_SAFE)  # Word refuses a file whose link targets hold spaces
        rid = self._links.get(url)
        if rid is None:
            # Our own ids: python-docx's next free "rIdN" is found by counting, O(n) for every link.
            rid = self._links[url] = f"rIdLink{len(self._links) + 1}"
            self._document.part.rels.add_relationship(RT.HYPERLINK, url, rid, is_external=True)
        return rid

    def _new_num(self, level: int, start: int) -> int:
        """A new numbering instance for an ordered list, counting from ``start`` at ``level``."""
        num, self._next_num = self._next_num, self._next_num + 1
        overrides = "".join(
            f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="{start if lvl == level else 1}"/></w:lvlOverride>'
            for lvl in range(9)
        )  # without the overrides Word would continue the numbers of the previous list
        self._nums.append(
            f'<w:num w:numId="{num}"><w:abstractNumId w:val="{self._ordered_abstract}"/>{overrides}</w:num>'
        )
        return num

    # -- set-up and assembly --------------------------------------------------------------------

    def _style_id(self, name: str) -> str:
        try:
            return self._style_ids[name]
        except KeyError:
            raise ValueError(f"no paragraph style named {name!r}") from None

    def _set_properties(self, *, title: str, subject: str, author: str, created: datetime, language: str) -> None:
        properties = self._document.core_properties
        properties.title, properties.subject = _clean(title)[:255], _clean(subject)[:255]
        properties.author = properties.last_modified_by = _clean(author)[:255]
        properties.comments = properties.keywords = properties.category = ""
        properties.created = properties.modified = created
        properties.revision = 1
        properties.language = language
        for lang in self._document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
            lang.set(qn("w:val"), language)
        for lang in self._document.settings.element.xpath("w:themeFontLang"):
            lang.set(qn("w:val"), language)
        # The template's thumbnail shows an empty page: better none than a wrong one.
        package_rels = self._document.part.package.rels
        for rid in [rid for rid, rel in package_rels.items() if rel.reltype == RT.THUMBNAIL]:
            del package_rels[rid]

    def _add_styles(self) -> None:
        styles = self._document.styles
        code = styles.add_style("Code", WD_STYLE_TYPE.PARAGRAPH)
        code.base_style = styles["Normal"]
        code.font.name, code.font.size = CODE_FONT, Pt(9.5)
        code.paragraph_format.line_spacing = 1.0
        code.paragraph_format.left_indent = Twips(284)
        code_char = styles.add_style("Code Char", WD_STYLE_TYPE.CHARACTER)
        code_char.font.name = CODE_FONT
        link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
        link.font.color.rgb, link.font.underline = RGBColor(0x05, 0x63, 0xC1), True
        for name in ("Code", "Code Char", "Hyperlink"):
            self._style_ids[name] = styles[name].style_id

    def _set_numbering(self) -> None:
        numbering = self._document.part.numbering_part.element
        abstracts = numbering.findall(qn("w:abstractNum"))
        first = max((int(a.get(qn("w:abstractNumId"))) for a in abstracts), default=-1) + 1
        self._ordered_abstract = first + 1
        definitions = [
            parse_xml(_abstract_num(first, ordered=False)),
            parse_xml(_abstract_num(first + 1, ordered=True)),
        ]
        anchor = abstracts[-1] if abstracts else None
        for definition in definitions:  # every w:abstractNum comes before the first w:num
            if anchor is None:
                numbering.insert(0, definition)
            else:
                anchor.addnext(definition)
            anchor = definition
        nums = [int(num.get(qn("w:numId"))) for num in numbering.findall(qn("w:num"))]
        self._bullet_num = max(nums, default=0) + 1
        self._next_num = self._bullet_num + 1
        numbering.append(
            parse_xml(f'<w:num {nsdecls("w")} w:numId="{self._bullet_num}"><w:abstractNumId w:val="{first}"/></w:num>')
        )


def _insert_body(document_xml: bytes, body: bytes) -> bytes:
    """document.xml with ``body`` (UTF-8 WordprocessingML) at the start of its w:body.

    Splicing text instead of parsing the body into python-docx's tree saves a second of time and
    most of the memory (libxml2 needs about 12 bytes per byte of XML) for a 500-challenge call.
    """
    head, marker, tail = document_xml.partition(b"<w:body>")
    if not marker:  # python-docx writes an empty body as <w:body/>
        head, marker, tail = document_xml.partition(b"<w:body/>")
        tail = b"</w:body>" + tail
    if not marker:
        raise ValueError("document.xml has no w:body")
    return head + b"<w:body>" + body + tail


def _check_level(level: int) -> int:
    if not isinstance(level, int) or not 1 <= level <= 9:
        raise ValueError(f"heading levels run from 1 to 9, not {level!r}")
    return level


class _Converter:
    """Walks sanitised HTML into paragraphs and tables (WordprocessingML text) appended to ``out``.

    Paragraphs open lazily, when text arrives, so that the whitespace between blocks never makes an
    empty paragraph; whitespace inside them collapses as a browser would collapse it.
    """

    def __init__(self, writer: DocxWriter, out: list[str], base_level: int) -> None:
        self.writer, self.out = writer, out
        self.levels = HeadingLevels(base_level - 1, deepest=9)
        self.items: list | None = None  # the open paragraph: [text, mask, link] runs and run XML
        self.open_ppr = ""  # its properties
        self.ppr = ""  # properties of the next paragraph
        self.then_ppr: str | None = None  # in a list item: properties after its first paragraph
        self.mask = 0  # formatting of the text that arrives
        self.link: tuple[int, str] | None = None  # (serial, relationship id) of the open hyperlink
        self.links = 0
        self.ends_space = True  # the open paragraph is empty or ends with a space
        self.list: tuple[int, int, bool] | None = None  # level, numId, ordered

    # -- text and paragraphs --------------------------------------------------------------------

    def walk(self, element, depth: int) -> None:
        """Convert an element's content: its text, its children and their tails."""
        if element.text:
            self.text(element.text)
        for child in element:
            if isinstance(child.tag, str):  # not a comment
                if depth >= MAX_DEPTH:
                    self.text(child.text_content())
                else:
                    self.element(child, child.tag, depth + 1)
            if child.tail:
                self.text(child.tail)

    def text(self, text: str) -> None:
        text = _HTML_SPACE.sub(" ", text)
        if self.ends_space:
            text = text.lstrip(" ")
        if text:
            if self.items is None:
                self.open()
            self.items.append([text, self.mask, self.link])
            self.ends_space = text.endswith(" ")

    def open(self) -> None:
        self.items, self.open_ppr = [], self.ppr
        if self.then_ppr is not None:
            self.ppr, self.then_ppr = self.then_ppr, None

    def close(self, *, keep_empty: bool = False) -> None:
        items = self.items
        if items is None:
            return
        self.items, self.ends_space = None, True
        while items and isinstance(items[-1], list):  # no trailing space at the end of a paragraph
            items[-1][0] = items[-1][0].rstrip(" ")
            if items[-1][0]:
                break
            items.pop()
        if items or keep_empty:
            self.out.append(f"<w:p>{self.open_ppr}{self.runs(items)}</w:p>")

    def start_block(self) -> None:
        """Close the open paragraph; a list item that starts with a block still shows its number."""
        self.close()
        if self.then_ppr is not None:
            self.open()
            self.close(keep_empty=True)

    @staticmethod
    def runs(items: list) -> str:
        """The runs of a paragraph; consecutive runs of one link share one w:hyperlink."""
        parts, open_link = [], None
        for item in items:
            if isinstance(item, str):
                link, xml = None, item
            else:
                text, mask, link = item
                xml = f'<w:r>{_rpr(mask)}<w:t xml:space="preserve">{_esc(text)}</w:t></w:r>'
            if link != open_link:
                if open_link is not None:
                    parts.append("</w:hyperlink>")
                if link is not None:
                    parts.append(f'<w:hyperlink r:id="{link[1]}" w:history="1">')
                open_link = link
            parts.append(xml)
        if open_link is not None:
            parts.append("</w:hyperlink>")
        return "".join(parts)

    # -- elements -------------------------------------------------------------------------------

    def element(self, element, tag: str, depth: int) -> None:
        handler = _HANDLERS.get(tag)
        if handler is not None:
            handler(self, element, depth)
        elif tag in _INLINE:
            saved, self.mask = self.mask, self.mask | _INLINE[tag]
            self.walk(element, depth)
            self.mask = saved
        elif tag in _BLOCKISH:
            self.close()
            self.walk(element, depth)
            self.close()
        elif tag not in _DROPPED:
            self.walk(element, depth)  # unknown: its text, as if the tag were not there

    def paragraph(self, element, depth: int) -> None:
        self.close()
        self.walk(element, depth)
        self.close()

    def styled(self, element, depth: int, ppr: str, mask: int = 0) -> None:
        """Paragraphs in their own properties (and formatting): headings, quotes, definitions."""
        self.close()
        if self.then_ppr is not None:  # first in a list item: it takes the item's place
            self.ppr, self.then_ppr = self.then_ppr, None
        saved = self.ppr, self.then_ppr, self.mask
        self.ppr, self.then_ppr, self.mask = ppr, None, self.mask | mask
        self.walk(element, depth)
        self.close()
        self.ppr, self.then_ppr, self.mask = saved

    def heading(self, element, depth: int) -> None:
        self.styled(element, depth, _ppr(f"Heading{self.levels.level(int(element.tag[1]))}"))

    def quote(self, element, depth: int) -> None:
        self.styled(element, depth, _ppr("Quote"))

    def term(self, element, depth: int) -> None:
        self.styled(element, depth, "", BOLD)

    def definition(self, element, depth: int) -> None:
        self.styled(element, depth, _ppr(indent=720))

    def link(self, element, depth: int) -> None:
        href = element.get("href") or ""
        if href.startswith("#fnref"):  # a footnote's way back to the text: meaningless on paper
            if self.items and isinstance(self.items[-1], list):
                self.items[-1][0] = self.items[-1][0].rstrip("\xa0")  # with the space that held it
            return
        rid = self.writer._link(href)
        if rid is None:
            self.walk(element, depth)
            return
        self.links += 1
        saved = self.mask, self.link
        self.mask, self.link = self.mask | LINK, (self.links, rid)
        self.walk(element, depth)
        self.mask, self.link = saved

    def line_break(self, element, depth: int) -> None:
        if self.items is None:
            self.open()
        self.items.append(_BREAK)
        self.ends_space = True

    def image(self, element, depth: int) -> None:
        self.text(element.get("alt") or "")

    def rule(self, element, depth: int) -> None:
        self.start_block()
        self.out.append(f"<w:p>{_ppr(rule=True)}</w:p>")

    def code_block(self, element, depth: int) -> None:
        self.start_block()
        lines = element.text_content().replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
        runs = _BREAK.join(
            "<w:r><w:tab/></w:r>".join(
                f'<w:r><w:t xml:space="preserve">{_esc(part)}</w:t></w:r>' for part in line.split("\t")
            )
            for line in lines
        )
        self.out.append(f"<w:p>{_ppr('Code')}{runs}</w:p>")

    def list_(self, element, depth: int) -> None:
        self.start_block()
        ordered = element.tag == "ol"
        level = 0 if self.list is None else min(self.list[0] + 1, 8)
        if ordered:
            try:
                start = min(max(int(element.get("start") or 1), 0), 32767)
            except ValueError:
                start = 1
            num = self.writer._new_num(level, start)
        else:
            num = self.writer._bullet_num
        saved = self.ppr, self.then_ppr, self.list
        self.list = (level, num, ordered)
        self.walk(element, depth)
        self.close()
        self.ppr, self.then_ppr, self.list = saved

    def item(self, element, depth: int) -> None:
        self.close()
        level, num, ordered = self.list or (0, self.writer._bullet_num, False)
        style, continuation = _list_styles(level, ordered=ordered)
        saved = self.ppr, self.then_ppr
        self.ppr, self.then_ppr = _ppr(style, num=num, level=level), _ppr(continuation, indent=720 * (level + 1))
        self.walk(element, depth)
        self.close()
        if self.then_ppr is not None:  # an empty item still shows its bullet or number
            self.open()
            self.close(keep_empty=True)
        self.ppr, self.then_ppr = saved

    def table(self, element, depth: int) -> None:
        self.start_block()
        rows: list[tuple[bool, object]] = []
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "tr":
                rows.append((False, child))
            elif tag in ("thead", "tbody", "tfoot"):
                rows.extend((tag == "thead", row) for row in child if row.tag == "tr")
            elif tag:  # a caption, or something misplaced: its text before the table
                self.paragraph(child, depth)
        cells = [[cell for cell in row if cell.tag in ("td", "th")] for _, row in rows]
        columns = max((len(row) for row in cells), default=0)
        if not columns:
            return
        header_rows = 0
        for (in_head, _), row in zip(rows, cells, strict=True):
            if not (in_head or (row and all(cell.tag == "th" for cell in row))):
                break
            header_rows += 1
        converted = [[self.cell(cell, depth) for cell in row] + ["<w:p/>"] * (columns - len(row)) for row in cells]
        _add_table(self.out, _table_xml(converted, [TEXT_WIDTH // columns] * columns, header_rows))

    def cell(self, element, depth: int) -> str:
        """A cell's content as paragraphs (at least one, the last one not a table)."""
        saved = self.out, self.ppr, self.then_ppr, self.mask, self.link, self.list
        align = element.get("align")
        self.out, self.list, self.link, self.then_ppr = [], None, None, None
        self.ppr = _ppr(align=align if align in ("left", "center", "right") else "")
        self.mask = BOLD if element.tag == "th" else 0
        self.walk(element, depth)
        self.close()
        if not self.out or self.out[-1].startswith("<w:tbl>"):
            self.out.append(f"<w:p>{self.ppr}</w:p>")
        xml = "".join(self.out)
        self.out, self.ppr, self.then_ppr, self.mask, self.link, self.list = saved
        return xml


_HANDLERS = {
    "p": _Converter.paragraph,
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), _Converter.heading),
    "blockquote": _Converter.quote,
    "dt": _Converter.term,
    "dd": _Converter.definition,
    "a": _Converter.link,
    "br": _Converter.line_break,
    "img": _Converter.image,
    "hr": _Converter.rule,
    "pre": _Converter.code_block,
    "ul": _Converter.list_,
    "ol": _Converter.list_,
    "li": _Converter.item,
    "table": _Converter.table,
}
