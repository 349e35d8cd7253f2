"""Demo needs: what end-users and integrators said in the November 2021 breakouts, with votes and a merge.

The texts come from ``demo_needs.json`` (realistic needs of cities, police forces, operators and
fire brigades). Each names its past ``breakout`` (the port breakout holds about thirty) and the
``organisation`` that stated it, with that organisation's type and country; it is stated by the
breakout's attendee of that organisation (``workshops/events/demo_people.json``), so that a need's
organisation, type and country always agree with those of the person behind it. Attendees then
vote. Finally the facilitator merges the near-duplicates listed under ``merges``, as
:func:`workshops.needs.services.merge_needs` does, and the breakouts are closed. Breakouts that
already hold needs are left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import cycle
from pathlib import Path

from sqlmodel import Session, col, select

from workshops.events.models import Breakout, BreakoutSeat, Registration, Workshop
from workshops.needs import similarity
from workshops.needs.merging import merged_values
from workshops.needs.models import Need, NeedState, Vote

DATA = Path(__file__).with_name("demo_needs.json")
ORGANISATION_TYPES = {"end-user": "end_user", "public authority": "public_authority", "SME": "sme"}
SENSITIVITIES = ["public"] * 5 + ["anonymous", "public", "internal"]
#: Needs are stated a few minutes apart from the start; votes and merges come near the end.
STATED_EVERY = timedelta(minutes=2)
VOTED_BEFORE_END = timedelta(minutes=20)
MERGED_BEFORE_END = timedelta(minutes=10)


def seed_needs(*, session: Session) -> int:
    """Add the demo needs, votes and merges to the past breakouts that have none; return how many needs."""
    breakouts = session.exec(
        select(Breakout).join(Workshop).where(Workshop.state == "archived").order_by(Breakout.id)
    ).all()
    if not breakouts or session.exec(select(Need.id).where(Need.breakout_id.in_([b.id for b in breakouts]))).first():
        return 0
    data = json.loads(DATA.read_text(encoding="utf-8"))
    by_title = {breakout.title: breakout for breakout in reversed(breakouts)}  # the first of a title wins
    attendees = {b.id: _attendees(session, b) for b in breakouts}
    sensitivities = cycle(SENSITIVITIES)
    added = 0
    seeded: dict[str, Need] = {}
    stated: dict[int, int] = {}
    for item in data["needs"]:
        breakout = by_title.get(item["breakout"])
        if breakout is None:
            continue
        speaker = next((p for p in attendees[breakout.id] if p.organisation == item["organisation"]), None)
        if speaker is None:
            raise ValueError(f"{DATA.name}: nobody of {item['organisation']} attended {breakout.title}")
        at = min(breakout.starts_at + stated.get(breakout.id, 0) * STATED_EVERY, breakout.ends_at - VOTED_BEFORE_END)
        stated[breakout.id] = stated.get(breakout.id, 0) + 1
        need = Need(
            breakout_id=breakout.id,
            title=item["title"],
            statement=item["need"],
            context=item.get("context", ""),
            urgency=item["urgency"],
            domain_id=breakout.domain_id,
            test_bed_id=breakout.test_bed_id,
            organisation=item["organisation"],
            organisation_type=ORGANISATION_TYPES.get(item["org_type"], item["org_type"]),
            country=item["country"],
            sensitivity=next(sensitivities),
            stated_by_id=speaker.id,
            created_at=at,
            updated_at=at,
            similarity_vector=similarity.represent(item["title"], item["need"], item.get("context", "")),
        )
        session.add(need)
        seeded[item["title"]] = need
        added += 1
    session.flush()
    merges = []
    for spec in data.get("merges", []):
        originals = [seeded[title] for title in spec["needs"] if title in seeded]
        if len(originals) == len(spec["needs"]) >= 2 and len({need.breakout_id for need in originals}) == 1:
            merges.append((spec, originals))
    _votes(session, breakouts, attendees, together=[[need.id for need in originals] for _, originals in merges])
    for spec, originals in merges:
        _merge(session, originals, spec)
    for breakout in breakouts:
        breakout.locked_at = breakout.ends_at
        breakout.board_version += 1
    session.commit()
    return added + len(merges)


def _attendees(session: Session, breakout: Breakout):
    from workshops.auth.models import User

    return list(
        session.exec(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id)
            .where(BreakoutSeat.breakout_id == breakout.id)
            .order_by(User.id)
        )
    )


def _votes(session: Session, breakouts, attendees, together: list[list[int]]) -> None:
    """Each attendee gives their votes to needs of their breakout, a different few each.

    For each group of needs in ``together`` (those to be merged), one attendee votes for all of
    them, so that the merge shows how such a person keeps one vote and gets the others back.
    """
    for breakout in breakouts:
        need_ids = list(session.exec(select(Need.id).where(Need.breakout_id == breakout.id).order_by(Need.id)))
        people = attendees[breakout.id]
        groups = [group for group in together if set(group) <= set(need_ids)]
        ballots = _ballots(need_ids, len(people), breakout.votes_per_person, groups)
        at = breakout.ends_at - VOTED_BEFORE_END
        for person, ballot in zip(people, ballots, strict=True):
            for need_id in ballot:
                session.add(Vote(need_id=need_id, user_id=person.id, breakout_id=breakout.id, created_at=at))
    session.flush()


def _ballots(need_ids: list[int], voters: int, limit: int, together: list[list[int]]) -> list[list[int]]:
    """The needs each voter picks (at most ``limit``), and one voter for all the needs of each group."""
    if not need_ids:
        return [[] for _ in range(voters)]
    count = len(need_ids)
    ballots = [sorted({need_ids[(index * step) % count] for step in (1, 2, 3)})[:limit] for index in range(voters)]
    for group in together:
        if not ballots or len(group) > limit or any(set(group) <= set(ballot) for ballot in ballots):
            continue
        index = next((i for i, ballot in enumerate(ballots) if set(group) & set(ballot)), 0)
        ballots[index] = [*group, *(need_id for need_id in ballots[index] if need_id not in group)][:limit]
    return ballots


def _merge(session: Session, originals: list[Need], spec: dict) -> Need:
    """Merge ``originals`` as the breakout's facilitator would, shortly before the end of the breakout.

    The outcome is that of :func:`workshops.needs.services.merge_needs` (which refuses closed
    breakouts and stamps the present time): a new open need in the first original's breakout,
    drafted by :func:`merged_values` with the title, statement and context the facilitator wrote;
    the originals marked as merged into it; each of their voters keeps one vote on it, and gets
    back any other vote given to the originals.
    """
    breakout = originals[0].breakout
    values = merged_values(originals)
    values.title, values.statement = spec["title"], spec["statement"]
    values.context = spec.get("context", values.context)
    facilitator = min(breakout.facilitators, key=lambda user: user.id, default=None)
    at = breakout.ends_at - MERGED_BEFORE_END
    merged = Need(
        breakout_id=breakout.id,
        captured_by_id=facilitator.id if facilitator else None,
        similarity_vector=similarity.represent(values.title, values.statement, values.context),
        created_at=at,
        updated_at=at,
        **vars(values),
    )
    session.add(merged)
    session.flush()
    ids = [need.id for need in originals]
    voters = set()
    for ballot in session.exec(select(Vote).where(col(Vote.need_id).in_(ids)).order_by(Vote.created_at, Vote.id)):
        if ballot.user_id not in voters:
            voters.add(ballot.user_id)
            session.add(Vote(need_id=merged.id, user_id=ballot.user_id, breakout_id=breakout.id, created_at=at))
        session.delete(ballot)
    for need in originals:
        need.state = NeedState.merged.value
        need.merged_into_id = merged.id
        need.updated_at = at
    session.flush()
    return merged
