"""The needs domain's part of deleting a person and of the retention purge.

A deleted person's needs keep their text, organisation type and country (the consultation report
counts them); who said it goes. After a workshop's retention period, its ``internal`` needs go
unless an organiser keeps them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from workshops.events.models import Breakout
from workshops.needs.models import Need, Sensitivity, Vote
from workshops.needs.services import NeedError
from workshops.timeutil import utcnow
from workshops.transactions import run_locked


def anonymise_needs(*, session: Session, user_id: int, now: datetime) -> int:
    """Inside the caller's transaction: the person's name and organisation leave their needs; return how many.

    Through the ORM, so that each need's search text is recomputed without them; the boards that
    showed the name get a new version and reload.
    """
    needs = list(session.exec(select(Need).where(Need.stated_by_id == user_id)))
    for need in needs:
        need.organisation = ""
        need.stated_by_name = ""
        need.updated_at = now
        session.add(need)
    breakout_ids = {need.breakout_id for need in needs}
    if breakout_ids:
        session.execute(
            update(Breakout).where(col(Breakout.id).in_(breakout_ids)).values(board_version=Breakout.board_version + 1)
        )
    return len(needs)


def unkept_internal_needs(workshop_id: int):
    """The ids of the workshop's internal needs that no organiser keeps (a query to count or delete by)."""
    return (
        select(Need.id)
        .join(Breakout, col(Breakout.id) == Need.breakout_id)
        .where(Breakout.workshop_id == workshop_id, Need.sensitivity == Sensitivity.internal, Need.kept_at.is_(None))
    )


def count_unkept_internal_needs(session: Session, workshop_id: int) -> int:
    """How many internal needs of the workshop the purge would delete."""
    return session.exec(select(func.count()).select_from(unkept_internal_needs(workshop_id).subquery())).one()


def delete_needs(*, session: Session, need_ids: list[int]) -> None:
    """Inside the caller's transaction: delete these needs with their votes; needs merged into them stay."""
    if not need_ids:
        return
    session.execute(delete(Vote).where(col(Vote.need_id).in_(need_ids)))
    session.execute(Need.__table__.update().where(col(Need.merged_into_id).in_(need_ids)).values(merged_into_id=None))
    session.execute(delete(Need).where(col(Need.id).in_(need_ids)))


def keep_need(*, session: Session, need: Need, keep: bool) -> None:
    """An organiser keeps an internal need beyond its workshop's retention period, or stops keeping it.

    Raises ``NeedError`` when the need was deleted meanwhile, ``Busy`` when the database stayed busy.
    """

    def mark(row: Need) -> None:
        row.kept_at = utcnow() if keep else None

    run_locked(session, Need, need.id, mark, missing=_need_gone)


def _need_gone() -> NeedError:
    return NeedError("This need does not exist any more.")
