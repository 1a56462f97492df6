"""Request bodies: Segment's size limits, gzip, and JSON parsing with a position on error.

The limits are the Segment HTTP Tracking API's: 32 KB for a single call and for each event
of a batch, 500 KB and 2,500 events for a batch. Sizes are checked on the uncompressed body,
and decompression stops as soon as it passes the limit, so a small gzip bomb cannot make the
server inflate gigabytes.
"""

from __future__ import annotations

import zlib
from typing import Any

import pydantic_core

from outsidein.ingest.segment.errors import InvalidPayloadError, PayloadTooLargeError

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2_500

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "check_size",
    "decompress",
    "parse_json",
]


def check_size(size: int, limit: int, what: str) -> None:
    """413 when ``size`` bytes exceed ``limit``."""
    if size > limit:
        raise PayloadTooLargeError(
            f"{what} is {size:,} bytes; the limit is {limit // 1024} KB ({limit:,} bytes)",
            size=size,
            limit=limit,
        )


def decompress(data: bytes, encoding: str | None, limit: int, what: str) -> bytes:
    """The body without its Content-Encoding (identity or gzip), at most ``limit`` bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        check_size(len(data), limit, what)
        return data
    if encoding not in ("gzip", "x-gzip"):
        raise InvalidPayloadError(
            f"Content-Encoding {encoding!r} is not supported; send identity or gzip",
            field="Content-Encoding",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidPayloadError(f"the gzip body cannot be decompressed: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLargeError(
            f"{what} is over {limit // 1024} KB ({limit:,} bytes) once decompressed",
            limit=limit,
        )
    if not inflater.eof:
        raise InvalidPayloadError("the gzip body is truncated")
    return out


def parse_json(data: bytes) -> Any:
    """The parsed body; invalid JSON is a 400 that says where it breaks."""
    if not data.strip():
        raise InvalidPayloadError("the body is empty; send a JSON object", field="body")
    try:
        return pydantic_core.from_json(data, allow_inf_nan=False)
    except ValueError as exc:
        raise InvalidPayloadError(f"the body is not valid JSON: {exc}", field="body") from None
