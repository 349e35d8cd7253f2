"""Telling contributors that a call is published: one e-mail per person whose need feeds its challenges.

A need feeds a challenge when it is linked to the challenge's use case, or when it was merged (at
any depth) into a need that is. Each person gets one message naming all their challenges, sent
after the publication is committed: a message that fails is logged and never undoes the publication.
Only people who asked for it are written to: the ``updates`` consent is opt-in (GDPR art. 6(1)(a)).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from workshops.auth.models import User
from workshops.calls.composition import ChallengeText, grouped
from workshops.calls.models import OpenCall
from workshops.events import consents
from workshops.mail import send_mail
from workshops.navigation import external_url
from workshops.needs import provenance
from workshops.usecases import traceability

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contributor:
    """A person to tell, with the challenges their needs feed, in the call's order."""

    user: User
    challenges: list[ChallengeText]


def contributors(session: Session, call: OpenCall) -> list[Contributor]:
    """Everyone who asked to hear of it and whose need feeds one of the call's challenges.

    A fixed number of queries: the stated needs behind each challenge come from ``needs.provenance``,
    as every count of the call does.
    """
    challenges = [challenge for group in grouped(session, call) for challenge in group.challenges]
    by_use_case: dict[int, list[ChallengeText]] = defaultdict(list)
    for challenge in challenges:
        by_use_case[challenge.challenge.use_case_id].append(challenge)
    if not by_use_case:
        return []
    linked = traceability.linked_need_ids(session, by_use_case)
    behind = provenance.origins(session, {need_id for ids in linked.values() for need_id in ids})
    authors: dict[int, set[int]] = defaultdict(set)
    for use_case_id, need_ids in linked.items():
        for need_id in need_ids:
            for origin in behind[need_id]:
                if origin.stated_by_id is not None:
                    authors[origin.stated_by_id].add(use_case_id)
    wanting = consents.with_updates(session, set(authors))
    people = session.exec(select(User).where(col(User.id).in_(wanting)).order_by(User.id)).all()
    told = []
    for person in people:
        if not _reachable(person):
            continue
        mine = [c for c in challenges if c.challenge.use_case_id in authors[person.id]]
        told.append(Contributor(user=person, challenges=mine))
    return told


def _reachable(user: User) -> bool:
    """Only a confirmed account with an address: nobody is written to who never confirmed it."""
    return user.confirmed_at is not None and bool(user.email)


def call_published(session: Session, call: OpenCall) -> int:
    """Send each contributor one message naming their challenges; return how many messages went out."""
    public_url = external_url("calls.public_call", slug=call.slug)
    sent = 0
    for contributor in contributors(session, call):
        several = len(contributor.challenges) > 1
        subject = f"{call.name} is published, with {'challenges' if several else 'a challenge'} from your needs"
        try:
            send_mail(
                to=contributor.user.email,
                subject=subject,
                template="calls/published",
                name=contributor.user.name,
                call=call,
                challenges=contributor.challenges,
                public_url=public_url,
            )
        except Exception:  # a failed message must not stop the others, nor undo the publication
            log.exception("could not tell account %s that call %s is published", contributor.user.id, call.id)
        else:
            sent += 1
    return sent
