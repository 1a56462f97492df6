"""Request dependencies: a cursor on the server's one connection, and its configuration.

DuckDB allows one writing process per file, so the server opens the store once; cursors are
separate connections to that same database and are safe to use from the worker threads that
run FastAPI's sync endpoints, which one shared connection is not. The configuration is read
once, when the app is made, and then lives in ``app.state.config`` (a :class:`ServerConfig`):
requests never read the file or the environment again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from outsidein.config import OutsideInConfig
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.store.config_versions import ConfigVersion, read_config_file, save_config, seed
from outsidein.store.connection import close_store


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
        """Close the store and remove its temporary files."""
        with self._lock:
            close_store(self._con)


class ServerConfig:
    """The configuration the server runs with: the store's current version.

    Made by the app factory, which reads and validates the file at once (a bad file fails
    before the server starts); :meth:`open` applies the seeding rule when the store is open;
    :meth:`replace` stores an edit as a new version and uses it from the next request on.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._from_file = read_config_file(path)
        self._lock = threading.Lock()
        self._current: ConfigVersion | None = None

    def open(self, con: duckdb.DuckDBPyConnection) -> ConfigVersion:
        with self._lock:
            self._current = seed(con, self._from_file)
            return self._current

    @property
    def current(self) -> ConfigVersion:
        if self._current is None:
            raise RuntimeError("the server's configuration is read when its store opens")
        return self._current

    def replace(
        self, con: duckdb.DuckDBPyConnection, config: OutsideInConfig, origin: str
    ) -> ConfigVersion:
        with self._lock:
            self._current = save_config(con, config, "api", origin=origin, actor=origin)
            return self._current


def get_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor for this request, closed when the request is done."""
    store: ServerStore = request.app.state.store
    cur = store.cursor()
    try:
        yield cur
    finally:
        cur.close()


CursorDep = Annotated[duckdb.DuckDBPyConnection, Depends(get_cursor)]


def get_config(request: Request) -> OutsideInConfig:
    """The configuration in force for this request."""
    config: ServerConfig = request.app.state.config
    return config.current.config


def get_analytics_config(request: Request) -> AnalyticsConfig:
    """The ``[analytics]`` section in force for this request."""
    return get_config(request).analytics


ConfigDep = Annotated[OutsideInConfig, Depends(get_config)]
AnalyticsConfigDep = Annotated[AnalyticsConfig, Depends(get_analytics_config)]
