"""How Flask-Login finds the person behind a session: by their current session token.

An error page must render without the database (it may be the very thing that failed), so the
loader also keeps a copy of who the person is, and ``freeze_current_user`` hands the page that copy
instead of a database row that might need reloading.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import bindparam, inspect
from sqlmodel import select

from workshops.auth.models import Role, User
from workshops.db import get_session
from workshops.extensions import login_manager

#: The copy of the person ``load_user`` keeps in ``flask.g``.
SNAPSHOT_KEY = "_login_user_snapshot"


@dataclass(frozen=True)
class KnownUser:
    """The person behind a request as already read: what the layout shows, with no database behind it."""

    id: int
    name: str
    role: str
    session_token: str
    is_authenticated = True
    is_active = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User) -> KnownUser | None:
        """The copy of what ``user`` holds in memory, or ``None`` when any of it would need the database."""
        loaded = inspect(user).dict
        values = {name: loaded.get(name) for name in ("id", "name", "role", "session_token")}
        return None if None in values.values() else cls(**values)

    def get_id(self) -> str:
        """The session token, as for the account itself."""
        return self.session_token

    def has_role(self, role: Role | str) -> bool:
        """Tell whether the person holds ``role`` or a higher one."""
        return Role(self.role).rank >= Role(role).rank


#: Built once: building the statement costs more than running it, and every request of a logged-in person asks it.
_BY_SESSION_TOKEN = select(User).where(User.session_token == bindparam("session_token"))


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Return the confirmed account holding this token; a rotated token finds no one."""
    user = get_session().exec(_BY_SESSION_TOKEN, params={"session_token": session_token}).first()
    if user is None or not user.is_active:
        return None
    g.setdefault(SNAPSHOT_KEY, KnownUser.of(user))
    return user


def freeze_current_user() -> None:
    """For an error page: the person as already known to this request, never looked up in the database.

    A person not loaded yet, or whose row would need reloading (a rollback expires it), is shown
    what a visitor sees; their session is untouched, so the next page knows them again.
    """
    user = g.get("_login_user")
    if isinstance(user, KnownUser) or (user is not None and not isinstance(user, User)):
        return  # already a copy, or the anonymous visitor
    known = KnownUser.of(user) if user is not None else None
    if known is None and user is not None:
        snapshot, identity = g.get(SNAPSHOT_KEY), inspect(user).identity
        if snapshot is not None and identity and snapshot.id == identity[0]:
            known = snapshot
    g._login_user = known or login_manager.anonymous_user()
