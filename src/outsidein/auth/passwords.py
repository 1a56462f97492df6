"""Password hashes (argon2id, argon2-cffi's defaults) and generated passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from outsidein.errors import InvalidRequestError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 hashes any length; a cap keeps one request's work bounded
_HASHER = PasswordHasher()
# Verified when the user is unknown, so that a wrong name costs the same time as a wrong
# password (the time would tell which names exist).
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def check_password(password: str) -> str:
    """``password`` if it is acceptable, else a message saying what is."""
    if len(password) < MIN_LENGTH:
        raise InvalidRequestError(
            f"a password needs at least {MIN_LENGTH} characters", field="password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidRequestError(
            f"a password has at most {MAX_LENGTH} characters", field="password"
        )
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_password(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: an unknown user, never matches)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password for a new admin or a reset (about 120 bits)."""
    return secrets.token_urlsafe(15)


__all__ = ["check_password", "generate_password", "hash_password", "verify_password"]
