"""Demo needs: what end-users and integrators said in the November 2021 breakouts, with votes.

The texts come from ``demo_needs.json`` (realistic needs of cities, police forces, operators and
fire brigades). Each need goes to a past breakout of its domain, stated by one of its attendees;
attendees then vote. Breakouts that already hold needs are left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import json
from itertools import cycle
from pathlib import Path

from sqlmodel import Session, select

from workshops.events.models import Breakout, BreakoutSeat, Registration, Workshop
from workshops.needs import similarity
from workshops.needs.models import Need, Vote
from workshops.programme.models import Domain

DATA = Path(__file__).with_name("demo_needs.json")
ORGANISATION_TYPES = {"end-user": "end_user", "public authority": "public_authority", "SME": "sme"}
SENSITIVITIES = cycle(["public"] * 5 + ["anonymous", "public", "internal"])


def seed_needs(*, session: Session) -> int:
    """Add the demo needs and votes to the past breakouts that have none; return how many needs."""
    positions = {d.id: d.position for d in session.exec(select(Domain))}
    breakouts = session.exec(
        select(Breakout).join(Workshop).where(Workshop.state == "archived").order_by(Breakout.id)
    ).all()
    if not breakouts or session.exec(select(Need.id).where(Need.breakout_id.in_([b.id for b in breakouts]))).first():
        return 0
    by_domain: dict[int, list[Breakout]] = {}
    for breakout in breakouts:
        by_domain.setdefault(positions.get(breakout.domain_id), []).append(breakout)
    attendees = {b.id: _attendees(session, b) for b in breakouts}
    added = 0
    turns: dict[int, int] = {}
    for item in json.loads(DATA.read_text())["needs"]:
        choices = by_domain.get(item["domain"])
        if not choices:
            continue
        breakout = choices[turns.get(item["domain"], 0) % len(choices)]
        turns[item["domain"]] = turns.get(item["domain"], 0) + 1
        people = attendees[breakout.id] or [None]
        speaker = people[added % len(people)]
        session.add(
            Need(
                breakout_id=breakout.id,
                title=item["title"],
                statement=item["need"],
                context=item.get("context", ""),
                urgency=item["urgency"],
                domain_id=breakout.domain_id,
                test_bed_id=breakout.test_bed_id,
                organisation=speaker.organisation if speaker else "",
                organisation_type=ORGANISATION_TYPES.get(item["org_type"], item["org_type"]),
                country=item["country"],
                sensitivity=next(SENSITIVITIES),
                stated_by_id=speaker.id if speaker else None,
                created_at=breakout.starts_at,
                updated_at=breakout.starts_at,
                similarity_vector=similarity.represent(item["title"], item["need"], item.get("context", "")),
            )
        )
        added += 1
    session.flush()
    _votes(session, breakouts, attendees)
    for breakout in breakouts:
        breakout.locked_at = breakout.ends_at
        breakout.board_version += 1
    session.commit()
    return added


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


def _votes(session: Session, breakouts, attendees) -> None:
    """Each attendee gives their votes to needs of their breakout, a different few each."""
    for breakout in breakouts:
        needs = session.exec(select(Need).where(Need.breakout_id == breakout.id).order_by(Need.id)).all()
        if not needs:
            continue
        for index, person in enumerate(attendees[breakout.id]):
            chosen = {needs[(index * step) % len(needs)].id for step in (1, 2, 3)}
            for need_id in sorted(chosen)[: breakout.votes_per_person]:
                session.add(Vote(need_id=need_id, user_id=person.id, breakout_id=breakout.id))
