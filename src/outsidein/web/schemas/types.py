"""The JSON conventions every response model of the API shares: defined in ``jsontypes``."""

from __future__ import annotations

from outsidein.jsontypes import ClockTime, Money, UtcDatetime, as_utc

__all__ = ["ClockTime", "Money", "UtcDatetime", "as_utc"]
