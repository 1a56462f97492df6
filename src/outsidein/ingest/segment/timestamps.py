"""Segment's timestamps: ISO-8601 parsing and the clock-skew correction.

A device's clock may be off by hours. Segment's libraries send the device time of the call
(``timestamp``, kept as ``originalTimestamp``) and the device time of the upload
(``sentAt``); the server knows when the upload arrived (``receivedAt``). Their difference
cancels the device's error:

    timestamp = receivedAt - (sentAt - originalTimestamp)

On the write path times are integers, microseconds since 1970 in UTC: the arithmetic is
exact, and Arrow takes a list of integers some fifty times faster than a list of datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "corrected_timestamp",
    "from_micros",
    "parse_timestamp",
    "to_micros",
    "utc_now",
]

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def utc_now() -> datetime:
    """Now as naive UTC, like the store's TIMESTAMP columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_micros(value: datetime) -> int:
    """Microseconds since 1970; a naive datetime is taken as UTC."""
    return (value - (_EPOCH if value.tzinfo is None else _EPOCH_UTC)) // _MICRO


def from_micros(micros: int) -> datetime:
    """The naive UTC datetime of ``micros``."""
    return _EPOCH + micros * _MICRO


def parse_timestamp(value: object) -> int:
    """An ISO-8601 string as microseconds since 1970 UTC (no offset means UTC).

    Raises ``ValueError`` with a reason a sender can act on.
    """
    if not isinstance(value, str):
        kind = type(value).__name__
        raise ValueError(f"must be an ISO-8601 string (e.g. 2024-05-01T09:30:00.000Z), got {kind}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 timestamp (e.g. 2024-05-01T09:30:00.000Z)") from None
    return (parsed - (_EPOCH if parsed.tzinfo is None else _EPOCH_UTC)) // _MICRO


def corrected_timestamp(original: int | None, sent_at: int | None, received_at: int) -> int:
    """When the event happened, by the server's clock (all in microseconds).

    Without ``sentAt`` the device's time is trusted as is; without any device time the
    arrival time stands in.
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)
