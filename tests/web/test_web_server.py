"""``outsidein.web.serve`` and ``outsidein serve``: the server owns the store, or says who does."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from outsidein.errors import StoreLockedError
from outsidein.store import connect
from outsidein.web import create_app, serve
from outsidein.web.server import listen

from .conftest import LiveServer, seed_company

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def locked_store(tmp_path: Path) -> Iterator[Path]:
    """A store whose write lock another process holds until the test ends."""
    path = tmp_path / "s.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield path
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()


def test_serve_on_a_locked_store_raises_the_clean_error(locked_store: Path) -> None:
    with pytest.raises(StoreLockedError, match=r"is in use by process \d+ \(usually"):
        serve(locked_store, "127.0.0.1", 0)


def test_serve_command_is_registered() -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app
    from outsidein.cli import serve as _serve  # noqa: F401  registers the command

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--db", "--host", "--port"):
        assert option in result.output


def test_serve_command_on_a_locked_store_says_who_holds_it(locked_store: Path) -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", str(locked_store), "--port", "1"])
    assert isinstance(result.exception, StoreLockedError)
    assert "is serving" not in result.output  # nothing is announced for a server that never ran


def test_connections_are_served_with_nagle_off() -> None:
    """asyncio turns TCP_NODELAY on only for a socket that names TCP: with protocol 0 each
    response's body waited ~44 ms for the client's delayed ACK."""
    sock = listen("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handler, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            try:
                return await asyncio.wait_for(seen, 10)
            finally:
                writer.close()

    assert asyncio.run(accepted_nodelay()) != 0


def test_a_response_body_follows_its_headers_at_once(tmp_path: Path) -> None:
    """Over a kept-alive connection, a 404's body is not held back behind its headers (it was,
    44 ms each time, before the socket named TCP)."""
    server = LiveServer(create_app(seed_company(tmp_path / "s.duckdb"))).start()
    try:
        host, port = server.url.removeprefix("http://").split(":")
        header, value = next(iter(server.auth.items()))
        request = f"GET /api/v1/nothing HTTP/1.1\r\nHost: t\r\n{header}: {value}\r\n\r\n".encode()
        waits = []
        with socket.create_connection((host, int(port))) as conn:
            for _ in range(20):
                conn.sendall(request)
                data, headers_at = b"", None
                while True:
                    data += conn.recv(65536)
                    if headers_at is None and b"\r\n\r\n" in data:
                        headers_at = time.perf_counter()
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = re.search(rb"(?i)content-length: (\d+)", head)
                    if length and len(body) >= int(length.group(1)):
                        break
                assert headers_at is not None
                waits.append(time.perf_counter() - headers_at)
        waits.sort()
        assert waits[len(waits) // 2] < 0.02, waits  # the delayed ACK is 40 ms at least
    finally:
        server.stop()
