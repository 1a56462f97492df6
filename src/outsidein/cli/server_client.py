"""Commands beside a running server: open the store, or ask the server that holds it.

DuckDB lets one process write a store, and while ``outsidein serve`` holds it no other
process may even read it. So a command first looks for the record the server leaves beside
the store (:mod:`outsidein.store.owner`): a live server there answers the command over its
API (reads, ``load``, ``keys``), with the record's token proving the caller can read it, i.e.
is the same user on the same machine (the server accepts it from the loopback only, as an
admin). A server named by ``--server URL`` is sent the API token in ``OUTSIDEIN_API_TOKEN``
(``Authorization: Bearer``; docs/security.md). Without one the command opens the store itself; if
something else holds it, the message says what holds it and what to run instead — never
DuckDB's raw lock error.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import duckdb

from outsidein.cli.app import err_console
from outsidein.errors import OutsideInError, StoreLockedError
from outsidein.store import connect
from outsidein.store.owner import ServerRecord, read_record, record_path

__all__ = [
    "Server",
    "ServerError",
    "ServerUnreachableError",
    "find_server",
    "held_elsewhere",
    "open_for_writing",
    "store_or_server",
]

TOKEN_HEADER = "X-Outsidein-Token"
EXPORT_HEADER = "X-Outsidein-Export"  # names the file an answer is written to (audited)
# For a server found by --server URL (no record beside the store): an API token.
API_TOKEN_ENV = "OUTSIDEIN_API_TOKEN"
READ_TIMEOUT = 600.0
LOAD_TIMEOUT = 6 * 3600.0


class ServerUnreachableError(OutsideInError):
    """The store is locked by a server that does not answer."""

    code = "server_unreachable"
    exit_code = 3


class ServerError(OutsideInError):
    """The server answered with an error: its message, as the local command would print it."""

    def __init__(self, message: str, code: str, status: int, details: Any = None) -> None:
        super().__init__(message, **(details if isinstance(details, dict) else {}))
        self.code = code
        self.http_status = status
        self.exit_code = _exit_code(code, status)


def _exit_code(code: str, status: int) -> int:
    """The exit code the same error has locally (by its code), else 2 for 4xx and 1."""
    pending: list[type[OutsideInError]] = [OutsideInError]
    while pending:
        cls = pending.pop()
        if cls.code == code and cls is not ServerError:
            return cls.exit_code
        pending.extend(cls.__subclasses__())
    return 2 if status < 500 else 1


class Readable(Protocol):
    """What an upload's body is read from (a file, or one that counts what was sent)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Server:
    """A running server's API, called as the same user on the same machine."""

    def __init__(self, url: str, record: ServerRecord | None = None) -> None:
        self.url = url.rstrip("/")
        self.record = record

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, export: str | None = None
    ) -> Any:
        """GET ``path``; ``export`` names the file the answer goes to (the server audits it)."""
        return self.call("GET", path, params, export=export)

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        data: Readable | None = None,
        size: int | None = None,
        timeout: float = READ_TIMEOUT,
        export: str | None = None,
    ) -> Any:
        """One request; the answer's JSON, or :class:`ServerError` with the server's message."""
        headers = {"Accept": "application/json"}
        if export is not None:
            headers[EXPORT_HEADER] = urllib.parse.quote(export[:200])
        if self.record is not None:
            headers[TOKEN_HEADER] = self.record.token
        elif token := os.environ.get(API_TOKEN_ENV, "").strip():
            headers["Authorization"] = f"Bearer {token}"
        payload: bytes | Readable | None = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            payload = data
            headers["Content-Type"] = "application/octet-stream"
            headers["Content-Length"] = str(size)
        url = self.url + path + _query(params)
        request = urllib.request.Request(url, data=payload, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = response.read()
                return json.loads(answer) if answer else None  # 204: no body
        except urllib.error.HTTPError as err:
            raise _server_error(url, err) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ServerUnreachableError(
                f"the server at {self.url} did not answer {method} {path}: {reason}"
            ) from None

    def download(self, path: str, into: Path, timeout: float = LOAD_TIMEOUT) -> int:
        """POST ``path`` and write the answer's bytes to ``into``; the bytes written."""
        headers = {"Accept": "application/octet-stream, application/json"}
        if self.record is not None:
            headers[TOKEN_HEADER] = self.record.token
        url = self.url + path
        request = urllib.request.Request(url, data=b"", method="POST", headers=headers)
        written = 0
        try:
            with (
                urllib.request.urlopen(request, timeout=timeout) as response,
                open(into, "wb") as handle,
            ):
                while chunk := response.read(1 << 20):
                    handle.write(chunk)
                    written += len(chunk)
        except urllib.error.HTTPError as err:
            raise _server_error(url, err) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ServerUnreachableError(
                f"the server at {self.url} did not answer POST {path}: {reason}"
            ) from None
        return written


def _query(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            pairs.append((name, str(item).lower() if isinstance(item, bool) else str(item)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def _server_error(url: str, err: urllib.error.HTTPError) -> OutsideInError:
    try:
        error = json.loads(err.read())["error"]
        return ServerError(error["message"], error["code"], err.code, error.get("details"))
    except (ValueError, KeyError, TypeError):
        return ServerError(f"{url}: HTTP {err.code}", "error", err.code)


def _answers(url: str, timeout: float = 2.0) -> bool:
    """Something listens at ``url`` (a killed server's port refuses the connection)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout):
            return True
    except OSError:
        return False


def _same_server(url: str, recorded: str) -> bool:
    """``--server URL`` names the server recorded beside the store (then its record's token
    is sent); the loopback spelled either way is the same machine."""
    a, b = urlsplit(url), urlsplit(recorded)
    loopback = {"localhost", "127.0.0.1", "::1"}
    same_host = a.hostname == b.hostname or {a.hostname, b.hostname} <= loopback
    return same_host and a.port == b.port


def find_server(db: Path) -> Server | None:
    """The live server recorded beside ``db``; None without one (or with a stale record)."""
    record = read_record(db)
    if record is None or not record.alive() or not _answers(record.url):
        return None
    return Server(record.url, record)


@contextmanager
def store_or_server(
    db: Path,
    *,
    read_only: bool,
    memory_limit: str | None = None,
    server: str | None = None,
    fallback: str | None = None,
    note: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection | Server]:
    """The open store, or the server that holds it (said on stderr when ``note``).

    The server is the one recorded beside the store; ``server`` (a URL, e.g. ``--server``)
    is asked instead when given, and ``fallback`` when the store is held but no live server
    recorded itself (an older server, or one reached through a tunnel).
    """
    found = find_server(db)
    if server is not None and (found is None or not _same_server(server, found.url)):
        found = None
    if found is None:
        try:
            con = connect(db, read_only=read_only, memory_limit=memory_limit)
        except StoreLockedError as exc:
            url = server or fallback
            if url is None:
                raise held_elsewhere(exc, db) from None
            found = Server(url)
            if not _answers(found.url):
                pid = exc.details.get("pid")
                raise ServerUnreachableError(
                    f"{db} is in use by {f'process {pid}' if pid else 'another process'}, "
                    f"and no server answered at {found.url}. "
                    "Pass --server URL of the server that owns the store."
                ) from None
        else:
            try:
                yield con
            finally:
                con.close()
            return
    if note:
        err_console.print(
            f"[dim]through the server at {found.url}, which holds {db}[/]", highlight=False
        )
    yield found


def held_elsewhere(exc: StoreLockedError, db: Path) -> StoreLockedError:
    """The store is held by a process that is not a server we can ask: say what to do."""
    pid = exc.details.get("pid")
    holder = f"process {pid}" if pid else "another process"
    return StoreLockedError(
        f"{db} is in use by {holder}, which is not a running `outsidein serve` (none "
        f"recorded in {record_path(db).name}); wait for it to finish, or stop it, and run "
        "the command again",
        **exc.details,
    )


def open_for_writing(
    db: Path, command: str, instead: Callable[[Server], str], memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the store to write it, for a command no server runs; while one holds the store,
    refuse, naming (``instead``) the exact command that works."""
    found = find_server(db)
    if found is not None:
        pid = found.record.pid if found.record else "?"
        raise StoreLockedError(
            f"{db} is held by `outsidein serve` (process {pid} at {found.url}), which cannot "
            f"run `{command}`; {instead(found)}",
            path=str(db),
        )
    try:
        return connect(db, memory_limit=memory_limit)
    except StoreLockedError as exc:
        raise held_elsewhere(exc, db) from None
