"""Where a use case comes from: the needs behind it, who stated them, and the totals a call can cite.

What each person sees follows the needs' sensitivity: an ``internal`` need is listed only to
organisers and the facilitators of its breakout; an ``anonymous`` need's organisation is named only
to organisers. The totals count every linked need, named or not, so that they are the same for
everyone and never reveal which need is which.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.auth.models import OrganisationType, User, organisation_type_label
from workshops.auth.rules import is_organiser
from workshops.events.models import Breakout, BreakoutFacilitator
from workshops.needs.models import Need, Sensitivity
from workshops.needs.queries import vote_counts
from workshops.search import fold
from workshops.usecases.models import UseCase, UseCaseNeed
from workshops.usecases.rules import shows_organisation

#: Organisation types counted as the people with the problem, and as those who build solutions.
END_USERS = frozenset({OrganisationType.end_user, OrganisationType.public_authority})
INTEGRATORS = frozenset({OrganisationType.integrator, OrganisationType.sme})


@dataclass(frozen=True)
class TraceEntry:
    """One need behind the use case, as this viewer may see it."""

    need: Need
    votes: int
    #: The organisation, or ``None`` when the viewer may not see it (an anonymous need).
    organisation: str | None

    @property
    def organisation_type_label(self) -> str:
        """The type of organisation, as people read it."""
        return organisation_type_label(self.need.organisation_type)


@dataclass(frozen=True)
class Totals:
    """Counts over every need linked to the use case (or to several), whoever looks."""

    needs: int = 0
    organisations: int = 0
    countries: int = 0
    workshops: int = 0
    end_users: int = 0
    integrators: int = 0
    others: int = 0
    votes: int = 0


@dataclass(frozen=True)
class Traceability:
    """The panel: the needs the viewer may see, how many they may not, and the totals."""

    entries: list[TraceEntry] = field(default_factory=list)
    hidden: int = 0
    totals: Totals = field(default_factory=Totals)


@dataclass(frozen=True)
class NeedFacts:
    """What the totals count of a need: read alone, it keeps large calls' exports fast."""

    id: int
    organisation: str
    organisation_type: str
    country: str
    sensitivity: str
    workshop_id: int

    @classmethod
    def of(cls, need: Need) -> NeedFacts:
        """The facts of a loaded need (its breakout loaded too)."""
        workshop_id = need.breakout.workshop_id
        return cls(need.id, need.organisation, need.organisation_type, need.country, need.sensitivity, workshop_id)


def totals_of(needs: Iterable[Need | NeedFacts], votes: dict[int, int] | None = None) -> Totals:
    """The totals of some needs: distinct organisations (case and accents ignored), countries, workshops.

    End-users and integrators are counted in needs, by the type of organisation that stated them.
    """
    facts = [n if isinstance(n, NeedFacts) else NeedFacts.of(n) for n in needs]
    types = [n.organisation_type for n in facts]
    return Totals(
        needs=len(facts),
        organisations=len({fold(n.organisation).strip() for n in facts if n.organisation.strip()}),
        countries=len({n.country for n in facts if n.country}),
        workshops=len({n.workshop_id for n in facts}),
        end_users=sum(1 for t in types if t in END_USERS),
        integrators=sum(1 for t in types if t in INTEGRATORS),
        others=sum(1 for t in types if t not in END_USERS | INTEGRATORS),
        votes=sum((votes or {}).get(n.id, 0) for n in facts),
    )


def linked_facts(session: Session, use_case_ids: Iterable[int]) -> dict[int, list[NeedFacts]]:
    """The facts of the needs behind each use case (one query, only the columns the totals count)."""
    ids = list(use_case_ids)
    found: dict[int, list[NeedFacts]] = {use_case_id: [] for use_case_id in ids}
    if not ids:
        return found
    rows = session.exec(
        select(
            UseCaseNeed.use_case_id,
            Need.id,
            Need.organisation,
            Need.organisation_type,
            Need.country,
            Need.sensitivity,
            Breakout.workshop_id,
        )
        .join(Need, col(Need.id) == UseCaseNeed.need_id)
        .join(Breakout, col(Breakout.id) == Need.breakout_id)
        .where(col(UseCaseNeed.use_case_id).in_(ids))
        .order_by(Need.id)
    ).all()
    for use_case_id, *facts in rows:
        found[use_case_id].append(NeedFacts(*facts))
    return found


def linked_needs(session: Session, use_case_ids: Iterable[int]) -> dict[int, list[Need]]:
    """The needs behind each use case, oldest first, with their breakouts and workshops (two queries)."""
    ids = list(use_case_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(UseCaseNeed.use_case_id, Need)
        .join(Need, col(Need.id) == UseCaseNeed.need_id)
        .where(col(UseCaseNeed.use_case_id).in_(ids))
        .order_by(Need.created_at, Need.id)
        .options(selectinload(Need.breakout).selectinload(Breakout.workshop))
    ).all()
    found: dict[int, list[Need]] = {use_case_id: [] for use_case_id in ids}
    for use_case_id, need in rows:
        found[use_case_id].append(need)
    return found


def panel(session: Session, use_case: UseCase, viewer: User) -> Traceability:
    """The traceability panel of a use case for this viewer, in a fixed number of queries."""
    needs = linked_needs(session, [use_case.id])[use_case.id]
    votes = vote_counts(session, [n.id for n in needs])
    facilitated = _facilitated(session, viewer, needs)
    visible = [n for n in needs if _may_list(n, viewer, facilitated)]
    entries = [TraceEntry(need=n, votes=votes.get(n.id, 0), organisation=_organisation(viewer, n)) for n in visible]
    return Traceability(entries=entries, hidden=len(needs) - len(visible), totals=totals_of(needs, votes))


def _organisation(viewer: User, need: Need) -> str | None:
    return need.organisation if shows_organisation(viewer, need) else None


def _facilitated(session: Session, viewer: User, needs: list[Need]) -> set[int]:
    internal_breakouts = {n.breakout_id for n in needs if n.sensitivity == Sensitivity.internal}
    if not internal_breakouts or is_organiser(viewer):
        return set()
    return set(
        session.exec(
            select(BreakoutFacilitator.breakout_id).where(
                BreakoutFacilitator.user_id == viewer.id, col(BreakoutFacilitator.breakout_id).in_(internal_breakouts)
            )
        )
    )


def _may_list(need: Need, viewer: User, facilitated: set[int]) -> bool:
    if need.sensitivity != Sensitivity.internal or is_organiser(viewer):
        return True
    return need.breakout_id in facilitated


def use_cases_fed(session: Session, need_ids: Iterable[int]) -> dict[int, list[UseCase]]:
    """For each need, the use cases it feeds (deleted ones feed nothing), by title (one query)."""
    ids = list(need_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(UseCaseNeed.need_id, UseCase)
        .join(UseCase, col(UseCase.id) == UseCaseNeed.use_case_id)
        .where(col(UseCaseNeed.need_id).in_(ids), col(UseCase.deleted_at).is_(None))
        .order_by(UseCase.title, UseCase.id)
    ).all()
    fed: dict[int, list[UseCase]] = {}
    for need_id, use_case in rows:
        fed.setdefault(need_id, []).append(use_case)
    return fed
