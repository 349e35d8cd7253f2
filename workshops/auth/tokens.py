"""Signed, expiring tokens: the links sent by e-mail (account confirmation, password reset) and device cookies.

A reset link carries a fingerprint of the current password hash, so it works once: the new
password changes the fingerprint. A confirmation link only works while the account is unconfirmed.
A device cookie names an account, the fingerprint of its password when the browser logged in, and
a random id for that browser; a new password makes every older device cookie worthless.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "confirm-account"
RESET = "reset-password"
DEVICE = "login-device"


class LinkExpired(Exception):
    """The link was genuine but is too old."""


class LinkInvalid(Exception):
    """The link was not made by us, or has been tampered with."""


class LinkUsed(Exception):
    """A single-use link has been used already."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"workshops.{purpose}")


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def make_token(purpose: str, payload: dict) -> str:
    """Sign ``payload`` for ``purpose``."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, *, max_age: int) -> dict:
    """Return the payload of a token, or raise ``LinkExpired`` / ``LinkInvalid``."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict):
        raise LinkInvalid
    return payload


def make_device_token(*, user_id: int, password_hash: str) -> str:
    """A device cookie's value for a browser where the account has just logged in, with a new browser id."""
    payload = {"uid": user_id, "fp": password_fingerprint(password_hash), "d": secrets.token_urlsafe(16)}
    return make_token(DEVICE, payload)


def read_device_token(token: str, *, user_id: int, password_hash: str, max_age: int) -> str | None:
    """The browser id a device cookie carries, if we made it for this account and its current password."""
    try:
        payload = read_token(DEVICE, token, max_age=max_age)
    except (LinkExpired, LinkInvalid):
        return None
    if payload.get("uid") != user_id or payload.get("fp") != password_fingerprint(password_hash):
        return None
    device = payload.get("d")
    return device if isinstance(device, str) and device else None
