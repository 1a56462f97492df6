"""The JSON conventions every model that leaves the API shares (docs/api.md).

A leaf: domain packages (timeline, My day, settings) and the web schemas both use it, so a
timestamp or a clock time has one shape wherever it is serialised.

Timestamps: the store keeps naive UTC (DuckDB ``TIMESTAMP``); every timestamp leaves the API
with its offset, ``2024-05-01T09:30:00Z``, so it is the RFC 3339 ``date-time`` the document
declares and no client has to guess a zone. Clock times (quiet hours) are a local wall clock,
``HH:MM`` or ``HH:MM:SS`` without an offset: not RFC 3339's ``time``, which needs one, so they
are declared by pattern. Money: an exact decimal string (``"31969.08"``), never a binary float.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema


def as_utc(value: datetime) -> datetime:
    """A naive datetime is UTC (the store's rule); an aware one is converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[
    datetime,
    AfterValidator(as_utc),
    Field(json_schema_extra={"description": "UTC, with its offset (…Z)"}),
]
"""A timestamp: serialised as ISO 8601 in UTC with ``Z``."""

CLOCK_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
_CLOCK = re.compile(CLOCK_PATTERN)


def _clock(value: object) -> object:
    """Only ``HH:MM[:SS]`` text (or a time without a zone): what the schema declares."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a clock time has no zone: give HH:MM")
        return value
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        raise ValueError(f"{value!r} is not a clock time: give HH:MM, e.g. 20:00")
    return time.fromisoformat(value)


ClockTime = Annotated[
    time,
    BeforeValidator(_clock),
    WithJsonSchema(
        {"type": "string", "pattern": CLOCK_PATTERN, "description": "A wall clock, HH:MM"}
    ),
]
"""A local wall-clock time, ``20:00`` (serialised ``20:00:00``)."""

Money = Annotated[
    Decimal,
    Field(json_schema_extra={"pattern": r"^-?\d+(\.\d+)?$", "description": "Exact decimal"}),
]
"""An amount of money: serialised as an exact decimal string."""

__all__ = ["CLOCK_PATTERN", "ClockTime", "Money", "UtcDatetime", "as_utc"]
