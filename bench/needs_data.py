"""Needs of the benchmark: a live board, an archive of 20,000 needs, and texts that are new to the model.

``bench/run.py`` adds to each database, with :func:`add_needs`,

* the *board*: ~40 needs on the first breakout of ``bench-workshop``, stated by its attendees within
  the last hour and a half, with the votes of up to 60 of them (three each), as a breakout's live
  board looks towards its end; the demo facilitator facilitates that breakout;
* on the large database only, the *archive*: ``--needs`` needs (20,000 by default) on 500 breakouts
  of 50 archived workshops (``bench-archive-NN``), each with its similarity vector, and a vote or two
  each, so that the similar-needs look-up ranks among 20,000 candidates and the ``need`` and
  ``vote`` tables are large.

The texts are recombined from the labelled needs of ``tests/data/needs-dev.json``: a title from one
need, a statement from another, a context from a third. :func:`workshops.needs.similarity.represent`
keeps the embedding of each part, so the 90 needs' 270 parts go through the model once and each of
the 20,000 vectors then costs a sum of three cached vectors (well under a second in all). The rows
are written with bulk ``INSERT`` statements, not through ``log_need``, which would take minutes.

:class:`NewTexts` makes the texts the measured requests send: half-typed needs for the look-up and
whole needs for the ``POST``, each part new, so that neither a response nor a part's embedding
comes from a cache (the worst case; while someone types, the other parts are usually cached).
"""

from __future__ import annotations

import json
import random
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from workshop_data import BENCH_DOMAIN, BIG_SLUG

ROOT = Path(__file__).resolve().parent.parent
DEV_NEEDS = ROOT / "tests" / "data" / "needs-dev.json"
FACILITATOR_EMAIL = "facilitator@example.org"
ARCHIVE_SLUG = "bench-archive-{:02d}"
ARCHIVE_WORKSHOPS = 50
ARCHIVE_BREAKOUTS = 10  # per archived workshop: 500 breakouts, 40 needs each at 20,000
BOARD_NEEDS = 40
BOARD_VOTERS = 60
SYNTHETIC_NEEDS = 20_000
ORGANISATION_TYPES = {"end-user": "end_user", "public authority": "public_authority", "SME": "sme"}
#: One need in eight is internal, one in eight anonymous, as the demo has it.
SENSITIVITIES = ["public"] * 6 + ["anonymous", "internal"]


@dataclass(frozen=True)
class NeedIds:
    """Where the needs' requests go in one database, and who sends them."""

    #: The breakout whose board is polled, whose similar needs are looked up and where the live needs go.
    board_breakout_id: int
    board_code: str
    #: Another breakout of the same attendee, where the measured ``POST`` requests add their needs.
    post_breakout_id: int
    post_code: str
    #: The attendee (confirmed seats in both breakouts) who posts needs: their session token.
    attendee_token: str
    board_needs: int
    board_votes: int
    #: Needs in the whole database, and whether they have similarity vectors (the model is installed).
    needs_total: int
    vectors: bool

    def placeholders(self) -> dict[str, object]:
        """Values for the ``{…}`` fields of route paths and labels (``{fresh}`` and ``{lookup}`` as shown)."""
        return {
            "board_code": self.board_code,
            "post_code": self.post_code,
            "fresh": "<new>",
            "lookup": "title=…&statement=…",
        }


def dev_needs() -> list[dict]:
    """The labelled needs the texts are made of."""
    return json.loads(DEV_NEEDS.read_text(encoding="utf-8"))["needs"]


def model_available() -> bool:
    """Whether the similarity model can be loaded (the needs then get vectors and the look-ups run)."""
    from workshops.needs import similarity

    try:
        similarity.load_model()
    except similarity.ModelUnavailable:
        return False
    return True


def add_needs(config: dict, *, synthetic: int, seed: int, vectors: bool) -> NeedIds:
    """Add the board (and ``synthetic`` archived needs); return where the needs' requests go.

    ``vectors``: compute the similarity vectors (else they stay empty, and look-ups find nothing).
    """
    from sqlalchemy import func, insert, update
    from sqlmodel import Session, col, select

    from workshops import create_app
    from workshops.auth.models import User
    from workshops.events.models import (
        Breakout,
        BreakoutFacilitator,
        BreakoutSeat,
        Registration,
        RegistrationState,
        SeatState,
        Workshop,
    )
    from workshops.needs.models import Need, Vote

    rng = random.Random(seed)
    texts = dev_needs()
    represent = _representer(vectors)
    app = create_app(config)
    engine = app.extensions["workshops.engine"]
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        with Session(engine) as session, session.begin():
            big = session.exec(select(Workshop).where(Workshop.slug == BIG_SLUG)).one()
            breakouts = list(session.exec(select(Breakout).where(Breakout.workshop_id == big.id).order_by(Breakout.id)))
            board = breakouts[0]

            def seated(breakout_id: int) -> list[User]:
                return list(
                    session.exec(
                        select(User)
                        .join(Registration, col(Registration.user_id) == User.id)
                        .join(BreakoutSeat, col(BreakoutSeat.registration_id) == Registration.id)
                        .where(
                            BreakoutSeat.breakout_id == breakout_id,
                            BreakoutSeat.state == SeatState.confirmed,
                            Registration.state == RegistrationState.confirmed,
                        )
                        .order_by(User.id)
                    )
                )

            attendees = seated(board.id)
            if not attendees:
                raise RuntimeError(f"nobody holds a seat in {board.title} of {BIG_SLUG}")
            attendee = attendees[0]
            post = next(b for b in breakouts[1:] if any(person.id == attendee.id for person in seated(b.id)))
            facilitator = session.exec(select(User).where(User.email == FACILITATOR_EMAIL)).one()
            session.add(BreakoutFacilitator(breakout_id=board.id, user_id=facilitator.id))

            rows = []
            for number in range(BOARD_NEEDS):
                item = texts[number % len(texts)]
                speaker = attendees[(number + 1) % len(attendees)]
                created = now - timedelta(minutes=90) + timedelta(seconds=130 * number)
                rows.append(
                    _need_row(
                        board.id,
                        (item["title"], item["need"], item.get("context", "")),
                        item,
                        represent,
                        sensitivity=SENSITIVITIES[number % len(SENSITIVITIES)],
                        stated_by=speaker,
                        created=created,
                        test_bed_id=board.test_bed_id,
                        tags="live, bench" if number % 4 == 0 else "",
                    )
                )
            session.execute(insert(Need.__table__), _derived(rows))
            board_ids = list(session.exec(select(Need.id).where(Need.breakout_id == board.id).order_by(Need.id)))
            votes = []
            for index, person in enumerate(attendees[1 : BOARD_VOTERS + 1]):
                # a few favourites get most votes, as on a real board
                chosen = {board_ids[min(len(board_ids) - 1, int(rng.expovariate(0.12)))] for _ in range(6)}
                chosen |= {board_ids[(index * 7) % len(board_ids)]}
                for need_id in sorted(chosen)[: board.votes_per_person]:
                    votes.append({"need_id": need_id, "user_id": person.id, "breakout_id": board.id, "created_at": now})
            if votes:
                session.execute(insert(Vote.__table__), votes)

            if synthetic:
                _add_archive(session, synthetic, texts, represent, rng, now)
            session.execute(
                update(Breakout).where(Breakout.id == board.id).values(board_version=Breakout.board_version + 1)
            )
            total = session.exec(select(func.count()).select_from(Need)).one()
            return NeedIds(
                board_breakout_id=board.id,
                board_code=board.code,
                post_breakout_id=post.id,
                post_code=post.code,
                attendee_token=attendee.session_token,
                board_needs=len(board_ids),
                board_votes=len(votes),
                needs_total=total,
                vectors=vectors,
            )
    finally:
        engine.dispose()


def _representer(vectors: bool):
    """``represent`` of the similarity module, or a stand-in that stores no vector."""
    if not vectors:
        return lambda title, statement, context: None
    from workshops.needs import similarity

    return similarity.represent


def _need_row(
    breakout_id: int,
    text: tuple[str, str, str],
    item: dict,
    represent,
    *,
    sensitivity: str,
    stated_by,
    created: datetime,
    test_bed_id: int | None = None,
    domain_id: int | None = None,
    tags: str = "",
) -> dict:
    """One row of the ``need`` table: an open need as ``log_need`` would have stored it."""
    title, statement, context = text
    return {
        "breakout_id": breakout_id,
        "title": title[:160],
        "statement": statement[:1000],
        "context": context[:2000],
        "desired_outcome": "",
        "affected": "",
        "constraints": "",
        "urgency": item["urgency"],
        "domain_id": domain_id,
        "test_bed_id": test_bed_id,
        "organisation": stated_by.organisation if stated_by else "",
        "organisation_type": ORGANISATION_TYPES.get(item["org_type"], item["org_type"]),
        "country": item["country"],
        "tags": tags,
        "sensitivity": sensitivity,
        "state": "open",
        "dismissed_reason": "",
        "merged_into_id": None,
        "stated_by_id": stated_by.id if stated_by else None,
        "stated_by_name": "" if stated_by else "A speaker",
        "captured_by_id": None,
        "idempotency_key": None,
        "similarity_vector": represent(title, statement, context),
        "version": 1,
        "created_at": created,
        "updated_at": created,
    }


def _derived(rows: list[dict]) -> list[dict]:
    """Fill the columns the model derives on each save (an ORM event, which a bulk INSERT does not fire)."""
    from workshops.needs import models

    derive = getattr(models, "need_search_text", None)
    if derive is not None and "search_text" in models.Need.__table__.c:
        for row in rows:
            row["search_text"] = derive(SimpleNamespace(**row))
    return rows


def _add_archive(session, count: int, texts: list[dict], represent, rng: random.Random, now: datetime) -> None:
    """Add ``count`` open needs, recombined, on the breakouts of 50 archived workshops, with a few votes."""
    from sqlalchemy import insert
    from sqlmodel import select

    from workshops.auth.models import User
    from workshops.events.models import Breakout, TestBed, Workshop
    from workshops.needs.models import Need, Vote

    people = list(session.exec(select(User).where(User.email.like(f"%@{BENCH_DOMAIN}")).order_by(User.id).limit(2000)))
    test_beds = list(session.exec(select(TestBed).order_by(TestBed.id)))
    breakouts = []
    for number in range(ARCHIVE_WORKSHOPS):
        starts = (now - timedelta(days=30 + 14 * number)).replace(hour=8, minute=0, second=0)
        workshop = Workshop(
            slug=ARCHIVE_SLUG.format(number + 1),
            title=f"Benchmark archive: past workshop {number + 1}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=9),
            venue="Rue de la Loi 1, Brussels",
            state="archived",
        )
        session.add(workshop)
        session.flush()
        for index in range(ARCHIVE_BREAKOUTS):
            test_bed = test_beds[(number + index) % len(test_beds)] if test_beds else None
            begins = starts + timedelta(hours=1 + 2 * (index // 2))
            breakouts.append(
                Breakout(
                    workshop_id=workshop.id,
                    title=f"Archived breakout {number + 1}.{index + 1}",
                    test_bed_id=test_bed.id if test_bed else None,
                    domain_id=test_bed.domain_id if test_bed else None,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=90),
                    locked_at=begins + timedelta(minutes=90),
                    board_version=1,
                )
            )
    session.add_all(breakouts)
    session.flush()
    rows = []
    for number in range(count):
        breakout = breakouts[number % len(breakouts)]
        title, statement, context = (rng.choice(texts)[part] for part in ("title", "need", "context"))
        speaker = rng.choice(people) if people and rng.random() < 0.8 else None
        rows.append(
            _need_row(
                breakout.id,
                (title, statement, context),
                rng.choice(texts),
                represent,
                sensitivity=rng.choice(SENSITIVITIES),
                stated_by=speaker,
                created=breakout.starts_at + timedelta(minutes=rng.randint(0, 89)),
                test_bed_id=breakout.test_bed_id,
                domain_id=breakout.domain_id,
            )
        )
    rows = _derived(rows)
    for start in range(0, len(rows), 5000):
        session.execute(insert(Need.__table__), rows[start : start + 5000])
    first = breakouts[0].id
    stored = session.exec(select(Need.id, Need.breakout_id).where(Need.breakout_id >= first)).all()
    votes = []
    for need_id, breakout_id in stored:
        voters = rng.sample(people, min(len(people), rng.choice((0, 1, 1, 2, 3))))
        votes += [{"need_id": need_id, "user_id": p.id, "breakout_id": breakout_id, "created_at": now} for p in voters]
    for start in range(0, len(votes), 10_000):
        session.execute(insert(Vote.__table__), votes[start : start + 10_000])


def _sentences(text: str) -> list[str]:
    """The sentences of a text, split after a full stop, question or exclamation mark."""
    return [sentence for sentence in re.split(r"(?<=[.!?])\s+", text.strip()) if sentence]


class NewTexts:
    """Texts of needs that no request sent before in this run, recombined from the labelled needs.

    Every part (title, statement, context) is new, so each request embeds all of its parts: the
    worst case for the model's cache of parts.
    """

    def __init__(self, seed: int) -> None:
        """Read the labelled needs and start from ``seed``."""
        needs = dev_needs()
        self.rng = random.Random(seed)
        self.titles = [need["title"].split() for need in needs]
        self.statements = [need["need"].split() for need in needs]
        self.sentences = [s for need in needs for part in ("need", "context") for s in _sentences(need[part])]
        self.seen: set[str] = set()

    def _new(self, make) -> str:
        for _ in range(1000):
            text = make()
            if text not in self.seen:
                self.seen.add(text)
                return text
        return f"{make()} ({secrets.token_hex(3)})"  # the combinations ran out: make it new anyway

    def title(self) -> str:
        """A title: the start of one labelled title and the end of another."""

        def make() -> str:
            first, second = self.rng.sample(self.titles, 2)
            return " ".join(first[: max(2, len(first) // 2)] + second[len(second) // 2 :])

        return self._new(make)

    def half_statement(self) -> str:
        """A statement being typed: the first 35 % to 65 % of the words of a labelled one."""

        def make() -> str:
            words = self.rng.choice(self.statements)
            return " ".join(words[: max(3, round(len(words) * self.rng.uniform(0.35, 0.65)))])

        return self._new(make)

    def two_sentences(self) -> str:
        """Two sentences of the labelled needs, as a statement or a context."""
        return self._new(lambda: " ".join(self.rng.sample(self.sentences, 2)))

    def half_typed(self) -> dict[str, str]:
        """The look-up the form sends while a need is typed: a title and half a statement, no context yet."""
        return {"title": self.title(), "statement": self.half_statement()}

    def whole(self, marker: str = "") -> dict[str, str]:
        """A whole need as the form posts it; ``marker`` (a word) is put in its title."""
        title = f"{marker} {self.title()}" if marker else self.title()
        return {"title": title[:160], "statement": self.two_sentences(), "context": self.two_sentences()}


def need_form(text: dict[str, str], csrf: str) -> dict[str, str]:
    """The need form as the page posts it: the text, the defaults, a fresh idempotency key."""
    return {
        **text,
        "desired_outcome": "",
        "affected": "",
        "constraints": "",
        "urgency": "3",
        "test_bed_id": "",
        "organisation": "Bench organisation",
        "organisation_type": "end_user",
        "tags": "",
        "sensitivity": "public",
        "idempotency_key": secrets.token_hex(16),
        "csrf_token": csrf,
    }
