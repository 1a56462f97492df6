"""The record a running server leaves beside its store, so other commands can find it.

DuckDB lets one process write a store (and, while it does, no other process may open it
even to read). ``outsidein serve`` therefore writes ``<store>.server.json`` when it starts:
where it listens, its pid and a random token made for this start, which only the same user
can read (mode 0600). Commands that find the store held ask that server instead of opening
the file (docs/loading.md). The server removes the record when it stops; a record left by a
killed server is recognised as stale because its pid is gone or nothing answers there.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

__all__ = ["ServerRecord", "new_token", "read_record", "record_path", "remove_record"]

SUFFIX = ".server.json"
WILDCARDS = {"", "0.0.0.0", "::"}


def record_path(db: Path) -> Path:
    """Where the server that holds ``db`` records itself."""
    return db.with_name(db.name + SUFFIX)


def new_token() -> str:
    """A secret for one server start: local commands prove they can read the record."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ServerRecord:
    """Where the server holding a store listens, and what proves a caller is local."""

    db: str
    host: str
    port: int
    pid: int
    token: str
    max_upload_bytes: int
    started_at: str

    @property
    def url(self) -> str:
        """The URL a command on this machine uses (the loopback when serving everywhere)."""
        host = self.host
        if host in WILDCARDS:
            host = "::1" if host == "::" else "127.0.0.1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def alive(self) -> bool:
        """The recorded process still exists (a killed server's record is stale)."""
        return bool(psutil.pid_exists(self.pid))

    def write(self) -> Path:
        """Write the record (readable by this user only), replacing any stale one."""
        path = record_path(Path(self.db))
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle)
        os.replace(partial, path)
        return path

    @classmethod
    def starting(cls, db: Path, host: str, port: int, max_upload_bytes: int) -> ServerRecord:
        """The record of this process, serving ``db`` on ``host:port`` from now."""
        return cls(
            str(db.resolve()),
            host,
            port,
            os.getpid(),
            new_token(),
            max_upload_bytes,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )


def read_record(db: Path) -> ServerRecord | None:
    """The record beside ``db``; None when there is none or it cannot be read."""
    try:
        raw = json.loads(record_path(db).read_text(encoding="utf-8"))
        return ServerRecord(**raw)
    except (OSError, ValueError, TypeError):
        return None


def remove_record(record: ServerRecord) -> None:
    """Remove the record if it is still this one (a newer server may have replaced it)."""
    path = record_path(Path(record.db))
    if read_record(Path(record.db)) == record:
        path.unlink(missing_ok=True)
