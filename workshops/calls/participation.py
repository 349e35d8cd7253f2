"""Who took part in the workshops behind a call, and the needs their breakouts logged: the report's counts.

Per workshop and over all of them, in a fixed number of queries whatever the number of workshops,
breakouts, people or needs. Over all workshops a person counts once, however many they attended;
a purged workshop's registrations are gone, so its participants count from the counts kept when
it was purged, once for that workshop.

Needs count as they were logged: every need stated in a breakout, whatever became of it. A need
that a merge made was stated by no one and is not a need logged. Of the needs logged, those merged
into others and the internal ones are counted apart (internal ones are counted, never named). The
stated needs come from :func:`workshops.needs.provenance.stated_in`, the reading that traceability
and the call's evidence use, so that no two counts can disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from workshops.auth.models import User, organisation_type_label
from workshops.countries import country_name
from workshops.events.models import Breakout, Registration, RegistrationState, Workshop, WorkshopAttendance
from workshops.needs import provenance
from workshops.needs.provenance import Origin

NO_COUNTRY = "Not given"


@dataclass(frozen=True)
class BreakoutLine:
    """A breakout and the needs logged there."""

    title: str
    #: Needs logged: every need stated there, whatever became of it (a need made by a merge is none).
    needs: int = 0
    #: Of the needs logged, how many were merged into others.
    merged: int = 0
    #: Of the needs logged, how many are internal: counted, never named or quoted.
    internal: int = 0

    def cells(self) -> tuple[str, int, int, int]:
        """The line as a table row."""
        return (self.title, self.needs, self.merged, self.internal)


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
class Overall:
    """The totals over every workshop of the report."""

    workshops: int
    #: Each person once, however many workshops they attended (see ``purged``).
    participants: int
    #: Of them, how many took part in more than one workshop (among the workshops not purged).
    returning: int
    #: How many workshops were purged: their participants count once for each of those workshops.
    purged: int
    by_type: list[tuple[str, int]]
    by_country: list[tuple[str, int]]
    needs: BreakoutLine

    @classmethod
    def empty(cls) -> Overall:
        """The totals of no workshop."""
        return cls(0, 0, 0, 0, [], [], BreakoutLine("All breakouts", 0))


@dataclass(frozen=True)
class Participation:
    """The workshops, each with its counts, and the totals over all of them."""

    workshops: list[WorkshopPart]
    overall: Overall


def read(session: Session, workshop_ids: Iterable[int]) -> Participation:
    """The counts of these workshops, oldest first, and their totals (six queries, whatever the size)."""
    ids = sorted(set(workshop_ids))
    if not ids:
        return Participation(workshops=[], overall=Overall.empty())
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
    lines = _breakout_lines(breakouts, provenance.stated_in(session, [b.id for b in breakouts]))
    # A purged workshop's registrations are gone: its counts were kept, the listing consents were not.
    purged = {workshop.id for workshop in workshops if workshop.purged_at is not None}
    kept = session.exec(select(WorkshopAttendance).where(col(WorkshopAttendance.workshop_id).in_(ids))).all()
    kept = [row for row in kept if row.workshop_id in purged]
    people = [(workshop_id, consent, user) for workshop_id, consent, user in people if workshop_id not in purged]
    parts = [
        _part(
            workshop,
            [(consent, user) for workshop_id, consent, user in people if workshop_id == workshop.id],
            [row for row in kept if row.workshop_id == workshop.id],
            [lines[b.id] for b in breakouts if b.workshop_id == workshop.id],
        )
        for workshop in workshops
    ]
    return Participation(workshops=parts, overall=_overall(parts, people, kept, purged, list(lines.values())))


def _breakout_lines(breakouts: list[Breakout], stated: dict[int, list[Origin]]) -> dict[int, BreakoutLine]:
    """Each breakout's needs logged, by breakout id: a stated need under a top other than itself was merged."""
    counts = {breakout.id: Counter() for breakout in breakouts}
    for top_id, origins in stated.items():
        for origin in origins:
            counted = counts[origin.breakout_id]
            counted["needs"] += 1
            counted["merged"] += origin.need_id != top_id
            counted["internal"] += origin.internal
    return {breakout.id: BreakoutLine(title=breakout.title, **counts[breakout.id]) for breakout in breakouts}


def _part(
    workshop: Workshop, present: list[tuple], kept: list[WorkshopAttendance], breakouts: list[BreakoutLine]
) -> WorkshopPart:
    if workshop.purged_at is not None:
        types, countries = _kept_counts(kept)
        participants, listed = sum(row.participants for row in kept), []
    else:
        types, countries = _people_counts(user for _, user in present)
        listed = sorted({user.organisation.strip() for consent, user in present if consent} - {""})
        participants = len(present)
    return WorkshopPart(
        workshop=workshop,
        participants=participants,
        by_type=_ranked(types),
        by_country=_ranked(countries),
        listed=listed,
        breakouts=breakouts,
    )


def _overall(
    parts: list[WorkshopPart],
    people: list[tuple],
    kept: list[WorkshopAttendance],
    purged: set[int],
    lines: list[BreakoutLine],
) -> Overall:
    """The totals: people of the workshops not purged once each, plus the counts kept of the purged ones."""
    attended = Counter(user_id for _, user_id in {(workshop_id, user.id) for workshop_id, _, user in people})
    persons = {user.id: user for _, _, user in people}
    types, countries = _people_counts(persons.values())
    kept_types, kept_countries = _kept_counts(kept)
    return Overall(
        workshops=len(parts),
        participants=len(persons) + sum(row.participants for row in kept),
        returning=sum(1 for times in attended.values() if times > 1),
        purged=len(purged),
        by_type=_ranked(types + kept_types),
        by_country=_ranked(countries + kept_countries),
        needs=BreakoutLine(
            title="All breakouts",
            needs=sum(line.needs for line in lines),
            merged=sum(line.merged for line in lines),
            internal=sum(line.internal for line in lines),
        ),
    )


def _people_counts(users: Iterable[User]) -> tuple[Counter, Counter]:
    types, countries = Counter(), Counter()
    for user in users:
        types[organisation_type_label(user.organisation_type)] += 1
        countries[country_name(user.country) or NO_COUNTRY] += 1
    return types, countries


def _kept_counts(rows: Iterable[WorkshopAttendance]) -> tuple[Counter, Counter]:
    types, countries = Counter(), Counter()
    for row in rows:
        types[organisation_type_label(row.organisation_type)] += row.participants
        countries[country_name(row.country) or NO_COUNTRY] += row.participants
    return types, countries


def _ranked(counts: Counter) -> list[tuple[str, int]]:
    """Largest first, then by name: the order the report's tables show."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
