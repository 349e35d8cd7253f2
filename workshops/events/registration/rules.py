"""What a registration change must respect: the window, the modes, no clashes, the requirements kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from workshops.events.models import AttendanceMode, Breakout, Registration, Workshop, WorkshopState
from workshops.timeutil import local, utcnow

#: The requirements that only matter at the venue, asked and kept only for on-site attendance.
#: Dietary requirements are for the lunch and breaks served there. Accessibility requirements are not
#: among them: online attendance needs them too (captions, a sign-language interpreter, slides sent
#: beforehand), so they are asked whichever way a person attends.
ON_SITE_ONLY = ("dietary",)


def keep_on_site_only(registration: Registration, mode: str, answers: dict[str, str]) -> None:
    """Store the on-site-only answers as given when ``mode`` is on site; empty them for online attendance."""
    for name in ON_SITE_ONLY:
        setattr(registration, name, answers.get(name, "") if mode == AttendanceMode.on_site else "")


class RegistrationError(Exception):
    """A registration change was refused; the message is meant for the person."""


class AlreadyRegistered(RegistrationError):
    """The person already holds a registration for this workshop."""

    def __init__(self, registration: Registration):
        """Keep the existing registration, to lead the person to it."""
        super().__init__("You are already registered for this workshop.")
        self.registration = registration


class RegistrationFrozen(RegistrationError):
    """The workshop has started: what a participant registered for is now the record of who came."""


def has_started(workshop: Workshop, *, now: datetime | None = None) -> bool:
    """Whether the workshop's start has passed, from which moment its registrations are read-only."""
    return workshop.starts_at <= (now or utcnow())


def frozen_message(workshop: Workshop) -> str:
    """Why a participant may no longer change their registration, with the start in the workshop's zone."""
    started = local(workshop.starts_at, workshop.zone, "%d %B %Y at %H:%M %Z").lstrip("0")
    return (
        f"This workshop started on {started}: your registration can no longer be changed. "
        "Write to the organisers if something is wrong."
    )


def check_changeable(workshop: Workshop, *, now: datetime | None = None) -> None:
    """Refuse a participant's own change (mode, breakouts, requirements, cancelling) once the workshop started.

    Attendance lists, check-ins, needs and the consultation report rest on who was registered when
    the workshop took place; only organisers correct that record afterwards, through their own
    overrides, which do not call this.
    """
    if has_started(workshop, now=now):
        raise RegistrationFrozen(frozen_message(workshop))


def requirements_problem(workshop: Workshop, *, now: datetime | None = None) -> str | None:
    """Why a participant may no longer correct their requirements, or ``None`` while they may.

    Until registration closes: organisers order the catering and arrange access from what people
    gave by then, so a later change goes through them. Once the workshop has started, the answer
    is the read-only registration's.
    """
    if has_started(workshop, now=now):
        return frozen_message(workshop)
    problem = registration_problem(workshop, now=now)
    if problem:
        return f"{problem} Write to the organisers if your requirements have changed."
    return None


def check_requirements_changeable(workshop: Workshop, *, now: datetime | None = None) -> None:
    """Refuse a participant's change of their requirements once registration has closed (or the workshop started)."""
    check_changeable(workshop, now=now)
    problem = requirements_problem(workshop, now=now)
    if problem:
        raise RegistrationError(problem)


#: How long after cancelling a person may take it back with one button (``registration.register_again``).
UNDO_PERIOD = timedelta(minutes=10)


def undo_problem(registration: Registration, *, now: datetime | None = None) -> str | None:
    """Why a cancellation can no longer be undone, or ``None`` while it can.

    Undoing is registering again, so it needs what registering needs (registration open) and what
    every change of one's own registration needs (the workshop not started), within ``UNDO_PERIOD``.
    """
    now = now or utcnow()
    workshop = registration.workshop
    if registration.is_active:
        return "This registration is not cancelled."
    if registration.cancelled_at is None or now >= registration.cancelled_at + UNDO_PERIOD:
        minutes = int(UNDO_PERIOD.total_seconds() // 60)
        return (
            f"A cancellation can be undone only within {minutes} minutes. "
            "Register again from the workshop's page while registration is open, if places remain."
        )
    if has_started(workshop, now=now):
        return frozen_message(workshop)
    problem = registration_problem(workshop, now=now)
    if problem:
        return f"{problem} Your cancellation can no longer be undone."
    return None


def registration_problem(workshop: Workshop, *, now=None) -> str | None:
    """Why this workshop does not take registrations now, or ``None`` when it does."""
    now = now or utcnow()
    if workshop.state != WorkshopState.published:
        return (
            "Registration for this workshop is closed."
            if workshop.state == WorkshopState.closed
            else ("This workshop is not open for registration.")
        )
    if workshop.ends_at <= now:
        return "This workshop has already taken place."
    if workshop.registration_opens_at and now < workshop.registration_opens_at:
        return "Registration for this workshop has not opened yet."
    if workshop.registration_closes_at and now >= workshop.registration_closes_at:
        return "Registration for this workshop has closed."
    return None


def chosen_breakouts(workshop: Workshop, breakout_ids: Iterable[int]) -> list[Breakout]:
    """The chosen breakouts, refusing any of another workshop and any two that clash."""
    by_id = {b.id: b for b in workshop.breakouts}
    chosen = []
    for breakout_id in dict.fromkeys(breakout_ids):
        if breakout_id not in by_id:
            raise RegistrationError("One of the chosen breakouts is not part of this workshop.")
        chosen.append(by_id[breakout_id])
    for i, first in enumerate(chosen):
        for second in chosen[i + 1 :]:
            if first.clashes_with(second):
                raise RegistrationError(f"“{first.title}” and “{second.title}” take place at the same time.")
    return chosen


def check_mode(workshop: Workshop, mode: str) -> None:
    """Refuse an attendance mode the workshop does not offer."""
    if mode not in workshop.modes:
        offered = " or ".join(m.label.lower() for m in workshop.modes)
        raise RegistrationError(f"This workshop can only be attended {offered}.")
