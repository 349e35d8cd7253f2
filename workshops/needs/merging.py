"""Merging needs: a first draft from the originals, the merge itself, and what each need was merged into.

The originals stay, readable, marked as merged into the new need; their votes carry over once per
person.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.db import max_length
from workshops.events.models import Breakout
from workshops.needs import similarity
from workshops.needs.models import Need, NeedState, Sensitivity, Vote
from workshops.needs.services import NeedError, NeedInput, raise_board_versions, refuse_if_locked
from workshops.timeutil import utcnow
from workshops.transactions import lock_rows, run_write

_STRICTEST_FIRST = (Sensitivity.internal, Sensitivity.anonymous, Sensitivity.public)


def merged_values(originals: list[Need]) -> NeedInput:
    """A first draft of the need that merges ``originals``: the facilitator edits it before saving."""

    def joined(name: str) -> str:
        texts = list(dict.fromkeys(getattr(need, name).strip() for need in originals if getattr(need, name).strip()))
        return "\n\n".join(texts)[: max_length(Need, name)]

    def common(name: str, otherwise):
        values = {getattr(need, name) for need in originals}
        return values.pop() if len(values) == 1 else otherwise

    first = originals[0]
    sensitivities = {need.sensitivity for need in originals}
    tags = dict.fromkeys(tag for need in originals for tag in need.tag_list)
    return NeedInput(
        title=first.title,
        statement=first.statement,
        context=joined("context"),
        desired_outcome=joined("desired_outcome"),
        affected=joined("affected"),
        constraints=joined("constraints"),
        urgency=max(need.urgency for need in originals),
        domain_id=first.domain_id,
        test_bed_id=common("test_bed_id", None),
        organisation=common("organisation", ""),
        organisation_type=common("organisation_type", "other"),
        country=common("country", ""),
        tags=", ".join(tags)[: max_length(Need, "tags")],
        sensitivity=next(s.value for s in _STRICTEST_FIRST if s in sensitivities),
    )


def merge_needs(
    *, session: Session, originals: list[Need], values: NeedInput, author: User, breakout_id: int | None = None
) -> Need:
    """Merge two or more open needs into a new one, on the board of ``breakout_id`` (by default the first's).

    The board must be one of the originals': a merge across breakouts lives on one of theirs.

    The originals stay, readable, marked as merged into the new need; their votes carry over: each
    voter keeps one vote on the new need, and gets back any other vote they had given to the
    originals. Every breakout involved is locked (in id order, so two merges cannot deadlock) and
    its board version raised.
    """
    ids = list(dict.fromkeys(need.id for need in originals))
    if len(ids) < 2:
        raise NeedError("Choose at least two needs to merge.")
    target_id = originals[0].breakout_id if breakout_id is None else breakout_id
    if target_id not in {need.breakout_id for need in originals}:
        raise NeedError("The merged need goes on the board of one of the needs merged.")
    vector = similarity.represent(values.title, values.statement, values.context)
    breakout_ids = sorted({need.breakout_id for need in originals})

    def change() -> Need:
        for breakout in lock_rows(session, Breakout, breakout_ids):
            refuse_if_locked(breakout)
        current = list(
            session.exec(
                select(Need).where(col(Need.id).in_(ids)).execution_options(populate_existing=True).order_by(Need.id)
            )
        )
        if len(current) != len(ids) or any(need.state != NeedState.open for need in current):
            raise NeedError("One of these needs was merged or dismissed meanwhile: choose again.")
        merged = Need(breakout_id=target_id, captured_by_id=author.id, similarity_vector=vector, **vars(values))
        session.add(merged)
        session.flush()
        voters = set()
        for ballot in session.exec(select(Vote).where(col(Vote.need_id).in_(ids)).order_by(Vote.created_at, Vote.id)):
            if ballot.user_id not in voters:
                voters.add(ballot.user_id)
                session.add(Vote(need_id=merged.id, user_id=ballot.user_id, breakout_id=target_id))
            session.delete(ballot)
        now = utcnow()
        for need in current:
            need.state = NeedState.merged.value
            need.merged_into_id = merged.id
            need.updated_at = now
        raise_board_versions(session, breakout_ids)
        session.flush()
        return merged

    return run_write(session, change)


def merged_successors(session: Session, stated: list[Need]) -> dict[int, list[int]]:
    """For each need, its id and those of the needs it was merged into, and so on (one query per level)."""
    chains = {need.id: [need.id] for need in stated}
    following = {need.id: need.merged_into_id for need in stated if need.merged_into_id}
    seen: set[int] = set()
    while following:
        for need_id, successor in following.items():
            chains[need_id].append(successor)
        wanted = set(following.values()) - seen
        seen |= wanted
        rows = session.exec(select(Need.id, Need.merged_into_id).where(col(Need.id).in_(wanted))).all()
        nexts = dict(rows)
        following = {i: nexts[s] for i, s in following.items() if nexts.get(s) and nexts[s] not in seen}
    return chains
