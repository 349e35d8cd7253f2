"""Composing a call: its challenges in order, their numbers, and the text frozen on publication.

A challenge's number is ``D.N``: the position of its domain among the call's domains (the call
orders them, by default in the domains' own order), then its position within the domain. Positions
have no gaps, so the numbers always run 1.1, 1.2, …, 2.1, …

Each change reads the call again under its row's lock (``workshops.transactions``: the write lock
on SQLite, ``FOR UPDATE`` on PostgreSQL) and is retried while the database is busy, so that two
organisers composing at once never leave two challenges at one place. A move may say which order
the person saw (``seen``): when the call's order changed meanwhile, nothing moves and
``OrderChanged`` says so, rather than moving something other than what they meant.

Publishing freezes each challenge's text, and its HTML with it (``workshops.calls.rendered``). What
holds it up (no challenge, a use case no longer accepted, template guidance or an empty section left
in a text, a quotation of an internal need) is listed by ``problems``, which the confirmation page
shows and ``publish`` enforces under the lock; ``fingerprint`` tells whether the call is still as
the confirmation showed it.

These changes record nothing and tell nobody; the organisers' pages make them through
``workshops.calls.services``, which adds the audit entries and the e-mails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import and_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

from workshops.calls import rendered
from workshops.calls.docx import word_html
from workshops.calls.models import CallDomain, CallState, Challenge, OpenCall
from workshops.calls.text import nest_headings
from workshops.db import write_transaction
from workshops.markdown import render_markdown
from workshops.needs import disclosure
from workshops.needs import queries as needs_queries
from workshops.programme.models import Domain
from workshops.timeutil import utcnow
from workshops.transactions import lock_row, run_write
from workshops.usecases import guidance
from workshops.usecases.models import UseCase, UseCaseRevision, UseCaseState

#: The use-case fields a published challenge keeps as they were.
FROZEN = ("title", "summary", "body", "owners", "owners_may_be_named", "trl_min", "trl_max")
ORDER_CHANGED = (
    "Someone else changed the order of this call meanwhile, so nothing moved. "
    "The page now shows the current order: move again from there."
)


class CallError(Exception):
    """A change was refused; the message is meant for the person."""


class StalePublication(CallError):
    """The call (or a text of its challenges) changed since the confirmation was shown."""

    def __init__(self) -> None:
        super().__init__(
            "The call changed since you were shown what publishing would do: check it again, then confirm."
        )


class OrderChanged(CallError):
    """The order a move was asked from is no longer the call's: someone changed it meanwhile."""

    def __init__(self, message: str = ORDER_CHANGED) -> None:
        super().__init__(message)


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

    def body_html(self) -> Markup:
        """The body rendered and sanitised, its headings as written: kept since publication, live for a draft."""
        if rendered.is_current(self.challenge):
            return Markup(self.challenge.body_html)  # noqa: S704  # nosec B704 - sanitised when it was stored
        return render_markdown(self.body)

    def nested_html(self) -> Markup:
        """The body rendered and sanitised under the challenge's heading (``rendered.CHALLENGE_LEVEL``)."""
        if rendered.is_current(self.challenge):
            return Markup(self.challenge.body_nested_html)  # noqa: S704  # nosec B704 - sanitised when stored
        return render_markdown(nest_headings(self.body, rendered.CHALLENGE_LEVEL))

    def word_html(self) -> str | None:
        """The body's HTML for the Word export (``docx.word_html``; ``None``: to be written as plain text)."""
        if rendered.is_current(self.challenge):
            return self.challenge.body_word_html
        return word_html(self.body)


@dataclass(frozen=True)
class DomainGroup:
    """A domain of the call with its challenges in order."""

    number: int
    domain: Domain
    challenges: list[ChallengeText]


def call_by_slug(session: Session, slug: str) -> OpenCall | None:
    """A call from its slug."""
    return session.exec(select(OpenCall).where(OpenCall.slug == slug)).one_or_none()


def grouped(session: Session, call: OpenCall, *, fresh: bool = False) -> list[DomainGroup]:
    """The call's challenges grouped by domain, numbered, with their text (a fixed number of queries).

    ``fresh`` reads the challenges and their use cases anew, over what the session holds already.
    """
    statement = (
        select(Challenge)
        .where(Challenge.call_id == call.id)
        .options(selectinload(Challenge.use_case), selectinload(Challenge.domain))
    )
    if fresh:
        statement = statement.execution_options(populate_existing=True)
    challenges = session.exec(statement).all()
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


def _refuse_unless_draft(call: OpenCall | None) -> OpenCall:
    if call is None:
        raise CallError("This call no longer exists.")
    if call.state != CallState.draft:
        raise CallError("The call is published: its challenges can no longer change.")
    return call


def _locked_draft(session: Session, call: OpenCall) -> OpenCall:
    """The call read anew under its row's lock, refused unless it is still a draft."""
    return _refuse_unless_draft(lock_row(session, OpenCall, call.id))


def _check_seen(seen: list[int] | None, current: list[int]) -> None:
    """Refuse a move asked from an order that is no longer the call's (``None``: nothing to compare)."""
    if seen is not None and list(seen) != current:
        raise OrderChanged()


def add_challenges(session: Session, call: OpenCall, *, use_case_ids: list[int]) -> int:
    """Add accepted use cases to a draft call in the order given, each after the last of its domain.

    The order of ``use_case_ids`` is the order the organiser chose them in: two use cases of one domain
    become its next two challenges in that order. Returns how many were added (those already in the
    call are left where they are).
    """

    def change() -> int:
        current = _locked_draft(session, call)
        present = set(session.exec(select(Challenge.use_case_id).where(Challenge.call_id == call.id)))
        wanted = [i for i in dict.fromkeys(use_case_ids) if i not in present]
        use_cases = session.exec(select(UseCase).where(col(UseCase.id).in_(wanted))).all()
        by_id = {u.id: u for u in use_cases}
        last = dict(
            session.exec(
                select(Challenge.domain_id, func.max(Challenge.position))
                .where(Challenge.call_id == call.id)
                .group_by(Challenge.domain_id)
            ).all()
        )
        for use_case_id in wanted:
            use_case = by_id.get(use_case_id)
            if use_case is None or use_case.deleted_at is not None:
                raise CallError("That use case does not exist.")
            if use_case.state != UseCaseState.accepted:
                raise CallError(f"“{use_case.title}” is not accepted: only accepted use cases become challenges.")
            if use_case.domain_id is None:
                raise CallError(f"“{use_case.title}” has no domain: give it one first.")
            position = last.get(use_case.domain_id, 0) + 1
            last[use_case.domain_id] = position
            session.add(
                Challenge(call_id=call.id, use_case_id=use_case.id, domain_id=use_case.domain_id, position=position)
            )
        session.flush()
        current.updated_at = utcnow()
        return len(wanted)

    return run_write(session, change, fresh=True)


def remove_challenge(session: Session, call: OpenCall, *, challenge_id: int) -> None:
    """Take a challenge out of a draft call; the others of its domain close the gap."""

    def change() -> None:
        _locked_draft(session, call)
        challenge = _challenge(session, call, challenge_id)
        siblings = _siblings(session, challenge)
        session.delete(challenge)
        session.flush()
        for position, sibling in enumerate((s for s in siblings if s.id != challenge.id), start=1):
            sibling.position = position

    run_write(session, change, fresh=True)


def move_challenge(
    session: Session, call: OpenCall, *, challenge_id: int, step: int, seen: list[int] | None = None
) -> bool:
    """Move a challenge up (-1) or down (+1) within its domain; return whether it moved (not at either end).

    ``seen`` is its domain's challenge ids in the order the person saw them; ``OrderChanged`` when
    that is no longer the order.
    """

    def change() -> bool:
        _locked_draft(session, call)
        challenge = _challenge(session, call, challenge_id)
        siblings = _siblings(session, challenge)
        _check_seen(seen, [s.id for s in siblings])
        index = next(i for i, s in enumerate(siblings) if s.id == challenge.id)
        other = index + step
        if not 0 <= other < len(siblings):
            return False
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        return True

    return run_write(session, change, fresh=True)


def move_domain(session: Session, call: OpenCall, *, domain_id: int, step: int, seen: list[int] | None = None) -> bool:
    """Move a domain up (-1) or down (+1) among the call's domains; return whether it moved.

    ``seen`` is the call's domain ids in the order the person saw them; ``OrderChanged`` when that is
    no longer the order.
    """

    def change() -> bool:
        _locked_draft(session, call)
        used = set(session.exec(select(Challenge.domain_id).where(Challenge.call_id == call.id)))
        order = [d.id for d in _domain_order(session, call, used)]
        if domain_id not in order:
            raise CallError("That domain has no challenge in this call.")
        _check_seen(seen, order)
        index = order.index(domain_id)
        other = index + step
        if not 0 <= other < len(order):
            return False
        order[index], order[other] = order[other], order[index]
        placed = {p.domain_id: p for p in session.exec(select(CallDomain).where(CallDomain.call_id == call.id))}
        for position, placed_id in enumerate(order, start=1):
            if placed_id in placed:
                placed[placed_id].position = position
            else:
                session.add(CallDomain(call_id=call.id, domain_id=placed_id, position=position))
        return True

    return run_write(session, change, fresh=True)


def publish(
    session: Session, call: OpenCall, *, template: str | None = None, expected: str | None = None
) -> list[Challenge]:
    """Publish a draft call: each challenge keeps the use case's text as it is now (its latest revision).

    Under the call's lock, whatever ``problems`` lists refuses it (``CallError``, the first problem
    named). ``template`` is the use-case template in force: with it, guidance and empty sections
    left in a text are problems too (the organisers' pages pass it; the demo and the benchmark,
    whose texts are their own, do not). ``expected`` is the ``fingerprint`` the person confirmed:
    a call changed since is refused with ``StalePublication``.
    """
    prepared = _rendered_before_the_lock(session, call)
    with write_transaction(session):
        current = _refuse_unless_draft(lock_row(session, OpenCall, call.id))
        groups = grouped(session, current, fresh=True)
        if expected is not None and fingerprint(current, groups, template) != expected:
            raise StalePublication()
        found = problems(session, current, groups, template=template)
        if found:
            more = f" (and {len(found) - 1} more: the publication page lists them)" if len(found) > 1 else ""
            raise CallError(f"{found[0].rstrip('.')}{more}.")
        challenges = [text.challenge for group in groups for text in group.challenges]
        latest = _latest_revisions(session, [c.use_case_id for c in challenges])
        for challenge in challenges:
            use_case = challenge.use_case
            for name in FROZEN:
                setattr(challenge, name, getattr(use_case, name))
            revision = latest.get(use_case.id)
            challenge.revision_number = revision.number if revision is not None else use_case.version
            rendered.freeze(challenge, revision, prepared=prepared)
        current.state = CallState.published.value
        current.published_at = current.updated_at = utcnow()
        return challenges


def _rendered_before_the_lock(session: Session, call: OpenCall) -> dict[str, rendered.RenderedBody]:
    """The bodies the publication is about to freeze, rendered by text before the call's lock is taken.

    Rendering hundreds of bodies takes seconds; under the lock (on SQLite the database's write lock)
    it would hold up every other change meanwhile. A body changed in between is rendered under the
    lock after all.
    """
    texts = [text for group in grouped(session, call, fresh=True) for text in group.challenges]
    latest = _latest_revisions(session, [text.challenge.use_case_id for text in texts])
    prepared = {}
    for text in texts:
        body = text.challenge.use_case.body or ""
        if body not in prepared:
            prepared[body] = rendered.render(
                body, as_written=rendered.kept_html(latest.get(text.challenge.use_case_id), body)
            )
    return prepared


def _latest_revisions(session: Session, use_case_ids: list[int]) -> dict[int, UseCaseRevision]:
    """Each use case's latest revision, by use case id (one query)."""
    latest = (
        select(UseCaseRevision.use_case_id, func.max(UseCaseRevision.number).label("number"))
        .where(col(UseCaseRevision.use_case_id).in_(use_case_ids))
        .group_by(UseCaseRevision.use_case_id)
        .subquery()
    )
    statement = select(UseCaseRevision).join(
        latest,
        and_(col(UseCaseRevision.use_case_id) == latest.c.use_case_id, col(UseCaseRevision.number) == latest.c.number),
    )
    return {revision.use_case_id: revision for revision in session.exec(statement)}


def problems(session: Session, call: OpenCall, groups: list[DomainGroup], *, template: str | None) -> list[str]:
    """Everything that holds up the publication of a draft, in words, in the call's order (none: it may go).

    ``groups`` is the call as ``grouped`` reads it; ``template`` the use-case template in force, or
    ``None`` not to look for guidance and empty sections.
    """
    texts = [text for group in groups for text in group.challenges]
    if not texts:
        return ["Add at least one challenge before publishing the call."]
    found = []
    for text in texts:
        use_case = text.challenge.use_case
        if use_case.state != UseCaseState.accepted or use_case.deleted_at is not None:
            found.append(
                f"Challenge {text.number} “{use_case.title}” is no longer accepted: take it out or accept it again."
            )
        if template is not None:
            for finding in guidance.blocking(guidance.findings(text.body, template)):
                found.append(f"Challenge {text.number} “{text.title}”: {finding.message}.")
    found.extend(_internal_quotations(session, call, texts))
    return found


def fingerprint(call: OpenCall, groups: list[DomainGroup], template: str | None) -> str:
    """A digest of what publishing would freeze: the call, its challenges in order, their use cases' versions.

    Any edit of the call, a use case, the order or the template gives another digest, so a
    confirmation shown before it is known to be out of date.
    """
    parts = [str(call.id), call.updated_at.isoformat() if call.updated_at else "", call.state]
    for group in groups:
        parts.append(f"domain {group.domain.id} {group.number}")
        for text in group.challenges:
            use_case = text.challenge.use_case
            parts.append(
                f"challenge {text.challenge.id} {text.number} {use_case.id} v{use_case.version} {use_case.state} "
                f"{'deleted' if use_case.deleted_at else ''}"
            )
    parts.append(hashlib.sha256((template or "").encode()).hexdigest())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


#: The call's own texts, as the organisers' page names them.
CALL_TEXTS = {
    "name": "the call's name",
    "introduction": "the introduction",
    "eligibility": "eligibility",
    "funding": "funding",
    "evaluation": "evaluation",
    "how_to_apply": "how to apply",
}


def _internal_quotations(session: Session, call: OpenCall, texts: list[ChallengeText]) -> list[str]:
    """A call whose text quotes an internal need may not be published: it would be public for good."""
    quoted = {label: getattr(call, name) for name, label in CALL_TEXTS.items()}
    for text in texts:
        label = f"the challenge “{text.title}”"
        quoted[label] = "\n\n".join([text.title, text.summary, text.body, "\n".join(text.owners)])
    found = disclosure.quotations(quoted, needs_queries.internal_texts(session))
    if not found:
        return []
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return [
        f"{first.where[0].upper()}{first.where[1:]} quotes the internal need #{first.need_id} "
        f"“{first.title}”{more}. Internal needs are never published: reword that passage in the "
        "use case, then publish again."
    ]


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
