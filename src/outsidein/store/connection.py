"""Open the DuckDB store: create the folder, take the lock, run migrations."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from outsidein.errors import StoreError, StoreLockedError
from outsidein.store.migrate import migrate


def connect(
    path: Path | str, *, read_only: bool = False, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and upgrade) the store at ``path``.

    A lock held by another process becomes :class:`StoreLockedError` naming that process,
    never DuckDB's raw message.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise StoreError(f"{path}: no store here; run `outsidein load` or `outsidein demo` first")
    config: dict[str, str | bool | int | float | list[str]] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            holder = f"process {pid[1]}" if pid else "another process"
            raise StoreLockedError(
                f"{path} is in use by {holder} (usually `outsidein serve`); stop it, "
                "or send the data through the running server's API",
                path=str(path),
                pid=int(pid[1]) if pid else None,
            ) from exc
        raise StoreError(f"{path}: cannot open the store: {text}") from exc
    # Timestamps are stored as naive UTC; casts from offsets must convert in UTC.
    con.execute("SET TimeZone = 'UTC'")
    # No progress bars printed from inside the library; the CLI draws its own.
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        migrate(con)
    return con
