"""The consultation report: the evidence that a call came from its stakeholders.

Over all the workshops behind the call's challenges, then for each of them: who took part (counts
by organisation type and by country, and the organisations that agreed to be listed), its
breakouts and the needs each logged (every need stated there, with those merged into others and
the internal ones counted apart, see :mod:`workshops.calls.participation`); then, for each
challenge, the needs behind it. For organisers only, yet it is an export: ``internal`` needs are
counted but never listed, named or quoted, and an ``anonymous`` need never names its organisation.
Deterministic, like the call text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from markupsafe import escape
from sqlmodel import Session, col, select

from workshops.auth.models import organisation_type_label
from workshops.calls import participation
from workshops.calls.docx import DocxWriter
from workshops.calls.exports import HTML_STYLE, CallText
from workshops.calls.participation import Overall, WorkshopPart
from workshops.countries import country_name
from workshops.events.models import Breakout, Workshop
from workshops.markdown import escape as escape_markdown
from workshops.needs.models import Need, Sensitivity
from workshops.needs.provenance import Origin
from workshops.timeutil import local
from workshops.usecases import traceability
from workshops.usecases.models import UseCaseNeed

TYPE_HEADER = ["Type of organisation", "Participants"]
COUNTRY_HEADER = ["Country", "Participants"]
BREAKOUT_HEADER = ["Breakout", "Needs logged", "Merged into others", "Internal"]
LOGGED_NOTE = (
    "Needs logged counts every need stated in a breakout, whatever became of it afterwards; a need made "
    "by merging others is not counted again. The needs merged into others and the internal needs are "
    "among those logged; internal needs are counted here and never named or quoted."
)


@dataclass(frozen=True)
class NeedLine:
    """A need behind a challenge, as the report names it."""

    title: str
    organisation: str
    organisation_type: str
    #: The countries of those who stated it, by name.
    country: str
    workshop: str
    breakout: str
    votes: int

    def cells(self) -> tuple:
        """The line as a table row."""
        return (
            self.title,
            self.organisation,
            self.organisation_type,
            self.country,
            self.workshop,
            self.breakout,
            self.votes,
        )


NEED_HEADER = ["Need", "Organisation", "Type", "Country", "Workshop", "Breakout", "Votes"]


@dataclass(frozen=True)
class Report:
    """Everything the report shows."""

    call_text: CallText
    workshops: list[WorkshopPart]
    needs_by_challenge: dict[str, list[NeedLine]]
    #: The totals over all the workshops.
    overall: Overall


def build(session: Session, call_text: CallText) -> Report:
    """Read the report's data (a fixed number of queries, whatever the number of workshops)."""
    use_case_ids = [c.challenge.use_case_id for c in call_text.challenges()]
    linked = _linked_needs(session, use_case_ids)
    shown = {uid: [n for n in needs if n.sensitivity != Sensitivity.internal] for uid, needs in linked.items()}
    shown_ids = {n.id for needs in shown.values() for n in needs}
    votes = traceability.vote_counts(session, shown_ids)
    behind = call_text.origins  # read with the call's counts, over every linked need
    # The workshops where the needs behind the challenges were stated, through every merge.
    workshop_ids = {n.workshop_id for needs in shown.values() for n in needs}
    workshop_ids |= {o.workshop_id for found in behind.values() for o in found if not o.internal}
    taking_part = participation.read(session, workshop_ids)
    return Report(
        call_text=call_text,
        workshops=taking_part.workshops,
        overall=taking_part.overall,
        needs_by_challenge={
            c.number: [_need_line(n, votes, behind[n.id]) for n in shown.get(c.challenge.use_case_id, [])]
            for c in call_text.challenges()
        },
    )


class LinkedNeed(NamedTuple):
    """What the report names of a need linked to a challenge: read as columns, not as whole needs."""

    id: int
    title: str
    sensitivity: str
    organisation_type: str
    breakout: str
    workshop_id: int
    workshop: str


def _linked_needs(session: Session, use_case_ids: list[int]) -> dict[int, list[LinkedNeed]]:
    """The needs behind each use case, oldest first, with their breakouts and workshops (one query)."""
    found: dict[int, list[LinkedNeed]] = {use_case_id: [] for use_case_id in use_case_ids}
    if not use_case_ids:
        return found
    rows = (
        session.connection()
        .execute(  # plain rows: thousands of them
            select(
                UseCaseNeed.use_case_id,
                Need.id,
                Need.title,
                Need.sensitivity,
                Need.organisation_type,
                Breakout.title,
                Breakout.workshop_id,
                Workshop.title,
            )
            .join(Need, col(Need.id) == UseCaseNeed.need_id)
            .join(Breakout, col(Breakout.id) == Need.breakout_id)
            .join(Workshop, col(Workshop.id) == Breakout.workshop_id)
            .where(col(UseCaseNeed.use_case_id).in_(use_case_ids))
            .order_by(Need.created_at, Need.id)
        )
        .all()
    )
    for use_case_id, *facts in rows:
        found[use_case_id].append(LinkedNeed(*facts))
    return found


def _need_line(need: LinkedNeed, votes: dict[int, int], origins: list[Origin]) -> NeedLine:
    """A need as the report names it: who stated it, through its merges (internal originals unnamed)."""
    anonymous = need.sensitivity == Sensitivity.anonymous
    public = [o for o in origins if not o.internal]

    def joined(values) -> str:
        return "; ".join(dict.fromkeys(v for v in values if v))

    return NeedLine(
        title=need.title,
        organisation="anonymous"
        if anonymous
        else joined("anonymous" if o.sensitivity == Sensitivity.anonymous else o.organisation or "—" for o in public)
        or "—",
        organisation_type=joined(organisation_type_label(o.organisation_type) for o in public)
        or organisation_type_label(need.organisation_type),
        country=joined(country_name(o.country) for o in public),
        workshop=need.workshop,
        breakout=need.breakout,
        votes=votes.get(need.id, 0),
    )


def _workshops(session: Session, ids: list[int]) -> list[WorkshopPart]:
    """Each workshop's counts, oldest first."""
    return participation.read(session, ids).workshops


def _when(workshop: Workshop) -> str:
    return local(workshop.starts_at, workshop.timezone, "%d %B %Y").lstrip("0")


def _counted(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def _overall_sentences(overall: Overall) -> list[str]:
    """Who took part over all the workshops, in plain sentences (counts only: nothing to escape)."""
    if overall.workshops == 1:
        return [f"{_counted(overall.participants, 'participant')} in all."]
    sentences = [
        f"{_counted(overall.participants, 'participant')} in all, each counted once: "
        f"{overall.returning} of them took part in more than one workshop."
    ]
    if overall.purged:
        sentences.append(
            f"The registrations of {_counted(overall.purged, 'workshop')} were deleted after the retention period: "
            "their participants count from the numbers kept, once for each of those workshops."
        )
    return sentences


def markdown(report: Report) -> str:
    """The report as Markdown."""
    call = report.call_text.call
    parts = [f"# Consultation report: {escape_markdown(call.name)}", report.call_text.dates()]
    parts.append(
        f"The {len(report.call_text.challenges())} challenges of this call come from the needs stated by "
        f"participants in {_counted(len(report.workshops), 'workshop')}."
    )
    parts.append("## Workshops")
    if report.workshops:
        overall = report.overall
        parts += ["### All workshops", *_overall_sentences(overall)]
        parts.append(_md_table(TYPE_HEADER, overall.by_type))
        parts.append(_md_table(COUNTRY_HEADER, overall.by_country))
        parts += [_md_table(BREAKOUT_HEADER, [overall.needs.cells()]), LOGGED_NOTE]
    for part in report.workshops:
        workshop = part.workshop
        parts.append(f"### {escape_markdown(workshop.title)}")
        parts.append(f"{_when(workshop)}{' · ' + escape_markdown(workshop.venue) if workshop.venue else ''}")
        parts.append(f"{_counted(part.participants, 'participant')}.")
        parts.append(_md_table(TYPE_HEADER, part.by_type))
        parts.append(_md_table(COUNTRY_HEADER, part.by_country))
        if part.listed:
            parts.append(
                "Organisations that agreed to be listed: " + "; ".join(escape_markdown(o) for o in part.listed)
            )
        parts.append(_md_table(BREAKOUT_HEADER, [b.cells() for b in part.breakouts]))
    parts.append("## The needs behind each challenge")
    for challenge in report.call_text.challenges():
        parts.append(f"### Challenge {challenge.number}: {escape_markdown(challenge.title)}")
        lines = report.needs_by_challenge.get(challenge.number, [])
        if lines:
            parts.append(_md_table(NEED_HEADER, [n.cells() for n in lines]))
        else:
            parts.append("No public need is linked to this challenge.")
    return "\n\n".join(parts) + "\n"


def _md_table(header: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


#: A report repeats its cells (workshops, breakouts, types, countries, counts): each escaped once.
_md_cell = lru_cache(maxsize=8192)(escape_markdown)


def html(report: Report) -> str:
    """The report as one self-contained HTML file."""
    call = report.call_text.call
    body = [
        f"<h1>Consultation report: {escape(call.name)}</h1>",
        f'<p class="dates">{escape(report.call_text.dates())}</p>',
        f"<p>The {len(report.call_text.challenges())} challenges of this call come from the needs stated by "
        f"participants in {_counted(len(report.workshops), 'workshop')}.</p>",
        "<h2>Workshops</h2>",
    ]
    if report.workshops:
        overall = report.overall
        body += [
            '<section class="overall"><h3>All workshops</h3>',
            *(f"<p>{escape(sentence)}</p>" for sentence in _overall_sentences(overall)),
            _html_table(TYPE_HEADER, overall.by_type),
            _html_table(COUNTRY_HEADER, overall.by_country),
            _html_table(BREAKOUT_HEADER, [overall.needs.cells()]),
            f"<p>{escape(LOGGED_NOTE)}</p></section>",
        ]
    for part in report.workshops:
        workshop = part.workshop
        venue = f" · {escape(workshop.venue)}" if workshop.venue else ""
        body += [
            f"<section><h3>{escape(workshop.title)}</h3><p>{escape(_when(workshop))}{venue}</p>",
            f"<p>{_counted(part.participants, 'participant')}.</p>",
            _html_table(TYPE_HEADER, part.by_type),
            _html_table(COUNTRY_HEADER, part.by_country),
        ]
        if part.listed:
            listed = "; ".join(str(escape(o)) for o in part.listed)
            body.append(f"<p>Organisations that agreed to be listed: {listed}</p>")
        body += [_html_table(BREAKOUT_HEADER, [b.cells() for b in part.breakouts]), "</section>"]
    body.append('<section class="domain"><h2>The needs behind each challenge</h2>')
    for challenge in report.call_text.challenges():
        body.append(f"<h3>Challenge {escape(challenge.number)}: {escape(challenge.title)}</h3>")
        lines = report.needs_by_challenge.get(challenge.number, [])
        rows = [n.cells() for n in lines]
        body.append(_html_table(NEED_HEADER, rows) if rows else "<p>No public need is linked to this challenge.</p>")
    body.append("</section>")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Consultation report: {escape(call.name)}</title>\n<style>\n{HTML_STYLE}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_table(header: list[str], rows: list[tuple]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    escaped: dict[str, str] = {}  # workshops, breakouts, countries and types repeat down a table: each escaped once

    def cell(value) -> str:
        text = str(value)
        found = escaped.get(text)
        if found is None:
            found = escaped[text] = f"<td>{escape(text)}</td>"
        return found

    body = "".join("<tr>" + "".join(map(cell, row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def docx(report: Report) -> bytes:
    """The report as a Word document, with a table of contents."""
    call = report.call_text.call
    writer = DocxWriter(
        title=f"Consultation report: {call.name}",
        subject="Consultation report",
        created=call.published_at or call.created_at,
    )
    writer.title_block(f"Consultation report: {call.name}", report.call_text.dates())
    writer.table_of_contents()
    writer.heading("Workshops", 1)
    if report.workshops:
        overall = report.overall
        writer.heading("All workshops", 2)
        for sentence in _overall_sentences(overall):
            writer.paragraph(sentence)
        writer.table(TYPE_HEADER, [[t, str(n)] for t, n in overall.by_type])
        writer.table(COUNTRY_HEADER, [[c, str(n)] for c, n in overall.by_country])
        writer.table(BREAKOUT_HEADER, [[str(cell) for cell in overall.needs.cells()]])
        writer.paragraph(LOGGED_NOTE)
    for part in report.workshops:
        workshop = part.workshop
        writer.heading(workshop.title, 2)
        writer.paragraph(f"{_when(workshop)}{' · ' + workshop.venue if workshop.venue else ''}")
        writer.paragraph(f"{_counted(part.participants, 'participant')}.")
        writer.table(TYPE_HEADER, [[t, str(n)] for t, n in part.by_type])
        writer.table(COUNTRY_HEADER, [[c, str(n)] for c, n in part.by_country])
        if part.listed:
            writer.paragraph("Organisations that agreed to be listed: " + "; ".join(part.listed))
        writer.table(BREAKOUT_HEADER, [[str(cell) for cell in b.cells()] for b in part.breakouts])
    writer.heading("The needs behind each challenge", 1)
    for challenge in report.call_text.challenges():
        writer.heading(f"Challenge {challenge.number}: {challenge.title}", 2)
        lines = report.needs_by_challenge.get(challenge.number, [])
        if lines:
            writer.table(NEED_HEADER, [[str(cell) for cell in n.cells()] for n in lines])
        else:
            writer.paragraph("No public need is linked to this challenge.")
    return writer.to_bytes()
