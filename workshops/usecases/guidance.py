"""What a use case's text still owes its template: guidance left in, sections left empty, headings missing.

The template (the organisers' own, else the default one) is Markdown whose headings are the sections
a use case should have, and whose paragraphs under them are guidance for the author ("_How the
end-users will tell that it works: measurable targets where possible._"). A new use case starts as
a copy of it, so a text can reach the review, and the call, with that guidance still in it. This
module compares two strings and says what it found, and where:

- ``guidance``: a paragraph (or a line) of the body is one of the template's own paragraphs, with
  case, spacing, emphasis, trailing punctuation and a trailing ellipsis ignored ("How the end-users
  will tell that it works…" is the start of one, cut short);
- ``empty``: a section whose heading is in the body has nothing under it but blank lines, comments
  or guidance (guidance found there is reported as such, not twice); a body with no text at all is
  one such finding for the whole text;
- ``missing``: a heading of the template is nowhere in the body.

The first two hold up a call's publication (the text would be frozen and public with them); a
missing heading is only pointed out, since an author may drop a section that does not apply and a
template may gain headings after a text was written. Headings match by their words, whatever their
level. Fenced code is text, never a heading nor guidance. Nothing here reads the database: the
use-case page, the review's warning and the publication's refusal all call :func:`findings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    """What is unfinished about a section."""

    guidance = "guidance"
    empty = "empty"
    missing = "missing"


#: The kinds of finding that stop a call from being published.
BLOCKING = frozenset({FindingKind.guidance, FindingKind.empty})
#: How much of a guidance paragraph a finding repeats.
EXCERPT = 90
#: A body paragraph cut short with an ellipsis matches guidance it starts, if it keeps this much of it.
SHORTEST_CUT = 12


@dataclass(frozen=True)
class Finding:
    """One unfinished thing in a text, with the section it is in (``""``: before any heading, or the whole text)."""

    kind: FindingKind
    section: str
    #: The guidance found, as the template words it (shortened); empty for the other kinds.
    excerpt: str = ""

    @property
    def blocks_publication(self) -> bool:
        """Whether a call holding this text may not be published until it is fixed."""
        return self.kind in BLOCKING

    @property
    def message(self) -> str:
        """The finding in words, after the place it is in: "section “Success criteria” still holds …"."""
        where = f"section “{self.section}”" if self.section else "the text"
        if self.kind is FindingKind.guidance:
            return f"{where} still holds the template's guidance “{self.excerpt}”"
        if self.kind is FindingKind.empty:
            return f"{where} is empty" if self.section else "the text is empty"
        return f"{where} is missing (the template has it)"

    @property
    def sentence(self) -> str:
        """The message as a sentence of its own: "Section “Success criteria” is empty."."""
        return f"{self.message[0].upper()}{self.message[1:]}."


def findings(body: str, template: str) -> list[Finding]:
    """What ``body`` still owes ``template``: guidance and empty sections in the text's order, then missing headings."""
    template_blocks = _blocks(template)
    spelled: dict[str, str] = {}  # a heading's words, folded → as the template writes it
    for block in template_blocks:
        if block.level and _key(block.text):
            spelled.setdefault(_key(block.text), _plain(block.text))
    guidance = _guidance(template_blocks)
    blocks = _blocks(body)
    if not any(_WORDS.search(block.text) for block in blocks):
        return [Finding(FindingKind.empty, "")]
    found: list[Finding] = []
    present: set[str] = set()
    section = ""
    for index, block in enumerate(blocks):
        if block.level:
            key = _key(block.text)
            present.add(key)
            section = spelled.get(key, _plain(block.text))
            if key in spelled and _section_is_empty(blocks, index, guidance):
                found.append(Finding(FindingKind.empty, section))
            continue
        for text in _guidance_in(block, guidance):
            finding = Finding(FindingKind.guidance, section, _excerpt(text))
            if finding not in found:
                found.append(finding)
    found.extend(Finding(FindingKind.missing, wording) for key, wording in spelled.items() if key not in present)
    return found


def blocking(found: list[Finding]) -> list[Finding]:
    """The findings that hold up a publication."""
    return [finding for finding in found if finding.blocks_publication]


# --- Reading Markdown into blocks -----------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A heading (``level`` 1 to 6, its words as the one line) or a paragraph (``level`` 0) of Markdown."""

    level: int
    lines: tuple[str, ...]
    #: Fenced code: the author's text whatever it says, never guidance.
    code: bool = False

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines).strip()


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_WORDS = re.compile(r"\w")


def _blocks(markdown: str) -> list[_Block]:
    """The headings and paragraphs of a Markdown text; comments dropped, fenced code kept as paragraphs."""
    lines = _COMMENT.sub("", (markdown or "").replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    blocks: list[_Block] = []
    paragraph: list[str] = []
    code: list[str] = []
    fence = ""

    def flush() -> None:
        if paragraph:
            blocks.append(_Block(0, tuple(paragraph)))
            paragraph.clear()

    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                blocks.append(_Block(0, tuple(code), code=True))
                code.clear()
                fence = ""
            else:
                code.append(line)
            continue
        if opening := _FENCE.match(line):
            flush()
            fence = opening.group(1)
            continue
        if not line.strip():
            flush()
        elif heading := _ATX.match(line):
            flush()
            blocks.append(_Block(len(heading.group(1)), ((heading.group(2) or "").strip(),)))
        elif paragraph and (underline := _SETEXT.match(line)):
            blocks.append(_Block(1 if underline.group(1)[0] == "=" else 2, (" ".join(paragraph),)))
            paragraph.clear()
        elif _RULE.match(line):
            flush()  # a horizontal rule says nothing
        else:
            paragraph.append(line)
    flush()
    if fence:  # a fence never closed runs to the end of the text
        blocks.append(_Block(0, tuple(code), code=True))
    return blocks


# --- Comparing text -------------------------------------------------------------------------------

_MARKERS = re.compile(r"[_*`]")
_LEADING = re.compile(r"^(?:\s*(?:>|[-+]|\d+[.)])\s+)+")
_TRAILING = re.compile(r"(?:\s|[.…:;,!?])+$")
_ELLIPSIS = re.compile(r"(?:…|\.\.\.)[\s_*]*$")


def _plain(text: str) -> str:
    """Text without emphasis markers, its spaces single: as a finding quotes it."""
    return " ".join(_MARKERS.sub("", text).split())


def _key(text: str) -> str:
    """Text as compared: plain, lower case, without a list or quote marker in front or punctuation at the end."""
    return _TRAILING.sub("", _LEADING.sub("", _plain(text).casefold()))


def _guidance(template_blocks: list[_Block]) -> dict[str, str]:
    """The template's paragraphs that hold words, compared form → as the template writes them."""
    found: dict[str, str] = {}
    for block in template_blocks:
        if not block.level and not block.code and _WORDS.search(block.text):
            found.setdefault(_key(block.text), _plain(block.text))
    return found


def _match(text: str, guidance: dict[str, str]) -> str | None:
    """The guidance paragraph ``text`` is, or is the start of when cut short with an ellipsis, if any."""
    key = _key(text)
    if not key:
        return None
    if key in guidance:
        return guidance[key]
    if _ELLIPSIS.search(text):
        stem = _key(_ELLIPSIS.sub("", text))
        if len(stem) >= SHORTEST_CUT:
            return next((wording for known, wording in guidance.items() if known.startswith(stem)), None)
    return None


def _guidance_in(block: _Block, guidance: dict[str, str]) -> list[str]:
    """The guidance a paragraph holds: the whole of it, or some of its lines."""
    if not guidance or block.code:
        return []
    whole = _match(block.text, guidance)
    if whole:
        return [whole]
    return list(dict.fromkeys(m for m in (_match(line, guidance) for line in block.lines) if m))


def _own_words(block: _Block, guidance: dict[str, str]) -> bool:
    """Whether a paragraph holds anything but guidance."""
    if block.code:
        return bool(block.text)
    if _match(block.text, guidance):
        return False
    return any(_WORDS.search(line) and not _match(line, guidance) for line in block.lines)


def _section_is_empty(blocks: list[_Block], index: int, guidance: dict[str, str]) -> bool:
    """Nothing at all under the heading at ``index`` up to the next heading (guidance is reported by itself).

    A section that holds sub-headings is not empty: each of them is judged on its own.
    """
    level = blocks[index].level
    for block in blocks[index + 1 :]:
        if block.level:
            return block.level <= level
        if _own_words(block, guidance) or _guidance_in(block, guidance):
            return False
    return True


def _excerpt(text: str) -> str:
    """The guidance as a finding quotes it: without its closing stop, and shortened with an ellipsis."""
    text = text.rstrip(" .:;,")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip(" .:;,") + "…"
