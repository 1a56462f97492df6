"""The errors the ingestion API answers with, each carrying its HTTP status and code.

They derive from :class:`~outsidein.errors.OutsideInError`, so the web layer renders them in
the one JSON error shape. Clients act on the status: Segment's libraries retry 429 and 5xx
and give up on other 4xx, so a status must never claim "retry" for a request that will fail
again, nor "gone" for events we kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from outsidein.errors import OutsideInError

if TYPE_CHECKING:
    from outsidein.ingest.segment.service import CheckedRequest


class SegmentError(OutsideInError):
    """Base of the ingestion API's errors.

    ``refused`` is set when the request was authenticated but refused as a whole (not JSON,
    too large): the server records it as a reject before answering.
    """

    code = "segment_error"
    http_status = 400
    refused: CheckedRequest | None = None


class InvalidPayloadError(SegmentError):
    """The body is not what the API takes (not JSON, not an object, not a batch)."""

    code = "invalid_payload"
    http_status = 400


class InvalidEventsError(SegmentError):
    """Some events were rejected; ``details`` names each by index and field.

    The other events of the same request were stored before this was raised: a 400 on a
    batch never means "nothing was kept" (``details.accepted`` says how many were).
    """

    code = "invalid_events"
    http_status = 400


class PayloadTooLargeError(SegmentError):
    """A call over 32 KB or a batch over 500 KB or 2,500 events."""

    code = "payload_too_large"
    http_status = 413


class WriteKeyError(SegmentError):
    """No write key, or one that is unknown or revoked."""

    code = "invalid_write_key"
    http_status = 401


class SaturatedError(SegmentError):
    """The server cannot take more right now; retry after ``retry_after`` seconds."""

    code = "saturated"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class IngestUnavailableError(SegmentError):
    """The store could not commit, or the server is stopping; nothing was acknowledged."""

    code = "ingest_unavailable"
    http_status = 503


class LocalOnlyError(SegmentError):
    """Write keys are managed from the server's own machine only."""

    code = "local_only"
    http_status = 403


class KeyNotFoundError(SegmentError):
    """``outsidein keys revoke`` named a key that does not exist."""

    code = "write_key_not_found"
    http_status = 404


__all__ = [
    "IngestUnavailableError",
    "InvalidEventsError",
    "InvalidPayloadError",
    "KeyNotFoundError",
    "LocalOnlyError",
    "PayloadTooLargeError",
    "SaturatedError",
    "SegmentError",
    "WriteKeyError",
]
