"""Demo use cases: the challenges the organisers synthesised from the needs of November 2021.

``demo_use_cases.json`` holds eight use cases written like the challenges of a real open call, in
the sections of the default template; each names the open demo needs it was synthesised from by
their exact titles (see ``workshops/needs/demo_needs.json``). They go through the services the
application uses: the demo organiser creates each one from its needs (revision 1), sends six for
review and accepts them, with a revision and an audit entry at each step; one stays in review and
one a draft; the demo facilitator comments on one of the accepted ones.

The synthesis took place in December 2021, so the use cases, their revisions and the comment are
then dated back to then (the audit log keeps the real time of seeding: it records what was done to
this database). Nothing is added when any use case exists already, or when the demo needs are missing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select, update

from workshops.auth.services import find_user_by_email
from workshops.events.models import Breakout, TestBed, Workshop
from workshops.needs.models import Need, NeedState
from workshops.programme.models import Domain
from workshops.usecases import services
from workshops.usecases.models import UseCase, UseCaseComment, UseCaseRevision, UseCaseState

DATA = Path(__file__).with_name("demo_use_cases.json")
ORGANISER_EMAIL = "organiser@example.org"
ZONE = ZoneInfo("Europe/Brussels")
#: The first use case was written a week after the last workshop, the others a day apart; each
#: went to review about a week later, and the organisers accepted them together in mid-December.
FIRST_CREATED = datetime(2021, 11, 29, 10, 0, tzinfo=ZONE)
REVIEW_AFTER = timedelta(days=6, hours=3)
COMMENT_AFTER_REVIEW = timedelta(days=1, minutes=20)
ACCEPTED_FROM = datetime(2021, 12, 14, 14, 0, tzinfo=ZONE)
#: The way through the review to each state the data file may ask for.
STEPS = {
    UseCaseState.draft: [],
    UseCaseState.in_review: [UseCaseState.in_review],
    UseCaseState.accepted: [UseCaseState.in_review, UseCaseState.accepted],
}


def load() -> list[dict]:
    """The demo use cases as the data file gives them."""
    return json.loads(DATA.read_text(encoding="utf-8"))["use_cases"]


def seed_use_cases(*, session: Session) -> int:
    """Add the demo use cases unless any use case exists; return how many were added."""
    if session.exec(select(UseCase.id).limit(1)).first() is not None:
        return 0
    organiser = find_user_by_email(session, ORGANISER_EMAIL)
    items = load()
    needs = _demo_needs(session, {title for item in items for title in item["needs"]})
    if organiser is None or not needs:
        return 0
    missing = sorted({title for item in items for title in item["needs"]} - needs.keys())
    if missing:
        raise ValueError(f"{DATA.name} names needs that are not open demo needs: {missing}")
    domains = {domain.slug: domain for domain in session.exec(select(Domain))}
    test_beds = {test_bed.name: test_bed for test_bed in session.exec(select(TestBed))}
    for index, item in enumerate(items):
        test_bed = test_beds[item["test_bed"]] if item.get("test_bed") else None
        values = services.UseCaseInput(
            title=item["title"],
            summary=item["summary"],
            domain_id=domains[item["domain"]].id,
            test_bed_id=test_bed.id if test_bed else None,
            owners="\n".join(item["owners"]),
            owners_may_be_named=bool(item.get("owners_may_be_named", False)),
            trl_min=item["trl_min"],
            trl_max=item["trl_max"],
            body="\n".join(item["body"]).strip() + "\n",
        )
        use_case = services.create_use_case(
            session=session, author=organiser, values=values, need_ids=[needs[title].id for title in item["needs"]]
        )
        for state in STEPS[UseCaseState(item["state"])]:
            # A made-up history in which the one demo organiser also accepted what they wrote.
            use_case = services.change_state(
                session=session, use_case=use_case, actor=organiser, to_state=state, organisers_accept_own=True
            )
        _date_back(session, use_case, index, item)
    session.expire_all()
    return len(items)


def _demo_needs(session: Session, titles: set[str]) -> dict[str, Need]:
    """The open needs of the past (archived) workshops with these titles, the first of each title."""
    found: dict[str, Need] = {}
    statement = (
        select(Need)
        .join(Breakout, col(Breakout.id) == Need.breakout_id)
        .join(Workshop, col(Workshop.id) == Breakout.workshop_id)
        .where(Workshop.state == "archived", Need.state == NeedState.open, col(Need.title).in_(titles))
        .order_by(Need.id)
    )
    for need in session.exec(statement):
        found.setdefault(need.title, need)
    return found


def _date_back(session: Session, use_case: UseCase, index: int, item: dict) -> None:
    """Date the use case, its revisions and its comment to December 2021 (row updates: the version stays)."""
    created = FIRST_CREATED + timedelta(days=index, hours=index % 3)
    reviewed = created + REVIEW_AFTER
    moments = {UseCaseState.draft: [created], UseCaseState.in_review: [created, reviewed]}
    moments[UseCaseState.accepted] = [created, reviewed, ACCEPTED_FROM + timedelta(minutes=20 * index)]
    times = moments[UseCaseState(item["state"])]
    for number, moment in enumerate(times, start=1):
        session.exec(
            update(UseCaseRevision.__table__)
            .where(UseCaseRevision.use_case_id == use_case.id, UseCaseRevision.number == number)
            .values(created_at=moment)
        )
    session.exec(
        update(UseCase.__table__).where(UseCase.id == use_case.id).values(created_at=created, updated_at=times[-1])
    )
    session.commit()
    comment = item.get("comment")
    if comment:
        author = find_user_by_email(session, comment["by"])
        if author is not None:
            added = services.add_comment(session=session, use_case=use_case, author=author, body=comment["text"])
            session.exec(
                update(UseCaseComment.__table__)
                .where(UseCaseComment.id == added.id)
                .values(created_at=reviewed + COMMENT_AFTER_REVIEW)
            )
            session.commit()
