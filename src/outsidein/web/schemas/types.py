"""The JSON conventions every response model of the API shares (docs/api.md).

Timestamps: the store keeps naive UTC (DuckDB ``TIMESTAMP``); every timestamp leaves the API
with its offset, ``2024-05-01T09:30:00Z``, so it is the ``date-time`` the document declares
and no client has to guess a zone. Money: an exact decimal string (``"31969.08"``), never a
binary float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field


def as_utc(value: datetime) -> datetime:
    """A naive datetime is UTC (the store's rule); an aware one is converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[
    datetime,
    AfterValidator(as_utc),
    Field(json_schema_extra={"description": "UTC, with its offset (…Z)"}),
]
"""A timestamp: serialised as ISO 8601 in UTC with ``Z``."""

Money = Annotated[
    Decimal,
    Field(json_schema_extra={"pattern": r"^-?\d+(\.\d+)?$", "description": "Exact decimal"}),
]
"""An amount of money: serialised as an exact decimal string."""

__all__ = ["Money", "UtcDatetime", "as_utc"]
