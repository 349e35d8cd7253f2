"""repair captured needs credited to the facilitator's organisation instead of the speaker's

Until this revision the capture console pre-filled Organisation with the facilitator's own and
kept it when an attendee was chosen as the speaker, so a need said by an attendee counted for the
facilitator's organisation (and type) in the call's evidence and the consultation report. This
data repair gives such needs the speaker's organisation, type and country, and links the speaker's
account, where that can be known for sure:

- the need was captured (it has a ``captured_by_id``) and its organisation is the capturing
  facilitator's, as stored now;
- its speaker is a known attendee of its breakout (a confirmed seat of a confirmed registration,
  account not deleted): the account it already names, or the free name typed, matched with case
  and spaces ignored;
- exactly one attendee of that breakout has that name (with two, who spoke cannot be known).

Running it again changes nothing: a repaired need no longer has the facilitator's organisation,
or already has the attendee's. Each repaired need's version rises (an edit form opened before the
repair cannot write the old organisation back unseen), its search text is recomputed (it holds
the organisation) and its board's version rises (open boards reload).

Revision ID: 0012
Revises: 0011
"""

import logging
import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

#: The need's fields its search text is made of, as workshops.models.need_search_text did at this revision.
_SEARCHED = ("title", "statement", "context", "desired_outcome", "affected", "constraints", "tags", "stated_by_name")

_need = sa.table(
    "need",
    sa.column("id"),
    sa.column("breakout_id"),
    sa.column("captured_by_id"),
    sa.column("stated_by_id"),
    sa.column("organisation"),
    sa.column("organisation_type"),
    sa.column("country"),
    sa.column("sensitivity"),
    sa.column("search_text"),
    sa.column("version"),
    *(sa.column(name) for name in _SEARCHED),
)
_account = sa.table(
    "account",
    sa.column("id"),
    sa.column("name"),
    sa.column("organisation"),
    sa.column("organisation_type"),
    sa.column("country"),
    sa.column("deleted_at"),
)
_registration = sa.table("registration", sa.column("id"), sa.column("user_id"), sa.column("state"))
_seat = sa.table("breakout_seat", sa.column("registration_id"), sa.column("breakout_id"), sa.column("state"))
_breakout = sa.table("breakout", sa.column("id"), sa.column("board_version"))


def upgrade() -> None:
    changed = repair_captured_attribution(op.get_bind())
    log.info("Captured needs credited to their speaker's organisation: %d repaired.", changed)


def downgrade() -> None:
    # A data repair: the needs keep their speaker's organisation. Putting the facilitator's back
    # would only corrupt them again, and the schema did not change.
    pass


def repair_captured_attribution(connection: sa.Connection) -> int:
    """Credit captured needs to the organisation of the attendee who stated them; return how many changed."""
    captured_by = _account.alias("captured_by")
    stated_by = _account.alias("stated_by")
    rows = (
        connection.execute(
            sa.select(
                _need,
                stated_by.c.name.label("stated_by_account_name"),
            )
            .join(captured_by, captured_by.c.id == _need.c.captured_by_id)
            .outerjoin(stated_by, stated_by.c.id == _need.c.stated_by_id)
            .where(_need.c.organisation == captured_by.c.organisation)
            .order_by(_need.c.id)
        )
        .mappings()
        .all()
    )
    attendees = _attendees(connection, {row["breakout_id"] for row in rows})
    changed: list[int] = []
    breakouts: set[int] = set()
    for row in rows:
        speaker = _speaker(row, attendees.get(row["breakout_id"], []))
        if speaker is None:
            continue
        values = {
            "organisation": speaker["organisation"],
            "organisation_type": speaker["organisation_type"],
            "country": speaker["country"],
            "stated_by_id": speaker["id"],
            "stated_by_name": "",  # the account names the speaker now, as for any need stated by an attendee
        }
        if all(row[name] == value for name, value in values.items()):
            continue
        values["search_text"] = _search_text({**row, **values})
        connection.execute(
            sa.update(_need).where(_need.c.id == row["id"]).values(**values, version=_need.c.version + 1)
        )
        changed.append(row["id"])
        breakouts.add(row["breakout_id"])
    if breakouts:
        connection.execute(
            sa.update(_breakout)
            .where(_breakout.c.id.in_(sorted(breakouts)))
            .values(board_version=_breakout.c.board_version + 1)
        )
    return len(changed)


def _attendees(connection: sa.Connection, breakout_ids: set[int]) -> dict[int, list[dict]]:
    """The known attendees of each breakout: a confirmed seat of a confirmed registration, not deleted."""
    if not breakout_ids:
        return {}
    rows = connection.execute(
        sa.select(
            _seat.c.breakout_id,
            _account.c.id,
            _account.c.name,
            _account.c.organisation,
            _account.c.organisation_type,
            _account.c.country,
        )
        .join(_registration, _registration.c.id == _seat.c.registration_id)
        .join(_account, _account.c.id == _registration.c.user_id)
        .where(
            _seat.c.breakout_id.in_(sorted(breakout_ids)),
            _seat.c.state == "confirmed",
            _registration.c.state == "confirmed",
            _account.c.deleted_at.is_(None),
        )
        .order_by(_account.c.id)
    ).mappings()
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["breakout_id"], []).append(dict(row))
    return found


def _speaker(row, attendees: list[dict]) -> dict | None:
    """The one attendee of the breakout with the speaker's name, if exactly one has it."""
    name = row["stated_by_account_name"] if row["stated_by_id"] is not None else row["stated_by_name"]
    wanted = _fold_name(name or "")
    if not wanted:
        return None
    named = [person for person in attendees if _fold_name(person["name"]) == wanted]
    if len(named) != 1:
        return None
    if row["stated_by_id"] is not None and row["stated_by_id"] != named[0]["id"]:
        return None  # the account named is not that attendee: leave it to a person
    return named[0]


def _fold_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _search_text(need: dict) -> str:
    """The need's search text, folded as workshops.search did at this revision."""

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(char for char in decomposed if not unicodedata.combining(char))

    parts = [need[name] for name in _SEARCHED]
    if need["sensitivity"] != "anonymous":
        parts.append(need["organisation"])
    return "".join(f" {word}" for part in parts if part for word in re.findall(r"\w+", fold(part)))
