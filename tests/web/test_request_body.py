"""The one capped body reader that file uploads and Segment calls share, on a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
from fastapi import FastAPI, Request

from outsidein.web.request_body import DRAIN_LIMIT, read_capped

from .conftest import LiveServer

LIMIT = 1000


def echo_app() -> FastAPI:
    """Answers with what the reader took and the size it reported."""
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int | None]:
        taken: list[bytes] = []
        size = await read_capped(request, LIMIT, taken.append)
        return {"taken": sum(len(c) for c in taken), "size": size}

    return app


def chunks(total: int, size: int = 400) -> Callable[[], Iterator[bytes]]:
    """A body streamed in chunks with no Content-Length (chunked encoding)."""

    def stream() -> Iterator[bytes]:
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return stream


def test_read_capped_takes_a_body_within_the_limit_and_measures_one_over_it(
    live_server: Callable[[FastAPI], LiveServer],
) -> None:
    server = live_server(echo_app())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        within = client.post("/echo", content=b"y" * LIMIT).json()
        assert within == {"taken": LIMIT, "size": None}
        # Declared too large: nothing is taken, the declared size is reported.
        declared = client.post("/echo", content=b"y" * 5000).json()
        assert declared == {"taken": 0, "size": 5000}
        # Streamed with no length: at most the limit was taken (what came before the chunk
        # that crossed it), and the whole body was read (drained): the answer reaches the client.
        streamed = client.post("/echo", content=chunks(4000)()).json()
        assert streamed["taken"] <= LIMIT and streamed["size"] == 4000
        # Past the drain limit reading stops; the size is what was read by then.
        huge = client.post("/echo", content=chunks(DRAIN_LIMIT + 3 * 65536, 65536)()).json()
        assert huge["taken"] == 0 and DRAIN_LIMIT < huge["size"] <= DRAIN_LIMIT + 3 * 65536
