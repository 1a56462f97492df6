"""Request dependencies: each request gets its own cursor on the server's one connection.

DuckDB allows one writing process per file, so the server opens the store once; cursors are
separate connections to that same database and are safe to use from the worker threads that
run FastAPI's sync endpoints, which one shared connection is not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request


class ServerStore:
    """The server's read-write connection to the store; hands out per-request cursors."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            cur = self._con.cursor()
        # Session settings are not inherited; the store keeps naive UTC timestamps.
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def close(self) -> None:
        with self._lock:
            self._con.close()


def get_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor for this request, closed when the request is done."""
    store: ServerStore = request.app.state.store
    cur = store.cursor()
    try:
        yield cur
    finally:
        cur.close()


CursorDep = Annotated[duckdb.DuckDBPyConnection, Depends(get_cursor)]
