"""Markdown, once: render with the ``markdown`` package, then sanitise the HTML with ``nh3``.

Sanitising comes after rendering, because Markdown passes raw HTML through and builds links from
any URL; the allow-list below is what our pages may show. Plain text placed inside Markdown (a
title, a name) goes through :func:`escape` first.
"""

from __future__ import annotations

import hashlib
import re
import threading
from importlib.metadata import version

import markdown as markdown_lib
import nh3
from markupsafe import Markup
from markupsafe import escape as escape_html

#: "tables" again after "extra" (which includes it), so that its setting below applies.
EXTENSIONS = ["extra", "tables", "sane_lists", "smarty"]
#: Tables say how a column is aligned with ``align`` (kept by the sanitiser), not with a style attribute.
EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

#: Raise it when this module renders differently in a way the settings above do not show (say, the
#: fallback for text it cannot render): HTML stored by another version of the renderer is rendered anew.
RULES = 1
#: The renderer's version, kept with stored HTML: the rules, the settings and the libraries' versions.
_SETTINGS = (
    EXTENSIONS,
    sorted(EXTENSION_CONFIGS["tables"].items()),
    sorted(ALLOWED_TAGS),
    sorted((tag, sorted(names)) for tag, names in ALLOWED_ATTRIBUTES.items()),
    sorted(ALLOWED_URL_SCHEMES),
    version("markdown"),
    version("nh3"),
)
RENDERER = f"{RULES}.{hashlib.sha256(repr(_SETTINGS).encode()).hexdigest()[:16]}"

#: Characters that would start markup anywhere in a line of plain text: emphasis, code, links, table
#: cells, attribute lists (``{…}``) and a heading's closing ``#``. ``<`` is not escapable with a
#: backslash in Markdown: it becomes an entity.
_MARKUP = r"\\`*_{}\[\]#|"
_INLINE = re.compile(f"([{_MARKUP}])")
_INLINE_AND_GT = re.compile(f"([{_MARKUP}>])")
#: At the start of a line, these would make a list or a quote.
_LINE_START = re.compile(r"^([-+](?=\s)|>)")
_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")
#: An ampersand that would read as an entity ("&amp;" typed as text stays "&amp;").
_ENTITY = re.compile(r"&(?=#?\w+;)")


def parser(*, align_attribute: bool = True) -> markdown_lib.Markdown:
    """A Markdown converter with the shared extensions, writing HTML; ``reset()`` it before each new text.

    ``align_attribute=False`` keeps Python-Markdown's ``style="text-align: …"`` on an aligned table
    column, which the sanitiser drops: the Word export writes its Markdown tables unaligned.
    """
    configs = EXTENSION_CONFIGS if align_attribute else {}
    return markdown_lib.Markdown(extensions=EXTENSIONS, extension_configs=configs, output_format="html")


_parsers = threading.local()


def _shared_parser() -> markdown_lib.Markdown:
    """The converter of this thread, reset for a new text (building one costs more than converting a page)."""
    found = getattr(_parsers, "parser", None)
    if found is None:
        found = _parsers.parser = parser()
    return found.reset()


def render_markdown(text: str | None) -> Markup:
    """Turn Markdown into sanitised HTML that is safe to place in a page, e-mail or export."""
    if not text:
        return Markup("")
    try:
        html = _shared_parser().convert(text)
    except RecursionError:  # Python-Markdown recurses once per nesting level (a thousand "- - - …")
        html = "".join(f"<p>{escape_html(part)}</p>" for part in text.split("\n\n") if part.strip())
    return Markup(sanitise_html(html))  # noqa: S704  # nosec B704 - nh3 kept only the allow-list


def sanitise_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; links get ``rel="noopener nofollow"``."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener nofollow",
        strip_comments=True,
    )


def escape(text: str, *, inline_gt: bool = True, source: bool = False) -> str:
    """Plain text (a title, a name) made safe to place in Markdown: one line that shows as typed, never as markup.

    ``>`` only makes a quote at the start of a line; ``inline_gt=False`` leaves it as typed elsewhere.
    ``source=True`` is for Markdown a person goes on editing (a drafted use case): ``<`` stays as
    typed rather than becoming ``&lt;``, which would show literally in the editor. Raw HTML in such
    text is for the renderer to sanitise (``render_markdown`` keeps only the allow-list).
    """
    escaped = _ENTITY.sub("&amp;", " ".join(text.split()))
    escaped = (_INLINE_AND_GT if inline_gt else _INLINE).sub(r"\\\1", escaped)
    if not source:
        escaped = escaped.replace("<", "&lt;")
    escaped = _NUMBERED.sub(r"\1\\\2", escaped)
    return _LINE_START.sub(r"\\\1", escaped)


#: A fence opening or closing a code block: three or more backticks or tildes.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: Inline code: a run of backticks, anything, the same run again.
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
#: An autolink Markdown itself makes safe: ``<https://…>`` or ``<mailto:…>``.
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]*)>", re.IGNORECASE)
#: The start of a link or image whose address runs code or carries data: ``[text](javascript:…``.
_UNSAFE_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)
#: A reference definition with such an address: ``[id]: javascript:…``.
_UNSAFE_REFERENCE = re.compile(r"^( {0,3}\[[^\]]+\]:\s*)<?\s*(?:javascript|vbscript|data|file):\S*", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Markdown source safe for whoever renders it elsewhere, with any renderer: no raw HTML, no script links.

    Our pages sanitise what they render; a Markdown download is rendered by other programs, many of
    which pass raw HTML through. So outside code (fenced blocks and inline code, which every renderer
    shows as text), ``<`` becomes ``&lt;`` (raw HTML then shows as typed; autolinks to web and mail
    addresses stay links), and a link or image whose address is ``javascript:``, ``vbscript:``,
    ``data:`` or ``file:`` keeps its text and loses its address.
    """
    lines = []
    fence = None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            lines.append(line)
            continue
        if opening:
            fence = opening.group(1)
            lines.append(line)
            continue
        lines.append(_neutralise_line(_UNSAFE_REFERENCE.sub(r"\1#", line)))
    return "\n".join(lines)


def _neutralise_line(line: str) -> str:
    """One line outside a code block: inline code kept as it is, the rest made inert."""
    parts, at = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts += [_inert(line[at : span.start()]), span.group(0)]
        at = span.end()
    parts.append(_inert(line[at:]))
    return "".join(parts)


def _without_unsafe_links(text: str) -> str:
    """Each unsafe link or image replaced by its text; its address may hold parentheses, nested."""
    while link := _UNSAFE_LINK.search(text):
        depth, at = 1, link.end()
        while at < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[at], 0)
            at += 1
        text = text[: link.start()] + link.group(1) + text[at:]
    return text


def _inert(text: str) -> str:
    text = _without_unsafe_links(text)
    kept = _AUTOLINK.split(text)  # odd items are the autolinks' addresses
    return "".join(f"<{part}>" if index % 2 else part.replace("<", "&lt;") for index, part in enumerate(kept))
