"""Account operations, independent of HTTP: sign-up, confirmation, log-in, passwords, roles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth import tokens
from workshops.auth.emails import EmailRefused, account_email, lookup_emails
from workshops.auth.models import Role, User
from workshops.auth.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from workshops.db import is_unavailable
from workshops.mail import send_mail
from workshops.navigation import external_url
from workshops.timeutil import utcnow
from workshops.transactions import Busy, lock_row, run_locked, run_write, write_aside

log = logging.getLogger(__name__)


class AccountError(Exception):
    """An operation was refused; the message is meant for the person."""


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the account with this address, if any, in whichever stored form it has."""
    forms = lookup_emails(email)
    found = session.exec(select(User).where(col(User.email).in_(forms))).all()
    return min(found, key=lambda user: forms.index(user.email), default=None)


def _new_account_email(email: str) -> str:
    """The stored form of a new account's address; ``AccountError`` when no account may have it."""
    try:
        return account_email(email)
    except EmailRefused as refusal:
        raise AccountError(str(refusal)) from refusal


@dataclass(frozen=True)
class Profile:
    """The details a person gives about themselves."""

    name: str
    organisation: str
    organisation_type: str
    country: str
    cluster_id: int | None = None


def sign_up(*, session: Session, email: str, password: str, profile: Profile, next_path: str | None) -> None:
    """Create an unconfirmed account and send its confirmation link.

    An address that already has an account gets a "you already have an account" message instead;
    the caller answers the same either way, so that sign-up reveals nothing. Raises
    ``AccountError`` for an address no account may have (the form refuses it first).
    """
    address = _new_account_email(email)
    existing = find_user_by_email(session, email)
    password_hash = hash_password(password)  # the same work either way, so that timing tells nothing
    if existing is not None:
        _send_existing_account_mail(existing)
        return

    def create() -> User:
        user = User(email=address, password_hash=password_hash, **vars(profile))
        session.add(user)
        session.flush()
        return user

    try:
        user = run_write(session, create)
    except IntegrityError:  # the same address signed up twice at once: treat as existing
        existing = find_user_by_email(session, email)
        if existing is not None:
            _send_existing_account_mail(existing)
        return
    send_confirmation(user, next_path=next_path)


def send_confirmation(user: User, *, next_path: str | None) -> None:
    """E-mail a link that confirms the account, logs the person in and brings them back."""
    token = tokens.make_token(tokens.CONFIRM, {"uid": user.id, "next": next_path or ""})
    send_mail(
        to=user.email,
        subject="Confirm your e-mail address",
        template="confirm_account",
        name=user.name,
        link=external_url("auth.confirm", token=token),
    )


def _send_existing_account_mail(user: User) -> None:
    send_mail(
        to=user.email,
        subject="You already have an account",
        template="existing_account",
        name=user.name,
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.forgot_password"),
    )


def read_confirmation(*, session: Session, token: str, max_age: int) -> tuple[User, str]:
    """Return the account and the page to return to that a confirmation link names.

    Raises ``tokens.LinkExpired`` or ``tokens.LinkInvalid``.
    """
    payload = tokens.read_token(tokens.CONFIRM, token, max_age=max_age)
    user = session.get(User, payload.get("uid"))
    if user is None:
        raise tokens.LinkInvalid
    return user, payload.get("next") or ""


def confirm_account(*, session: Session, user: User) -> None:
    """Mark the account confirmed (once)."""

    def confirm(account: User) -> None:
        if account.confirmed_at is None:
            account.confirmed_at = utcnow()

    run_locked(session, User, user.id, confirm, missing=_account_gone)


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """Return the account whose address and password match, or ``None``; failures are audited.

    An unknown address costs as much time as a wrong password. A hash made with older parameters is
    replaced on the way, as bookkeeping: if that cannot be stored now, it is next time.
    """
    user = find_user_by_email(session, email)
    if user is None:
        dummy_verify()
        audit.record(AuditAction.login_failed, detail="unknown address")
        return None
    if not verify_password(user.password_hash, password):
        audit.record(AuditAction.login_failed, target_type="account", target_id=user.id, detail="wrong password")
        return None
    if needs_rehash(user.password_hash):
        _store_aside(user.id, {"password_hash": hash_password(password)}, what="an upgraded password hash")
    return user


def _store_aside(user_id: int, values: dict, *, what: str) -> None:
    """Bookkeeping on an account, in a transaction of its own that never fails the request."""
    write_aside(lambda own: own.execute(update(User).where(col(User.id) == user_id).values(**values)), what=what)


def _account_gone() -> AccountError:
    return AccountError("This account no longer exists.")


def record_login(*, user: User) -> None:
    """Remember when the person last logged in: bookkeeping, so a busy database never fails the log-in."""
    _store_aside(user.id, {"last_login_at": utcnow()}, what="the time of a log-in")


def log_out(*, session: Session, user: User) -> bool:
    """End every session of the person, so that a copied cookie is worthless; tell whether it was stored.

    ``False`` when the database stayed busy or did not answer through the retries: the other
    devices are still logged in, and the caller says so (this device is logged out regardless).
    """
    user_id = user.id  # read now: after a failed try the row is expired, and the database may be away
    try:
        run_locked(session, User, user_id, lambda account: account.rotate_session_token(), missing=_account_gone)
    except AccountError:
        return True  # the account is gone, and every session with it
    except Busy:
        log.warning("log-out of account %s: the database stayed busy; other sessions remain", user_id)
        return False
    except SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        log.warning("log-out of account %s: the database did not answer; other sessions remain", user_id)
        return False
    return True


def request_password_reset(*, session: Session, email: str) -> None:
    """E-mail a reset link if the address has an account; do nothing visible otherwise."""
    user = find_user_by_email(session, email)
    # An unknown address gets a link signed too, that nobody receives: both answers do the same work,
    # and the message itself is built after the answer (workshops.mail), so timing tells nothing.
    uid, password_hash = (user.id, user.password_hash) if user is not None else (0, "")
    token = tokens.make_token(tokens.RESET, {"uid": uid, "fp": tokens.password_fingerprint(password_hash)})
    link = external_url("auth.reset_password", token=token)
    if user is None:
        return
    send_mail(to=user.email, subject="Reset your password", template="reset_password", name=user.name, link=link)


def read_reset(*, session: Session, token: str, max_age: int) -> User:
    """Return the account a reset link is for, refusing a link already used."""
    payload = tokens.read_token(tokens.RESET, token, max_age=max_age)
    user = session.get(User, payload.get("uid"))
    if user is None:
        raise tokens.LinkInvalid
    if payload.get("fp") != tokens.password_fingerprint(user.password_hash):
        raise tokens.LinkUsed
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """Store a new password and end every other session of the person, all at once or not at all.

    A reset link proves control of the mailbox, so it also confirms an unconfirmed account. Raises
    ``Busy`` when the database stayed busy: then nothing has changed.
    """
    password_hash = hash_password(password)  # slow work, before the lock

    def store(account: User) -> None:
        account.password_hash = password_hash
        account.rotate_session_token()
        if account.confirmed_at is None:
            account.confirmed_at = utcnow()

    run_locked(session, User, user.id, store, missing=_account_gone)


def update_profile(*, session: Session, user: User, profile: Profile) -> None:
    """Save the person's details."""

    def save(account: User) -> None:
        for key, value in vars(profile).items():
            setattr(account, key, value)

    run_locked(session, User, user.id, save, missing=_account_gone)


def set_role(*, session: Session, user: User, role: Role, by: User) -> None:
    """Give a person a role; their sessions end so the change holds on their next request.

    Refuses to take the organiser role from the last organiser, which would lock everyone out; the
    organisers are counted under their rows' locks, so two organisers demoting each other at once
    cannot both succeed. Raises ``Busy`` when the database stayed busy: then nothing has changed.
    """

    def change() -> str | None:
        account = lock_row(session, User, user.id)
        if account is None:
            raise _account_gone()
        if account.role == role:
            return None
        if account.role == Role.organiser:
            organisers = _lock_organisers(session)
            if len(organisers) <= 1:
                raise AccountError("This is the only organiser; make someone else organiser first.")
        previous = account.role
        account.role = role.value
        account.rotate_session_token()
        return previous

    previous = run_write(session, change)
    if previous is None:
        return
    audit.record(
        AuditAction.role_changed,
        actor_id=by.id,
        target_type="account",
        target_id=user.id,
        detail=f"{previous} -> {role.value}",
    )


def _lock_organisers(session: Session) -> list[int]:
    """The organisers' ids, their rows locked (FOR UPDATE on PostgreSQL; SQLite holds the write lock)."""
    statement = select(User.id).where(User.role == Role.organiser)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return list(session.exec(statement))


def create_user(
    *,
    session: Session,
    email: str,
    password: str,
    profile: Profile,
    role: Role = Role.participant,
    password_hash: str | None = None,
) -> User:
    """Create a confirmed account (command line, demo data).

    ``password_hash`` is ``password`` hashed already, when the caller hashed it once for many
    accounts (the demo's participants share its one published password). Raises ``AccountError``
    if the address has an account already, or if no account may have it.
    """
    address = _new_account_email(email)
    if find_user_by_email(session, email) is not None:
        raise AccountError(f"An account with the e-mail {address} already exists.")
    password_hash = password_hash or hash_password(password)

    def create() -> User:
        user = User(email=address, password_hash=password_hash, role=role.value, confirmed_at=utcnow(), **vars(profile))
        session.add(user)
        session.flush()
        return user

    return run_write(session, create)
