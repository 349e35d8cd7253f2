"""The per-process index of needs behind the similar-need suggestions: it follows the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import delete

from tests import factories
from workshops.needs import similarity
from workshops.needs.models import Need, Vote
from workshops.needs.suggestions import NeedIndex, Readable

EVERYONE = Readable(breakouts=None, internal_in=None)
QUERY = similarity.represent("Sensors")


def _need(db, breakout, title: str, **changes) -> Need:
    need = Need(
        breakout_id=breakout.id,
        title=title,
        statement=f"We need {title.lower()}.",
        similarity_vector=similarity.represent(title, f"We need {title.lower()}."),
        **changes,
    )
    db.add(need)
    db.commit()
    return need


def _ids(index: NeedIndex, db, who: Readable = EVERYONE) -> list[int]:
    index.refresh(db)
    db.rollback()
    return sorted(need_id for need_id, _score in index.search(QUERY, who, limit=100))


def test_the_index_follows_new_edited_merged_and_deleted_needs(db):
    workshop = factories.make_workshop(db)
    breakout = factories.make_breakout(db, workshop)
    index = NeedIndex()
    assert _ids(index, db) == []
    first = _need(db, breakout, "Drone detection")
    assert _ids(index, db) == [first.id]
    second = _need(db, breakout, "Fence sensors")
    assert _ids(index, db) == [first.id, second.id]
    second.state = "merged"
    second.updated_at = datetime.now(UTC)
    db.add(second)
    db.commit()
    assert _ids(index, db) == [first.id]

    old = _need(db, breakout, "Seeded long ago", created_at=datetime(2021, 11, 9, tzinfo=UTC))
    old.updated_at = datetime(2021, 11, 9, tzinfo=UTC)  # as the demo stores them
    db.add(old)
    db.commit()
    assert _ids(index, db) == [first.id, old.id]

    db.exec(delete(Vote))
    db.exec(delete(Need).where(Need.id == first.id))
    db.commit()
    assert _ids(index, db) == [old.id]


def test_the_index_knows_each_needs_breakout_and_whether_it_is_internal(db):
    workshop = factories.make_workshop(db)
    here, there = factories.make_breakout(db, workshop), factories.make_breakout(db, workshop)
    public = _need(db, here, "Public one")
    internal = _need(db, there, "Internal one", sensitivity="internal")
    index = NeedIndex()
    assert _ids(index, db) == [public.id, internal.id]
    assert _ids(index, db, Readable(breakouts={there.id}, internal_in=set())) == []
    assert _ids(index, db, Readable(breakouts={here.id, there.id}, internal_in=set())) == [public.id]
    assert _ids(index, db, Readable(breakouts=None, internal_in={there.id})) == [public.id, internal.id]
    assert _ids(index, db, Readable(breakouts=None, internal_in={here.id})) == [public.id]
