"""Run the web app under uvicorn: what ``outsidein serve`` and ``outsidein demo`` call."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import uvicorn
from fastapi import FastAPI

from outsidein.auth.users import count_users
from outsidein.config import Settings
from outsidein.errors import OutsideInError
from outsidein.settings.auth import LOOPBACK_HOSTS
from outsidein.store import connect
from outsidein.store.owner import ServerRecord, remove_record
from outsidein.web.app import create_app


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    memory_limit: str | None = None,
    on_open: Callable[[], None] | None = None,
    config_path: Path | None = None,
    max_upload_mb: float | None = None,
) -> None:
    """Serve the store at ``db_path`` until interrupted.

    The store is opened before uvicorn starts, so a store locked by another process raises
    :class:`~outsidein.errors.StoreLockedError` here with its clean message, rather than
    inside uvicorn's startup where it would end as a logged traceback; an invalid
    ``config_path`` (outsidein.toml, default ``OUTSIDEIN_CONFIG``) raises its ConfigError here
    too. Then the port is bound (``port`` 0: any free one) and the server records itself
    beside the store (:mod:`outsidein.store.owner`), so that commands run meanwhile ask it;
    the record is removed when the server stops. ``on_open`` runs just before the server
    starts (the CLI announces the URL there, read from the record).
    """
    limit = Settings().max_upload_mb if max_upload_mb is None else max_upload_mb
    con = connect(db_path, memory_limit=memory_limit)
    try:
        refuse_open_without_users(con, host)
        app = create_app(db_path, connection=con, config_path=config_path)
        app.state.bound_host = host
        sock = listen(host, port)
        record = ServerRecord.starting(db_path, host, sock.getsockname()[1], int(limit * 2**20))
        app.state.owner = record
        record.write()
        try:
            if on_open is not None:
                on_open()
            config = uvicorn_config(app, host=host, port=record.port, log_level="info")
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            remove_record(record)
            sock.close()
    finally:
        con.close()  # already closed by a clean shutdown; needed when startup fails


# The longest request head the server reads: the declared query limits of every route (the
# upload's transform options above all, percent-encoded UTF-8 at up to 9 bytes a character)
# fit in it. h11's own default, 16 KB, closed the connection on requests the OpenAPI allows.
MAX_REQUEST_HEAD_BYTES = 2 * 2**20


def uvicorn_config(app: FastAPI, **options: Any) -> uvicorn.Config:
    """The one uvicorn configuration of the app (the server and the tests' live server):
    h11 with a request head large enough for every declared query limit."""
    return uvicorn.Config(
        app,
        http="h11",
        ws="none",
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        **options,
    )


def refuse_open_without_users(con: duckdb.DuckDBPyConnection, host: str) -> None:
    """Beyond the loopback, anyone who reaches the port could sign in as nobody: no users,
    no serving there (docs/security.md)."""
    if host.strip("[]").lower() in LOOPBACK_HOSTS or count_users(con) > 0:
        return
    raise OutsideInError(
        f"refusing to listen on {host}: the store has no users, so nobody could sign in and "
        "the data would be reachable beyond this machine only by the server's own token. "
        "Create the first admin with `outsidein users create-admin`, then serve again "
        "(or serve on 127.0.0.1)"
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening socket: connections wait in its backlog until the app is up.

    Made with ``IPPROTO_TCP`` named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    connections whose socket says TCP, and a socket made with protocol 0 does not, so each
    response's body (written after its headers) waited for the client's delayed ACK: 44 ms
    added to every request, a 404 included.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise OutsideInError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "(0 takes any free one)"
        ) from None
    sock.set_inheritable(True)
    return sock
