"""How Flask-Login finds the person behind a session: by their current session token."""

from __future__ import annotations

from sqlmodel import select

from workshops.auth.models import User
from workshops.db import get_session
from workshops.extensions import login_manager


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Return the confirmed account holding this token; a rotated token finds no one."""
    user = get_session().exec(select(User).where(User.session_token == session_token)).first()
    if user is None or not user.is_active:
        return None
    return user
