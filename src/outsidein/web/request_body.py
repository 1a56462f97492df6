"""Reading a request's body with a cap: what file uploads and Segment calls share.

A body over the cap is refused with 413, but only after reading (and dropping) up to
:data:`DRAIN_LIMIT` of it: a server that answers while the client is still sending makes
most clients see a broken connection instead of the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

__all__ = ["DRAIN_LIMIT", "read_capped"]

DRAIN_LIMIT = 16 * 1024 * 1024  # read (and drop) this much of an oversize body to answer 413


async def read_capped(request: Request, limit: int, take: Callable[[bytes], object]) -> int | None:
    """Hand each chunk of the body to ``take`` while the body is within ``limit`` bytes.

    Returns None when all of it was; else its size as far as known (the bytes read or the
    ``Content-Length`` declared, whichever is larger), for the caller's 413 message. Once over
    the limit, or when ``Content-Length`` already says so, ``take`` gets nothing more.
    """
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else 0
    too_large = size > limit
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            too_large = True
        if too_large:
            if received > DRAIN_LIMIT:
                break
            continue
        take(chunk)
    return max(size, received) if too_large else None
