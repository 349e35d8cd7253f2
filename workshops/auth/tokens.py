"""Signed, expiring links sent by e-mail: account confirmation and password reset.

A reset link carries a fingerprint of the current password hash, so it works once: the new
password changes the fingerprint. A confirmation link only works while the account is unconfirmed.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "confirm-account"
RESET = "reset-password"


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
