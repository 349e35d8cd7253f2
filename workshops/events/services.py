"""Setting up workshops: test beds, workshops and breakouts, copies, closing, cancelling, and live counts.

Changes that touch what registration counts against (a workshop's capacities and times, its
breakouts) run under the workshop's lock (``registration.run_locked``), so that they never
interleave with a registration being placed. E-mails go out after the commit, as in registration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshops.auth.models import Role, User
from workshops.db import max_length, write_transaction
from workshops.events import notifications, registration
from workshops.events.models import (
    AttendanceMode,
    Breakout,
    BreakoutSeat,
    Registration,
    RegistrationState,
    SeatState,
    TestBed,
    Workshop,
    WorkshopMessage,
    WorkshopState,
    content_changed,
)
from workshops.timeutil import utcnow

#: The fields whose change registrants are told about, with a calendar update.
TIME_FIELDS = ("starts_at", "ends_at")
PLACE_FIELDS = ("venue", "online_link")
#: What a breakout's calendar event shows of it.
BREAKOUT_CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "room", "online_room")
COPY_SUFFIX = re.compile(r"-copy(?:-\d+)?$")


class SetupError(Exception):
    """A set-up change was refused; the message is meant for the organiser, next to ``field``."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Test beds ----------------------------------------------------------------------------------


def save_test_bed(*, session: Session, test_bed: TestBed | None, values: dict) -> TestBed:
    """Create a test bed (``test_bed`` is ``None``) or change one."""
    test_bed = test_bed or TestBed(**values)
    for name, value in values.items():
        setattr(test_bed, name, value)
    try:
        with write_transaction(session):
            session.add(test_bed)
            if test_bed.id is not None:  # its name and place show on the pages of the workshops it is in
                in_workshops = select(Breakout.workshop_id).where(Breakout.test_bed_id == test_bed.id)
                session.execute(content_changed(in_workshops))
    except IntegrityError as error:  # the same name saved twice at the same moment
        raise SetupError("Another test bed has this name.", field="name") from error
    return test_bed


# --- Workshops ----------------------------------------------------------------------------------


def create_workshop(*, session: Session, values: dict) -> Workshop:
    """Create a workshop from the form's values (times in UTC)."""
    workshop = Workshop(**values)
    try:
        with write_transaction(session):
            session.add(workshop)
    except IntegrityError as error:
        raise SetupError("Another workshop has this short name; choose another.", field="slug") from error
    return workshop


@dataclass
class WorkshopUpdate:
    """What saving a workshop changed, and whom it told."""

    #: ``"time"``, ``"place"``, ``"time and place"`` or ``None``.
    changed: str | None = None
    #: Registrants told about the change.
    told: int = 0
    #: People given a place, or a breakout seat, by a raised capacity.
    promoted: int = 0


def update_workshop(
    *, session: Session, workshop: Workshop, values: dict, move_breakouts: bool = False
) -> WorkshopUpdate:
    """Save a workshop's new details; tell registrants of a new time or place; fill freed places.

    With ``move_breakouts``, the breakouts move by as much as the start does. A change of time or
    place raises the calendar sequence, so that calendar programs update the event they hold.
    Raises ``registration.Busy`` when the workshop stays locked, ``SetupError`` on a taken slug.
    """

    def change(locked: Workshop) -> tuple[str | None, bool]:
        before = {name: getattr(locked, name) for name in values}
        shift = values["starts_at"] - locked.starts_at if move_breakouts else None
        for name, value in values.items():
            setattr(locked, name, value)
        if shift:
            for breakout in locked.breakouts:
                breakout.starts_at += shift
                breakout.ends_at += shift
        changed = _what_changed(before, values)
        if changed:
            locked.calendar_sequence += 1
        locked.updated_at = utcnow()
        freed = any(_capacity_raised(before[name], values[name]) for name in ("onsite_capacity", "online_capacity"))
        return changed, freed

    try:
        changed, freed = registration.run_locked(session, workshop.id, change)
    except IntegrityError as error:
        raise SetupError("Another workshop has this short name; choose another.", field="slug") from error
    result = WorkshopUpdate(changed=changed)
    if changed:
        result.told = notifications.workshop_changed(session, workshop, what=changed)
    if freed:
        result.promoted = _fill_and_tell(session, workshop)
    return result


def _what_changed(before: dict, after: dict) -> str | None:
    time = any(before[name] != after[name] for name in TIME_FIELDS)
    place = any(before[name] != after[name] for name in PLACE_FIELDS)
    return {(True, True): "time and place", (True, False): "time", (False, True): "place"}.get((time, place))


def _capacity_raised(before: int | None, after: int | None) -> bool:
    """More room than before: a higher limit, or no limit any more."""
    return before is not None and (after is None or after > before)


def _fill_and_tell(session: Session, workshop: Workshop) -> int:
    outcome = registration.fill_free_places(session=session, workshop=workshop)
    notifications.promoted(outcome)
    return len(outcome.promoted) + len(outcome.promoted_seats)


def copy_workshop(*, session: Session, workshop: Workshop) -> Workshop:
    """Start the next workshop from this one: a draft with the same details and breakouts.

    The times are kept for the organiser to change; breakouts get new codes and keep their
    facilitators; registrations and messages stay with the original.
    """
    with write_transaction(session):
        copy = Workshop(
            slug=_free_slug(session, workshop.slug),
            title=_copy_title(workshop.title),
            state=WorkshopState.draft.value,
            **{name: getattr(workshop, name) for name in _COPIED_WORKSHOP_FIELDS},
        )
        session.add(copy)
        session.flush()
        for breakout in workshop.breakouts:
            session.add(
                Breakout(
                    workshop_id=copy.id,
                    facilitators=list(breakout.facilitators),
                    **{name: getattr(breakout, name) for name in _COPIED_BREAKOUT_FIELDS},
                )
            )
    return copy


_COPIED_WORKSHOP_FIELDS = [
    "cluster_id",
    "timezone",
    "starts_at",
    "ends_at",
    "format",
    "venue",
    "online_link",
    "onsite_capacity",
    "online_capacity",
    "registration_opens_at",
    "registration_closes_at",
    "description",
]
_COPIED_BREAKOUT_FIELDS = [
    "title",
    "test_bed_id",
    "domain_id",
    "starts_at",
    "ends_at",
    "room",
    "online_room",
    "capacity",
]


def _free_slug(session: Session, slug: str) -> str:
    """``<slug>-copy``, or ``<slug>-copy-2`` and so on when taken; a copy of a copy does not stack."""
    limit = max_length(Workshop, "slug")
    base = (COPY_SUFFIX.sub("", slug)[: limit - len("-copy-999")] + "-copy").replace("--", "-")
    taken = set(session.exec(select(Workshop.slug).where(Workshop.slug.startswith(base))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _copy_title(title: str) -> str:
    title = title.removesuffix(" (copy)")
    return title[: max_length(Workshop, "title") - len(" (copy)")] + " (copy)"


def close_registration(*, session: Session, workshop: Workshop) -> bool:
    """Close a workshop's registration; return ``False`` when it was closed (or archived) already.

    Under the workshop's lock, so a registration being placed finishes first or is refused.
    """

    def change(locked: Workshop) -> bool:
        if locked.state in (WorkshopState.closed, WorkshopState.archived):
            return False
        locked.state = WorkshopState.closed.value
        locked.updated_at = utcnow()
        return True

    return registration.run_locked(session, workshop.id, change)


def cancel_workshop(*, session: Session, workshop: Workshop) -> int:
    """Cancel a workshop: close it, tell every registrant (with a calendar cancellation), cancel them all.

    Registrants are told before their registrations are cancelled, because the notice is built
    from the active registration. Waiting people are cancelled first, so that no one is promoted
    on the way. Returns how many people were told.
    """

    def close(locked: Workshop) -> None:
        if locked.state != WorkshopState.archived:
            locked.state = WorkshopState.closed.value
        locked.calendar_sequence += 1
        locked.updated_at = utcnow()

    registration.run_locked(session, workshop.id, close)
    told = notifications.workshop_cancelled(session, workshop)
    active = session.exec(
        select(Registration).where(
            Registration.workshop_id == workshop.id, Registration.state != RegistrationState.cancelled
        )
    ).all()
    for person in sorted(active, key=lambda r: (r.state != RegistrationState.waitlisted, r.id)):
        registration.cancel(session=session, registration=person)
    return told


# --- Breakouts ----------------------------------------------------------------------------------


def _with_domain(session: Session, values: dict) -> dict:
    """A breakout with a test bed is in the test bed's domain."""
    if values.get("test_bed_id") is not None:
        test_bed = session.get(TestBed, values["test_bed_id"])
        values = {**values, "domain_id": test_bed.domain_id if test_bed else values.get("domain_id")}
    return values


def _facilitators(session: Session, user_ids: list[int]) -> list[User]:
    """The accounts that may facilitate, among those asked for."""
    if not user_ids:
        return []
    return list(
        session.exec(
            select(User)
            .where(User.id.in_(user_ids), User.role.in_((Role.facilitator, Role.organiser)))
            .order_by(User.name)
        )
    )


def create_breakout(*, session: Session, workshop: Workshop, values: dict, facilitator_ids: list[int]) -> Breakout:
    """Add a breakout to a workshop, under the workshop's lock."""

    def change(locked: Workshop) -> Breakout:
        breakout = Breakout(workshop_id=locked.id, **_with_domain(session, values))
        breakout.facilitators = _facilitators(session, facilitator_ids)
        session.add(breakout)
        session.flush()
        return breakout

    return registration.run_locked(session, workshop.id, change)


def update_breakout(*, session: Session, breakout: Breakout, values: dict, facilitator_ids: list[int]) -> int:
    """Change a breakout; when its capacity grows, the waiting list moves up. Return how many moved up.

    A new title, time or room raises the workshop's calendar sequence, so that the next calendar
    file a registrant gets replaces the breakout's event they hold.
    """
    breakout_id = breakout.id

    def change(locked: Workshop) -> bool:
        current = session.get(Breakout, breakout_id)
        before = current.capacity
        shown = {name: getattr(current, name) for name in BREAKOUT_CALENDAR_FIELDS}
        for name, value in _with_domain(session, values).items():
            setattr(current, name, value)
        current.facilitators = _facilitators(session, facilitator_ids)
        if any(getattr(current, name) != value for name, value in shown.items()):
            locked.calendar_sequence += 1
        return _capacity_raised(before, current.capacity)

    if registration.run_locked(session, breakout.workshop_id, change):
        return _fill_and_tell(session, breakout.workshop)
    return 0


def delete_breakout(*, session: Session, breakout: Breakout) -> None:
    """Delete a breakout; its seats and waiting list go with it."""
    breakout_id = breakout.id

    def change(locked: Workshop) -> None:
        current = session.get(Breakout, breakout_id)
        locked.breakouts.remove(current)
        session.delete(current)

    registration.run_locked(session, breakout.workshop_id, change)


# --- Counts -------------------------------------------------------------------------------------


@dataclass
class Counts:
    """How many people hold a place, wait for one, and have arrived."""

    confirmed: int = 0
    waitlisted: int = 0
    checked_in: int = 0
    #: Breakouts only: seats asked for by people still on the workshop's waiting list.
    requested: int = 0

    def add(self, state: str, number: int, checked_in: int) -> None:
        """Count ``number`` rows in ``state``; people count as checked in only with a confirmed place."""
        if state == RegistrationState.confirmed:
            self.confirmed += number
            self.checked_in += checked_in
        elif state == RegistrationState.waitlisted:
            self.waitlisted += number
        elif state == SeatState.requested:
            self.requested += number


@dataclass
class WorkshopCounts:
    """Counts of one workshop, per attendance mode and in total."""

    by_mode: dict[str, Counts] = field(default_factory=dict)

    def mode(self, mode: str) -> Counts:
        """The counts of one attendance mode."""
        return self.by_mode.setdefault(str(mode), Counts())

    def rows(self, offered: list[AttendanceMode]) -> list[tuple[AttendanceMode, Counts]]:
        """The offered modes, and any other mode people still hold a place in, with their counts."""
        modes = [m for m in AttendanceMode if m in offered or self.by_mode.get(m.value, Counts()) != Counts()]
        return [(mode, self.mode(mode)) for mode in modes]

    @property
    def total(self) -> Counts:
        """Both modes together."""
        total = Counts()
        for counts in self.by_mode.values():
            total.confirmed += counts.confirmed
            total.waitlisted += counts.waitlisted
            total.checked_in += counts.checked_in
        return total


def workshop_counts(*, session: Session, workshop_ids: list[int]) -> dict[int, WorkshopCounts]:
    """Confirmed, waiting and checked-in people per workshop and mode: one query however many there are."""
    counts = {workshop_id: WorkshopCounts() for workshop_id in workshop_ids}
    if not workshop_ids:
        return counts
    rows = session.exec(
        select(
            Registration.workshop_id,
            Registration.mode,
            Registration.state,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .where(Registration.workshop_id.in_(workshop_ids), Registration.state != RegistrationState.cancelled)
        .group_by(Registration.workshop_id, Registration.mode, Registration.state)
    )
    for workshop_id, mode, state, number, checked_in in rows:
        counts[workshop_id].mode(mode).add(state, number, checked_in)
    return counts


def breakout_counts(*, session: Session, workshop: Workshop) -> dict[int, Counts]:
    """Confirmed, waiting and checked-in people per breakout of a workshop, in one query."""
    counts = {breakout.id: Counts() for breakout in workshop.breakouts}
    rows = session.exec(
        select(
            BreakoutSeat.breakout_id,
            BreakoutSeat.state,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .where(Registration.workshop_id == workshop.id, Registration.state != RegistrationState.cancelled)
        .group_by(BreakoutSeat.breakout_id, BreakoutSeat.state)
    )
    for breakout_id, state, number, checked_in in rows:
        counts.setdefault(breakout_id, Counts()).add(state, number, checked_in)
    return counts


# --- Messages -----------------------------------------------------------------------------------


def sent_messages(*, session: Session, workshop: Workshop, limit: int = 50) -> list[tuple[WorkshopMessage, str | None]]:
    """The messages organisers wrote to this workshop's registrants, newest first, with the sender's name."""
    return list(
        session.exec(
            select(WorkshopMessage, User.name)
            .outerjoin(User, User.id == WorkshopMessage.sent_by_id)
            .where(WorkshopMessage.workshop_id == workshop.id)
            .order_by(WorkshopMessage.sent_at.desc(), WorkshopMessage.id.desc())
            .limit(limit)
        )
    )


def facilitator_choices(session: Session) -> list[tuple[int, str]]:
    """Everyone who may facilitate a breakout: facilitators and organisers."""
    people = session.exec(
        select(User.id, User.name, User.organisation)
        .where(User.role.in_((Role.facilitator, Role.organiser)))
        .order_by(User.name, User.id)
    )
    return [(user_id, f"{name} ({organisation})" if organisation else name) for user_id, name, organisation in people]
