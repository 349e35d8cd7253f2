"""The consultation report: the evidence that a call came from its stakeholders.

For each workshop behind the call's challenges: who took part (counts by organisation type and by
country, and the organisations that agreed to be listed), its breakouts and how many needs each
logged; then, for each challenge, the needs behind it. For organisers only, yet it is an export:
``internal`` needs are neither listed nor counted, and an ``anonymous`` need never names its
organisation. Deterministic, like the call text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from markupsafe import escape
from sqlmodel import Session, col, func, select

from workshops.auth.models import User, organisation_type_label
from workshops.calls.docx import DocxWriter
from workshops.calls.exports import HTML_STYLE, CallText
from workshops.countries import country_name
from workshops.events.models import Breakout, Registration, RegistrationState, Workshop, WorkshopAttendance
from workshops.markdown import escape as escape_markdown
from workshops.needs import provenance
from workshops.needs.models import Need, NeedState, Sensitivity
from workshops.needs.provenance import Origin
from workshops.timeutil import local
from workshops.usecases import traceability


@dataclass(frozen=True)
class BreakoutLine:
    """A breakout and the needs it logged (public and anonymous ones)."""

    title: str
    needs: int


@dataclass(frozen=True)
class WorkshopPart:
    """Who took part in a workshop, and what its breakouts logged."""

    workshop: Workshop
    participants: int
    by_type: list[tuple[str, int]]
    by_country: list[tuple[str, int]]
    listed: list[str]
    breakouts: list[BreakoutLine]


@dataclass(frozen=True)
class NeedLine:
    """A need behind a challenge, as the report names it."""

    title: str
    organisation: str
    organisation_type: str
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


def build(session: Session, call_text: CallText) -> Report:
    """Read the report's data (a fixed number of queries, whatever the number of workshops)."""
    use_case_ids = [c.challenge.use_case_id for c in call_text.challenges()]
    linked = traceability.linked_needs(session, use_case_ids)
    shown = {uid: [n for n in needs if n.sensitivity != Sensitivity.internal] for uid, needs in linked.items()}
    shown_ids = {n.id for needs in shown.values() for n in needs}
    votes = traceability.vote_counts(session, shown_ids)
    behind = provenance.origins(session, shown_ids)
    workshop_ids = sorted({n.breakout.workshop_id for needs in shown.values() for n in needs})
    return Report(
        call_text=call_text,
        workshops=_workshops(session, workshop_ids),
        needs_by_challenge={
            c.number: [_need_line(n, votes, behind[n.id]) for n in shown.get(c.challenge.use_case_id, [])]
            for c in call_text.challenges()
        },
    )


def _need_line(need: Need, votes: dict[int, int], origins: list[Origin]) -> NeedLine:
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
        country=joined(o.country for o in public),
        workshop=need.breakout.workshop.title,
        breakout=need.breakout.title,
        votes=votes.get(need.id, 0),
    )


def _workshops(session: Session, ids: list[int]) -> list[WorkshopPart]:
    if not ids:
        return []
    workshops = session.exec(
        select(Workshop).where(col(Workshop.id).in_(ids)).order_by(Workshop.starts_at, Workshop.id)
    ).all()
    people = session.exec(
        select(Registration.workshop_id, Registration.consent_listing_at, User)
        .join(User, col(User.id) == Registration.user_id)
        .where(col(Registration.workshop_id).in_(ids), Registration.state == RegistrationState.confirmed)
    ).all()
    breakouts = session.exec(
        select(Breakout).where(col(Breakout.workshop_id).in_(ids)).order_by(Breakout.starts_at, Breakout.id)
    ).all()
    logged = dict(
        session.exec(
            select(Need.breakout_id, func.count())
            .join(Breakout, col(Breakout.id) == Need.breakout_id)
            .where(
                col(Breakout.workshop_id).in_(ids),
                Need.sensitivity != Sensitivity.internal,
                Need.state != NeedState.merged,  # a merge counts once, as the need it became
            )
            .group_by(Need.breakout_id)
        ).all()
    )
    # A purged workshop's registrations are gone: its counts were kept, the listing consents were not.
    kept = session.exec(select(WorkshopAttendance).where(col(WorkshopAttendance.workshop_id).in_(ids))).all()
    parts = []
    for workshop in workshops:
        if workshop.purged_at is not None:
            rows = [row for row in kept if row.workshop_id == workshop.id]
            types, countries = Counter(), Counter()
            for row in rows:
                types[organisation_type_label(row.organisation_type)] += row.participants
                countries[country_name(row.country) or "Not given"] += row.participants
            participants, listed = sum(row.participants for row in rows), []
        else:
            present = [(consent, user) for workshop_id, consent, user in people if workshop_id == workshop.id]
            types = Counter(organisation_type_label(user.organisation_type) for _, user in present)
            countries = Counter(country_name(user.country) or "Not given" for _, user in present)
            listed = sorted({user.organisation.strip() for consent, user in present if consent} - {""})
            participants = len(present)
        parts.append(
            WorkshopPart(
                workshop=workshop,
                participants=participants,
                by_type=sorted(types.items(), key=lambda item: (-item[1], item[0])),
                by_country=sorted(countries.items(), key=lambda item: (-item[1], item[0])),
                listed=listed,
                breakouts=[
                    BreakoutLine(title=b.title, needs=logged.get(b.id, 0))
                    for b in breakouts
                    if b.workshop_id == workshop.id
                ],
            )
        )
    return parts


def _when(workshop: Workshop) -> str:
    return local(workshop.starts_at, workshop.timezone, "%d %B %Y").lstrip("0")


def markdown(report: Report) -> str:
    """The report as Markdown."""
    call = report.call_text.call
    parts = [f"# Consultation report: {escape_markdown(call.name)}", report.call_text.dates()]
    parts.append(
        f"The {len(report.call_text.challenges())} challenges of this call come from the needs stated by "
        f"participants in {len(report.workshops)} workshop{'s' if len(report.workshops) != 1 else ''}."
    )
    parts.append("## Workshops")
    for part in report.workshops:
        workshop = part.workshop
        parts.append(f"### {escape_markdown(workshop.title)}")
        parts.append(f"{_when(workshop)}{' · ' + escape_markdown(workshop.venue) if workshop.venue else ''}")
        parts.append(f"{part.participants} participant{'s' if part.participants != 1 else ''}.")
        parts.append(_md_table(["Type of organisation", "Participants"], part.by_type))
        parts.append(_md_table(["Country", "Participants"], part.by_country))
        if part.listed:
            parts.append(
                "Organisations that agreed to be listed: " + "; ".join(escape_markdown(o) for o in part.listed)
            )
        parts.append(_md_table(["Breakout", "Needs logged"], [(b.title, b.needs) for b in part.breakouts]))
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
    lines += ["| " + " | ".join(escape_markdown(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def html(report: Report) -> str:
    """The report as one self-contained HTML file."""
    call = report.call_text.call
    body = [
        f"<h1>Consultation report: {escape(call.name)}</h1>",
        f'<p class="dates">{escape(report.call_text.dates())}</p>',
        f"<p>The {len(report.call_text.challenges())} challenges of this call come from the needs stated by "
        f"participants in {len(report.workshops)} workshop{'s' if len(report.workshops) != 1 else ''}.</p>",
        "<h2>Workshops</h2>",
    ]
    for part in report.workshops:
        workshop = part.workshop
        venue = f" · {escape(workshop.venue)}" if workshop.venue else ""
        body += [
            f"<section><h3>{escape(workshop.title)}</h3><p>{escape(_when(workshop))}{venue}</p>",
            f"<p>{part.participants} participant{'s' if part.participants != 1 else ''}.</p>",
            _html_table(["Type of organisation", "Participants"], part.by_type),
            _html_table(["Country", "Participants"], part.by_country),
        ]
        if part.listed:
            listed = "; ".join(str(escape(o)) for o in part.listed)
            body.append(f"<p>Organisations that agreed to be listed: {listed}</p>")
        body += [_html_table(["Breakout", "Needs logged"], [(b.title, b.needs) for b in part.breakouts]), "</section>"]
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
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
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
    for part in report.workshops:
        workshop = part.workshop
        writer.heading(workshop.title, 2)
        writer.paragraph(f"{_when(workshop)}{' · ' + workshop.venue if workshop.venue else ''}")
        writer.paragraph(f"{part.participants} participant{'s' if part.participants != 1 else ''}.")
        writer.table(["Type of organisation", "Participants"], [[t, str(n)] for t, n in part.by_type])
        writer.table(["Country", "Participants"], [[c, str(n)] for c, n in part.by_country])
        if part.listed:
            writer.paragraph("Organisations that agreed to be listed: " + "; ".join(part.listed))
        writer.table(["Breakout", "Needs logged"], [[b.title, str(b.needs)] for b in part.breakouts])
    writer.heading("The needs behind each challenge", 1)
    for challenge in report.call_text.challenges():
        writer.heading(f"Challenge {challenge.number}: {challenge.title}", 2)
        lines = report.needs_by_challenge.get(challenge.number, [])
        if lines:
            writer.table(NEED_HEADER, [[str(cell) for cell in n.cells()] for n in lines])
        else:
            writer.paragraph("No public need is linked to this challenge.")
    return writer.to_bytes()
