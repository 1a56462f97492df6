"""Open the DuckDB store: create the folder, take the lock, bound its temporary space, migrate.

DuckDB spills what does not fit in ``memory_limit`` to files in a temporary folder. Ours is
``<store>.tmp/`` beside the store, capped at ``temp_limit`` (``OUTSIDEIN_TEMP_LIMIT``): a query
that needs more fails with DuckDB's "out of temporary space" error instead of filling the
disk. A process that was killed leaves its files behind; the next writer removes them when it
opens the store (holding the lock, nobody else can be using them), and :func:`close_store`
removes them at shutdown. Read-only openers spill into a folder of their own inside it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import duckdb

from outsidein.config import Settings
from outsidein.errors import StoreError, StoreLockedError
from outsidein.store.migrate import migrate

log = logging.getLogger(__name__)


def temp_folder(path: Path | str) -> Path:
    """Where the store at ``path`` spills: ``<store>.tmp`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".tmp")


def clean_temp(folder: Path) -> int:
    """Remove everything in a temporary folder (and the folder); bytes freed."""
    if not folder.exists():
        return 0
    freed = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return freed


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    temp_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and upgrade) the store at ``path``, spilling at most ``temp_limit`` to disk
    (default: ``OUTSIDEIN_TEMP_LIMIT``, so that every command honours it).

    A lock held by another process becomes :class:`StoreLockedError` naming that process,
    never DuckDB's raw message.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise StoreError(f"{path}: no store here; run `outsidein load` or `outsidein demo` first")
    temp = temp_folder(path)
    if read_only:
        temp = temp / f"read-only-{os.getpid()}"
    config: dict[str, str | bool | int | float | list[str]] = {
        "temp_directory": str(temp),
        "max_temp_directory_size": temp_limit or Settings().temp_limit,
    }
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
        freed = clean_temp(temp)  # we hold the write lock: these are a dead process's
        if freed:
            log.warning("removed %s bytes of temporary files a stopped process left", freed)
        migrate(con)
    return con


def close_store(con: duckdb.DuckDBPyConnection) -> None:
    """Close the store and remove its temporary files (DuckDB may leave the folder)."""
    rows = con.execute("SELECT current_setting('temp_directory')").fetchall()
    con.close()
    if rows and rows[0][0]:
        clean_temp(Path(str(rows[0][0])))
