"""What a registration change must respect: the window, the modes, no clashes, the requirements kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

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
