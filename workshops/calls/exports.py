"""The call text in every format: Markdown, HTML, DOCX, CSV and JSON, from one reading of the call.

Exports are deterministic: the same data gives the same bytes (nothing in them depends on the
time of the export). What they show is public: ``internal`` needs are never counted or named,
``anonymous`` ones are counted but never named, and challenge owners are named only when they
agreed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from markupsafe import escape
from sqlmodel import Session

from workshops.calls import rendered, text
from workshops.calls.composition import ChallengeText, DomainGroup, grouped
from workshops.calls.docx import DocxWriter
from workshops.calls.models import SECTIONS, OpenCall
from workshops.calls.rendered import CHALLENGE_LEVEL
from workshops.downloads import csv_text
from workshops.markdown import escape as escape_markdown
from workshops.markdown import neutralise, render_markdown
from workshops.needs import provenance
from workshops.needs.provenance import Origin
from workshops.timeutil import local, zone_abbreviation
from workshops.usecases import traceability

CSV_COLUMNS = [
    "number",
    "domain",
    "title",
    "summary",
    "owners",
    "trl_min",
    "trl_max",
    "needs",
    "organisations",
    "countries",
    "workshops",
    # Added after the columns above, which other systems read by position: keep them in this order.
    "domain_number",
    "body",
    "body_html",
]


@dataclass(frozen=True)
class CallText:
    """Everything an export shows, read once."""

    call: OpenCall
    groups: list[DomainGroup]
    counts: dict[int, traceability.Totals]
    #: The stated needs behind each need linked to a challenge, by need id (the report reads them too).
    origins: dict[int, list[Origin]]

    def challenges(self) -> list[ChallengeText]:
        """Every challenge in order."""
        return [challenge for group in self.groups for challenge in group.challenges]

    def dates(self) -> str:
        """When the call opens and closes, in its own time zone."""
        call = self.call
        pattern = "%d %B %Y, %H:%M"
        opens = f"{local(call.opens_at, call.timezone, pattern)} {zone_abbreviation(call.opens_at, call.timezone)}"
        closes = f"{local(call.closes_at, call.timezone, pattern)} {zone_abbreviation(call.closes_at, call.timezone)}"
        return f"Opens {opens.lstrip('0')}; closes {closes.lstrip('0')}."


def read(session: Session, call: OpenCall) -> CallText:
    """The call's text and each challenge's public counts (a fixed number of queries).

    A published call's challenges keep their rendered HTML; those frozen without it (or with another
    renderer's) get it here, stored for the next reading (``rendered.refresh``).
    """
    groups = grouped(session, call)
    rendered.refresh(session, [c.challenge for group in groups for c in group.challenges])
    use_case_ids = [c.challenge.use_case_id for group in groups for c in group.challenges]
    # ``traceability.public_totals``, its origins kept for the report.
    linked = traceability.linked_need_ids(session, use_case_ids)
    behind = provenance.origins(session, {need_id for ids in linked.values() for need_id in ids})
    counts = {
        use_case_id: traceability.totals_of(o for o in provenance.distinct(behind[i] for i in ids) if not o.internal)
        for use_case_id, ids in linked.items()
    }
    return CallText(call=call, groups=groups, counts=counts, origins=behind)


def _counts(call_text: CallText, challenge: ChallengeText) -> traceability.Totals:
    return call_text.counts.get(challenge.challenge.use_case_id, traceability.Totals())


def challenge_facts(call_text: CallText, challenge: ChallengeText) -> list[tuple[str, str]]:
    """The short facts shown under a challenge's heading."""
    facts = [("Technology readiness", f"TRL {challenge.trl_min} to {challenge.trl_max}")]
    if challenge.public_owners:
        facts.append(("Challenge owners", "; ".join(challenge.public_owners)))
    counts = _counts(call_text, challenge)
    facts.append(
        (
            "Evidence",
            f"{counts.needs} need{'s' if counts.needs != 1 else ''} from {counts.organisations} "
            f"organisation{'s' if counts.organisations != 1 else ''} in {counts.countries} "
            f"countr{'ies' if counts.countries != 1 else 'y'}, {counts.workshops} "
            f"workshop{'s' if counts.workshops != 1 else ''}",
        )
    )
    return facts


# --- Markdown -----------------------------------------------------------------------------------


def markdown(call_text: CallText) -> str:
    """The whole call text as Markdown, clean enough to paste into another system."""
    call = call_text.call
    parts = [f"# {escape_markdown(call.name)}", call_text.dates()]
    for field, heading in SECTIONS.items():
        body = getattr(call, field).strip()
        if body:
            parts += [f"## {heading}", text.nest_headings(neutralise(body), 2)]
    if call_text.groups:
        parts.append("## Challenges")
    for group in call_text.groups:
        parts.append(f"### {group.number}. {escape_markdown(group.domain.name)}")
        for challenge in group.challenges:
            parts.append(f"#### Challenge {challenge.number}: {escape_markdown(challenge.title)}")
            if challenge.summary.strip():
                parts.append(f"*{escape_markdown(challenge.summary)}*")
            facts = challenge_facts(call_text, challenge)
            parts.append("\n".join(f"- **{label}:** {escape_markdown(value)}" for label, value in facts))
            if challenge.body.strip():
                parts.append(text.nest_headings(neutralise(challenge.body.strip()), CHALLENGE_LEVEL))
    return "\n\n".join(parts) + "\n"


# --- HTML ---------------------------------------------------------------------------------------

HTML_STYLE = """
body { font: 11pt/1.5 "Liberation Serif", Georgia, serif; color: #111; max-width: 46rem; margin: 2rem auto;
  padding: 0 1rem; }
h1, h2, h3, h4, h5, h6 { font-family: "Liberation Sans", Arial, sans-serif; line-height: 1.25;
  break-after: avoid; page-break-after: avoid; }
h1 { font-size: 2rem; } h2 { font-size: 1.5rem; } h3 { font-size: 1.3rem; } h4 { font-size: 1.1rem; }
.dates { font-style: italic; }
.facts { margin: 0.5rem 0 1rem; padding: 0; list-style: none; }
.facts li { margin: 0.1rem 0; }
.summary { font-style: italic; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
pre, code { font-family: "Liberation Mono", Consolas, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 0.5rem; }
a { color: #0b4a8b; }
.challenge { break-inside: auto; }
p, li { orphans: 3; widows: 3; }
@media print {
  body { margin: 0; max-width: none; }
  .domain { break-before: page; page-break-before: always; }
  a { color: inherit; }
}
@page { size: A4; margin: 2cm; }
""".strip()


def html(call_text: CallText) -> str:
    """One self-contained HTML file: styles inside, no request elsewhere, tidy when printed to PDF."""
    call = call_text.call
    body = [f"<h1>{escape(call.name)}</h1>", f'<p class="dates">{escape(call_text.dates())}</p>']
    for field, heading in SECTIONS.items():
        section = getattr(call, field).strip()
        if section:
            body.append(
                f"<section><h2>{escape(heading)}</h2>{render_markdown(text.nest_headings(section, 2))}</section>"
            )
    for group in call_text.groups:
        challenges = []
        for challenge in group.challenges:
            facts = "".join(
                f"<li><strong>{escape(label)}:</strong> {escape(value)}</li>"
                for label, value in challenge_facts(call_text, challenge)
            )
            summary = f'<p class="summary">{escape(challenge.summary)}</p>' if challenge.summary.strip() else ""
            challenges.append(
                f'<article class="challenge" id="challenge-{escape(challenge.number)}">'
                f"<h4>Challenge {escape(challenge.number)}: {escape(challenge.title)}</h4>{summary}"
                f'<ul class="facts">{facts}</ul>{challenge.nested_html()}'
                "</article>"
            )
        heading = f"<h3>{group.number}. {escape(group.domain.name)}</h3>"
        body.append(f'<section class="domain">{heading}{"".join(challenges)}</section>')
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(call.name)}</title>\n<style>\n{HTML_STYLE}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# --- CSV and JSON -------------------------------------------------------------------------------


def rows(call_text: CallText) -> list[dict]:
    """One object per challenge, for the platform where applicants apply: the facts, then the full text.

    ``body`` is the challenge's Markdown as published (the use case's current text while the call is a
    draft), made inert for any renderer (``markdown.neutralise``: raw HTML shows as typed, script
    links lose their address); ``body_html`` is that text as the call's pages show it, rendered and sanitised
    by the one Markdown helper, its headings as written (the call's own pages move them under the
    challenge's heading). New keys go at the end: readers of the earlier ones keep working.
    """
    found = []
    for group in call_text.groups:
        for challenge in group.challenges:
            found.append(_row(call_text, group, challenge))
    return found


def _row(call_text: CallText, group: DomainGroup, challenge: ChallengeText) -> dict:
    counts = _counts(call_text, challenge)
    return {
        "number": challenge.number,
        "domain": challenge.domain.name,
        "title": challenge.title,
        "summary": challenge.summary,
        "owners": challenge.public_owners,
        "trl_min": challenge.trl_min,
        "trl_max": challenge.trl_max,
        "needs": counts.needs,
        "organisations": counts.organisations,
        "countries": counts.countries,
        "workshops": counts.workshops,
        "domain_number": group.number,
        "body": neutralise(challenge.body),
        "body_html": str(challenge.body_html()),
    }


def csv(call_text: CallText) -> str:
    """One row per challenge; owners joined by "; "; multi-line cells quoted, as every CSV reader expects.

    Like every CSV of the site, a cell that a spreadsheet would run as a formula (a body starting with
    ``-`` or ``=``) starts with an apostrophe; the JSON carries the text untouched.
    """
    table = rows(call_text)
    return csv_text(
        CSV_COLUMNS,
        ([("; ".join(row[c]) if c == "owners" else row[c]) for c in CSV_COLUMNS] for row in table),
    )


def as_json(call_text: CallText) -> str:
    """``{"call": {name, slug, opens_at, closes_at}, "challenges": [...]}``, keys in a fixed order."""
    call = call_text.call
    document = {
        "call": {
            "name": call.name,
            "slug": call.slug,
            "opens_at": _iso(call.opens_at),
            "closes_at": _iso(call.closes_at),
        },
        "challenges": rows(call_text),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- DOCX ---------------------------------------------------------------------------------------


def docx(call_text: CallText) -> bytes:
    """The call text as a Word document: heading styles, a table of contents, numbered challenges."""
    call = call_text.call
    writer = DocxWriter(title=call.name, subject="Open call", created=call.published_at or call.created_at)
    writer.title_block(call.name, call_text.dates())
    writer.table_of_contents()
    for field, heading in SECTIONS.items():
        section = getattr(call, field).strip()
        if section:
            writer.heading(heading, 1)
            writer.markdown(section, base_level=2)
    if call_text.groups:
        writer.heading("Challenges", 1)
    for group in call_text.groups:
        writer.heading(f"{group.number}. {group.domain.name}", 2)
        for challenge in group.challenges:
            writer.heading(f"Challenge {challenge.number}: {challenge.title}", 3)
            if challenge.summary.strip():
                writer.paragraph(challenge.summary, style="Subtitle")
            writer.facts(challenge_facts(call_text, challenge))
            if challenge.body.strip():
                _word_body(writer, challenge)
    return writer.to_bytes()


def _word_body(writer: DocxWriter, challenge: ChallengeText) -> None:
    """The body from its Word HTML (kept since publication), its top headings one below the challenge's Heading 3."""
    html = challenge.word_html()
    if html is None:
        writer.plain_blocks(challenge.body)
    elif html:
        writer.html(html, base_level=4)
