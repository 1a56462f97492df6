"""One exception hierarchy for the whole package.

Every error a user can act on derives from :class:`OutsideInError`. The CLI prints
``message`` and exits with ``exit_code``; the web layer turns it into the one JSON error
shape with ``http_status`` and ``code`` (see ``outsidein.web.errors``).
"""

from __future__ import annotations

from typing import Any


class OutsideInError(Exception):
    """Base of every error Outside-In raises on purpose."""

    code = "error"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(OutsideInError):
    """outsidein.toml or an option is invalid."""

    code = "invalid_config"
    http_status = 400
    exit_code = 2


class InvalidConfigError(ConfigError):
    """A configuration is well-formed but a value is invalid; ``details["fields"]`` names each."""

    http_status = 422


class StoreError(OutsideInError):
    """The DuckDB store cannot be opened or used."""

    code = "store_error"


class StoreLockedError(StoreError):
    """Another process (usually ``outsidein serve``) holds the store's write lock."""

    code = "store_locked"
    http_status = 503
    exit_code = 3


class SchemaVersionError(StoreError):
    """The store was written by a newer Outside-In than this one."""

    code = "schema_too_new"


class LoadError(OutsideInError):
    """A file cannot be loaded at all (unreadable, unknown format, missing column, --strict)."""

    code = "load_failed"
    http_status = 400
    exit_code = 2


class NotFoundError(OutsideInError):
    """A requested record does not exist."""

    code = "not_found"
    http_status = 404


class ForbiddenError(OutsideInError):
    """The request is not allowed from where it came (e.g. editing from another machine)."""

    code = "forbidden"
    http_status = 403


class InvalidRequestError(OutsideInError):
    """A request's values are refused by a rule the API states in words: 422.

    The request has the shape the OpenAPI document describes, but, say, ``as_of`` is after
    today or no account has the segment given. A request that does not have that shape (a
    parameter's type or format, a body that is not JSON) is a :class:`MalformedRequestError`.
    """

    code = "invalid_request"
    http_status = 422


class MalformedRequestError(InvalidRequestError):
    """A request does not match the OpenAPI document (type, format, range, not JSON): 400."""

    http_status = 400
