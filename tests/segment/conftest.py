"""A real ``outsidein serve`` process on 127.0.0.1, a write key, and the store it leaves.

Tests talk to the server as clients do (the Segment and RudderStack libraries, or raw HTTP)
and assert on the DuckDB file once the server has stopped: a graceful stop commits and
applies everything accepted, a SIGKILL stops nothing at all.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from outsidein.auth import Role
from outsidein.auth.users import count_users, create_user
from outsidein.ingest.segment import create_key
from outsidein.store import connect
from tests.web.conftest import browser_login, record_auth

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ADMIN_PASSWORD = "segment-tests-admin"


class SegmentServer:
    """One store and the server process that owns it (restartable, killable)."""

    def __init__(
        self, folder: Path, env: dict[str, str] | None = None, scopes: tuple[str, ...] = ()
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.db = folder / "store.duckdb"
        self.env = {"OUTSIDEIN_SEGMENT_APPLY_INTERVAL": "0.2", **(env or {})}
        con = connect(self.db)
        self.key = create_key(con, "tests", scopes).secret
        self.key_id = con.execute("SELECT key_id FROM write_keys").fetchall()[0][0]
        if not count_users(con):  # for the pages in a browser (login)
            create_user(con, "admin", Role.ADMIN, ADMIN_PASSWORD)
        con.close()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> SegmentServer:
        self.starts += 1
        port = str(self.port)
        log = open(self.folder / f"server-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "outsidein", "serve", "--db", str(self.db), "--port", port],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        log.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    self.auth = record_auth(self.db)
                    self.http = httpx.Client(headers=self.auth, timeout=30)
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{self.log()}")
            time.sleep(0.05)

    def login(self, page: Any) -> None:
        """Sign a browser page in as the store's admin."""
        browser_login(page, self.url, "admin", ADMIN_PASSWORD)

    def log(self) -> str:
        return (self.folder / f"server-{self.starts}.log").read_text(errors="replace")

    def stop(self) -> None:
        """Ctrl+C: the server commits what is queued and applies the inbox before exiting."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        self.proc = None
        if hasattr(self, "http"):
            self.http.close()

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, nothing is cleaned up."""
        if hasattr(self, "http"):
            self.http.close()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Read the stopped server's store."""
        assert self.proc is None, "stop the server before reading its store"
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def post(self, path: str, body: Any = None, *, key: str | None = None, **kw: Any) -> Any:
        """A raw HTTP call with the test key as HTTP Basic user (pass key='' for none)."""
        auth = None if key == "" else ((key or self.key), "")
        if body is not None:
            kw["json"] = body
        return httpx.post(self.url + path, auth=auth, timeout=30, **kw)

    def wait_applied(self, timeout: float = 30) -> None:
        """Until the inbox is empty (everything accepted has reached the tables)."""
        deadline = time.monotonic() + timeout
        while self.http.get(self.url + "/api/v1/segment/activity", timeout=5).json()["inbox"]:
            assert time.monotonic() < deadline, "the inbox was not applied in time"
            time.sleep(0.05)


@pytest.fixture
def segment_server(tmp_path: Path) -> Iterator[SegmentServer]:
    server = SegmentServer(tmp_path / "server").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SegmentServer]:
    """One running server for the tests of a module that only send and read via HTTP."""
    server = SegmentServer(tmp_path_factory.mktemp("shared")).start()
    try:
        yield server
    finally:
        server.kill()
