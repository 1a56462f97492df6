"""The errors of signing in and of permissions, each with its HTTP status and code."""

from __future__ import annotations

from outsidein.errors import ForbiddenError, OutsideInError


class AuthenticationError(OutsideInError):
    """No valid session, API token or server token came with the request."""

    code = "unauthenticated"
    http_status = 401
    exit_code = 2


class PermissionDeniedError(ForbiddenError):
    """Signed in, but the role, the token's scope or the book does not allow this."""

    code = "forbidden"


class UserExistsError(OutsideInError):
    """A user with this name exists already."""

    code = "conflict"
    http_status = 409
    exit_code = 2


class TooManyAttemptsError(OutsideInError):
    """Too many failed sign-ins for this user from this client: wait and try again."""

    code = "too_many_attempts"
    http_status = 429
    exit_code = 2


__all__ = [
    "AuthenticationError",
    "PermissionDeniedError",
    "TooManyAttemptsError",
    "UserExistsError",
]
