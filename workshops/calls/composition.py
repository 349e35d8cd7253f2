"""Composing a call: its challenges in order, their numbers, and the text frozen on publication.

A challenge's number is ``D.N``: the position of its domain among the call's domains (the call
orders them, by default in the domains' own order), then its position within the domain. Positions
have no gaps, so the numbers always run 1.1, 1.2, …, 2.1, …

These changes record nothing and tell nobody; the organisers' pages make them through
``workshops.calls.services``, which adds the audit entries and the e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

from workshops.calls.models import CallDomain, CallState, Challenge, OpenCall
from workshops.db import write_transaction
from workshops.programme.models import Domain
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCase, UseCaseRevision, UseCaseState

#: The use-case fields a published challenge keeps as they were.
FROZEN = ("title", "summary", "body", "owners", "owners_may_be_named", "trl_min", "trl_max")


class CallError(Exception):
    """A change was refused; the message is meant for the person."""


@dataclass(frozen=True)
class ChallengeText:
    """What a challenge says: the frozen text of a published call, or the use case's current text."""

    challenge: Challenge
    number: str
    domain: Domain
    title: str
    summary: str
    body: str
    owners: list[str]
    owners_may_be_named: bool
    trl_min: int
    trl_max: int

    @property
    def public_owners(self) -> list[str]:
        """The owners as the public may read them: only when they agreed to be named."""
        return self.owners if self.owners_may_be_named else []


@dataclass(frozen=True)
class DomainGroup:
    """A domain of the call with its challenges in order."""

    number: int
    domain: Domain
    challenges: list[ChallengeText]


def call_by_slug(session: Session, slug: str) -> OpenCall | None:
    """A call from its slug."""
    return session.exec(select(OpenCall).where(OpenCall.slug == slug)).one_or_none()


def grouped(session: Session, call: OpenCall) -> list[DomainGroup]:
    """The call's challenges grouped by domain, numbered, with their text (a fixed number of queries)."""
    challenges = session.exec(
        select(Challenge)
        .where(Challenge.call_id == call.id)
        .options(selectinload(Challenge.use_case), selectinload(Challenge.domain))
    ).all()
    order = _domain_order(session, call, {c.domain_id for c in challenges})
    groups = []
    for number, domain in enumerate(order, start=1):
        inside = sorted((c for c in challenges if c.domain_id == domain.id), key=lambda c: c.position)
        texts = [_text(c, f"{number}.{index}", domain) for index, c in enumerate(inside, start=1)]
        groups.append(DomainGroup(number=number, domain=domain, challenges=texts))
    return groups


def _domain_order(session: Session, call: OpenCall, used: set[int]) -> list[Domain]:
    """The call's domains that hold challenges, in the call's order, then the domains' own order."""
    if not used:
        return []
    domains = session.exec(select(Domain).where(col(Domain.id).in_(used))).all()
    positions = select(CallDomain.domain_id, CallDomain.position).where(CallDomain.call_id == call.id)
    placed = dict(session.exec(positions).all())
    return sorted(domains, key=lambda d: (placed.get(d.id, 10_000 + d.position), d.position, d.id))


def _text(challenge: Challenge, number: str, domain: Domain) -> ChallengeText:
    source = challenge if challenge.revision_number is not None else challenge.use_case
    owners = source.owners or ""
    return ChallengeText(
        challenge=challenge,
        number=number,
        domain=domain,
        title=source.title,
        summary=source.summary or "",
        body=source.body or "",
        owners=list(dict.fromkeys(line.strip() for line in owners.splitlines() if line.strip())),
        owners_may_be_named=bool(source.owners_may_be_named),
        trl_min=source.trl_min,
        trl_max=source.trl_max,
    )


def _refuse_unless_draft(call: OpenCall) -> None:
    if call.state != CallState.draft:
        raise CallError("The call is published: its challenges can no longer change.")


def add_challenges(session: Session, call: OpenCall, *, use_case_ids: list[int]) -> int:
    """Add accepted use cases to a draft call, each at the end of its domain; return how many were added."""
    with write_transaction(session):
        current = session.get(OpenCall, call.id, populate_existing=True)
        _refuse_unless_draft(current)
        present = set(session.exec(select(Challenge.use_case_id).where(Challenge.call_id == call.id)))
        wanted = [i for i in dict.fromkeys(use_case_ids) if i not in present]
        use_cases = session.exec(select(UseCase).where(col(UseCase.id).in_(wanted))).all()
        by_id = {u.id: u for u in use_cases}
        added = 0
        for use_case_id in wanted:
            use_case = by_id.get(use_case_id)
            if use_case is None or use_case.deleted_at is not None:
                raise CallError("That use case does not exist.")
            if use_case.state != UseCaseState.accepted:
                raise CallError(f"“{use_case.title}” is not accepted: only accepted use cases become challenges.")
            if use_case.domain_id is None:
                raise CallError(f"“{use_case.title}” has no domain: give it one first.")
            last = session.exec(
                select(func.max(Challenge.position)).where(
                    Challenge.call_id == call.id, Challenge.domain_id == use_case.domain_id
                )
            ).one()
            session.add(
                Challenge(
                    call_id=call.id, use_case_id=use_case.id, domain_id=use_case.domain_id, position=(last or 0) + 1
                )
            )
            session.flush()
            added += 1
        current.updated_at = utcnow()
        return added


def remove_challenge(session: Session, call: OpenCall, *, challenge_id: int) -> None:
    """Take a challenge out of a draft call; the others of its domain close the gap."""
    with write_transaction(session):
        _refuse_unless_draft(session.get(OpenCall, call.id, populate_existing=True))
        challenge = _challenge(session, call, challenge_id)
        siblings = _siblings(session, challenge)
        session.delete(challenge)
        session.flush()
        for position, sibling in enumerate((s for s in siblings if s.id != challenge.id), start=1):
            sibling.position = position


def move_challenge(session: Session, call: OpenCall, *, challenge_id: int, step: int) -> None:
    """Move a challenge up (-1) or down (+1) within its domain; at either end nothing moves."""
    with write_transaction(session):
        _refuse_unless_draft(session.get(OpenCall, call.id, populate_existing=True))
        challenge = _challenge(session, call, challenge_id)
        siblings = _siblings(session, challenge)
        index = next(i for i, s in enumerate(siblings) if s.id == challenge.id)
        other = index + step
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
            for position, sibling in enumerate(siblings, start=1):
                sibling.position = position


def move_domain(session: Session, call: OpenCall, *, domain_id: int, step: int) -> None:
    """Move a domain up (-1) or down (+1) among the call's domains."""
    with write_transaction(session):
        _refuse_unless_draft(session.get(OpenCall, call.id, populate_existing=True))
        used = set(session.exec(select(Challenge.domain_id).where(Challenge.call_id == call.id)))
        order = [d.id for d in _domain_order(session, call, used)]
        if domain_id not in order:
            raise CallError("That domain has no challenge in this call.")
        index = order.index(domain_id)
        other = index + step
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        placed = {p.domain_id: p for p in session.exec(select(CallDomain).where(CallDomain.call_id == call.id))}
        for position, placed_id in enumerate(order, start=1):
            if placed_id in placed:
                placed[placed_id].position = position
            else:
                session.add(CallDomain(call_id=call.id, domain_id=placed_id, position=position))


def publish(session: Session, call: OpenCall) -> list[Challenge]:
    """Publish a draft call: each challenge keeps the use case's text as it is now (its latest revision)."""
    with write_transaction(session):
        current = session.get(OpenCall, call.id, populate_existing=True)
        _refuse_unless_draft(current)
        challenges = session.exec(
            select(Challenge).where(Challenge.call_id == call.id).options(selectinload(Challenge.use_case))
        ).all()
        if not challenges:
            raise CallError("Add at least one challenge before publishing the call.")
        latest = dict(
            session.exec(
                select(UseCaseRevision.use_case_id, func.max(UseCaseRevision.number))
                .where(col(UseCaseRevision.use_case_id).in_([c.use_case_id for c in challenges]))
                .group_by(UseCaseRevision.use_case_id)
            ).all()
        )
        for challenge in challenges:
            use_case = challenge.use_case
            if use_case.state != UseCaseState.accepted or use_case.deleted_at is not None:
                raise CallError(f"“{use_case.title}” is no longer accepted: take it out or accept it again.")
            for name in FROZEN:
                setattr(challenge, name, getattr(use_case, name))
            challenge.revision_number = latest.get(use_case.id, use_case.version)
        current.state = CallState.published.value
        current.published_at = current.updated_at = utcnow()
        return list(challenges)


def close(session: Session, call: OpenCall) -> None:
    """Close a published call (its text stays as published)."""
    with write_transaction(session):
        current = session.get(OpenCall, call.id, populate_existing=True)
        if current.state != CallState.published:
            raise CallError("Only a published call can be closed.")
        current.state = CallState.closed.value
        current.updated_at = utcnow()


def _challenge(session: Session, call: OpenCall, challenge_id: int) -> Challenge:
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or challenge.call_id != call.id:
        raise CallError("That challenge is not part of this call.")
    return challenge


def _siblings(session: Session, challenge: Challenge) -> list[Challenge]:
    return list(
        session.exec(
            select(Challenge)
            .where(Challenge.call_id == challenge.call_id, Challenge.domain_id == challenge.domain_id)
            .order_by(Challenge.position, Challenge.id)
        )
    )
