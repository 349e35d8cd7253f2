"""Account operations, independent of HTTP: sign-up, confirmation, log-in, passwords, roles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.auth import tokens
from workshops.auth.emails import EmailRefused, account_email, lookup_emails
from workshops.auth.models import Role, User
from workshops.auth.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from workshops.mail import send_mail
from workshops.navigation import external_url
from workshops.timeutil import utcnow

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
    if existing is not None:
        hash_password(password)  # same work as a new account, so that timing tells nothing either
        _send_existing_account_mail(existing)
        return
    user = User(email=address, password_hash=hash_password(password), **vars(profile))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the same address signed up twice at once: treat as existing
        session.rollback()
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
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        session.add(user)
        session.commit()


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """Return the account whose address and password match, or ``None``; failures are audited.

    An unknown address costs as much time as a wrong password. A hash made with older parameters is
    replaced on the way.
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
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def record_login(*, session: Session, user: User) -> None:
    """Remember when the person last logged in."""
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()


def log_out(*, session: Session, user: User) -> None:
    """End every session of the person: a copied cookie is worthless afterwards."""
    user.rotate_session_token()
    session.add(user)
    session.commit()


def request_password_reset(*, session: Session, email: str) -> None:
    """E-mail a reset link if the address has an account; do nothing visible otherwise."""
    user = find_user_by_email(session, email)
    if user is None:
        return
    token = tokens.make_token(tokens.RESET, {"uid": user.id, "fp": tokens.password_fingerprint(user.password_hash)})
    send_mail(
        to=user.email,
        subject="Reset your password",
        template="reset_password",
        name=user.name,
        link=external_url("auth.reset_password", token=token),
    )


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
    """Store a new password and end every other session of the person.

    A reset link proves control of the mailbox, so it also confirms an unconfirmed account.
    """
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
    session.add(user)
    session.commit()


def update_profile(*, session: Session, user: User, profile: Profile) -> None:
    """Save the person's details."""
    for key, value in vars(profile).items():
        setattr(user, key, value)
    session.add(user)
    session.commit()


def set_role(*, session: Session, user: User, role: Role, by: User) -> None:
    """Give a person a role; their sessions end so the change holds on their next request.

    Refuses to take the organiser role from the last organiser, which would lock everyone out.
    """
    if user.role == role:
        return
    if user.role == Role.organiser:
        organisers = session.exec(select(func.count()).where(User.role == Role.organiser)).one()
        if organisers <= 1:
            raise AccountError("This is the only organiser; make someone else organiser first.")
    previous = user.role
    user.role = role.value
    user.rotate_session_token()
    session.add(user)
    session.commit()
    audit.record(
        AuditAction.role_changed,
        actor_id=by.id,
        target_type="account",
        target_id=user.id,
        detail=f"{previous} -> {role.value}",
    )


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
    user = User(
        email=address,
        password_hash=password_hash or hash_password(password),
        role=role.value,
        confirmed_at=utcnow(),
        **vars(profile),
    )
    session.add(user)
    session.commit()
    return user
