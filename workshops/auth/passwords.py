"""Password hashing (argon2id) and the rules a new password must pass."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_LENGTH = 12
#: Long enough for any passphrase; the cap only stops a megabyte "password" from tying up a worker.
MAX_LENGTH = 1024
#: zxcvbn's estimate below which a password is refused: the common-password lists and near misses.
MIN_GUESSES = 10**6
#: zxcvbn refuses input longer than 72 characters (and learns little more from it).
STRENGTH_CHECK_PREFIX = 72


def hasher() -> PasswordHasher:
    """Return a hasher with the configured argon2id parameters."""
    config = current_app.config
    return PasswordHasher(
        time_cost=int(config["ARGON2_TIME_COST"]),
        memory_cost=int(config["ARGON2_MEMORY_COST"]),
        parallelism=int(config["ARGON2_PARALLELISM"]),
    )


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches the stored hash."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash was made with other parameters than today's."""
    return hasher().check_needs_rehash(password_hash)


def password_problem(password: str, *, personal: list[str]) -> str | None:
    """Return why a new password is refused, or ``None`` when it is acceptable.

    No composition rules (NIST SP 800-63B): a length floor, and a refusal of passwords that are
    common or built from the person's own e-mail or name.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.casefold()
    if any(item and item.casefold() in lowered for item in personal if len(item) >= 4):
        return "Do not use your e-mail address or name in your password."
    result = zxcvbn(password[:STRENGTH_CHECK_PREFIX], user_inputs=[p for p in personal if p])
    if result["guesses"] < MIN_GUESSES:
        return "This password is too common or too easy to guess. A few unrelated words make a good one."
    return None


def dummy_verify() -> None:
    """Spend the time of one verification, so that a log-in for an unknown address answers as slowly."""
    verify_password(_dummy_hash(), "not the password")


_DUMMY_HASH: dict[tuple, str] = {}


def _dummy_hash() -> str:
    config = current_app.config
    key = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("a dummy password to compare against")
    return _DUMMY_HASH[key]
