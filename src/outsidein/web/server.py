"""Run the web app under uvicorn: what ``outsidein serve`` and ``outsidein demo`` call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import uvicorn

from outsidein.store import connect
from outsidein.web.app import create_app


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    memory_limit: str | None = None,
    on_open: Callable[[], None] | None = None,
    config_path: Path | None = None,
) -> None:
    """Serve the store at ``db_path`` until interrupted.

    The store is opened before uvicorn starts, so a store locked by another process raises
    :class:`~outsidein.errors.StoreLockedError` here with its clean message, rather than
    inside uvicorn's startup where it would end as a logged traceback; an invalid
    ``config_path`` (outsidein.toml, default ``OUTSIDEIN_CONFIG``) raises its ConfigError here
    too. ``on_open`` runs once the store is open, just before the server starts (the CLI
    announces the URL there).
    """
    con = connect(db_path, memory_limit=memory_limit)
    try:
        app = create_app(db_path, connection=con, config_path=config_path)
        if on_open is not None:
            on_open()
        uvicorn.run(app, host=host, port=port, ws="none", log_level="info")
    finally:
        con.close()  # already closed by a clean shutdown; needed when startup fails
