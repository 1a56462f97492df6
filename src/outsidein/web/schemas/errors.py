"""The one JSON error shape every error response uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """What went wrong: HTTP status, a stable machine code and a message a person can act on."""

    status: int
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """``{"error": {...}}``: the envelope of every error, so clients parse one shape."""

    error: ErrorBody


def refused(rules: str) -> dict[int | str, dict[str, Any]]:
    """The 422 of an operation whose values can be refused by ``rules`` (docs/api.md): the
    request has the documented shape, but a value breaks a rule stated in words."""
    return {422: {"model": ErrorResponse, "description": f"Refused: {rules}"}}
