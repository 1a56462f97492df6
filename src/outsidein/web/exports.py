"""Exports through the server are in the audit log (action ``export``).

The server answers JSON; a client that writes the answer to a file (``outsidein metrics ...
--out``, ``outsidein accounts list --out`` while a server holds the store) names the file in
the header ``X-Outsidein-Export``. Every route runs :func:`record_export`: a read carrying
the header is recorded with the caller's name, the path and query asked, and the file.
"""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import Request

from outsidein.auth.principal import Principal
from outsidein.store import audit
from outsidein.web.access import actor_name
from outsidein.web.deps import ServerStore

EXPORT_HEADER = "x-outsidein-export"


def record_export(request: Request) -> None:
    """Record the export a read names (see the module); other requests pass untouched."""
    named = request.headers.get(EXPORT_HEADER)
    principal: Principal | None = getattr(request.state, "principal", None)
    if not named or principal is None or request.method not in ("GET", "HEAD"):
        return
    detail = {"file": unquote(named)[:200], "query": str(request.url.query)[:1000]}
    store: ServerStore = request.app.state.store
    cur = store.cursor()
    try:
        audit.record(
            cur, actor=actor_name(principal), action="export", target=request.url.path,
            detail=detail,
        )  # fmt: skip
    finally:
        cur.close()


__all__ = ["EXPORT_HEADER", "record_export"]
