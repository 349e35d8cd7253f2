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
from workshops.needs import provenance
from workshops.needs.models import Need, Sensitivity
from workshops.needs.provenance import Origin
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
    """Counts over the stated needs behind the use case (through every merge), whoever looks."""

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


def totals_of(origins: Iterable[Origin], *, votes: int = 0) -> Totals:
    """The totals of some stated needs: distinct organisations (case and accents ignored), countries, workshops.

    End-users and integrators are counted in needs, by the type of organisation that stated them.
    ``votes`` are the votes of the needs the origins stand behind (a merge carries its originals' votes).
    """
    found = list(origins)
    types = [origin.organisation_type for origin in found]
    return Totals(
        needs=len(found),
        organisations=len({fold(o.organisation).strip() for o in found if o.organisation.strip()}),
        countries=len({o.country for o in found if o.country}),
        workshops=len({o.workshop_id for o in found}),
        end_users=sum(1 for t in types if t in END_USERS),
        integrators=sum(1 for t in types if t in INTEGRATORS),
        others=sum(1 for t in types if t not in END_USERS | INTEGRATORS),
        votes=votes,
    )


def linked_need_ids(session: Session, use_case_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of the needs linked to each use case (one query)."""
    ids = list(use_case_ids)
    found: dict[int, list[int]] = {use_case_id: [] for use_case_id in ids}
    if not ids:
        return found
    rows = session.exec(
        select(UseCaseNeed.use_case_id, UseCaseNeed.need_id)
        .where(col(UseCaseNeed.use_case_id).in_(ids))
        .order_by(UseCaseNeed.need_id)
    ).all()
    for use_case_id, need_id in rows:
        found[use_case_id].append(need_id)
    return found


def linked_origins(session: Session, use_case_ids: Iterable[int]) -> dict[int, list[Origin]]:
    """The stated needs behind each use case, through every merge, each once (two queries)."""
    linked = linked_need_ids(session, use_case_ids)
    behind = provenance.origins(session, {need_id for ids in linked.values() for need_id in ids})
    return {use_case_id: provenance.distinct(behind[i] for i in ids) for use_case_id, ids in linked.items()}


def public_totals(session: Session, use_case_ids: Iterable[int]) -> dict[int, Totals]:
    """Each use case's totals over its stated needs that are not internal: what a call may cite."""
    return {
        use_case_id: totals_of(o for o in found if not o.internal)
        for use_case_id, found in linked_origins(session, use_case_ids).items()
    }


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
    behind = provenance.origins(session, [n.id for n in needs])
    totals = totals_of(provenance.distinct(behind.values()), votes=sum(votes.values()))
    return Traceability(entries=entries, hidden=len(needs) - len(visible), totals=totals)


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
