"""What a participant does with their own registration, and the e-mails each change sends.

Each function runs one registration change (``events.registration``: under the workshop's lock,
committed) and then tells the people it concerns: the participant, with the calendar file, and
whoever a freed place went to. The refusals of registration (``RegistrationError``,
``AlreadyRegistered``, ``Busy``) pass through unchanged, and then nothing is sent. Once the
workshop has started every change is refused (``RegistrationFrozen``); organisers correct the
record then with their own overrides (``events.attendance``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from workshops.auth.models import User
from workshops.events import notifications
from workshops.events import registration as reg
from workshops.events.models import Registration, Workshop


def register(*, session: Session, workshop: Workshop, user: User, choices: reg.Choices) -> reg.Outcome:
    """Register and say where the person stands: confirmed (with the calendar file) or waiting."""
    outcome = reg.register(session=session, workshop=workshop, user=user, choices=choices)
    notifications.registered(outcome)
    return outcome


def change_breakouts(*, session: Session, registration: Registration, breakout_ids: Iterable[int]) -> reg.Outcome:
    """Choose other breakouts; the person gets the updated calendar file."""
    outcome = reg.change_breakouts(session=session, registration=registration, breakout_ids=breakout_ids)
    notifications.updated(outcome)
    return outcome


def switch_mode(*, session: Session, registration: Registration, mode: str, dietary: str = "") -> reg.Outcome:
    """Attend the other way (on site or online); the person gets the updated calendar file."""
    outcome = reg.switch_mode(session=session, registration=registration, mode=mode, dietary=dietary)
    notifications.updated(outcome)
    return outcome


def change_requirements(
    *, session: Session, registration: Registration, dietary: str = "", accessibility: str = ""
) -> reg.Outcome:
    """Correct one's dietary or accessibility requirements; nothing in the calendar changes, so no e-mail."""
    return reg.change_requirements(
        session=session, registration=registration, dietary=dietary, accessibility=accessibility
    )


def cancel(*, session: Session, registration: Registration) -> reg.Outcome:
    """Cancel; the calendar file removes the event, and whoever moves up is told."""
    outcome = reg.cancel_own(session=session, registration=registration)
    notifications.cancelled(outcome)
    return outcome


def register_again(*, session: Session, registration: Registration, breakout_ids: Iterable[int]) -> reg.Outcome:
    """Undo a cancellation by registering again as before; the person is told where they stand, as on registering."""
    outcome = reg.register_again(session=session, registration=registration, breakout_ids=breakout_ids)
    notifications.registered(outcome)
    return outcome
